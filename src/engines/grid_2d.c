/* engines/grid_2d.c: the grid engine in d = 2 (engines/grid.h): the CT recursion on a tensor
 * grid (rows in parallel) and the coupling metrics by a global adaptive Gauss-Kronrod cubature.
 * Split from engines/grid.c without change. */
#include "engines/grid_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parfor.h"
#include "engines/grid_spline.h"
#include "targets/denoiser.h"
#include "targets/flow_map.h"

/* ================================================================ d = 2: CT recursion */

typedef struct {
  int axis;       /* 1: noise c_t C_k^(1/2) zeta aligned with the grid axes (sd per axis) */
  double sd[2];   /* axis-aligned: standard deviations along the axes */
  double B[4];    /* else: c_t U diag(sqrt(C_r)) (row-major), nodes at y + B (z_p, z_q) */
  double Gm[4];   /* a Sigma_k S_k^-1 (row-major): m_k(x) = mu_k + Gm (x - a mu_k) */
  double iS[3];   /* S_k^-1 = (a^2 Sigma_k + s^2 I)^-1: [00, 01, 11] */
  double logc;    /* log pi_k - (1/2) log det S_k */
} comp2;

typedef struct {
  const ctr_mixture *m;
  const ctr_schedule *s;
  int K, Q, q0, q1;      /* nodes q0..q1: those of weight >= 1e-17 (the rest add < 1e-16) */
  double width, bias[2];
  double *xi, *om;
  comp2 *cc;
  double a, sg, ratio, c;  /* the current step's constants */
  ctr_grid_spline2 prev, cur;
} ct2_run;

typedef struct {
  double *w, *Ax, *Cx, *Ay, *Cy;
} ct2_ws;

static void ct2_free(ct2_run *r) {
  free(r->xi), free(r->om), free(r->cc);
  ctr_grid_spline2_free(&r->prev), ctr_grid_spline2_free(&r->cur);
}

/* Eigenvalue r (0, 1) of Sigma_k and its eigenvector matrix (NULL: identity). */
static double lam2(const ctr_mixture *m, int k, int r) {
  return m->lam[m->lam_off[k] + (m->kind[k] == CTR_COV_ISO ? 0 : r)];
}
static const double *U2(const ctr_mixture *m, int k) {
  return m->U_off[k] == SIZE_MAX ? NULL : m->U + m->U_off[k];
}

static ctr_status ct2_alloc(ct2_run *r, const ctr_mixture *m, const ctr_schedule *s, int G, int Q,
                            ctr_error *err) {
  r->m = m, r->s = s, r->K = m->K, r->Q = Q;
  r->xi = ctr_dalloc(Q), r->om = ctr_dalloc(Q), r->cc = calloc((size_t)m->K, sizeof(comp2));
  if (!r->xi || !r->om || !r->cc || ctr_grid_spline2_alloc(&r->prev, G) ||
      ctr_grid_spline2_alloc(&r->cur, G))
    return ctr_fail(err, CTR_ENOMEM, "grid: out of memory (d = 2, G = %d, Q = %d, K = %d)", G,
                    Q, m->K);
  ctr_status st = ctr_grid_hermite(Q, r->xi, r->om, err);
  for (r->q0 = 0; r->q0 < Q / 2 && r->om[r->q0] < 1e-17; r->q0++) {}
  r->q1 = Q - 1 - r->q0;
  return st;
}

/* Per-axis bulk of q_t: a mu_k,i +- width sqrt(a^2 Sigma_k,ii + s^2). */
static void bulk2(const ct2_run *r, double a, double s, double *lo, double *hi) {
  for (int ax = 0; ax < 2; ax++) lo[ax] = INFINITY, hi[ax] = -INFINITY;
  for (int k = 0; k < r->K; k++) {
    if (r->m->weight[k] == 0) continue;
    const double *U = U2(r->m, k);
    for (int ax = 0; ax < 2; ax++) {
      double var = 0;
      for (int q = 0; q < 2; q++) var += (U ? U[ax * 2 + q] * U[ax * 2 + q] : q == ax) * lam2(r->m, k, q);
      double c = a * r->m->mu[2 * k + ax], h = r->width * sqrt(a * a * var + s * s);
      lo[ax] = fmin(lo[ax], c - h), hi[ax] = fmax(hi[ax], c + h);
    }
  }
}

/* Gm = U diag(a l_r / S_r) U^T and the noise c U diag(s sqrt(l_r / S_r)), S_r = a^2 l_r + s^2;
 * axis-aligned when the noise covariance B B^T is diagonal (to 1e-14). */
static void step_consts2(ct2_run *r, double a, double s, double c) {
  for (int k = 0; k < r->K; k++) {
    comp2 *q = r->cc + k;
    const double *U = U2(r->m, k);
    double g[2], e[2], iv[2];
    for (int j = 0; j < 2; j++) {
      double l = lam2(r->m, k, j), S = a * a * l + s * s;
      g[j] = a * l / S, e[j] = c * s * sqrt(l / S), iv[j] = 1 / S;
    }
    q->logc = r->m->log_weight[k] + 0.5 * (log(iv[0]) + log(iv[1]));
    for (int i = 0, o = 0; i < 2; i++)
      for (int j = i; j < 2; j++, o++) {
        double Ui0 = U ? U[i * 2] : i == 0, Ui1 = U ? U[i * 2 + 1] : i == 1;
        double Uj0 = U ? U[j * 2] : j == 0, Uj1 = U ? U[j * 2 + 1] : j == 1;
        q->iS[o] = Ui0 * iv[0] * Uj0 + Ui1 * iv[1] * Uj1;
      }
    for (int i = 0; i < 2; i++)
      for (int j = 0; j < 2; j++) {
        double Ui0 = U ? U[i * 2] : i == 0, Ui1 = U ? U[i * 2 + 1] : i == 1;
        double Uj0 = U ? U[j * 2] : j == 0, Uj1 = U ? U[j * 2 + 1] : j == 1;
        q->Gm[i * 2 + j] = Ui0 * g[0] * Uj0 + Ui1 * g[1] * Uj1;
        q->B[i * 2 + j] = (j == 0 ? Ui0 : Ui1) * e[j];
      }
    double c00 = q->B[0] * q->B[0] + q->B[1] * q->B[1], c11 = q->B[2] * q->B[2] + q->B[3] * q->B[3];
    double c01 = q->B[0] * q->B[2] + q->B[1] * q->B[3];
    q->axis = fabs(c01) <= 1e-14 * sqrt(c00 * c11) || c00 == 0 || c11 == 0;
    q->sd[0] = sqrt(c00), q->sd[1] = sqrt(c11);
  }
}

static void *ct2_ws_alloc(void *ctx) {
  const ct2_run *r = ctx;
  ct2_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  size_t n = (size_t)r->prev.n + 2;
  w->w = ctr_dalloc(r->K);
  w->Ax = ctr_dalloc(n), w->Cx = ctr_dalloc(n), w->Ay = ctr_dalloc(n), w->Cy = ctr_dalloc(n);
  if (!w->w || !w->Ax || !w->Cx || !w->Ay || !w->Cy) {
    free(w->w), free(w->Ax), free(w->Cx), free(w->Ay), free(w->Cy), free(w);
    return NULL;
  }
  return w;
}

static void ct2_ws_free(void *p) {
  ct2_ws *w = p;
  if (!w) return;
  free(w->w), free(w->Ax), free(w->Cx), free(w->Ay), free(w->Cy), free(w);
}

/* E_zeta f_{t-1}(y + noise) for one component. */
static void expect2(const ct2_run *r, const comp2 *q, const double *y, ct2_ws *w, double *out) {
  const ctr_grid_spline2 *S = &r->prev;
  int Q = r->Q;
  if (q->axis) { /* separable: two 1-D rules and one bilinear form over the touched cells */
    int i0, j0;
    int ni = ctr_grid_axis_rule(S, 0, y[0], q->sd[0], r->q0, r->q1, r->xi, r->om, w->Ax, w->Cx,
                                &i0);
    int nj = ctr_grid_axis_rule(S, 1, y[1], q->sd[1], r->q0, r->q1, r->xi, r->om, w->Ay, w->Cy,
                                &j0);
    size_t row = (size_t)S->n * CTR_GRID_NODE;
    double acc[2] = {0, 0};
    for (int i = 0; i < ni; i++) {
      const double *p = S->c + (size_t)(i0 + i) * row + (size_t)j0 * CTR_GRID_NODE;
      double ax = w->Ax[i], cx = w->Cx[i];
      for (int j = 0; j < nj; j++, p += CTR_GRID_NODE) {
        double ay = w->Ay[j], cy = w->Cy[j];
        for (int c = 0; c < 2; c++)
          acc[c] += ay * (ax * p[c] + cx * p[2 + c]) + cy * (ax * p[4 + c] + cx * p[6 + c]);
      }
    }
    out[0] = acc[0], out[1] = acc[1];
    return;
  }
  out[0] = out[1] = 0; /* product rule in the eigenbasis of C_k */
  (void)Q;
  for (int p = r->q0; p <= r->q1; p++)
    for (int qq = r->q0; qq <= r->q1; qq++) {
      double v[2], wt = r->om[p] * r->om[qq];
      ctr_grid_spline2_eval(S, y[0] + q->B[0] * r->xi[p] + q->B[1] * r->xi[qq],
                y[1] + q->B[2] * r->xi[p] + q->B[3] * r->xi[qq], v);
      out[0] += wt * v[0], out[1] += wt * v[1];
    }
}

/* One row i of f_t: f*_t(x) = sum_k w_k(x) E f_{t-1}(ratio x + c m_k(x) + noise) + e_t. */
static ctr_status ct2_row(void *ctx, size_t i, void *wsp, ctr_error *err) {
  ct2_run *r = ctx;
  ct2_ws *w = wsp;
  ctr_grid_spline2 *S = &r->cur;
  int n = S->n;
  double a = r->a, c = r->c, ratio = r->ratio;
  for (int j = 0; j < n; j++) {
    double x[2] = {S->lo[0] + (double)i * S->h[0], S->lo[1] + j * S->h[1]}, tot[2] = {0, 0};
    /* posterior weights (theory.md §5): pi_k N(x; a mu_k, S_k), normalised in log space */
    double lmax = -INFINITY, wsum = 0;
    for (int k = 0; k < r->K; k++) {
      const comp2 *q = r->cc + k;
      const double *mu = r->m->mu + 2 * k;
      double z0 = x[0] - a * mu[0], z1 = x[1] - a * mu[1];
      w->w[k] = q->logc - 0.5 * (q->iS[0] * z0 * z0 + 2 * q->iS[1] * z0 * z1 + q->iS[2] * z1 * z1);
      lmax = fmax(lmax, w->w[k]);
    }
    if (!isfinite(lmax))
      return ctr_fail(err, CTR_ENUMERIC, "grid: posterior weights at (%.17g, %.17g) are not "
                      "finite (d = 2)", x[0], x[1]);
    for (int k = 0; k < r->K; k++) wsum += (w->w[k] = exp(w->w[k] - lmax));
    for (int k = 0; k < r->K; k++) w->w[k] /= wsum;
    for (int k = 0; k < r->K; k++) {
      if (w->w[k] < 1e-17) continue; /* changes f by < 1e-17 of its range */
      const comp2 *q = r->cc + k;
      const double *mu = r->m->mu + 2 * k;
      double z0 = x[0] - a * mu[0], z1 = x[1] - a * mu[1], y[2], e[2];
      y[0] = ratio * x[0] + c * (mu[0] + q->Gm[0] * z0 + q->Gm[1] * z1);
      y[1] = ratio * x[1] + c * (mu[1] + q->Gm[2] * z0 + q->Gm[3] * z1);
      expect2(r, q, y, w, e);
      tot[0] += w->w[k] * e[0], tot[1] += w->w[k] * e[1];
    }
    double *node = S->c + ((size_t)i * n + j) * CTR_GRID_NODE;
    node[0] = tot[0] + r->bias[0], node[1] = tot[1] + r->bias[1];
    if (!isfinite(node[0]) || !isfinite(node[1]))
      return ctr_fail(err, CTR_ENUMERIC, "grid: f_t(%.17g, %.17g) is not finite (d = 2)", x[0],
                      x[1]);
  }
  return CTR_OK;
}

/* f_1 = identity on the bulk of q_1, then t = 2..N; f_N is left in r->prev. */
static ctr_status ct2_recursion(ct2_run *r, ctr_error *err) {
  double lo[2], hi[2];
  const ctr_schedule *s = r->s;
  bulk2(r, s->a[1], s->s[1], lo, hi);
  ctr_grid_spline2_grid(&r->prev, lo, hi);
  int n = r->prev.n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double *node = r->prev.c + ((size_t)i * n + j) * CTR_GRID_NODE;
      node[0] = lo[0] + i * r->prev.h[0], node[1] = lo[1] + j * r->prev.h[1];
    }
  ctr_grid_spline2_fit(&r->prev);
  ctr_parfor job = {r, ct2_ws_alloc, ct2_ws_free, ct2_row};
  for (int64_t t = 2; t <= s->N; t++) {
    r->a = s->a[t], r->sg = s->s[t], r->ratio = s->s[t - 1] / s->s[t];
    r->c = ctr_schedule_c(s, t);
    step_consts2(r, r->a, r->sg, r->c);
    bulk2(r, r->a, r->sg, lo, hi);
    ctr_grid_spline2_grid(&r->cur, lo, hi);
    ctr_status st = ctr_parfor_run(&job, (size_t)n, err);
    if (st) return st;
    ctr_grid_spline2_fit(&r->cur);
    ctr_grid_spline2 tmp = r->prev;
    r->prev = r->cur, r->cur = tmp;
  }
  return CTR_OK;
}

/* ================================================================ d = 2: coupling cubature */

/* QUADPACK's qk15: Kronrod nodes in [0, 1) largest first (odd indices: the Gauss-7 nodes,
 * and the centre), their weights, and the Gauss weights. */
static const double XGK[8] = {0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                              0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                              0.586087235467691130294144838258730, 0.405845151377397166906606412076961,
                              0.207784955007898467600689403773245, 0.0};
static const double WGK[8] = {0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                              0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                              0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                              0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double WG4[4] = {0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                              0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

#define NV 4 /* base |.|, base |.|^2, fine |.|, fine |.|^2 */
#define CUB_FLOW_TOL 1e-10 /* Phi's tolerance in the cubature: ~2e-11 error, 40% faster than 1e-12 */

/* 15 points of [-1, 1] in increasing order and their Kronrod and Gauss (0 off the Gauss
 * subset) weights. */
static void gk15(double *x, double *wk, double *wg) {
  for (int i = 0; i < 15; i++) {
    int k = i < 7 ? i : 14 - i;
    x[i] = i < 7 ? -XGK[k] : XGK[k], wk[i] = WGK[k];
    wg[i] = k % 2 == 1 ? WG4[k / 2] : 0;
  }
}

typedef struct {
  double x0, x1, y0, y1;
  double val[NV], err[NV], ex, ey; /* Kronrod values, |KxK - GxG|, per-axis sensitivities */
} cub_rect;

typedef struct {
  const ctr_mixture *m;
  ctr_map2 lv[2]; /* the maps integrated (levels: base and refined f_N) and their contexts */
  const void *lvctx[2];
  int nlv;
  ctr_denoiser den;
  ctr_flow_span span;
  ctr_flow_tol tol;
  double gx[15], gwk[15], gwg[15];
  const cub_rect *rects; /* the rectangles being evaluated (batch) */
  double *vals;          /* batch x 225 x NV */
} cub_ctx;

static void *cub_ws_alloc(void *ctx) {
  const cub_ctx *c = ctx;
  return ctr_dalloc(ctr_mixture_work_len(c->m));
}

static void cub_ws_free(void *p) { free(p); }

/* Node n of the batch: rectangle n / 225, Kronrod indices (n % 225) / 15, n % 15. */
static ctr_status cub_node(void *ctx, size_t n, void *ws, ctr_error *err) {
  cub_ctx *c = ctx;
  const cub_rect *R = c->rects + n / 225;
  int i = (int)(n % 225) / 15, j = (int)(n % 15);
  double x[2] = {0.5 * (R->x0 + R->x1) + 0.5 * (R->x1 - R->x0) * c->gx[i],
                 0.5 * (R->y0 + R->y1) + 0.5 * (R->y1 - R->y0) * c->gx[j]};
  double logq, phi[2], *v = c->vals + n * NV;
  for (int q = 0; q < NV; q++) v[q] = 0;
  ctr_status st = ctr_mixture_log_density(c->m, c->span.a_from, c->span.s_from, x, &logq, ws, err);
  if (st || logq < -100) return st; /* q < 4e-44: nothing to add */
  if ((st = ctr_flow_map(&c->den, &c->span, &c->tol, x, phi, NULL, err))) return st;
  double q = exp(logq);
  for (int l = 0; l < c->nlv; l++) {
    double f[2];
    c->lv[l](c->lvctx[l], x, f);
    double n2 = (f[0] - phi[0]) * (f[0] - phi[0]) + (f[1] - phi[1]) * (f[1] - phi[1]);
    v[2 * l] = sqrt(n2) * q, v[2 * l + 1] = n2 * q;
  }
  return CTR_OK;
}

/* Kronrod 15x15 value, |KxK - GxG| and the two one-axis drops of a rectangle. */
static void cub_rule(const cub_ctx *c, cub_rect *R, const double *vals) {
  double area = 0.25 * (R->x1 - R->x0) * (R->y1 - R->y0);
  R->ex = R->ey = 0;
  for (int q = 0; q < NV; q++) {
    double kk = 0, gg = 0, gk = 0, kg = 0;
    for (int i = 0; i < 15; i++)
      for (int j = 0; j < 15; j++) {
        double v = vals[(i * 15 + j) * NV + q];
        kk += c->gwk[i] * c->gwk[j] * v, gg += c->gwg[i] * c->gwg[j] * v;
        gk += c->gwg[i] * c->gwk[j] * v, kg += c->gwk[i] * c->gwg[j] * v;
      }
    R->val[q] = area * kk, R->err[q] = area * fabs(kk - gg);
    R->ex = fmax(R->ex, area * fabs(kk - gk)), R->ey = fmax(R->ey, area * fabs(kk - kg));
  }
}

static ctr_status cub_eval(cub_ctx *c, cub_rect *R, int nb, ctr_error *err) {
  c->rects = R;
  ctr_parfor job = {c, cub_ws_alloc, cub_ws_free, cub_node};
  ctr_status st = ctr_parfor_run(&job, (size_t)nb * 225, err);
  for (int b = 0; !st && b < nb; b++) cub_rule(c, R + b, c->vals + (size_t)b * 225 * NV);
  return st;
}

/* Global adaptive cubature of the NV integrals over the box (engines/grid.h). out[q] the
 * values, abserr[q] the summed error estimates; *warn = 1 if cub_max stopped it. */
static ctr_status cubature(cub_ctx *c, const double *lo, const double *hi, double rel, int maxr,
                           double *out, double *abserr, int *warn, ctr_error *err) {
  cub_rect *R = malloc(sizeof(cub_rect) * (size_t)maxr);
  c->vals = ctr_dalloc((size_t)16 * 225 * NV);
  if (!R || !c->vals) return free(R), free(c->vals), ctr_fail(err, CTR_ENOMEM, "grid: out of memory (cubature)");
  int nr = 16, nq = 2 * c->nlv;
  for (int a = 0; a < 4; a++) /* 4 x 4 start: even splits put symmetric separatrices on edges */
    for (int b = 0; b < 4; b++) {
      cub_rect *r = R + a * 4 + b;
      r->x0 = lo[0] + (hi[0] - lo[0]) * a / 4, r->x1 = lo[0] + (hi[0] - lo[0]) * (a + 1) / 4;
      r->y0 = lo[1] + (hi[1] - lo[1]) * b / 4, r->y1 = lo[1] + (hi[1] - lo[1]) * (b + 1) / 4;
    }
  ctr_status st = cub_eval(c, R, 16, err);
  *warn = 0;
  while (!st) {
    double tot[NV] = {0}, te[NV] = {0};
    for (int k = 0; k < nr; k++)
      for (int q = 0; q < nq; q++) tot[q] += R[k].val[q], te[q] += R[k].err[q];
    int done = 1;
    for (int q = 0; q < nq; q++) done = done && te[q] <= fmax(rel * fabs(tot[q]), 1e-300);
    if (done) break;
    if (nr + 1 > maxr) {
      *warn = 1;
      break;
    }
    int worst = 0;
    double wv = -1;
    for (int k = 0; k < nr; k++) {
      double e = 0;
      for (int q = 0; q < nq; q++) e = fmax(e, R[k].err[q] / fmax(fabs(tot[q]), 1e-300));
      if (e > wv) wv = e, worst = k;
    }
    cub_rect P = R[worst], *A = R + worst, *B = R + nr++;
    *A = P, *B = P;
    if (P.ex >= P.ey) A->x1 = B->x0 = 0.5 * (P.x0 + P.x1);
    else A->y1 = B->y0 = 0.5 * (P.y0 + P.y1);
    cub_rect two[2] = {*A, *B};
    st = cub_eval(c, two, 2, err);
    *A = two[0], *B = two[1];
  }
  for (int q = 0; q < NV; q++) out[q] = abserr[q] = 0;
  for (int k = 0; !st && k < nr; k++)
    for (int q = 0; q < nq; q++) out[q] += R[k].val[q], abserr[q] += R[k].err[q];
  free(R), free(c->vals), c->vals = NULL;
  return st;
}

static void spline_map(const void *ctx, const double *x, double *y) {
  ctr_grid_spline2_eval(ctx, x[0], x[1], y);
}

/* Coupling metrics of the base (and refined) f_N, with Phi's error at 3 x 3 points. */
static ctr_status measure2(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                           const ctr_grid_spline2 *base, const ctr_grid_spline2 *fine,
                           ctr_grid_result *r, ctr_error *err) {
  cub_ctx c = {.m = m, .lv = {spline_map, spline_map}, .lvctx = {base, fine}, .nlv = fine ? 2 : 1};
  c.den = ctr_mixture_denoiser(m);
  ctr_flow_tol_default(&c.tol);
  c.tol.abs_tol = c.tol.rel_tol = CUB_FLOW_TOL;
  gk15(c.gx, c.gwk, c.gwg);
  ctr_status st = ctr_flow_span_steps(s, s->N, 1, &c.span, err);
  if (st) return st;
  double lo[2] = {base->lo[0], base->lo[1]};
  double hi[2] = {lo[0] + (base->n - 1) * base->h[0], lo[1] + (base->n - 1) * base->h[1]};
  double val[NV], ae[NV];
  int warn = 0;
  st = cubature(&c, lo, hi, p->cub_rel, p->cub_max, val, ae, &warn, err);
  if (st) return st;
  r->quad_warn += warn;
  ctr_grid_metrics *out[2] = {&r->base, &r->fine};
  for (int l = 0; l < c.nlv; l++) {
    out[l]->coupling = val[2 * l], out[l]->coupling_sq = val[2 * l + 1];
    double e_sq = val[2 * l + 1] > 0 ? ae[2 * l + 1] / (2 * sqrt(val[2 * l + 1])) : ae[2 * l + 1];
    r->quad_err = fmax(r->quad_err, fmax(ae[2 * l], e_sq));
  }
  for (int i = 0; i < 9; i++) {
    double x[2] = {lo[0] + (hi[0] - lo[0]) * (i % 3 + 1) / 4, lo[1] + (hi[1] - lo[1]) * (i / 3 + 1) / 4};
    double y[2], ye[2];
    if ((st = ctr_flow_map(&c.den, &c.span, &c.tol, x, y, ye, err))) return st;
    r->flow_err = fmax(r->flow_err, hypot(ye[0], ye[1]));
  }
  return CTR_OK;
}

ctr_status ctr_grid_coupling2(const ctr_schedule *s, const ctr_mixture *m, ctr_map2 f,
                              const void *ctx, double cub_rel, int cub_max,
                              ctr_coupling2 *out, ctr_error *err) {
  if (m->d != 2 || !(cub_rel > 0) || cub_max < 16)
    return ctr_fail(err, CTR_EINPUT, "coupling cubature: d = %d, cub_rel %g, cub_max %d (accepted: "
                    "d = 2, cub_rel > 0, cub_max >= 16)", m->d, cub_rel, cub_max);
  ct2_run box = {.m = m, .K = m->K, .width = 8.0}; /* the grid engine's box at its default width */
  double lo[2], hi[2], val[NV], ae[NV];
  bulk2(&box, s->a[s->N], s->s[s->N], lo, hi);
  cub_ctx c = {.m = m, .lv = {f, NULL}, .lvctx = {ctx, NULL}, .nlv = 1};
  c.den = ctr_mixture_denoiser(m);
  ctr_flow_tol_default(&c.tol);
  c.tol.abs_tol = c.tol.rel_tol = CUB_FLOW_TOL;
  gk15(c.gx, c.gwk, c.gwg);
  ctr_status st = ctr_flow_span_steps(s, s->N, 1, &c.span, err);
  if (!st) st = cubature(&c, lo, hi, cub_rel, cub_max, val, ae, &out->warn, err);
  if (st) return st;
  out->l1 = val[0], out->sq = val[1], out->l1_err = ae[0], out->sq_err = ae[1];
  out->flow_err = 0;
  for (int i = 0; i < 9; i++) {
    double x[2] = {lo[0] + (hi[0] - lo[0]) * (i % 3 + 1) / 4, lo[1] + (hi[1] - lo[1]) * (i / 3 + 1) / 4};
    double y[2], ye[2];
    if ((st = ctr_flow_map(&c.den, &c.span, &c.tol, x, y, ye, err))) return st;
    out->flow_err = fmax(out->flow_err, hypot(ye[0], ye[1]));
  }
  return CTR_OK;
}

/* One recursion at (G, Q); the spline of f_N is moved to *keep (caller frees). */
static ctr_status run_level2(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                             int G, int Q, const double *bias, ctr_grid_spline2 *keep,
                             ctr_error *err) {
  ct2_run r = {0};
  r.width = p->width, r.bias[0] = bias[0], r.bias[1] = bias[1];
  ctr_status st = ct2_alloc(&r, m, s, G, Q, err);
  if (!st) st = ct2_recursion(&r, err);
  if (!st) *keep = r.prev, r.prev = (ctr_grid_spline2){0};
  ct2_free(&r);
  return st;
}

ctr_status ctr_grid_run_2d(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                           ctr_grid_result *r, ctr_error *err) {
  double u[2] = {0, 0}, bias[2] = {0, 0};
  if (p->error.kind == CTR_ERR_FIT_BIAS) { /* theory.md §6: e_t = (eps / (N - 1)) u */
    ctr_errmodel_direction(p->seed, 2, u);
    for (int i = 0; i < 2; i++) bias[i] = p->error.eps * u[i] / (double)(s->N - 1);
    r->eps_total = p->error.eps; /* the bias eps u has norm eps (u a unit vector) */
  }
  ctr_grid_spline2 base = {0}, fine = {0};
  ctr_status st = run_level2(p, s, m, p->G, p->Q, bias, &base, err);
  if (!st && p->refine && p->coupling) st = run_level2(p, s, m, 2 * p->G - 1, 2 * p->Q, bias, &fine, err);
  if (!st) {
    int G = p->G;
    memcpy(r->M, base.c, sizeof(double) * (size_t)G * G * CTR_GRID_NODE);
    for (size_t k = 0; k < (size_t)G * G; k++)
      r->f[2 * k] = base.c[k * CTR_GRID_NODE], r->f[2 * k + 1] = base.c[k * CTR_GRID_NODE + 1];
    r->lo = base.lo[0], r->hi = base.lo[0] + (G - 1) * base.h[0];
    r->lo2 = base.lo[1], r->hi2 = base.lo[1] + (G - 1) * base.h[1];
    r->monotone = -1;
  }
  if (!st && p->coupling) st = measure2(p, s, m, &base, p->refine ? &fine : NULL, r, err);
  if (!st && p->refine && p->coupling) {
    r->disc.coupling = fabs(r->fine.coupling - r->base.coupling);
    r->disc.coupling_sq = fabs(r->fine.coupling_sq - r->base.coupling_sq);
    r->disc_max = fmax(r->disc.coupling, fabs(sqrt(r->fine.coupling_sq) - sqrt(r->base.coupling_sq)));
  }
  ctr_grid_spline2_free(&base), ctr_grid_spline2_free(&fine);
  return st;
}
