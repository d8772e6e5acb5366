/* engines/grid.c: ideal CT on a 1-D or 2-D grid (math.md sections 2 and 5), see engines/grid.h. */
#include "engines/grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>

#include "targets/denoiser.h"
#include "targets/flow_map.h"
#include "core/parfor.h"

#define GRID_G_MAX 10000001 /* 80 MB per array */
#define GRID_Q_MAX 200
#define GRID_G2_MAX 2049    /* d = 2 refined level: 2049^2 x 8 doubles = 269 MB per array */
#define QUAD_LIMIT 2000     /* subintervals of the adaptive metric integrals */
#define BRENT_ITER 300

/* ================================================================ uniform natural spline */

/* f on x_i = lo + i h, i < n; M the second derivatives (natural: M_0 = M_{n-1} = 0);
 * cp the Thomas factors of the constant tridiagonal system (1, 4, 1), computed once per n. */
typedef struct {
  int n;
  double lo, h, h26, slope_lo, slope_hi;
  double *f, *M, *cp;
} spline;

static void spline_free(spline *sp) {
  free(sp->f), free(sp->M), free(sp->cp);
  sp->f = sp->M = sp->cp = NULL;
}

static ctr_status spline_alloc(spline *sp, int n) {
  sp->n = n;
  sp->f = ctr_dalloc(n), sp->M = ctr_dalloc(n), sp->cp = ctr_dalloc(n);
  if (!sp->f || !sp->M || !sp->cp) return CTR_ENOMEM;
  sp->cp[1] = 0.25; /* forward elimination of M_{i-1} + 4 M_i + M_{i+1} = r_i */
  for (int i = 2; i < n - 1; i++) sp->cp[i] = 1.0 / (4.0 - sp->cp[i - 1]);
  return CTR_OK;
}

static void spline_grid(spline *sp, double lo, double hi) {
  sp->lo = lo, sp->h = (hi - lo) / (sp->n - 1), sp->h26 = sp->h * sp->h / 6.0;
}

/* Natural cubic spline through f: one O(n) Thomas solve (diagonally dominant, stable). Affine
 * data give M = 0 up to rounding, so affine f_t (Gaussian targets, math.md 4) stay exact. */
static void spline_fit(spline *sp) {
  int n = sp->n;
  double *f = sp->f, *M = sp->M, k = 6.0 / (sp->h * sp->h);
  M[0] = M[n - 1] = 0;
  for (int i = 1; i < n - 1; i++)
    M[i] = (k * (f[i + 1] - 2 * f[i] + f[i - 1]) - (i > 1 ? M[i - 1] : 0)) * sp->cp[i];
  for (int i = n - 3; i >= 1; i--) M[i] -= sp->cp[i] * M[i + 1];
  double h = sp->h;
  sp->slope_lo = (f[1] - f[0]) / h - h * M[1] / 6.0;
  sp->slope_hi = (f[n - 1] - f[n - 2]) / h + h * M[n - 2] / 6.0;
}

/* Spline value; outside the grid the end tangents (linear extrapolation). */
static inline double spline_eval(const spline *sp, double y) {
  double u = (y - sp->lo) / sp->h;
  if (!(u > 0)) return sp->f[0] + sp->slope_lo * (y - sp->lo); /* NaN y gives NaN */
  if (u >= sp->n - 1) return sp->f[sp->n - 1] + sp->slope_hi * (u - (sp->n - 1)) * sp->h;
  int i = (int)u;
  double b = u - i, a = 1.0 - b;
  return a * sp->f[i] + b * sp->f[i + 1] +
         sp->h26 * ((a * a * a - a) * sp->M[i] + (b * b * b - b) * sp->M[i + 1]);
}

/* ================================================================ the CT recursion */

typedef struct {
  const ctr_mixture *m;
  const ctr_schedule *s;
  int K, Q;
  double width, bias;   /* grid half-width in sd; fit-bias e_t per step */
  double *xi, *om;      /* Hermite nodes sqrt(2) x_j and weights / sqrt(pi) */
  double *lam;          /* component variances (d = 1: the one eigenvalue) */
  double *g, *cs;       /* per step: dm_k/dx = a lam/S_k, and c_t sqrt(C_k) */
  double *w, *work;     /* posterior weights, mixture scratch */
  spline prev, cur;     /* f_{t-1} and f_t */
} ct_run;

static void ct_free(ct_run *r) {
  free(r->xi), free(r->om), free(r->lam), free(r->g), free(r->cs), free(r->w), free(r->work);
  spline_free(&r->prev), spline_free(&r->cur);
}

/* Physicists' Gauss-Hermite rule turned into E over zeta ~ N(0, 1) (math.md 5). */
static ctr_status hermite_nodes(ct_run *r, ctr_error *err) {
  gsl_integration_fixed_workspace *hw =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, (size_t)r->Q, 0.0, 1.0, 0.0, 0.0);
  if (!hw) return ctr_fail(err, CTR_ENUMERIC, "grid: Gauss-Hermite rule of order %d failed", r->Q);
  const double *x = gsl_integration_fixed_nodes(hw), *wt = gsl_integration_fixed_weights(hw);
  for (int j = 0; j < r->Q; j++) r->xi[j] = M_SQRT2 * x[j], r->om[j] = wt[j] / sqrt(M_PI);
  gsl_integration_fixed_free(hw);
  return CTR_OK;
}

static ctr_status ct_alloc(ct_run *r, const ctr_mixture *m, const ctr_schedule *s, int G, int Q,
                           ctr_error *err) {
  int K = m->K;
  r->m = m, r->s = s, r->K = K, r->Q = Q;
  r->xi = ctr_dalloc(Q), r->om = ctr_dalloc(Q), r->lam = ctr_dalloc(K);
  r->g = ctr_dalloc(K), r->cs = ctr_dalloc(K), r->w = ctr_dalloc(K);
  r->work = ctr_dalloc(ctr_mixture_work_len(m));
  if (!r->xi || !r->om || !r->lam || !r->g || !r->cs || !r->w || !r->work ||
      spline_alloc(&r->prev, G) || spline_alloc(&r->cur, G))
    return ctr_fail(err, CTR_ENOMEM, "grid: out of memory (G = %d, Q = %d, K = %d)", G, Q, K);
  for (int k = 0; k < K; k++) r->lam[k] = m->lam[m->lam_off[k]];
  return hermite_nodes(r, err);
}

/* Bulk of q_t = sum_k pi_k N(a mu_k, a^2 lam_k + s^2): union of the components' +-width sd. */
static void bulk(const ct_run *r, double a, double s, double *lo, double *hi) {
  *lo = INFINITY, *hi = -INFINITY;
  for (int k = 0; k < r->K; k++) {
    if (r->m->weight[k] == 0) continue;
    double c = a * r->m->mu[k], h = r->width * sqrt(a * a * r->lam[k] + s * s);
    *lo = fmin(*lo, c - h), *hi = fmax(*hi, c + h);
  }
}

/* Per-step component constants at (a_t, s_t): m_k(x) = mu_k + g_k (x - a mu_k) and
 * c_t C_k^(1/2) = c_t s sqrt(lam_k / S_k), S_k = a^2 lam_k + s^2 (math.md 5). */
static void step_consts(ct_run *r, double a, double s, double c) {
  for (int k = 0; k < r->K; k++) {
    double S = a * a * r->lam[k] + s * s;
    r->g[k] = a * r->lam[k] / S;
    r->cs[k] = c * s * sqrt(r->lam[k] / S);
  }
}

/* f*_t(x) = sum_k w_k(x) E_zeta f_{t-1}(ratio x + c m_k(x) + c C_k^(1/2) zeta) (math.md 5). */
static ctr_status ct_point(ct_run *r, double a, double s, double ratio, double c, double x,
                           double *out, ctr_error *err) {
  ctr_status st = ctr_mixture_posterior(r->m, a, s, &x, NULL, NULL, r->w, r->work, err);
  if (st) return st;
  double tot = 0;
  for (int k = 0; k < r->K; k++) {
    if (r->w[k] == 0) continue; /* components e^-700 below the best: exact zeros */
    double mu = r->m->mu[k], y = ratio * x + c * (mu + r->g[k] * (x - a * mu)), acc = 0;
    if (r->cs[k] == 0) acc = spline_eval(&r->prev, y); /* point mass: no noise to average */
    else
      for (int j = 0; j < r->Q; j++) acc += r->om[j] * spline_eval(&r->prev, y + r->cs[k] * r->xi[j]);
    tot += r->w[k] * acc;
  }
  *out = tot + r->bias;
  return CTR_OK;
}

/* One training step t >= 2: f_t on the bulk grid of q_t from the spline of f_{t-1}. */
static ctr_status ct_step(ct_run *r, int64_t t, ctr_error *err) {
  const ctr_schedule *s = r->s;
  double a = s->a[t], sg = s->s[t], ratio = s->s[t - 1] / sg, c = ctr_schedule_c(s, t), lo, hi;
  step_consts(r, a, sg, c);
  bulk(r, a, sg, &lo, &hi);
  spline_grid(&r->cur, lo, hi);
  for (int i = 0; i < r->cur.n; i++) {
    double x = lo + i * r->cur.h;
    ctr_status st = ct_point(r, a, sg, ratio, c, x, r->cur.f + i, err);
    if (st) return st;
    if (!isfinite(r->cur.f[i]))
      return ctr_fail(err, CTR_ENUMERIC, "grid: f_%lld(%.17g) is not finite", (long long)t, x);
  }
  spline_fit(&r->cur);
  spline tmp = r->prev;
  r->prev = r->cur, r->cur = tmp;
  return CTR_OK;
}

/* f_1 = identity on the bulk of q_1, then t = 2..N; f_N is left in r->prev. */
static ctr_status ct_recursion(ct_run *r, ctr_error *err) {
  double lo, hi;
  bulk(r, r->s->a[1], r->s->s[1], &lo, &hi);
  spline_grid(&r->prev, lo, hi);
  for (int i = 0; i < r->prev.n; i++) r->prev.f[i] = lo + i * r->prev.h;
  spline_fit(&r->prev);
  for (int64_t t = 2; t <= r->s->N; t++) {
    ctr_status st = ct_step(r, t, err);
    if (st) return st;
  }
  return CTR_OK;
}

/* ================================================================ 1-D mixture laws */

/* sum_k w_k N(mean_k, sd_k^2), components in increasing mean (for the breakpoints). */
typedef struct {
  int K;
  double *w, *mean, *sd, scale;
  gsl_root_fsolver *fs;
} law1d;

static void law_free(law1d *L) {
  free(L->w), free(L->mean), free(L->sd);
  if (L->fs) gsl_root_fsolver_free(L->fs);
  memset(L, 0, sizeof *L);
}

static int by_mean(const void *p, const void *q) {
  const double *a = p, *b = q;
  return (a[1] > b[1]) - (a[1] < b[1]);
}

/* Law of a X_0 + s Z (zero-weight components dropped, sorted by mean). */
static ctr_status law_of(law1d *L, const ctr_mixture *m, double a, double s) {
  int n = 0;
  double *tri = malloc(sizeof(double) * 3 * m->K);
  L->w = ctr_dalloc(m->K), L->mean = ctr_dalloc(m->K), L->sd = ctr_dalloc(m->K);
  L->fs = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!tri || !L->w || !L->mean || !L->sd || !L->fs) return free(tri), CTR_ENOMEM;
  for (int k = 0; k < m->K; k++)
    if (m->weight[k] > 0) {
      double lam = m->lam[m->lam_off[k]];
      tri[3 * n] = m->weight[k], tri[3 * n + 1] = a * m->mu[k];
      tri[3 * n++ + 2] = sqrt(a * a * lam + s * s);
    }
  qsort(tri, n, sizeof(double) * 3, by_mean);
  L->K = n, L->scale = 0;
  for (int k = 0; k < n; k++) {
    L->w[k] = tri[3 * k], L->mean[k] = tri[3 * k + 1], L->sd[k] = tri[3 * k + 2];
    L->scale = fmax(L->scale, fabs(L->mean[k]) + L->sd[k]);
  }
  free(tri);
  return CTR_OK;
}

typedef struct {
  const law1d *L;
  double u;
  int upper;
} cdf_arg;

/* CDF(x) - u, or for u > 1/2 (1 - u) - upper tail(x): both increasing, and the upper form
 * keeps the digits of 1 - u near u = 1 (1 - u is exact there). */
static double cdf_gap(double x, void *vp) {
  const cdf_arg *q = vp;
  double acc = 0;
  for (int k = 0; k < q->L->K; k++) {
    double z = (x - q->L->mean[k]) / q->L->sd[k];
    acc += q->L->w[k] * (q->upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z));
  }
  return q->upper ? (1.0 - q->u) - acc : acc - q->u;
}

/* Bracket: a mixture CDF is a convex combination, so its u-quantile lies between the
 * smallest and largest component u-quantiles (exact when K = 1). */
static void quantile_bracket(const law1d *L, double u, double *lo, double *hi) {
  double z = u <= 0.5 ? gsl_cdf_ugaussian_Pinv(u) : gsl_cdf_ugaussian_Qinv(1.0 - u);
  *lo = INFINITY, *hi = -INFINITY;
  for (int k = 0; k < L->K; k++) {
    double q = L->mean[k] + L->sd[k] * z;
    *lo = fmin(*lo, q), *hi = fmax(*hi, q);
  }
}

/* The u-quantile by Brent's method, to ~1e-15 relative (absolute 1e-15 scale near 0). */
static ctr_status law_quantile(law1d *L, double u, double *x, ctr_error *err) {
  double lo, hi;
  quantile_bracket(L, u, &lo, &hi);
  cdf_arg arg = {L, u, u > 0.5};
  gsl_function F = {cdf_gap, &arg};
  double flo = cdf_gap(lo, &arg), fhi = cdf_gap(hi, &arg);
  if (!(hi > lo) || flo >= 0) return *x = lo, CTR_OK; /* K = 1, or the bracket end is a root */
  if (fhi <= 0) return *x = hi, CTR_OK;
  int st = gsl_root_fsolver_set(L->fs, &F, lo, hi);
  for (int it = 0; !st && it < BRENT_ITER; it++) {
    if ((st = gsl_root_fsolver_iterate(L->fs))) break;
    lo = gsl_root_fsolver_x_lower(L->fs), hi = gsl_root_fsolver_x_upper(L->fs);
    if (gsl_root_test_interval(lo, hi, 1e-15 * L->scale, 1e-15) == GSL_SUCCESS)
      return *x = gsl_root_fsolver_root(L->fs), CTR_OK;
  }
  return ctr_fail(err, CTR_ENUMERIC, "grid: quantile at u = %.17g not found (%s)", u,
                  st ? gsl_strerror(st) : "no convergence");
}

/* ================================================================ metrics */

typedef struct {
  const ctr_grid_params *p;
  const ctr_mixture *m;
  law1d target, gauss, qN; /* X_1, N(0, 1), q_N */
  gsl_integration_workspace *iw;
  double *pts, *sort_y;
  size_t npts;
  const spline *f;         /* the f_N being measured */
  law1d *in;
  double pw;
  ctr_denoiser den;
  ctr_flow_span span;
  ctr_flow_tol tol;
  double *mwork;
  ctr_status st;           /* first failure inside an integrand */
  ctr_error err;
  double quad_err, flow_err;
  int quad_warn;
} metric_ctx;

static void metric_free(metric_ctx *c) {
  law_free(&c->target), law_free(&c->gauss), law_free(&c->qN);
  if (c->iw) gsl_integration_workspace_free(c->iw);
  free(c->pts), free(c->sort_y), free(c->mwork);
}

/* Breakpoints 0 < cumulative weights (mean order) < 1: where separated modes of X_1 leave the
 * near-jumps of G^-1 that slow an adaptive rule down. */
static void breakpoints(metric_ctx *c) {
  double cum = 0;
  c->pts[0] = 0, c->npts = 1;
  for (int k = 0; k + 1 < c->target.K; k++) {
    cum += c->target.w[k];
    if (cum > c->pts[c->npts - 1] + 1e-12 && cum < 1 - 1e-12) c->pts[c->npts++] = cum;
  }
  c->pts[c->npts++] = 1;
}

static ctr_status metric_alloc(metric_ctx *c, const ctr_grid_params *p, const ctr_mixture *m,
                               const ctr_schedule *s, ctr_error *err) {
  c->p = p, c->m = m;
  static const double one = 1, zero = 0;
  ctr_mixture_cov cov = {CTR_COV_ISO, &one};
  ctr_mixture *g = NULL;
  ctr_status st = ctr_mixture_alloc(1, 1, &one, &zero, &cov, &g, err);
  if (st) return st;
  st = law_of(&c->gauss, g, 0, 1); /* N(0, 1) as a one-component law */
  ctr_mixture_free(g);
  if (!st) st = law_of(&c->target, m, s->a[1], s->s[1]);
  if (!st) st = law_of(&c->qN, m, s->a[s->N], s->s[s->N]);
  c->iw = gsl_integration_workspace_alloc(QUAD_LIMIT);
  c->pts = ctr_dalloc((size_t)m->K + 2), c->sort_y = ctr_dalloc((size_t)p->sort_n);
  c->mwork = ctr_dalloc(ctr_mixture_work_len(m));
  if (st || !c->iw || !c->pts || !c->sort_y || !c->mwork)
    return ctr_fail(err, CTR_ENOMEM, "grid: out of memory (metrics, K = %d)", m->K);
  breakpoints(c);
  c->den = ctr_mixture_denoiser(m);
  ctr_flow_tol_default(&c->tol);
  return ctr_flow_span_steps(s, s->N, 1, &c->span, err);
}

static void record(metric_ctx *c, ctr_status st) {
  if (st && !c->st) c->st = st;
}

/* |F^-1(u) - G^-1(u)|^p with F^-1 = f_N o (input quantile): valid for non-decreasing f_N. */
static double wp_integrand(double u, void *vp) {
  metric_ctx *c = vp;
  double xin = 0, g = 0;
  ctr_error e;
  ctr_status st = law_quantile(c->in, u, &xin, &e);
  if (!st) st = law_quantile(&c->target, u, &g, &e);
  if (st) {
    if (!c->st) c->err = e;
    record(c, st);
    return 0;
  }
  return pow(fabs(spline_eval(c->f, xin) - g), c->pw);
}

/* Accept a GSL integrator's status: rounding / subdivision limits keep the value and its
 * abserr (counted in quad_warn); anything else is a failure. */
static ctr_status quad_status(metric_ctx *c, int gst, double abserr, const char *what,
                              ctr_error *err) {
  if (c->st) return *err = c->err, c->st;
  if (gst == GSL_EROUND || gst == GSL_EMAXITER || gst == GSL_EDIVERGE) c->quad_warn++;
  else if (gst)
    return ctr_fail(err, CTR_ENUMERIC, "grid: integral of %s failed: %s", what, gsl_strerror(gst));
  c->quad_err = fmax(c->quad_err, abserr);
  return CTR_OK;
}

/* W_p^p = int_0^1 |F^-1 - G^-1|^p du (math.md 4), adaptive with the breakpoints. quad_err
 * takes the integrator's abserr converted to W_p units (dW = dI / (p W^(p-1))). */
static ctr_status wp_adaptive(metric_ctx *c, law1d *in, double p, double *val, ctr_error *err) {
  c->in = in, c->pw = p;
  gsl_function F = {wp_integrand, c};
  double res = 0, abserr = 0, epsabs = 1e-15 * pow(fmax(c->target.scale, 1e-300), p);
  int gst = gsl_integration_qagp(&F, c->pts, c->npts, epsabs, c->p->quad_rel, QUAD_LIMIT, c->iw,
                                 &res, &abserr);
  *val = pow(fmax(res, 0), 1.0 / p);
  double werr = p == 1 || *val == 0 ? abserr : abserr / (p * pow(*val, p - 1));
  return quad_status(c, gst, werr, p == 1 ? "|F^-1 - G^-1|" : "|F^-1 - G^-1|^2", err);
}

static int cmp_double(const void *p, const void *q) {
  double a = *(const double *)p, b = *(const double *)q;
  return (a > b) - (a < b);
}

/* Fallback for a non-monotone f_N (engines/grid.h): sorted values of f_N at mid-point input
 * quantiles are the output's quantiles; mid-point sums over the same u_i give W1 and W2. */
static ctr_status wp_sorted(metric_ctx *c, law1d *in, double *w1, double *w2, ctr_error *err) {
  int n = c->p->sort_n;
  double s1 = 0, s2 = 0, x, g;
  for (int i = 0; i < n; i++) {
    ctr_status st = law_quantile(in, (i + 0.5) / n, &x, err);
    if (st) return st;
    c->sort_y[i] = spline_eval(c->f, x);
  }
  qsort(c->sort_y, n, sizeof(double), cmp_double);
  for (int i = 0; i < n; i++) {
    ctr_status st = law_quantile(&c->target, (i + 0.5) / n, &g, err);
    if (st) return st;
    double d = fabs(c->sort_y[i] - g);
    s1 += d, s2 += d * d;
  }
  *w1 = s1 / n, *w2 = sqrt(s2 / n);
  return CTR_OK;
}

static ctr_status measure_input(metric_ctx *c, law1d *in, int monotone, double *w1, double *w2,
                                ctr_error *err) {
  if (!monotone) return wp_sorted(c, in, w1, w2, err);
  ctr_status st = wp_adaptive(c, in, 1, w1, err);
  return st ? st : wp_adaptive(c, in, 2, w2, err);
}

/* |f_N(x) - Phi_{N->1}(x)|^pw q_N(x), pw = 1 or 2: the coupling integrands (math.md 3). */
static double coupling_integrand(double x, void *vp) {
  metric_ctx *c = vp;
  double y = 0, logq = -INFINITY;
  ctr_error e;
  ctr_status st = ctr_flow_map(&c->den, &c->span, &c->tol, &x, &y, NULL, &e);
  if (!st) st = ctr_mixture_log_density(c->m, c->span.a_from, c->span.s_from, &x, &logq, c->mwork, &e);
  if (st) {
    if (!c->st) c->err = e;
    record(c, st);
    return 0;
  }
  double dev = fabs(spline_eval(c->f, x) - y);
  return (c->pw == 2 ? dev * dev : dev) * exp(logq);
}

/* E_{q_N}|f_N - Phi|^p (p = 1, 2) over the final grid (the bulk of q_N; the tails beyond hold
 * ~1e-15). quad_err takes the abserr in distance units (for p = 2: that of the root). */
static ctr_status coupling(metric_ctx *c, double p, double *val, ctr_error *err) {
  gsl_function F = {coupling_integrand, c};
  double lo = c->f->lo, hi = lo + (c->f->n - 1) * c->f->h, abserr = 0;
  *val = 0, c->pw = p;
  double scale = p == 2 ? c->target.scale * c->target.scale : c->target.scale;
  int gst = gsl_integration_qags(&F, lo, hi, 1e-15 * scale, c->p->quad_rel, QUAD_LIMIT,
                                 c->iw, val, &abserr);
  if (p == 2 && *val > 0) abserr /= 2 * sqrt(*val);
  return quad_status(c, gst, abserr, p == 2 ? "|f_N - Phi|^2 q_N" : "|f_N - Phi| q_N", err);
}

/* Largest halved-tolerance error of Phi at 9 points across q_N's bulk (targets/flow_map.h). */
static ctr_status flow_error(metric_ctx *c, ctr_error *err) {
  double lo = c->f->lo, hi = lo + (c->f->n - 1) * c->f->h;
  for (int i = 0; i < 9; i++) {
    double x = lo + (hi - lo) * (i + 0.5) / 9, y, ye;
    ctr_status st = ctr_flow_map(&c->den, &c->span, &c->tol, &x, &y, &ye, err);
    if (st) return st;
    c->flow_err = fmax(c->flow_err, ye);
  }
  return CTR_OK;
}

static int is_monotone(const spline *f) {
  for (int i = 0; i + 1 < f->n; i++)
    if (f->f[i + 1] < f->f[i]) return 0;
  return 1;
}

static ctr_status measure(metric_ctx *c, const spline *f, ctr_grid_metrics *out, ctr_error *err) {
  int mono = is_monotone(f);
  c->f = f, c->st = CTR_OK;
  ctr_status st = measure_input(c, &c->gauss, mono, &out->w1_gauss, &out->w2_gauss, err);
  if (!st) st = measure_input(c, &c->qN, mono, &out->w1_qN, &out->w2_qN, err);
  out->coupling = out->coupling_sq = NAN;
  if (!st && c->p->coupling) st = coupling(c, 1, &out->coupling, err);
  if (!st && c->p->coupling) st = coupling(c, 2, &out->coupling_sq, err);
  return st;
}

/* ================================================================ d = 2: tensor spline */

/* Per node 8 doubles: F0 F1 Mx0 Mx1 My0 My1 Mxy0 Mxy1 (engines/grid.h), node (i, j) at
 * c + (i n + j) 8, i along axis 1. */
#define NODE 8

typedef struct {
  int n;
  double lo[2], h[2], h26[2];
  double *c, *cp;
} spl2;

static void spl2_free(spl2 *S) {
  free(S->c), free(S->cp);
  S->c = S->cp = NULL;
}

static ctr_status spl2_alloc(spl2 *S, int n) {
  S->n = n;
  S->c = ctr_dalloc((size_t)n * n * NODE), S->cp = ctr_dalloc(n);
  if (!S->c || !S->cp) return CTR_ENOMEM;
  S->cp[1] = 0.25;
  for (int i = 2; i < n - 1; i++) S->cp[i] = 1.0 / (4.0 - S->cp[i - 1]);
  return CTR_OK;
}

static void spl2_grid(spl2 *S, const double *lo, const double *hi) {
  for (int a = 0; a < 2; a++)
    S->lo[a] = lo[a], S->h[a] = (hi[a] - lo[a]) / (S->n - 1), S->h26[a] = S->h[a] * S->h[a] / 6;
}

/* Natural second derivatives along one strided line (the Thomas solve of spline_fit). */
static void line_M(const double *f, size_t sf, double *M, size_t sm, int n, double h,
                   const double *cp) {
  double k = 6.0 / (h * h);
  M[0] = M[(size_t)(n - 1) * sm] = 0;
  for (int i = 1; i < n - 1; i++)
    M[i * sm] = (k * (f[(i + 1) * sf] - 2 * f[i * sf] + f[(i - 1) * sf]) -
                 (i > 1 ? M[(i - 1) * sm] : 0)) * cp[i];
  for (int i = n - 3; i >= 1; i--) M[i * sm] -= cp[i] * M[(i + 1) * sm];
}

/* Mx along axis 1, My along axis 2, Mxy = (Mx) along axis 2 (the two solves commute). */
static void spl2_fit(spl2 *S) {
  int n = S->n;
  size_t row = (size_t)n * NODE;
  for (int c = 0; c < 2; c++) {
    for (int j = 0; j < n; j++)
      line_M(S->c + (size_t)j * NODE + c, row, S->c + (size_t)j * NODE + 2 + c, row, n, S->h[0],
             S->cp);
    for (int i = 0; i < n; i++) {
      double *r = S->c + i * row;
      line_M(r + c, NODE, r + 4 + c, NODE, n, S->h[1], S->cp);
      line_M(r + 2 + c, NODE, r + 6 + c, NODE, n, S->h[1], S->cp);
    }
  }
}

/* 1-D weights of a point on one axis: value = w0 F_i + w1 F_{i+1} + w2 M_i + w3 M_{i+1};
 * outside the grid the linear extension by the end tangent (as spline_eval). Returns i. */
static inline int axis_w(const spl2 *S, int ax, double y, double *w) {
  double u = (y - S->lo[ax]) / S->h[ax], h26 = S->h26[ax];
  int n = S->n;
  if (!(u > 0)) { /* below (or NaN: NaN weights) */
    w[0] = 1 - u, w[1] = u, w[2] = -2 * u * h26, w[3] = -u * h26;
    return 0;
  }
  if (u >= n - 1) {
    double v = u - (n - 1);
    w[0] = -v, w[1] = 1 + v, w[2] = v * h26, w[3] = 2 * v * h26;
    return n - 2;
  }
  int i = (int)u;
  double b = u - i, a = 1 - b;
  w[0] = a, w[1] = b, w[2] = h26 * (a * a * a - a), w[3] = h26 * (b * b * b - b);
  return i;
}

static inline void spl2_eval(const spl2 *S, double y0, double y1, double *out) {
  double wx[4], wy[4];
  int i = axis_w(S, 0, y0, wx), j = axis_w(S, 1, y1, wy);
  size_t row = (size_t)S->n * NODE;
  const double *p00 = S->c + (size_t)i * row + (size_t)j * NODE, *p01 = p00 + NODE;
  const double *p10 = p00 + row, *p11 = p10 + NODE;
  for (int c = 0; c < 2; c++)
    out[c] = wy[0] * (wx[0] * p00[c] + wx[1] * p10[c] + wx[2] * p00[2 + c] + wx[3] * p10[2 + c]) +
             wy[1] * (wx[0] * p01[c] + wx[1] * p11[c] + wx[2] * p01[2 + c] + wx[3] * p11[2 + c]) +
             wy[2] * (wx[0] * p00[4 + c] + wx[1] * p10[4 + c] + wx[2] * p00[6 + c] +
                      wx[3] * p10[6 + c]) +
             wy[3] * (wx[0] * p01[4 + c] + wx[1] * p11[4 + c] + wx[2] * p01[6 + c] +
                      wx[3] * p11[6 + c]);
}

/* Per-axis accumulated weights of a 1-D rule (nodes y + sd xi_q, weights om_q, q = q0..q1):
 * value and second-derivative weights A, C on the nodes first .. first + span - 1; returns
 * span. When every node lies in one cell (or all beyond one end), the rule is exact for the
 * cubic (linear) piece there (Q >= 2 integrates degree 3), so its sum is the closed form
 * E f(y + sd zeta) = f(y) + (sd^2 / 2) f''(y): weights (a, b, c0 + sd^2 a / 2, c1 + sd^2 b / 2)
 * (f'' of the cell's cubic is a M_i + b M_{i+1}), equal to the node sum up to rounding. */
static int axis_rule(const spl2 *S, int ax, double y, double sd, int q0, int q1, const double *xi,
                     const double *om, double *A, double *C, int *first) {
  double w[4];
  double ulo = (y + sd * xi[q0] - S->lo[ax]) / S->h[ax], uhi = (y + sd * xi[q1] - S->lo[ax]) / S->h[ax];
  int n = S->n, lin = uhi <= 0 || ulo >= n - 1;
  int cell = ulo > 0 && uhi < n - 1 && floor(ulo) == floor(uhi) && q1 > q0;
  if (sd == 0 || lin || cell) {
    int i = axis_w(S, ax, y, w);
    A[0] = w[0], A[1] = w[1], C[0] = w[2], C[1] = w[3], *first = i;
    if (cell) C[0] += 0.5 * sd * sd * w[0], C[1] += 0.5 * sd * sd * w[1];
    return 2;
  }
  int i0 = axis_w(S, ax, y + sd * xi[q0], w), i1 = axis_w(S, ax, y + sd * xi[q1], w);
  int lo = i0 < i1 ? i0 : i1, span = (i0 < i1 ? i1 : i0) - lo + 2;
  memset(A, 0, sizeof(double) * span), memset(C, 0, sizeof(double) * span);
  double u0 = (y - S->lo[ax]) / S->h[ax], du = sd / S->h[ax], h26 = S->h26[ax];
  for (int q = q0; q <= q1; q++) {
    double u = u0 + du * xi[q], o = om[q];
    if (u > 0 && u < n - 1) { /* interior (axis_w inlined) */
      int i = (int)u;
      double b = u - i, a = 1 - b;
      i -= lo;
      A[i] += o * a, A[i + 1] += o * b;
      C[i] += o * h26 * (a * a * a - a), C[i + 1] += o * h26 * (b * b * b - b);
      continue;
    }
    int i = axis_w(S, ax, y + sd * xi[q], w) - lo;
    A[i] += o * w[0], A[i + 1] += o * w[1], C[i] += o * w[2], C[i + 1] += o * w[3];
  }
  *first = lo;
  return span;
}

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
  spl2 prev, cur;
} ct2_run;

typedef struct {
  double *w, *Ax, *Cx, *Ay, *Cy;
} ct2_ws;

static void ct2_free(ct2_run *r) {
  free(r->xi), free(r->om), free(r->cc);
  spl2_free(&r->prev), spl2_free(&r->cur);
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
  if (!r->xi || !r->om || !r->cc || spl2_alloc(&r->prev, G) || spl2_alloc(&r->cur, G))
    return ctr_fail(err, CTR_ENOMEM, "grid: out of memory (d = 2, G = %d, Q = %d, K = %d)", G,
                    Q, m->K);
  ct_run tmp = {.Q = Q, .xi = r->xi, .om = r->om};
  ctr_status st = hermite_nodes(&tmp, err);
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
  const spl2 *S = &r->prev;
  int Q = r->Q;
  if (q->axis) { /* separable: two 1-D rules and one bilinear form over the touched cells */
    int i0, j0, ni = axis_rule(S, 0, y[0], q->sd[0], r->q0, r->q1, r->xi, r->om, w->Ax, w->Cx, &i0);
    int nj = axis_rule(S, 1, y[1], q->sd[1], r->q0, r->q1, r->xi, r->om, w->Ay, w->Cy, &j0);
    size_t row = (size_t)S->n * NODE;
    double acc[2] = {0, 0};
    for (int i = 0; i < ni; i++) {
      const double *p = S->c + (size_t)(i0 + i) * row + (size_t)j0 * NODE;
      double ax = w->Ax[i], cx = w->Cx[i];
      for (int j = 0; j < nj; j++, p += NODE) {
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
      spl2_eval(S, y[0] + q->B[0] * r->xi[p] + q->B[1] * r->xi[qq],
                y[1] + q->B[2] * r->xi[p] + q->B[3] * r->xi[qq], v);
      out[0] += wt * v[0], out[1] += wt * v[1];
    }
}

/* One row i of f_t: f*_t(x) = sum_k w_k(x) E f_{t-1}(ratio x + c m_k(x) + noise) + e_t. */
static ctr_status ct2_row(void *ctx, size_t i, void *wsp, ctr_error *err) {
  ct2_run *r = ctx;
  ct2_ws *w = wsp;
  spl2 *S = &r->cur;
  int n = S->n;
  double a = r->a, c = r->c, ratio = r->ratio;
  for (int j = 0; j < n; j++) {
    double x[2] = {S->lo[0] + (double)i * S->h[0], S->lo[1] + j * S->h[1]}, tot[2] = {0, 0};
    /* posterior weights (math.md 5): pi_k N(x; a mu_k, S_k), normalised in log space */
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
    double *node = S->c + ((size_t)i * n + j) * NODE;
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
  spl2_grid(&r->prev, lo, hi);
  int n = r->prev.n;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double *node = r->prev.c + ((size_t)i * n + j) * NODE;
      node[0] = lo[0] + i * r->prev.h[0], node[1] = lo[1] + j * r->prev.h[1];
    }
  spl2_fit(&r->prev);
  ctr_parfor job = {r, ct2_ws_alloc, ct2_ws_free, ct2_row};
  for (int64_t t = 2; t <= s->N; t++) {
    r->a = s->a[t], r->sg = s->s[t], r->ratio = s->s[t - 1] / s->s[t];
    r->c = ctr_schedule_c(s, t);
    step_consts2(r, r->a, r->sg, r->c);
    bulk2(r, r->a, r->sg, lo, hi);
    spl2_grid(&r->cur, lo, hi);
    ctr_status st = ctr_parfor_run(&job, (size_t)n, err);
    if (st) return st;
    spl2_fit(&r->cur);
    spl2 tmp = r->prev;
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
  const spl2 *lv[2];
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
    spl2_eval(c->lv[l], x[0], x[1], f);
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

/* Coupling metrics of the base (and refined) f_N, with Phi's error at 3 x 3 points. */
static ctr_status measure2(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                           const spl2 *base, const spl2 *fine, ctr_grid_result *r,
                           ctr_error *err) {
  cub_ctx c = {.m = m, .lv = {base, fine}, .nlv = fine ? 2 : 1};
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

/* One recursion at (G, Q); the spline of f_N is moved to *keep (caller frees). */
static ctr_status run_level2(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                             int G, int Q, const double *bias, spl2 *keep, ctr_error *err) {
  ct2_run r = {0};
  r.width = p->width, r.bias[0] = bias[0], r.bias[1] = bias[1];
  ctr_status st = ct2_alloc(&r, m, s, G, Q, err);
  if (!st) st = ct2_recursion(&r, err);
  if (!st) *keep = r.prev, r.prev = (spl2){0};
  ct2_free(&r);
  return st;
}

static ctr_status grid2_run(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                            ctr_grid_result *r, ctr_error *err) {
  double u[2] = {0, 0}, bias[2] = {0, 0};
  if (p->error.kind == CTR_ERR_FIT_BIAS) { /* math.md 6: e_t = (eps / (N - 1)) u */
    ctr_errmodel_direction(p->seed, 2, u);
    for (int i = 0; i < 2; i++) bias[i] = p->error.eps * u[i] / (double)(s->N - 1);
    r->eps_total = p->error.eps; /* the bias eps u has norm eps (u a unit vector) */
  }
  spl2 base = {0}, fine = {0};
  ctr_status st = run_level2(p, s, m, p->G, p->Q, bias, &base, err);
  if (!st && p->refine && p->coupling) st = run_level2(p, s, m, 2 * p->G - 1, 2 * p->Q, bias, &fine, err);
  if (!st) {
    int G = p->G;
    memcpy(r->M, base.c, sizeof(double) * (size_t)G * G * NODE);
    for (size_t k = 0; k < (size_t)G * G; k++)
      r->f[2 * k] = base.c[k * NODE], r->f[2 * k + 1] = base.c[k * NODE + 1];
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
  spl2_free(&base), spl2_free(&fine);
  return st;
}

/* ================================================================ driver */

void ctr_grid_params_default(ctr_grid_params *p) {
  memset(p, 0, sizeof *p);
  p->G = 2001, p->Q = 20, p->width = 8, p->refine = 1, p->coupling = 1;
  p->quad_rel = 1e-9, p->sort_n = 65536;
  p->error.kind = CTR_ERR_NONE, p->error.eps = 0, p->seed = 1;
  p->cub_rel = 1e-6, p->cub_max = 2000;
}

void ctr_grid_params_default_d(ctr_grid_params *p, int d) {
  ctr_grid_params_default(p);
  if (d == 2) p->G = 201, p->Q = 10;
}

static ctr_status check_params(const ctr_grid_params *p, const ctr_mixture *m, ctr_error *err) {
  if (m->d != 1 && m->d != 2)
    return ctr_fail(err, CTR_EINPUT, "grid engine: d = %d is not supported (accepted: d = 1, 2; "
                    "use the chain engine in higher dimension)", m->d);
  int gmax = ((m->d == 1 ? GRID_G_MAX : GRID_G2_MAX) + 1) / 2;
  if (p->G < 5 || p->G > gmax)
    return ctr_fail(err, CTR_EINPUT, "grid engine: G = %d is out of range for d = %d (accepted: "
                    "5 <= G <= %d)", p->G, m->d, gmax);
  if (m->d == 2 && (!(p->cub_rel > 0 && p->cub_rel < 1) || p->cub_max < 16 || p->cub_max > 1000000))
    return ctr_fail(err, CTR_EINPUT, "grid engine: cub_rel = %g, cub_max = %d (accepted: "
                    "0 < cub_rel < 1, 16 <= cub_max <= 1e6)", p->cub_rel, p->cub_max);
  if (p->Q < 1 || p->Q > GRID_Q_MAX / 2)
    return ctr_fail(err, CTR_EINPUT, "grid engine: Q = %d Hermite nodes is out of range "
                    "(accepted: 1 <= Q <= %d)", p->Q, GRID_Q_MAX / 2);
  if (!(p->width > 0 && p->width <= 40) || !(p->quad_rel > 0 && p->quad_rel < 1) ||
      p->sort_n < 100)
    return ctr_fail(err, CTR_EINPUT, "grid engine: width = %g, quad_rel = %g, sort_n = %d "
                    "(accepted: 0 < width <= 40, 0 < quad_rel < 1, sort_n >= 100)",
                    p->width, p->quad_rel, p->sort_n);
  ctr_status st = ctr_errmodel_check(&p->error, err);
  if (st) return st;
  if (p->error.kind != CTR_ERR_NONE && p->error.kind != CTR_ERR_FIT_BIAS)
    return ctr_fail(err, CTR_EINPUT, "grid engine: error model '%s' is not supported "
                    "(accepted: none, fit-bias)", ctr_errmodel_name(p->error.kind));
  return CTR_OK;
}

void ctr_grid_result_free(ctr_grid_result *r) {
  if (!r) return;
  free(r->f), free(r->M);
  free(r);
}

void ctr_grid_eval2(const ctr_grid_result *r, const double *x, double *y) {
  spl2 S = {.n = r->G, .c = r->M};
  double lo[2] = {r->lo, r->lo2}, hi[2] = {r->hi, r->hi2};
  spl2_grid(&S, lo, hi);
  spl2_eval(&S, x[0], x[1], y);
}

double ctr_grid_eval(const ctr_grid_result *r, double x) {
  spline sp = {.n = r->G, .f = r->f, .M = r->M};
  spline_grid(&sp, r->lo, r->hi);
  double h = sp.h;
  sp.slope_lo = (r->f[1] - r->f[0]) / h - h * r->M[1] / 6.0;
  sp.slope_hi = (r->f[r->G - 1] - r->f[r->G - 2]) / h + h * r->M[r->G - 2] / 6.0;
  return spline_eval(&sp, x);
}

/* One full recursion at (G, Q) and its metrics; keep = 1 copies f_N into the result. */
static ctr_status run_level(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                            int G, int Q, double bias, metric_ctx *mc, ctr_grid_metrics *out,
                            ctr_grid_result *keep, ctr_error *err) {
  ct_run r = {0};
  r.width = p->width, r.bias = bias;
  ctr_status st = ct_alloc(&r, m, s, G, Q, err);
  if (!st) st = ct_recursion(&r, err);
  if (!st) st = measure(mc, &r.prev, out, err);
  if (!st && keep) {
    memcpy(keep->f, r.prev.f, sizeof(double) * G), memcpy(keep->M, r.prev.M, sizeof(double) * G);
    keep->lo = r.prev.lo, keep->hi = r.prev.lo + (G - 1) * r.prev.h;
    keep->monotone = is_monotone(&r.prev);
  }
  ct_free(&r);
  return st;
}

static void fill_disc(ctr_grid_result *r, int coupling_on) {
  ctr_grid_metrics *b = &r->base, *f = &r->fine, *d = &r->disc;
  d->w1_gauss = fabs(f->w1_gauss - b->w1_gauss), d->w2_gauss = fabs(f->w2_gauss - b->w2_gauss);
  d->w1_qN = fabs(f->w1_qN - b->w1_qN), d->w2_qN = fabs(f->w2_qN - b->w2_qN);
  d->coupling = coupling_on ? fabs(f->coupling - b->coupling) : NAN;
  d->coupling_sq = coupling_on ? fabs(f->coupling_sq - b->coupling_sq) : NAN;
  r->disc_max = fmax(fmax(d->w1_gauss, d->w2_gauss), fmax(d->w1_qN, d->w2_qN));
  if (coupling_on) r->disc_max = fmax(r->disc_max, d->coupling);
}

static void metrics_nan(ctr_grid_metrics *g) {
  g->w1_gauss = g->w2_gauss = g->w1_qN = g->w2_qN = g->coupling = g->coupling_sq = NAN;
}

static ctr_status result_alloc(const ctr_grid_params *p, const ctr_schedule *s, int d,
                               ctr_grid_result **out, ctr_error *err) {
  ctr_grid_result *r = calloc(1, sizeof *r);
  size_t G = (size_t)p->G, nf = d == 1 ? G : G * G * 2, nm = d == 1 ? G : G * G * NODE;
  if (r) r->f = ctr_dalloc(nf), r->M = ctr_dalloc(nm);
  if (!r || !r->f || !r->M) {
    ctr_grid_result_free(r);
    return ctr_fail(err, CTR_ENOMEM, "grid engine: out of memory (G = %d, d = %d)", p->G, d);
  }
  r->d = d, r->G = p->G, r->Q = p->Q, r->lo2 = r->hi2 = NAN;
  r->a1 = s->a[1], r->s1 = s->s[1], r->aN = s->a[s->N], r->sN = s->s[s->N];
  metrics_nan(&r->fine), metrics_nan(&r->disc);
  if (d == 2) metrics_nan(&r->base);
  r->disc_max = NAN;
  *out = r;
  return CTR_OK;
}

ctr_status ctr_grid_run(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                        ctr_grid_result **out, ctr_error *err) {
  *out = NULL;
  ctr_status st = check_params(p, m, err);
  ctr_grid_result *r = NULL;
  if (!st) st = result_alloc(p, s, m->d, &r, err);
  if (st) return st;
  if (m->d == 2) {
    st = grid2_run(p, s, m, r, err);
    if (st) ctr_grid_result_free(r);
    else *out = r;
    return st;
  }
  double u = 0, bias = 0;
  if (p->error.kind == CTR_ERR_FIT_BIAS) { /* math.md 6: eps_t = eps / (N - 1) along u */
    ctr_errmodel_direction(p->seed, 1, &u);
    bias = p->error.eps * u / (double)(s->N - 1), r->eps_total = p->error.eps * u;
  }
  metric_ctx mc = {0};
  st = metric_alloc(&mc, p, m, s, err);
  if (!st) st = run_level(p, s, m, p->G, p->Q, bias, &mc, &r->base, r, err);
  if (!st && p->refine)
    st = run_level(p, s, m, 2 * p->G - 1, 2 * p->Q, bias, &mc, &r->fine, NULL, err);
  if (!st && p->refine) fill_disc(r, p->coupling);
  if (!st && p->coupling) {
    mc.f = &(spline){.n = p->G, .lo = r->lo, .h = (r->hi - r->lo) / (p->G - 1)};
    st = flow_error(&mc, err);
  }
  r->quad_err = mc.quad_err, r->quad_warn = mc.quad_warn, r->flow_err = mc.flow_err;
  metric_free(&mc);
  if (st) ctr_grid_result_free(r);
  else *out = r;
  return st;
}
