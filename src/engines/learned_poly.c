/* engines/learned_poly.c: polynomial-class CT from samples in d = 1 (engines/learned_poly.h,
 * theory.md §13.3). */
#include "engines/learned_poly.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_roots.h>

#include "core/rng.h"

#define Q_IN 16  /* inner Gauss-Hermite nodes: exact for degree <= 31 */
#define Q_OUT 96 /* outer nodes per component of q_t */

double ctr_lpoly_eval(const ctr_lpoly_fn *f, int p, double x) {
  double u = (x - f->m) / f->sd, h0 = 1, h1 = u, acc = f->coef[0] + f->coef[1] * u;
  for (int k = 1; k < p; k++) { /* He_{k+1} = u He_k - k He_{k-1} */
    double h2 = u * h1 - k * h0;
    acc += f->coef[k + 1] * h2;
    h0 = h1, h1 = h2;
  }
  return acc;
}

static void comp(const ctr_mixture *m, int k, double *mu, double *lam) {
  *mu = m->mu[k], *lam = m->lam[m->lam_off[k]];
}

/* learned_poly.h */
int ctr_learned_gh_rule(size_t n, double *x, double *w) {
  gsl_integration_fixed_workspace *ws =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, n, 0.0, 0.5, 0.0, 0.0);
  if (!ws) return 0;
  const double *nx = gsl_integration_fixed_nodes(ws), *nw = gsl_integration_fixed_weights(ws);
  for (size_t i = 0; i < n; i++) x[i] = nx[i], w[i] = nw[i] / sqrt(2 * M_PI);
  gsl_integration_fixed_free(ws);
  return 1;
}

/* f*_t(x) = sum_j w_j(x) E[f_prev(r x + c X_0) | X_t = x, component j] */
static double fstar(const ctr_schedule *s, const ctr_mixture *m, int64_t t, int p,
                    const ctr_lpoly_fn *f_prev, double x, const double *xi, const double *wi) {
  double a = s->a[t], sg = s->s[t], r = s->s[t - 1] / sg, c = ctr_schedule_c(s, t);
  double lw[64], mx = -INFINITY, tot = 0, acc = 0;
  int K = m->K < 64 ? m->K : 64;
  for (int j = 0; j < K; j++) {
    double mu, lam;
    comp(m, j, &mu, &lam);
    double v = a * a * lam + sg * sg, dx = x - a * mu;
    lw[j] = m->log_weight[j] - 0.5 * log(v) - 0.5 * dx * dx / v;
    mx = fmax(mx, lw[j]);
  }
  for (int j = 0; j < K; j++) {
    double mu, lam;
    comp(m, j, &mu, &lam);
    double v = a * a * lam + sg * sg, w = exp(lw[j] - mx);
    double pm = mu + a * lam / v * (x - a * mu), psd = sqrt(lam * sg * sg / v), in = 0;
    for (int i = 0; i < Q_IN; i++) in += wi[i] * ctr_lpoly_eval(f_prev, p, r * x + c * (pm + psd * xi[i]));
    tot += w, acc += w * in;
  }
  return acc / tot;
}

double ctr_lpoly_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, int p,
                      const ctr_lpoly_fn *g, const ctr_lpoly_fn *f_prev) {
  double xi[Q_IN], wi[Q_IN], xo[Q_OUT], wo[Q_OUT], acc = 0;
  if (!ctr_learned_gh_rule(Q_IN, xi, wi) || !ctr_learned_gh_rule(Q_OUT, xo, wo)) return NAN;
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double mean = s->a[t] * mu, sd = sqrt(s->a[t] * s->a[t] * lam + s->s[t] * s->s[t]);
    for (int o = 0; o < Q_OUT; o++) {
      double x = mean + sd * xo[o], e = ctr_lpoly_eval(g, p, x) - fstar(s, m, t, p, f_prev, x, xi, wi);
      acc += m->weight[k] * wo[o] * e * e;
    }
  }
  return acc;
}

static void basis_at(const ctr_schedule *s, const ctr_mixture *m, int64_t t, ctr_lpoly_fn *f);

/* eps_F,t^2 = min_g ||g - f*_t||^2_{L2(q_t)} over the class: the q_t-weighted projection of
 * f*_t (normal equations on the same quadrature), its residual evaluated directly. */
double ctr_lpoly_class_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, int p,
                            const ctr_lpoly_fn *f_prev) {
  double xi[Q_IN], wi[Q_IN], xo[Q_OUT], wo[Q_OUT];
  int q = p + 1, nq = m->K * Q_OUT;
  double *X = ctr_dalloc((size_t)nq), *W = ctr_dalloc((size_t)nq), *F = ctr_dalloc((size_t)nq);
  double G[(CTR_LPOLY_PMAX + 1) * (CTR_LPOLY_PMAX + 1)] = {0}, b[CTR_LPOLY_PMAX + 1] = {0};
  ctr_lpoly_fn g = {0};
  double acc = NAN;
  if (!X || !W || !F || !ctr_learned_gh_rule(Q_IN, xi, wi) || !ctr_learned_gh_rule(Q_OUT, xo, wo))
    goto done;
  basis_at(s, m, t, &g);
  for (int k = 0, i = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double mean = s->a[t] * mu, sd = sqrt(s->a[t] * s->a[t] * lam + s->s[t] * s->s[t]);
    for (int o = 0; o < Q_OUT; o++, i++) {
      X[i] = mean + sd * xo[o], W[i] = m->weight[k] * wo[o];
      F[i] = fstar(s, m, t, p, f_prev, X[i], xi, wi);
      double u = (X[i] - g.m) / g.sd, h[CTR_LPOLY_PMAX + 1];
      h[0] = 1, h[1] = u;
      for (int j = 1; j < p; j++) h[j + 1] = u * h[j] - j * h[j - 1];
      for (int a = 0; a < q; a++) {
        b[a] += W[i] * h[a] * F[i];
        for (int c = 0; c < q; c++) G[a * q + c] += W[i] * h[a] * h[c];
      }
    }
  }
  gsl_matrix_view Gm = gsl_matrix_view_array(G, (size_t)q, (size_t)q);
  gsl_vector_view bv = gsl_vector_view_array(b, (size_t)q);
  gsl_vector_view cv = gsl_vector_view_array(g.coef, (size_t)q);
  if (gsl_linalg_cholesky_decomp1(&Gm.matrix) ||
      gsl_linalg_cholesky_solve(&Gm.matrix, &bv.vector, &cv.vector))
    goto done;
  acc = 0;
  for (int i = 0; i < nq; i++) {
    double e = ctr_lpoly_eval(&g, p, X[i]) - F[i];
    acc += W[i] * e * e;
  }
done:
  free(X), free(W), free(F);
  return acc;
}

static void basis_at(const ctr_schedule *s, const ctr_mixture *m, int64_t t, ctr_lpoly_fn *f) {
  double mean = 0, second = 0;
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    mean += m->weight[k] * mu, second += m->weight[k] * (lam + mu * mu);
  }
  double var = fmax(second - mean * mean, 0);
  f->m = s->a[t] * mean, f->sd = sqrt(s->a[t] * s->a[t] * var + s->s[t] * s->s[t]);
}

/* The n training pairs of step t in d = 1 (the streams of engines/learned.c): on return x[j] is
 * the student's input a_t X_0 + s_t Z and xp[j] the teacher's a_{t-1} X_0 + s_{t-1} Z (shared
 * noise). x and xp (n = base->train_n each) are overwritten. */
void ctr_learned_pairs_1d(const ctr_learned_params *base, const ctr_schedule *s,
                          const ctr_mixture *m, int64_t t, double *x, double *xp) {
  size_t n = (size_t)base->train_n;
  uint64_t key = base->mode == CTR_LEARNED_FRESH ? (uint64_t)t : 0;
  ctr_rng r, rc;
  ctr_rng_init(&r, base->seed, CTR_RNG_LEARNED_DATA, key, 1);
  ctr_rng_normals(&r, n, x);
  ctr_rng_init(&r, base->seed, CTR_RNG_LEARNED_NOISE, (uint64_t)t, 1);
  ctr_rng_normals(&r, n, xp);
  ctr_rng_init(&rc, base->seed, CTR_RNG_LEARNED_COMPONENT, key, 1);
  for (size_t j = 0; j < n; j++) {
    int k = 0;
    if (m->K > 1) {
      double u = ctr_rng_uniform(&rc);
      while (k < m->K - 1 && u > m->cum_weight[k]) k++;
    }
    double mu, lam;
    comp(m, k, &mu, &lam);
    double x0 = mu + sqrt(lam) * x[j], z = xp[j];
    x[j] = s->a[t] * x0 + s->s[t] * z, xp[j] = s->a[t - 1] * x0 + s->s[t - 1] * z;
  }
}

/* the n pairs of step t (same streams as engines/learned.c), then the ridge normal equations */
static ctr_status fit(const ctr_lpoly_params *p, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, const ctr_lpoly_fn *prev, ctr_lpoly_fn *f, double *buf,
                      ctr_error *err) {
  size_t n = (size_t)p->base.train_n;
  int P = p->degree, q = P + 1;
  double *xi = buf, *z = buf + n, G[(CTR_LPOLY_PMAX + 1) * (CTR_LPOLY_PMAX + 1)] = {0},
         rhs[CTR_LPOLY_PMAX + 1] = {0};
  ctr_learned_pairs_1d(&p->base, s, m, t, xi, z);
  basis_at(s, m, t, f);
  for (size_t j = 0; j < n; j++) {
    double x = xi[j], y = ctr_lpoly_eval(prev, P, z[j]);
    double u = (x - f->m) / f->sd, h[CTR_LPOLY_PMAX + 1];
    h[0] = 1, h[1] = u;
    for (int i = 1; i < P; i++) h[i + 1] = u * h[i] - i * h[i - 1];
    ctr_normal_add(q, h, y, G, rhs);
  }
  ctr_normal_finish(q, n, p->base.ridge, G, rhs);
  gsl_matrix_view Gm = gsl_matrix_view_array(G, (size_t)q, (size_t)q);
  gsl_vector_view bv = gsl_vector_view_array(rhs, (size_t)q);
  gsl_vector_view cv = gsl_vector_view_array(f->coef, (size_t)q);
  if (gsl_linalg_cholesky_decomp1(&Gm.matrix) ||
      gsl_linalg_cholesky_solve(&Gm.matrix, &bv.vector, &cv.vector))
    return ctr_fail(err, CTR_ENUMERIC, "polynomial class: singular normal equations at t = %lld "
                    "(raise --train-n or --ridge, or lower the degree)", (long long)t);
  return CTR_OK;
}

ctr_status ctr_lpoly_run(const ctr_lpoly_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_lpoly_result **out, ctr_error *err) {
  *out = NULL;
  if (m->d != 1 || p->degree < 1 || p->degree > CTR_LPOLY_PMAX)
    return ctr_fail(err, CTR_EINPUT, "polynomial class: d = %d, degree %d (accepted: d = 1, "
                    "degree 1..%d)", m->d, p->degree, CTR_LPOLY_PMAX);
  ctr_status st = ctr_learned_check(&p->base, 1, err);
  if (st) return st;
  ctr_lpoly_result *r = calloc(1, sizeof *r);
  double *buf = ctr_dalloc(2 * (size_t)p->base.train_n);
  if (r) r->eps_t = ctr_dalloc((size_t)s->N + 1);
  if (!r || !r->eps_t || !buf) {
    free(buf), ctr_lpoly_result_free(r);
    return ctr_fail(err, CTR_ENOMEM, "polynomial class: out of memory");
  }
  r->p = p->degree;
  ctr_lpoly_fn prev = {0}, cur = {0};
  basis_at(s, m, 1, &prev); /* f_1 = identity: x = m_1 + sd_1 He_1 */
  prev.coef[0] = prev.m, prev.coef[1] = prev.sd;
  int64_t last = p->base.stop_t > 1 && p->base.stop_t < s->N ? p->base.stop_t : s->N;
  for (int64_t t = 2; !st && t <= last; t++) {
    cur = (ctr_lpoly_fn){0};
    st = fit(p, s, m, t, &prev, &cur, buf, err);
    if (st) break;
    r->eps_t[t] = sqrt(ctr_lpoly_err2(s, m, t, p->degree, &cur, &prev));
    r->eps_sum += r->eps_t[t], r->eps_max = fmax(r->eps_max, r->eps_t[t]);
    r->epsF_sum += sqrt(fmax(ctr_lpoly_class_err2(s, m, t, p->degree, &prev), 0));
    prev = cur;
  }
  free(buf);
  if (st) {
    ctr_lpoly_result_free(r);
    return st;
  }
  r->t = last, r->f = prev;
  *out = r;
  return CTR_OK;
}

static double x1_cdf(const ctr_schedule *s, const ctr_mixture *m, double x) {
  double acc = 0;
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    acc += m->weight[k] * gsl_cdf_ugaussian_P((x - s->a[1] * mu) / sqrt(s->a[1] * s->a[1] * lam + s->s[1] * s->s[1]));
  }
  return acc;
}

typedef struct {
  const ctr_schedule *s;
  const ctr_mixture *m;
  double u;
} qctx;

static double x1_gap(double x, void *p) {
  const qctx *q = p;
  return x1_cdf(q->s, q->m, x) - q->u;
}

/* The u-quantile of X_1 by Brent's method (gsl_root_fsolver_brent, to 1e-15) between the
 * smallest and largest component quantile: a mixture CDF is a convex combination of the
 * component CDFs, so its quantile lies between theirs (one component: the bracket is a point). */
static double x1_quantile(const ctr_schedule *s, const ctr_mixture *m, double u,
                          gsl_root_fsolver *solver) {
  double lo = INFINITY, hi = -INFINITY, z = gsl_cdf_ugaussian_Pinv(u);
  for (int k = 0; k < m->K; k++) {
    double mu, lam;
    comp(m, k, &mu, &lam);
    double x = s->a[1] * mu + z * sqrt(s->a[1] * s->a[1] * lam + s->s[1] * s->s[1]);
    lo = fmin(lo, x), hi = fmax(hi, x);
  }
  qctx q = {s, m, u};
  if (!(hi > lo) || x1_gap(lo, &q) >= 0) return lo;
  if (x1_gap(hi, &q) <= 0) return hi;
  gsl_function F = {x1_gap, &q};
  gsl_root_fsolver_set(solver, &F, lo, hi);
  for (int i = 0; i < 200; i++) {
    gsl_root_fsolver_iterate(solver);
    lo = gsl_root_fsolver_x_lower(solver), hi = gsl_root_fsolver_x_upper(solver);
    if (gsl_root_test_interval(lo, hi, 1e-15, 1e-15) == GSL_SUCCESS) break;
  }
  return gsl_root_fsolver_root(solver);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double w1_rule(const ctr_schedule *s, const ctr_mixture *m, ctr_learned_map1 f,
                      const void *ctx, int M, double *y) {
  for (int i = 0; i < M; i++) y[i] = f(ctx, gsl_cdf_ugaussian_Pinv((i + 0.5) / M));
  qsort(y, (size_t)M, sizeof *y, cmp_double);
  double acc = 0;
  gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!solver) return NAN;
  for (int i = 0; i < M; i++) acc += fabs(x1_quantile(s, m, (i + 0.5) / M, solver) - y[i]);
  gsl_root_fsolver_free(solver);
  return acc / M;
}

ctr_status ctr_learned_w1_1d(const ctr_schedule *s, const ctr_mixture *m, ctr_learned_map1 f,
                             const void *ctx, int M, double *w1, double *disc, ctr_error *err) {
  double *y = ctr_dalloc((size_t)M);
  if (!y) return ctr_fail(err, CTR_ENOMEM, "learned: out of memory (M = %d)", M);
  *w1 = w1_rule(s, m, f, ctx, M, y);
  *disc = fabs(*w1 - w1_rule(s, m, f, ctx, M / 2, y));
  free(y);
  return isfinite(*w1) ? CTR_OK : ctr_fail(err, CTR_ENUMERIC, "learned: W1 of the output is not finite");
}

static double lpoly_map(const void *ctx, double x) {
  const ctr_lpoly_result *r = ctx;
  return ctr_lpoly_eval(&r->f, r->p, x);
}

ctr_status ctr_lpoly_w1_normal(const ctr_schedule *s, const ctr_mixture *m, const ctr_lpoly_result *r,
                               int M, double *w1, double *disc, ctr_error *err) {
  return ctr_learned_w1_1d(s, m, lpoly_map, r, M, w1, disc, err);
}

void ctr_lpoly_result_free(ctr_lpoly_result *r) {
  if (!r) return;
  free(r->eps_t);
  free(r);
}
