/* engines/grid_1d.c: the grid engine in d = 1 (engines/grid.h): the CT recursion on a
 * uniform grid, the 1-D mixture laws and their quantiles, and the metrics (W_p by quantile
 * integrals, the coupling with the flow map, Phi's error). Split from engines/grid.c without
 * change. */
#include "engines/grid_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>

#include "engines/grid_spline.h"
#include "targets/denoiser.h"
#include "targets/flow_map.h"

#define QUAD_LIMIT 2000     /* subintervals of the adaptive metric integrals */
#define BRENT_ITER 300

/* ================================================================ d = 1: the CT recursion */

typedef struct {
  const ctr_mixture *m;
  const ctr_schedule *s;
  int K, Q;
  double width, bias;   /* grid half-width in sd; fit-bias e_t per step */
  double *xi, *om;      /* Hermite nodes sqrt(2) x_j and weights / sqrt(pi) */
  double *lam;          /* component variances (d = 1: the one eigenvalue) */
  double *g, *cs;       /* per step: dm_k/dx = a lam/S_k, and c_t sqrt(C_k) */
  double *w, *work;     /* posterior weights, mixture scratch */
  double *ys, *vs;      /* the Q node abscissae of one component and f_{t-1} there */
  ctr_grid_spline prev, cur;     /* f_{t-1} and f_t */
} ct_run;

static void ct_free(ct_run *r) {
  free(r->xi), free(r->om), free(r->lam), free(r->g), free(r->cs), free(r->w), free(r->work);
  free(r->ys), free(r->vs);
  ctr_grid_spline_free(&r->prev), ctr_grid_spline_free(&r->cur);
}

static ctr_status ct_alloc(ct_run *r, const ctr_mixture *m, const ctr_schedule *s, int G, int Q,
                           ctr_error *err) {
  int K = m->K;
  r->m = m, r->s = s, r->K = K, r->Q = Q;
  r->xi = ctr_dalloc(Q), r->om = ctr_dalloc(Q), r->lam = ctr_dalloc(K);
  r->g = ctr_dalloc(K), r->cs = ctr_dalloc(K), r->w = ctr_dalloc(K);
  r->work = ctr_dalloc(ctr_mixture_work_len(m));
  r->ys = ctr_dalloc(Q), r->vs = ctr_dalloc(Q);
  if (!r->xi || !r->om || !r->lam || !r->g || !r->cs || !r->w || !r->work || !r->ys || !r->vs ||
      ctr_grid_spline_alloc(&r->prev, G) || ctr_grid_spline_alloc(&r->cur, G))
    return ctr_fail(err, CTR_ENOMEM, "grid: out of memory (G = %d, Q = %d, K = %d)", G, Q, K);
  for (int k = 0; k < K; k++) r->lam[k] = m->lam[m->lam_off[k]];
  return ctr_grid_hermite(Q, r->xi, r->om, err);
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
 * c_t C_k^(1/2) = c_t s sqrt(lam_k / S_k), S_k = a^2 lam_k + s^2 (theory.md §5). */
static void step_consts(ct_run *r, double a, double s, double c) {
  for (int k = 0; k < r->K; k++) {
    double S = a * a * r->lam[k] + s * s;
    r->g[k] = a * r->lam[k] / S;
    r->cs[k] = c * s * sqrt(r->lam[k] / S);
  }
}

/* f*_t(x) = sum_k w_k(x) E_zeta f_{t-1}(ratio x + c m_k(x) + c C_k^(1/2) zeta) (theory.md §5). */
static ctr_status ct_point(ct_run *r, double a, double s, double ratio, double c, double x,
                           double *out, ctr_error *err) {
  ctr_status st = ctr_mixture_posterior(r->m, a, s, &x, NULL, NULL, r->w, r->work, err);
  if (st) return st;
  double tot = 0;
  for (int k = 0; k < r->K; k++) {
    if (r->w[k] == 0) continue; /* components e^-700 below the best: exact zeros */
    double mu = r->m->mu[k], y = ratio * x + c * (mu + r->g[k] * (x - a * mu)), acc = 0;
    if (r->cs[k] == 0) acc = ctr_grid_spline_eval(&r->prev, y); /* point mass: no noise */
    else { /* the Q nodes through the vector spline, summed in the scalar order */
      for (int j = 0; j < r->Q; j++) r->ys[j] = y + r->cs[k] * r->xi[j];
      ctr_grid_spline_eval_n(&r->prev, r->ys, r->vs, r->Q);
      for (int j = 0; j < r->Q; j++) acc += r->om[j] * r->vs[j];
    }
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
  ctr_grid_spline_grid(&r->cur, lo, hi);
  for (int i = 0; i < r->cur.n; i++) {
    double x = lo + i * r->cur.h;
    ctr_status st = ct_point(r, a, sg, ratio, c, x, r->cur.f + i, err);
    if (st) return st;
    if (!isfinite(r->cur.f[i]))
      return ctr_fail(err, CTR_ENUMERIC, "grid: f_%lld(%.17g) is not finite", (long long)t, x);
  }
  ctr_grid_spline_fit(&r->cur);
  ctr_grid_spline tmp = r->prev;
  r->prev = r->cur, r->cur = tmp;
  return CTR_OK;
}

/* f_1 = identity on the bulk of q_1, then t = 2..N; f_N is left in r->prev. */
static ctr_status ct_recursion(ct_run *r, ctr_error *err) {
  double lo, hi;
  bulk(r, r->s->a[1], r->s->s[1], &lo, &hi);
  ctr_grid_spline_grid(&r->prev, lo, hi);
  for (int i = 0; i < r->prev.n; i++) r->prev.f[i] = lo + i * r->prev.h;
  ctr_grid_spline_fit(&r->prev);
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

/* ================================================================ d = 1: metrics */

typedef struct {
  const ctr_grid_params *p;
  const ctr_mixture *m;
  law1d target, gauss, qN; /* X_1, N(0, 1), q_N */
  gsl_integration_workspace *iw;
  double *pts, *sort_y;
  size_t npts;
  const ctr_grid_spline *f;         /* the f_N being measured */
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
  return pow(fabs(ctr_grid_spline_eval(c->f, xin) - g), c->pw);
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

/* W_p^p = int_0^1 |F^-1 - G^-1|^p du (theory.md §4), adaptive with the breakpoints. quad_err
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
    c->sort_y[i] = ctr_grid_spline_eval(c->f, x);
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

/* |f_N(x) - Phi_{N->1}(x)|^pw q_N(x), pw = 1 or 2: the coupling integrands (theory.md §3). */
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
  double dev = fabs(ctr_grid_spline_eval(c->f, x) - y);
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

static int is_monotone(const ctr_grid_spline *f) {
  for (int i = 0; i + 1 < f->n; i++)
    if (f->f[i + 1] < f->f[i]) return 0;
  return 1;
}

static ctr_status measure(metric_ctx *c, const ctr_grid_spline *f, ctr_grid_metrics *out,
                          ctr_error *err) {
  int mono = is_monotone(f);
  c->f = f, c->st = CTR_OK;
  ctr_status st = measure_input(c, &c->gauss, mono, &out->w1_gauss, &out->w2_gauss, err);
  if (!st) st = measure_input(c, &c->qN, mono, &out->w1_qN, &out->w2_qN, err);
  out->coupling = out->coupling_sq = NAN;
  if (!st && c->p->coupling) st = coupling(c, 1, &out->coupling, err);
  if (!st && c->p->coupling) st = coupling(c, 2, &out->coupling_sq, err);
  return st;
}

/* ================================================================ d = 1: driver */

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

ctr_status ctr_grid_run_1d(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                           ctr_grid_result *r, ctr_error *err) {
  double u = 0, bias = 0;
  if (p->error.kind == CTR_ERR_FIT_BIAS) { /* theory.md §6: eps_t = eps / (N - 1) along u */
    ctr_errmodel_direction(p->seed, 1, &u);
    bias = p->error.eps * u / (double)(s->N - 1), r->eps_total = p->error.eps * u;
  }
  metric_ctx mc = {0};
  ctr_status st = metric_alloc(&mc, p, m, s, err);
  if (!st) st = run_level(p, s, m, p->G, p->Q, bias, &mc, &r->base, r, err);
  if (!st && p->refine)
    st = run_level(p, s, m, 2 * p->G - 1, 2 * p->Q, bias, &mc, &r->fine, NULL, err);
  if (!st && p->refine) fill_disc(r, p->coupling);
  if (!st && p->coupling) {
    mc.f = &(ctr_grid_spline){.n = p->G, .lo = r->lo, .h = (r->hi - r->lo) / (p->G - 1)};
    st = flow_error(&mc, err);
  }
  r->quad_err = mc.quad_err, r->quad_warn = mc.quad_warn, r->flow_err = mc.flow_err;
  metric_free(&mc);
  return st;
}
