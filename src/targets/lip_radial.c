/* targets/lip_radial.c: exact L for rotation-invariant targets (lip_radial.h, theory.md §9.15):
 * the radial transport h = F_to^{-1} o F_from in log space and the search for sup h'. */
#include "targets/lip_radial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>

#define LOG_TAIL (-280 * 2.302585092994046) /* search range: tail masses >= 1e-280 */
#define NCAND 8192
#define ROOT_ITER 200

/* One level: the radial law sum_k pi_k S_k^(1/2) chi_d, S_k = a^2 v_k + s^2. */
typedef struct {
  const ctr_radial_mix *m;
  double *S;     /* K variances (owned by the caller's buffer) */
  double cst;    /* log 2 - (d/2) log 2 - lgamma(d/2): the chi density's constant */
  double lo, hi; /* radii with lower / upper tail mass 1e-280 */
  double sd_min; /* narrowest shell width, (S_min / 2)^(1/2) */
} level;

static double lse(const double *v, int K) {
  double mx = -INFINITY, acc = 0;
  for (int k = 0; k < K; k++) mx = fmax(mx, v[k]);
  if (mx == -INFINITY) return mx;
  for (int k = 0; k < K; k++) acc += exp(v[k] - mx);
  return mx + log(acc);
}

/* which = 0: log radial density, 1: log F (lower tail), 2: log(1 - F) (upper tail). A tail of
 * one component that underflows (GSL: 0) is -inf; the others carry the sum. */
static double level_log(const level *L, int which, double r) {
  const ctr_radial_mix *m = L->m;
  double v[64], *vp = m->K <= 64 ? v : malloc(sizeof(double) * (size_t)m->K);
  if (!vp) return NAN;
  double dd = (double)m->d, a = 0.5 * dd;
  for (int k = 0; k < m->K; k++) {
    double S = L->S[k], t;
    if (which == 0) {
      t = L->cst - a * log(S) - 0.5 * r * r / S + (m->d > 1 ? (dd - 1) * log(r) : 0);
    } else {
      gsl_sf_result res;
      double x = 0.5 * r * r / S;
      int rc = which == 1 ? gsl_sf_gamma_inc_P_e(a, x, &res) : gsl_sf_gamma_inc_Q_e(a, x, &res);
      t = rc && rc != GSL_EUNDRFLW ? NAN : log(res.val);
    }
    vp[k] = m->logw[k] + t;
  }
  double res = lse(vp, m->K);
  if (vp != v) free(vp);
  return res;
}

typedef struct {
  const level *L;
  int which;
  double target;
} tctx;

static double tfun(double r, void *p) {
  const tctx *c = p;
  double v = level_log(c->L, c->which, r) - c->target;
  return c->which == 1 ? v : -v; /* increasing in r */
}

/* The radius whose log tail (which = 1 lower, 2 upper) equals target, by GSL's Brent root
 * finder to 1e-15 relative (the bracket grows until it holds the root). */
static double tail_inverse(const level *L, int which, double target) {
  tctx c = {L, which, target};
  double lo, hi = 0, dd = (double)L->m->d;
  if (which == 1 && target == 0) return INFINITY;
  if (which == 2 && target == 0) return 0;
  for (int k = 0; k < L->m->K; k++) hi = fmax(hi, sqrt(L->S[k]) * (sqrt(dd) + 10));
  for (int i = 0; i < 60 && tfun(hi, &c) < 0; i++) hi *= 2;
  lo = hi;
  for (int i = 0; i < 2000 && tfun(lo, &c) >= 0; i++) hi = lo, lo *= 0.5;
  if (tfun(lo, &c) >= 0) return lo; /* target at or below the mass near the origin */
  /* a tail that underflows (log = -inf) is no bracket end for Brent: bisect both ends in until
   * the function is finite there (the root's tail mass is >= e^-745, so that stops early) */
  for (int i = 0; i < 200 && !isfinite(tfun(lo, &c)); i++) {
    double mid = 0.5 * (lo + hi);
    if (tfun(mid, &c) >= 0) hi = mid;
    else lo = mid;
  }
  for (int i = 0; i < 200 && !isfinite(tfun(hi, &c)); i++) {
    double mid = 0.5 * (lo + hi);
    if (tfun(mid, &c) >= 0) hi = mid;
    else lo = mid;
  }
  gsl_function f = {tfun, &c};
  gsl_root_fsolver *sv = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!sv) return NAN;
  double y = NAN;
  if (!gsl_root_fsolver_set(sv, &f, lo, hi))
    for (int it = 0; it < ROOT_ITER; it++) {
      if (gsl_root_fsolver_iterate(sv)) break;
      y = gsl_root_fsolver_root(sv);
      double a = gsl_root_fsolver_x_lower(sv), b = gsl_root_fsolver_x_upper(sv);
      if (gsl_root_test_interval(a, b, 0, 1e-15) == GSL_SUCCESS) break;
    }
  gsl_root_fsolver_free(sv);
  return y;
}

/* The radius of B with the same CDF as r on A, on the smaller tail (keeps relative digits). */
static double transport(const level *A, const level *B, double r) {
  double lf = level_log(A, 1, r), ls = level_log(A, 2, r);
  return lf < ls ? tail_inverse(B, 1, lf) : tail_inverse(B, 2, ls);
}

static void level_init(level *L, const ctr_radial_mix *m, double *S, double a, double s) {
  double dd = (double)m->d;
  L->m = m, L->S = S, L->sd_min = INFINITY;
  L->cst = M_LN2 - 0.5 * dd * M_LN2 - gsl_sf_lngamma(0.5 * dd);
  for (int k = 0; k < m->K; k++) {
    S[k] = a * a * m->var[k] + s * s;
    L->sd_min = fmin(L->sd_min, sqrt(0.5 * S[k]));
  }
  L->lo = tail_inverse(L, 1, LOG_TAIL), L->hi = tail_inverse(L, 2, LOG_TAIL);
}

typedef struct {
  const level *from, *to;
} pair_ctx;

/* log of the Jacobian norm at the preimage x of y: max(log h'(x), log(y / x) for d >= 2). */
static double log_slope_at_y(const pair_ctx *c, double y, double *x) {
  *x = transport(c->to, c->from, y);
  double v = level_log(c->from, 0, *x) - level_log(c->to, 0, y);
  if (c->from->m->d >= 2 && *x > 0) v = fmax(v, log(y / *x));
  return isnan(v) ? -INFINITY : v;
}

static double neg_log_slope(double y, void *p) {
  double x;
  return -log_slope_at_y(p, y, &x);
}

static int cmp_double(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return (u > v) - (u < v);
}

/* Candidate y's on the to side: uniform over [lo, hi], +-10 shell widths around every shell
 * (mode of S^(1/2) chi_d at (S (d - 1))^(1/2)) in steps of a sixth, between every pair of
 * shells, and the images of a uniform grid over the from side. Positive, sorted. */
static size_t candidates(const pair_ctx *c, double *y, size_t cap) {
  const level *T = c->to, *F = c->from;
  const ctr_radial_mix *m = T->m;
  double dd = (double)m->d;
  size_t n = 0;
  for (int i = 0; i <= 300 && n < cap; i++) y[n++] = T->lo + (T->hi - T->lo) * i / 300.0;
  for (int k = 0; k < m->K; k++) {
    double ck = sqrt(T->S[k] * fmax(dd - 1, 0)), sd = sqrt(0.5 * T->S[k]);
    for (int i = -60; i <= 60 && n < cap; i++) y[n++] = ck + sd * i / 6.0;
    for (int j = k + 1; j < m->K; j++) {
      double cj = sqrt(T->S[j] * fmax(dd - 1, 0));
      for (int i = 1; i < 100 && n < cap; i++) y[n++] = ck + (cj - ck) * i / 100.0;
    }
  }
  for (int i = 0; i <= 200 && n < cap; i++)
    y[n++] = transport(F, T, F->lo + (F->hi - F->lo) * i / 200.0);
  size_t j = 0;
  for (size_t i = 0; i < n; i++)
    if (y[i] > 0 && isfinite(y[i])) y[j++] = y[i];
  qsort(y, j, sizeof *y, cmp_double);
  return j;
}


static ctr_status check_mix(const ctr_radial_mix *m, ctr_error *err) {
  if (m->K < 1 || m->d < 1)
    return ctr_fail(err, CTR_EINPUT, "lip_radial: K = %d, d = %lld (accepted: K >= 1, d >= 1)",
                    m->K, (long long)m->d);
  for (int k = 0; k < m->K; k++)
    if (!(m->var[k] >= 0) || !isfinite(m->var[k]) || isnan(m->logw[k]))
      return ctr_fail(err, CTR_EINPUT, "lip_radial: component %d has log weight %g, variance %g "
                      "(accepted: variance finite and >= 0)", k, m->logw[k], m->var[k]);
  return CTR_OK;
}

/* The two ends in closed form (lip_radial.h). */
static double log_slope_origin(const level *F, const level *T) {
  int K = F->m->K;
  double a = 0.5 * (double)F->m->d, *v = malloc(sizeof(double) * 2 * (size_t)K);
  if (!v) return NAN;
  for (int k = 0; k < K; k++) {
    v[k] = F->m->logw[k] - a * log(F->S[k]);
    v[K + k] = F->m->logw[k] - a * log(T->S[k]);
  }
  double r = (lse(v, K) - lse(v + K, K)) / (double)F->m->d;
  free(v);
  return r;
}

static double log_slope_far(const level *F, const level *T) {
  int w = -1;
  for (int k = 0; k < F->m->K; k++)
    if (F->m->logw[k] > -INFINITY && (w < 0 || F->m->var[k] > F->m->var[w])) w = k;
  return w < 0 ? NAN : 0.5 * (log(T->S[w]) - log(F->S[w]));
}

ctr_status ctr_lip_radial_map(const ctr_radial_mix *m, const ctr_flow_span *span,
                              double *log_sup, double *r_at, double *y_at, ctr_error *err) {
  ctr_status st = check_mix(m, err);
  if (st) return st;
  double *S = malloc(sizeof(double) * 2 * (size_t)m->K);
  double *y = malloc(sizeof(double) * NCAND), *h = malloc(sizeof(double) * NCAND);
  if (!S || !y || !h) {
    free(S), free(y), free(h);
    return ctr_fail(err, CTR_ENOMEM, "lip_radial: out of memory");
  }
  level from, to;
  level_init(&from, m, S, span->a_from, span->s_from);
  level_init(&to, m, S + m->K, span->a_to, span->s_to);
  pair_ctx c = {&from, &to};
  size_t n = candidates(&c, y, NCAND);
  double x, best = -INFINITY, ybest = n ? y[0] : NAN;
  for (size_t i = 0; i < n; i++) {
    h[i] = log_slope_at_y(&c, y[i], &x);
    if (h[i] > best) best = h[i], ybest = y[i];
  }
  ctr_lip_refine_max(neg_log_slope, &c, y, h, n, 1e-14 * c.to->sd_min, &best, &ybest);
  double x_best = isfinite(best) ? transport(&to, &from, ybest) : NAN;
  double e0 = log_slope_origin(&from, &to), e1 = log_slope_far(&from, &to);
  if (e0 > best) best = e0, ybest = x_best = 0;
  if (e1 > best) best = e1, ybest = x_best = INFINITY;
  free(S), free(y), free(h);
  if (!isfinite(best))
    return ctr_fail(err, CTR_ENUMERIC, "lip_radial: no finite slope of the radial map was found");
  *log_sup = best, *y_at = ybest, *r_at = x_best;
  return CTR_OK;
}

ctr_status ctr_lip_radial_transport(const ctr_radial_mix *m, const ctr_flow_span *span, double r,
                                    double *y, ctr_error *err) {
  ctr_status st = check_mix(m, err);
  if (st) return st;
  double *S = malloc(sizeof(double) * 2 * (size_t)m->K);
  if (!S) return ctr_fail(err, CTR_ENOMEM, "lip_radial: out of memory");
  level from, to;
  level_init(&from, m, S, span->a_from, span->s_from);
  level_init(&to, m, S + m->K, span->a_to, span->s_to);
  *y = transport(&from, &to, r);
  free(S);
  return CTR_OK;
}

/* The pairs: see lip_exact.c (ctr_lip_exact_compute) for why N -> 1 is expected to dominate
 * and why the level subset is checked anyway. */
ctr_status ctr_lip_radial_compute(int K, const double *w, const double *v, int64_t d,
                                  const ctr_schedule *s, ctr_lip_exact *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  double *lw = malloc(sizeof(double) * (size_t)(K > 0 ? K : 1));
  if (!lw) return ctr_fail(err, CTR_ENOMEM, "lip_radial: out of memory");
  for (int k = 0; k < K; k++) lw[k] = log(w[k]);
  ctr_radial_mix m = {K, lw, v, d};
  int64_t lv[10];
  int nl = ctr_lip_level_set(s->N, lv);
  double best = 0, bestN1 = -INFINITY, x_at = 0;
  out->t = out->k = 1;
  ctr_status st = CTR_OK;
  for (int a = 0; a < nl && !st; a++)
    for (int b = 0; b < a && !st; b++) {
      ctr_flow_span sp;
      double l1 = -INFINITY, xa = 0, ya = 0;
      st = ctr_flow_span_steps(s, lv[a], lv[b], &sp, err);
      if (!st) st = ctr_lip_radial_map(&m, &sp, &l1, &xa, &ya, err);
      if (st) break;
      if (lv[a] == s->N && lv[b] == 1) bestN1 = l1;
      if (l1 > best) best = l1, x_at = xa, out->t = lv[a], out->k = lv[b];
    }
  free(lw);
  if (st) return st;
  out->exact = 1, out->log_L = best, out->L = exp(best), out->L_N1 = exp(bestN1);
  out->x_norm = x_at;
  return CTR_OK;
}
