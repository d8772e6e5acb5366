/* engines/learned_features2.c: random Fourier features and radial basis functions, CT from
 * samples in d = 2 (engines/learned_features2.h, theory.md §13.6). */
#include "engines/learned_features2.h"
#include "engines/learned_poly.h" /* ctr_learned_gh_rule */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "core/parfor.h"
#include "core/rng.h"

#define BULK 4.0     /* rbf grid: a_t mu_k,i +- BULK sd_k,i */
#define CHUNK 2048   /* training pairs per Gram chunk (at least; fixed by n, not by threads) */
#define NODE_CHUNK 64
#define W_SKIP 1e-20 /* outer nodes of product weight below this add nothing measurable */

/* eigenvalue r of Sigma_k and U_k (NULL: identity), as engines/grid_2d.c */
static double lam2(const ctr_mixture *m, int k, int r) {
  return m->lam[m->lam_off[k] + (m->kind[k] == CTR_COV_ISO ? 0 : r)];
}
static double U_at(const ctr_mixture *m, int k, int i, int j) {
  return m->U_off[k] == SIZE_MAX ? (double)(i == j) : m->U[m->U_off[k] + (size_t)(i * 2 + j)];
}
/* out = U_k diag(g) U_k^T (2 x 2 row-major) */
static void U_diag_Ut(const ctr_mixture *m, int k, const double *g, double *out) {
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      out[i * 2 + j] = U_at(m, k, i, 0) * g[0] * U_at(m, k, j, 0) + U_at(m, k, i, 1) * g[1] * U_at(m, k, j, 1);
}

static void regress(const ctr_lfeat2_fn *f, const double *x, double *h) {
  double d0 = x[0] - f->m[0], d1 = x[1] - f->m[1];
  double u0 = f->Li[0] * d0, u1 = f->Li[2] * d0 + f->Li[3] * d1;
  h[0] = 1, h[1] = u0, h[2] = u1;
  if (f->kind == CTR_LFEAT_RFF)
    for (int j = 0; j < f->M; j++) h[3 + j] = M_SQRT2 * cos(f->a[2 * j] * u0 + f->a[2 * j + 1] * u1 + f->b[j]);
  else
    for (int j = 0; j < f->M; j++) {
      double z0 = u0 - f->a[2 * j], z1 = u1 - f->a[2 * j + 1];
      h[3 + j] = exp(-0.5 * (z0 * z0 + z1 * z1) / (f->w * f->w));
    }
}

void ctr_lfeat2_regressors(const ctr_lfeat2_fn *f, const double *x, double *h) { regress(f, x, h); }

void ctr_lfeat2_eval(const ctr_lfeat2_fn *f, const double *x, double *y) {
  double h[CTR_LFEAT_MMAX + 3];
  regress(f, x, h);
  y[0] = y[1] = 0;
  for (int k = 0; k < f->M + 3; k++) y[0] += h[k] * f->coef[2 * k], y[1] += h[k] * f->coef[2 * k + 1];
}

/* mean m and Cholesky factor L (and L^-1) of the covariance of q_t */
static void standardise(const ctr_schedule *s, const ctr_mixture *m, int64_t t, ctr_lfeat2_fn *f) {
  double mean[2], C[4];
  ctr_mixture_mean(m, mean);
  ctr_mixture_covariance(m, C);
  double a = s->a[t], sg = s->s[t];
  for (int i = 0; i < 4; i++) C[i] *= a * a;
  C[0] += sg * sg, C[3] += sg * sg;
  f->m[0] = a * mean[0], f->m[1] = a * mean[1];
  double l00 = sqrt(C[0]), l10 = C[2] / l00, l11 = sqrt(fmax(C[3] - l10 * l10, 0));
  f->L[0] = l00, f->L[1] = 0, f->L[2] = l10, f->L[3] = l11;
  f->Li[0] = 1 / l00, f->Li[1] = 0, f->Li[2] = -l10 / (l00 * l11), f->Li[3] = 1 / l11;
}

/* x -> u */
static void to_u(const ctr_lfeat2_fn *f, const double *x, double *u) {
  double d0 = x[0] - f->m[0], d1 = x[1] - f->m[1];
  u[0] = f->Li[0] * d0, u[1] = f->Li[2] * d0 + f->Li[3] * d1;
}

/* q_t's component k: x = a mu_k + B z, B = U diag(sqrt(a^2 l + s^2)) */
static void comp_B(const ctr_mixture *m, int k, double a, double sg, double *B) {
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) B[i * 2 + j] = U_at(m, k, i, j) * sqrt(a * a * lam2(m, k, j) + sg * sg);
}

/* rbf quantile centres: M_k by the largest remainder of M pi_k, sunflower points per component */
static void quantile_centres(const ctr_schedule *s, const ctr_mixture *m, int64_t t, int M,
                             ctr_lfeat2_fn *f) {
  int *Mk = calloc((size_t)m->K, sizeof *Mk), given = 0;
  double *rem = ctr_dalloc((size_t)m->K);
  if (!Mk || !rem) { /* out of memory: all centres at the mean (still a valid class) */
    free(Mk), free(rem);
    for (int j = 0; j < 2 * M; j++) f->a[j] = 0;
    return;
  }
  for (int k = 0; k < m->K; k++) {
    double v = M * m->weight[k];
    Mk[k] = (int)floor(v), rem[k] = v - Mk[k], given += Mk[k];
  }
  while (given < M) { /* largest remainder, lowest index on ties */
    int best = 0;
    for (int k = 1; k < m->K; k++)
      if (rem[k] > rem[best]) best = k;
    Mk[best]++, rem[best] = -1, given++;
  }
  const double golden = M_PI * (3 - sqrt(5.0));
  double a = s->a[t], sg = s->s[t];
  for (int k = 0, j = 0; k < m->K; k++) {
    double B[4];
    comp_B(m, k, a, sg, B);
    for (int i = 0; i < Mk[k]; i++, j++) {
      double rho = sqrt(-2 * log1p(-(i + 0.5) / Mk[k])), th = i * golden;
      double z0 = rho * cos(th), z1 = rho * sin(th);
      double x[2] = {a * m->mu[2 * k] + B[0] * z0 + B[1] * z1, a * m->mu[2 * k + 1] + B[2] * z0 + B[3] * z1};
      to_u(f, x, f->a + 2 * j);
    }
  }
  free(Mk), free(rem);
}

void ctr_lfeat2_basis(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, ctr_lfeat2_fn *f) {
  memset(f, 0, sizeof *f);
  f->kind = p->kind, f->M = p->M;
  standardise(s, m, t, f);
  if (p->kind == CTR_LFEAT_RFF) { /* one draw per seed and M: the same features at every t */
    ctr_rng r;
    double g[2 * CTR_LFEAT_MMAX];
    ctr_rng_init(&r, p->base.seed, CTR_RNG_LEARNED_FEATURES, (uint64_t)p->M, 2);
    ctr_rng_normals(&r, 2 * (size_t)p->M, g);
    for (int j = 0; j < 2 * p->M; j++) f->a[j] = g[j] / p->bandwidth;
    for (int j = 0; j < p->M; j++) f->b[j] = 2 * M_PI * ctr_rng_uniform(&r);
    return;
  }
  if (p->centres == CTR_LFEAT_QUANTILE) quantile_centres(s, m, t, p->M, f);
  else {
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, a = s->a[t], sg = s->s[t];
    for (int k = 0; k < m->K; k++)
      for (int i = 0; i < 2; i++) {
        double var = U_at(m, k, i, 0) * U_at(m, k, i, 0) * lam2(m, k, 0) +
                     U_at(m, k, i, 1) * U_at(m, k, i, 1) * lam2(m, k, 1);
        double c = a * m->mu[2 * k + i], h = BULK * sqrt(a * a * var + sg * sg);
        lo[i] = fmin(lo[i], c - h), hi[i] = fmax(hi[i], c + h);
      }
    int g = (int)lround(sqrt((double)p->M));
    for (int i = 0; i < g; i++)
      for (int j = 0; j < g; j++) {
        double x[2] = {g == 1 ? 0.5 * (lo[0] + hi[0]) : lo[0] + i * (hi[0] - lo[0]) / (g - 1),
                       g == 1 ? 0.5 * (lo[1] + hi[1]) : lo[1] + j * (hi[1] - lo[1]) / (g - 1)};
        to_u(f, x, f->a + 2 * (i * g + j));
      }
  }
  if (p->width > 0) f->w = p->width;
  else { /* the mean nearest-neighbour distance of the centres */
    double acc = 0;
    for (int i = 0; i < p->M; i++) {
      double best = INFINITY;
      for (int j = 0; j < p->M; j++)
        if (j != i) best = fmin(best, hypot(f->a[2 * i] - f->a[2 * j], f->a[2 * i + 1] - f->a[2 * j + 1]));
      acc += best;
    }
    f->w = p->M > 1 ? acc / p->M : 1.0;
  }
  if (!(f->w > 0) || !isfinite(f->w)) f->w = 1.0; /* coincident centres: a unit width */
}

void ctr_lfeat2_identity(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_lfeat2_fn *f) {
  ctr_lfeat2_basis(p, s, m, 1, f);
  f->coef[0] = f->m[0], f->coef[1] = f->m[1]; /* x = m + L u */
  f->coef[2] = f->L[0], f->coef[3] = f->L[2], f->coef[4] = f->L[1], f->coef[5] = f->L[3];
}

/* ---------------------------------------------------------------- f*_t, exact */

/* Per-step constants of component k: log pi_k - log det(S)/2, S^-1, Gm = a Sigma S^-1 (the
 * posterior mean's gain), and for f_prev's features under cov_u = c^2 Li P Li^T (P = s^2
 * Sigma S^-1 the posterior covariance): rff damping exp(-omega^T cov_u omega / 2); rbf
 * V^-1 (V = w^2 I + cov_u) and w^2 / sqrt(det V). */
typedef struct {
  double logc, iS[4], Gm[4], Vi[4], detf;
  double *damp; /* M, rff */
} fcomp;

typedef struct {
  const ctr_mixture *m;
  const ctr_lfeat2_fn *f; /* f_prev */
  double a, sg, r, c;
  fcomp *cc;
  double *damp;
} fstar_ctx;

static void fstar_free(fstar_ctx *F) { free(F->cc), free(F->damp); }

static int fstar_prepare(fstar_ctx *F, const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                         const ctr_lfeat2_fn *f) {
  F->m = m, F->f = f, F->a = s->a[t], F->sg = s->s[t], F->r = s->s[t - 1] / s->s[t];
  F->c = ctr_schedule_c(s, t);
  F->cc = calloc((size_t)m->K, sizeof *F->cc), F->damp = ctr_dalloc((size_t)m->K * (size_t)f->M);
  if (!F->cc || !F->damp) return 0;
  double a = F->a, sg = F->sg;
  for (int k = 0; k < m->K; k++) {
    fcomp *q = F->cc + k;
    double iv[2], g[2], pv[2], P[4], T[4], cu[4];
    for (int j = 0; j < 2; j++) {
      double l = lam2(m, k, j), S = a * a * l + sg * sg;
      iv[j] = 1 / S, g[j] = a * l / S, pv[j] = sg * sg * l / S;
    }
    q->logc = m->log_weight[k] + 0.5 * (log(iv[0]) + log(iv[1]));
    U_diag_Ut(m, k, iv, q->iS), U_diag_Ut(m, k, g, q->Gm), U_diag_Ut(m, k, pv, P);
    const double *Li = f->Li; /* cu = c^2 Li P Li^T */
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) T[i * 2 + j] = Li[i * 2] * P[j] + Li[i * 2 + 1] * P[2 + j];
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) cu[i * 2 + j] = F->c * F->c * (T[i * 2] * Li[j * 2] + T[i * 2 + 1] * Li[j * 2 + 1]);
    q->damp = F->damp + (size_t)k * (size_t)f->M;
    if (f->kind == CTR_LFEAT_RFF)
      for (int j = 0; j < f->M; j++) {
        double o0 = f->a[2 * j], o1 = f->a[2 * j + 1];
        q->damp[j] = exp(-0.5 * (o0 * o0 * cu[0] + 2 * o0 * o1 * cu[1] + o1 * o1 * cu[3]));
      }
    else {
      double w2 = f->w * f->w, V0 = w2 + cu[0], V1 = cu[1], V3 = w2 + cu[3], det = V0 * V3 - V1 * V1;
      q->Vi[0] = V3 / det, q->Vi[1] = q->Vi[2] = -V1 / det, q->Vi[3] = V0 / det;
      q->detf = w2 / sqrt(det);
    }
  }
  return 1;
}

/* y = f*_t(x) = sum_k w_k(x) E[f_prev(r x + c X_0) | x, k] (lw: K scratch) */
static void fstar_eval(const fstar_ctx *F, const double *x, double *y, double *lw) {
  const ctr_mixture *m = F->m;
  const ctr_lfeat2_fn *f = F->f;
  double mx = -INFINITY, tot = 0;
  y[0] = y[1] = 0;
  for (int k = 0; k < m->K; k++) {
    const fcomp *q = F->cc + k;
    double d0 = x[0] - F->a * m->mu[2 * k], d1 = x[1] - F->a * m->mu[2 * k + 1];
    lw[k] = q->logc - 0.5 * (q->iS[0] * d0 * d0 + 2 * q->iS[1] * d0 * d1 + q->iS[3] * d1 * d1);
    mx = fmax(mx, lw[k]);
  }
  for (int k = 0; k < m->K; k++) {
    double wk = exp(lw[k] - mx);
    if (!(wk > 0)) continue;
    const fcomp *q = F->cc + k;
    double d0 = x[0] - F->a * m->mu[2 * k], d1 = x[1] - F->a * m->mu[2 * k + 1];
    double Y[2] = {F->r * x[0] + F->c * (m->mu[2 * k] + q->Gm[0] * d0 + q->Gm[1] * d1),
                   F->r * x[1] + F->c * (m->mu[2 * k + 1] + q->Gm[2] * d0 + q->Gm[3] * d1)};
    double u[2], e[2];
    to_u(f, Y, u);
    for (int c = 0; c < 2; c++) e[c] = f->coef[c] + f->coef[2 + c] * u[0] + f->coef[4 + c] * u[1];
    for (int j = 0; j < f->M; j++) {
      double v;
      if (f->kind == CTR_LFEAT_RFF)
        v = M_SQRT2 * cos(f->a[2 * j] * u[0] + f->a[2 * j + 1] * u[1] + f->b[j]) * q->damp[j];
      else {
        double z0 = u[0] - f->a[2 * j], z1 = u[1] - f->a[2 * j + 1];
        v = q->detf * exp(-0.5 * (q->Vi[0] * z0 * z0 + 2 * q->Vi[1] * z0 * z1 + q->Vi[3] * z1 * z1));
      }
      e[0] += f->coef[2 * (3 + j)] * v, e[1] += f->coef[2 * (3 + j) + 1] * v;
    }
    tot += wk, y[0] += wk * e[0], y[1] += wk * e[1];
  }
  y[0] /= tot, y[1] /= tot;
}

void ctr_lfeat2_fstar(const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                      const ctr_lfeat2_fn *f_prev, const double *x, double *y, double *lw) {
  fstar_ctx F = {0};
  if (fstar_prepare(&F, s, m, t, f_prev)) fstar_eval(&F, x, y, lw);
  else y[0] = y[1] = NAN;
  fstar_free(&F);
}

/* ---------------------------------------------------------------- L2(q_t) quadrature */

typedef struct {
  size_t n;
  double *X, *W, *F; /* nodes (n x 2), weights (sum 1 up to the skipped ones), f*_t (n x 2) */
  fstar_ctx fs;
} quad;

static void quad_free(quad *q) { free(q->X), free(q->W), free(q->F), fstar_free(&q->fs); }

static void *lw_alloc(void *ctx) { return ctr_dalloc((size_t)((quad *)ctx)->fs.m->K); }
static void lw_free(void *p) { free(p); }
static ctr_status node_chunk(void *ctx, size_t i, void *ws, ctr_error *err) {
  (void)err;
  quad *q = ctx;
  for (size_t j = i * NODE_CHUNK; j < q->n && j < (i + 1) * NODE_CHUNK; j++)
    fstar_eval(&q->fs, q->X + 2 * j, q->F + 2 * j, ws);
  return CTR_OK;
}

static int quad_build(const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                      const ctr_lfeat2_fn *f_prev, int Q, quad *q) {
  size_t cap = (size_t)m->K * (size_t)Q * (size_t)Q;
  double *z = ctr_dalloc((size_t)Q), *wz = ctr_dalloc((size_t)Q);
  q->X = ctr_dalloc(2 * cap), q->W = ctr_dalloc(cap), q->F = ctr_dalloc(2 * cap), q->n = 0;
  int ok = z && wz && q->X && q->W && q->F && ctr_learned_gh_rule((size_t)Q, z, wz) &&
           fstar_prepare(&q->fs, s, m, t, f_prev);
  double a = s->a[t], sg = s->s[t];
  for (int k = 0; ok && k < m->K; k++) {
    double B[4];
    comp_B(m, k, a, sg, B);
    for (int i = 0; i < Q; i++)
      for (int j = 0; j < Q; j++) {
        double w = wz[i] * wz[j];
        if (w < W_SKIP || m->weight[k] == 0) continue;
        double *x = q->X + 2 * q->n;
        x[0] = a * m->mu[2 * k] + B[0] * z[i] + B[1] * z[j];
        x[1] = a * m->mu[2 * k + 1] + B[2] * z[i] + B[3] * z[j];
        q->W[q->n++] = m->weight[k] * w;
      }
  }
  free(z), free(wz);
  if (!ok) return 0;
  ctr_error err;
  ctr_parfor job = {q, lw_alloc, lw_free, node_chunk};
  return ctr_parfor_run(&job, (q->n + NODE_CHUNK - 1) / NODE_CHUNK, &err) == CTR_OK;
}

/* (lower triangle of) G += w h h^T, rhs += w h y^T over q regressors, 2 outputs */
static inline void gram_add(int q, const double *h, const double *y, double w, double *G, double *rhs) {
  for (int a = 0; a < q; a++) {
    double wh = w * h[a];
    rhs[2 * a] += wh * y[0], rhs[2 * a + 1] += wh * y[1];
    for (int b = 0; b <= a; b++) G[a * q + b] += wh * h[b];
  }
}

/* the projection of f*_t on g's class: weighted normal equations on the nodes */
static int project(const quad *qd, ctr_lfeat2_fn *g) {
  int q = g->M + 3;
  double *G = ctr_dalloc((size_t)q * q), *rhs = ctr_dalloc(2 * (size_t)q), *h = ctr_dalloc((size_t)q);
  int bad = !G || !rhs || !h;
  for (size_t i = 0; !bad && i < qd->n; i++) {
    regress(g, qd->X + 2 * i, h);
    gram_add(q, h, qd->F + 2 * i, qd->W[i], G, rhs);
  }
  for (int a = 0; !bad && a < q; a++)
    for (int b = 0; b < a; b++) G[b * q + a] = G[a * q + b];
  bad = bad || ctr_lfeat_solve_psd(G, rhs, q, 2, g->coef, h);
  free(G), free(rhs), free(h);
  return !bad;
}

static double quad_err2(const quad *qd, const ctr_lfeat2_fn *g) {
  double acc = 0;
  for (size_t i = 0; i < qd->n; i++) {
    double y[2];
    ctr_lfeat2_eval(g, qd->X + 2 * i, y);
    double e0 = y[0] - qd->F[2 * i], e1 = y[1] - qd->F[2 * i + 1];
    acc += qd->W[i] * (e0 * e0 + e1 * e1);
  }
  return acc;
}

double ctr_lfeat2_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, ctr_lfeat2_fn *g,
                       const ctr_lfeat2_fn *f_prev, int Q, int proj) {
  quad qd = {0};
  double acc = NAN;
  if (quad_build(s, m, t, f_prev, Q > 0 ? Q : CTR_LFEAT2_Q, &qd) && (!proj || project(&qd, g)))
    acc = quad_err2(&qd, g);
  quad_free(&qd);
  return acc;
}

/* ---------------------------------------------------------------- training */

void ctr_lfeat2_pairs(const ctr_learned_params *base, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, double *x, double *xp) {
  size_t n = (size_t)base->train_n;
  uint64_t key = base->mode == CTR_LEARNED_FRESH ? (uint64_t)t : 0;
  ctr_rng r, rc;
  ctr_rng_init(&r, base->seed, CTR_RNG_LEARNED_DATA, key, 2);
  ctr_rng_normals(&r, 2 * n, x);
  ctr_rng_init(&r, base->seed, CTR_RNG_LEARNED_NOISE, (uint64_t)t, 2);
  ctr_rng_normals(&r, 2 * n, xp);
  ctr_rng_init(&rc, base->seed, CTR_RNG_LEARNED_COMPONENT, key, 2);
  for (size_t j = 0; j < n; j++) {
    int k = 0;
    if (m->K > 1) {
      double u = ctr_rng_uniform(&rc);
      while (k < m->K - 1 && u > m->cum_weight[k]) k++;
    }
    double e0 = sqrt(lam2(m, k, 0)) * x[2 * j], e1 = sqrt(lam2(m, k, 1)) * x[2 * j + 1];
    double x0[2] = {m->mu[2 * k] + U_at(m, k, 0, 0) * e0 + U_at(m, k, 0, 1) * e1,
                    m->mu[2 * k + 1] + U_at(m, k, 1, 0) * e0 + U_at(m, k, 1, 1) * e1};
    for (int i = 0; i < 2; i++) {
      double z = xp[2 * j + (size_t)i];
      x[2 * j + (size_t)i] = s->a[t] * x0[i] + s->s[t] * z;
      xp[2 * j + (size_t)i] = s->a[t - 1] * x0[i] + s->s[t - 1] * z;
    }
  }
}

typedef struct {
  const double *x, *xp;
  size_t n, chunk;
  int q;
  const ctr_lfeat2_fn *prev, *cur;
  double *part; /* per chunk: G (q x q, lower) then rhs (q x 2) */
} fit_ctx;

static void *h_alloc(void *ctx) { return ctr_dalloc((size_t)((fit_ctx *)ctx)->q); }
static ctr_status fit_chunk(void *ctx, size_t i, void *ws, ctr_error *err) {
  (void)err;
  fit_ctx *c = ctx;
  int q = c->q;
  double *G = c->part + i * (size_t)(q * q + 2 * q), *rhs = G + (size_t)q * q, *h = ws;
  for (size_t j = i * c->chunk; j < c->n && j < (i + 1) * c->chunk; j++) {
    double y[2];
    ctr_lfeat2_eval(c->prev, c->xp + 2 * j, y);
    regress(c->cur, c->x + 2 * j, h);
    gram_add(q, h, y, 1.0, G, rhs);
  }
  return CTR_OK;
}

/* the pairs of step t, the chunked Gram, then (G/n + ridge diag(0, 1, .., 1)) theta = rhs/n */
static ctr_status fit(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, const ctr_lfeat2_fn *prev, ctr_lfeat2_fn *f, double *x, double *xp,
                      ctr_error *err) {
  size_t n = (size_t)p->base.train_n, chunk = n / 128 > CHUNK ? (n + 127) / 128 : CHUNK;
  size_t nc = (n + chunk - 1) / chunk;
  int q = p->M + 3;
  size_t stride = (size_t)(q * q + 2 * q);
  ctr_lfeat2_pairs(&p->base, s, m, t, x, xp);
  ctr_lfeat2_basis(p, s, m, t, f);
  fit_ctx c = {x, xp, n, chunk, q, prev, f, ctr_dalloc(nc * stride)};
  double *G = ctr_dalloc(stride), *rhs = G ? G + (size_t)q * q : NULL, *tmp = ctr_dalloc((size_t)q);
  if (!c.part || !G || !tmp) {
    free(c.part), free(G), free(tmp);
    return ctr_fail(err, CTR_ENOMEM, "feature class (d = 2): out of memory (M = %d)", p->M);
  }
  ctr_parfor job = {&c, h_alloc, lw_free, fit_chunk};
  ctr_status st = ctr_parfor_run(&job, nc, err);
  for (size_t i = 0; !st && i < nc; i++) /* chunk order: independent of the threads */
    for (size_t k = 0; k < stride; k++) G[k] += c.part[i * stride + k];
  for (int a = 0; !st && a < q; a++) {
    rhs[2 * a] /= (double)n, rhs[2 * a + 1] /= (double)n;
    for (int b = 0; b <= a; b++) G[a * q + b] /= (double)n, G[b * q + a] = G[a * q + b];
    if (a) G[a * q + a] += p->base.ridge;
  }
  if (!st && ctr_lfeat_solve_psd(G, rhs, q, 2, f->coef, tmp))
    st = ctr_fail(err, CTR_ENUMERIC, "feature class %s (d = 2): the normal equations at t = %lld "
                  "could not be solved (raise --train-n or --ridge, or lower --M)",
                  ctr_lfeat_kind_name(p->kind), (long long)t);
  free(c.part), free(G), free(tmp);
  return st;
}

ctr_status ctr_lfeat2_run(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                          ctr_lfeat2_result **out, ctr_error *err) {
  *out = NULL;
  if (m->d != 2)
    return ctr_fail(err, CTR_EINPUT, "feature class in d = 2: got d = %d", m->d);
  ctr_status st = ctr_lfeat_check(p, 2, err);
  if (st) return st;
  size_t n = (size_t)p->base.train_n;
  ctr_lfeat2_result *r = calloc(1, sizeof *r);
  double *x = ctr_dalloc(2 * n), *xp = ctr_dalloc(2 * n);
  ctr_lfeat2_fn *prev = malloc(sizeof *prev), *cur = malloc(sizeof *cur), *proj = malloc(sizeof *proj);
  if (r) r->eps_t = ctr_dalloc((size_t)s->N + 1), r->epsF_t = ctr_dalloc((size_t)s->N + 1);
  if (!r || !r->eps_t || !r->epsF_t || !x || !xp || !prev || !cur || !proj) {
    free(x), free(xp), free(prev), free(cur), free(proj), ctr_lfeat2_result_free(r);
    return ctr_fail(err, CTR_ENOMEM, "feature class (d = 2): out of memory (train_n = %lld)",
                    (long long)p->base.train_n);
  }
  ctr_lfeat2_identity(p, s, m, prev);
  int64_t last = p->base.stop_t > 1 && p->base.stop_t < s->N ? p->base.stop_t : s->N;
  for (int64_t t = 2; !st && t <= last; t++) {
    st = fit(p, s, m, t, prev, cur, x, xp, err);
    if (st) break;
    quad qd = {0};
    double e2 = NAN, f2 = NAN;
    *proj = *cur;
    if (quad_build(s, m, t, prev, CTR_LFEAT2_Q, &qd)) {
      e2 = quad_err2(&qd, cur);
      if (project(&qd, proj)) f2 = quad_err2(&qd, proj);
    }
    quad_free(&qd);
    if (!isfinite(e2) || !isfinite(f2)) {
      st = ctr_fail(err, CTR_ENUMERIC, "feature class (d = 2): the error quadrature failed at "
                    "t = %lld", (long long)t);
      break;
    }
    r->eps_t[t] = sqrt(fmax(e2, 0)), r->epsF_t[t] = sqrt(fmax(f2, 0));
    r->eps_sum += r->eps_t[t], r->eps_max = fmax(r->eps_max, r->eps_t[t]);
    r->epsF_sum += r->epsF_t[t];
    *prev = *cur;
  }
  if (!st) r->t = last, r->f = *prev;
  free(x), free(xp), free(prev), free(cur), free(proj);
  if (st) {
    ctr_lfeat2_result_free(r);
    return st;
  }
  *out = r;
  return CTR_OK;
}

void ctr_lfeat2_result_free(ctr_lfeat2_result *r) {
  if (!r) return;
  free(r->eps_t), free(r->epsF_t);
  free(r);
}
