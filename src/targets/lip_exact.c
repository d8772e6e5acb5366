#include "targets/lip_exact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_sf_erf.h>

#define LOG_SQRT_2PI 0.91893853320467274178

/* One level of a 1-D mixture: component means a mu_k and standard deviations. */
typedef struct {
  const ctr_mix1d *m;
  double a, s;
  double lo, hi; /* min/max component mean -+ 10 sd: where the mass is */
  double sd_min;
} level;

static double comp_sd(const level *L, int k) {
  return sqrt(L->a * L->a * L->m->var[k] + L->s * L->s);
}

static void level_init(level *L, const ctr_mix1d *m, double a, double s) {
  L->m = m, L->a = a, L->s = s, L->lo = INFINITY, L->hi = -INFINITY, L->sd_min = INFINITY;
  for (int k = 0; k < m->K; k++) {
    double sd = comp_sd(L, k), c = a * m->mu[k];
    L->lo = fmin(L->lo, c - 10 * sd), L->hi = fmax(L->hi, c + 10 * sd);
    L->sd_min = fmin(L->sd_min, sd);
  }
}

/* log of the sum of exp(v[k]) over k, v[k] may be -inf. */
static double lse(const double *v, int K) {
  double mx = -INFINITY, acc = 0;
  for (int k = 0; k < K; k++) mx = fmax(mx, v[k]);
  if (mx == -INFINITY) return mx;
  for (int k = 0; k < K; k++) acc += exp(v[k] - mx);
  return mx + log(acc);
}

/* log Phi(z), the standard normal CDF, accurate in both tails. */
static double log_ncdf(double z) { return gsl_sf_log_erfc(-z / M_SQRT2) - M_LN2; }

/* which = 0: log density, 1: log F (lower tail), 2: log(1 - F) (upper tail). */
static double level_log(const level *L, int which, double x) {
  double v[64], *vp = L->m->K <= 64 ? v : malloc(sizeof(double) * (size_t)L->m->K);
  if (!vp) return NAN;
  for (int k = 0; k < L->m->K; k++) {
    double sd = comp_sd(L, k), z = (x - L->a * L->m->mu[k]) / sd;
    double t = which == 0 ? -0.5 * z * z - log(sd) - LOG_SQRT_2PI
                          : log_ncdf(which == 1 ? z : -z);
    vp[k] = L->m->logw[k] + t;
  }
  double r = lse(vp, L->m->K);
  if (vp != v) free(vp);
  return r;
}

/* The x of level L with log-tail (which = 1 lower, 2 upper) equal to target: bisection
 * safeguarded secant (Brent by hand would not do better here: the function is monotone and
 * smooth; plain bisection to full double resolution takes <= ~100 steps). */
static double tail_inverse(const level *L, int which, double target) {
  double sgn = which == 1 ? 1 : -1, w = L->hi - L->lo;
  double lo = L->lo, hi = L->hi; /* g(x) = sgn (log tail(x) - target) increasing */
  while (sgn * (level_log(L, which, lo) - target) > 0 && isfinite(lo)) lo -= w, w *= 2;
  w = L->hi - L->lo;
  while (sgn * (level_log(L, which, hi) - target) < 0 && isfinite(hi)) hi += w, w *= 2;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break; /* adjacent doubles */
    if (sgn * (level_log(L, which, mid) - target) < 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* The point of level B with the same CDF as x on level A (monotone transport A -> B). */
static double transport(const level *A, const level *B, double x) {
  double lf = level_log(A, 1, x), ls = level_log(A, 2, x);
  return lf < ls ? tail_inverse(B, 1, lf) : tail_inverse(B, 2, ls);
}

typedef struct {
  const level *from, *to;
} pair_ctx;

/* log Phi'(x) at x = T^{-1}(y): log q_from(x) - log q_to(y). */
static double log_slope_at_y(const pair_ctx *c, double y, double *x) {
  *x = transport(c->to, c->from, y);
  return level_log(c->from, 0, *x) - level_log(c->to, 0, y);
}

static double neg_log_slope(double y, void *p) {
  double x;
  return -log_slope_at_y(p, y, &x);
}

static int cmp_double(const void *a, const void *b) {
  double u = *(const double *)a, v = *(const double *)b;
  return (u > v) - (u < v);
}

/* Candidate y's: uniform over [lo, hi] of the to level, +-10 sd around each mode, between
 * every pair of modes, and the images of a uniform grid over the from level. Sorted. */
static size_t candidates(const pair_ctx *c, double *y, size_t cap) {
  const level *T = c->to;
  const ctr_mix1d *m = T->m;
  size_t n = 0;
  for (int i = 0; i <= 300 && n < cap; i++) y[n++] = T->lo + (T->hi - T->lo) * i / 300.0;
  for (int k = 0; k < m->K; k++) {
    double ck = T->a * m->mu[k], sd = comp_sd(T, k);
    for (int i = -60; i <= 60 && n < cap; i++) y[n++] = ck + sd * i / 6.0;
    for (int j = k + 1; j < m->K; j++) {
      double cj = T->a * m->mu[j];
      for (int i = 1; i < 100 && n < cap; i++) y[n++] = ck + (cj - ck) * i / 100.0;
    }
  }
  for (int i = 0; i <= 200 && n < cap; i++)
    y[n++] = transport(c->from, T, c->from->lo + (c->from->hi - c->from->lo) * i / 200.0);
  qsort(y, n, sizeof *y, cmp_double);
  return n;
}


/* Brent on (y[i-1], y[i+1]) around a best cell; keeps the better of the grid and the refined
 * value (the refinement can only add). */
static void refine_cell(double (*neg_slope)(double y, void *ctx), void *ctx, const double *y,
                        size_t n, size_t i, double xtol_abs, double *best, double *ybest) {
  if (i == 0 || i + 1 >= n || !(y[i - 1] < y[i] && y[i] < y[i + 1])) return;
  gsl_function f = {neg_slope, ctx};
  gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
  if (!s) return;
  if (gsl_min_fminimizer_set(s, &f, y[i], y[i - 1], y[i + 1]) == GSL_SUCCESS) {
    for (int it = 0; it < 100; it++) {
      if (gsl_min_fminimizer_iterate(s) != GSL_SUCCESS) break;
      double lo = gsl_min_fminimizer_x_lower(s), hi = gsl_min_fminimizer_x_upper(s);
      if (gsl_min_test_interval(lo, hi, xtol_abs, 1e-13) == GSL_SUCCESS) break;
    }
    double v = -gsl_min_fminimizer_f_minimum(s);
    if (v > *best) *best = v, *ybest = gsl_min_fminimizer_x_minimum(s);
  }
  gsl_min_fminimizer_free(s);
}

/* The best three local maxima of the grid values h, each refined by refine_cell. lip_exact.h. */
void ctr_lip_refine_max(double (*neg_slope)(double y, void *ctx), void *ctx, const double *y,
                        const double *h, size_t n, double xtol_abs, double *best, double *ybest) {
  size_t order[3] = {0, 0, 0};
  int nb = 0;
  for (size_t i = 1; i + 1 < n; i++) {
    if (!(h[i] > -INFINITY) || h[i] < h[i - 1] || h[i] < h[i + 1]) continue;
    int r = nb < 3 ? nb++ : 3;
    while (r > 0 && h[order[r - 1]] < h[i]) {
      if (r < 3) order[r] = order[r - 1];
      r--;
    }
    if (r < 3) order[r] = i;
  }
  for (int r = 0; r < nb; r++) refine_cell(neg_slope, ctx, y, n, order[r], xtol_abs, best, ybest);
}

#define NCAND 4096

static ctr_status check_mix1d(const ctr_mix1d *m, ctr_error *err) {
  if (m->K < 1) return ctr_fail(err, CTR_EINPUT, "lip1d: K = %d (accepted: K >= 1)", m->K);
  for (int k = 0; k < m->K; k++)
    if (!isfinite(m->mu[k]) || !(m->var[k] >= 0) || !isfinite(m->var[k]))
      return ctr_fail(err, CTR_EINPUT, "lip1d: component %d has mean %g, variance %g (accepted: "
                      "finite mean, finite variance >= 0)", k, m->mu[k], m->var[k]);
  return CTR_OK;
}

ctr_status ctr_lip1d_map(const ctr_mix1d *m, const ctr_flow_span *span, double *log_sup,
                         double *x_at, double *y_at, ctr_error *err) {
  ctr_status st = check_mix1d(m, err);
  if (st) return st;
  level from, to;
  level_init(&from, m, span->a_from, span->s_from), level_init(&to, m, span->a_to, span->s_to);
  pair_ctx c = {&from, &to};
  double *y = malloc(sizeof(double) * NCAND), *h = malloc(sizeof(double) * NCAND);
  if (!y || !h) {
    free(y), free(h);
    return ctr_fail(err, CTR_ENOMEM, "lip1d: out of memory");
  }
  size_t n = candidates(&c, y, NCAND);
  double x, best = -INFINITY, ybest = y[0];
  for (size_t i = 0; i < n; i++) {
    h[i] = log_slope_at_y(&c, y[i], &x);
    if (h[i] > best) best = h[i], ybest = y[i];
  }
  ctr_lip_refine_max(neg_log_slope, &c, y, h, n, 1e-14 * c.to->sd_min, &best, &ybest);
  free(y), free(h);
  if (!isfinite(best))
    return ctr_fail(err, CTR_ENUMERIC, "lip1d: no finite slope of the 1-D flow map was found");
  *log_sup = best, *y_at = ybest, *x_at = transport(&to, &from, ybest);
  return CTR_OK;
}

ctr_status ctr_lip1d_transport(const ctr_mix1d *m, const ctr_flow_span *span, double x,
                               double *y, ctr_error *err) {
  ctr_status st = check_mix1d(m, err);
  if (st) return st;
  level from, to;
  level_init(&from, m, span->a_from, span->s_from), level_init(&to, m, span->a_to, span->s_to);
  *y = transport(&from, &to, x);
  return CTR_OK;
}

/* ---------------- product targets ---------------- */

/* (mean, variance) of coordinate i of component k, or -1 for a full covariance (d > 1). */
static double coord_var(const ctr_mixture *m, int k, int i) {
  const double *l = m->lam + m->lam_off[k];
  if (m->kind[k] == CTR_COV_ISO) return l[0];
  if (m->kind[k] == CTR_COV_DIAG) return l[i];
  return m->d == 1 ? l[0] : -1;
}

/* The one coordinate whose (mean, variance) varies over components (-1: none); -2 when the
 * target is not a product (a full covariance or two varying coordinates). */
static int varying_coord(const ctr_mixture *m) {
  int which = -1;
  for (int i = 0; i < m->d; i++)
    for (int k = 0; k < m->K; k++) {
      double v = coord_var(m, k, i);
      if (v < 0) return -2;
      if (m->mu[(size_t)k * m->d + i] == m->mu[i] && v == coord_var(m, 0, i)) continue;
      if (which >= 0 && which != i) return -2;
      which = i;
      break;
    }
  return which;
}

/* The level subset: 1, N and N^(j/8), j = 1..7, without repeats; returns the count. */
int ctr_lip_level_set(int64_t N, int64_t *lv) {
  int n = 0;
  lv[n++] = 1;
  for (int j = 1; j <= 8; j++) {
    int64_t t = j == 8 ? N : (int64_t)llround(pow((double)N, j / 8.0));
    if (t > lv[n - 1] && t <= N) lv[n++] = t;
  }
  return n;
}

/* Gaussian coordinate of variance v: Phi'_{t->k} = sd_k / sd_t everywhere. */
static double gauss_log_slope(const ctr_schedule *s, int64_t t, int64_t k, double v) {
  double vt = s->a[t] * s->a[t] * v + s->s[t] * s->s[t];
  double vk = s->a[k] * s->a[k] * v + s->s[k] * s->s[k];
  return 0.5 * (log(vk) - log(vt));
}

/* Why pairs: L in theory.md §3 is a sup over 1 <= k <= t <= N. In 1-D Phi'_{t->k}(x) =
 * q_t(x) / q_k(Phi(x)): the numerator is largest when q_t is widest (t = N, q_N ~ N(0, 1)) and
 * the denominator smallest at the deepest valley (k = 1, the sharpest q_k), so N -> 1 is
 * expected to dominate; for a symmetric two-mode target both extremes sit at x = y = 0 and it
 * provably does (q_t(0) decreases in a_t). Not proved in general, so the pairs of a level
 * subset are checked as well and the largest is reported (L >= L_N1 always). */
ctr_status ctr_lip_exact_compute(const ctr_mixture *m, const ctr_schedule *s, ctr_lip_exact *out,
                                 ctr_error *err) {
  memset(out, 0, sizeof *out);
  int vc = varying_coord(m), K = m->K;
  if (vc == -2) return CTR_OK;
  double *buf = ctr_dalloc(2 * (size_t)K);
  if (!buf) return ctr_fail(err, CTR_ENOMEM, "lip_exact: out of memory");
  ctr_mix1d m1 = {K, m->log_weight, buf, buf + K};
  for (int k = 0; vc >= 0 && k < K; k++)
    buf[k] = m->mu[(size_t)k * m->d + vc], buf[K + k] = coord_var(m, k, vc);
  int64_t lv[10];
  int nl = ctr_lip_level_set(s->N, lv);
  double best = 0, bestN1 = -INFINITY, x_at = 0;
  out->t = out->k = 1;
  ctr_status st = CTR_OK;
  for (int a = 0; a < nl && !st; a++)
    for (int b = 0; b < a && !st; b++) {
      int64_t t = lv[a], k = lv[b];
      double lg = -INFINITY, xa = 0, ya = 0;
      for (int i = 0; i < m->d; i++) /* Gaussian coordinates: each distinct variance */
        if (i != vc) lg = fmax(lg, gauss_log_slope(s, t, k, coord_var(m, 0, i)));
      if (vc >= 0) {
        ctr_flow_span sp;
        double l1;
        st = ctr_flow_span_steps(s, t, k, &sp, err);
        if (!st) st = ctr_lip1d_map(&m1, &sp, &l1, &xa, &ya, err);
        if (!st && l1 > lg) lg = l1;
        else xa = 0;
      }
      if (t == s->N && k == 1) bestN1 = lg;
      if (!st && lg > best) best = lg, x_at = fabs(xa), out->t = t, out->k = k;
    }
  free(buf);
  if (st) return st;
  out->exact = 1, out->log_L = best, out->L = exp(best), out->L_N1 = exp(bestN1), out->x_norm = x_at;
  return CTR_OK;
}
