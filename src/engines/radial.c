/* engines/radial.c: exact ideal CT on rotation-invariant targets (engines/radial.h, theory.md
 * §9.2, §9.12): the radial-gain recursion on a grid, the product rule over the d+2-dimensional
 * noncentral chi law, and exact W1 and W2 between radial laws. */
#include "engines/radial.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_min.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>

#include "engines/grid_spline.h"

#define RADIAL_G_MAX 1000000
#define TAIL 1e-15          /* grid and metric ranges: chi-square quantiles TAIL and 1 - TAIL */
#define WEIGHT_SKIP 1e-18   /* posterior weights below this (relative) change h by less */
#define QUAD_LIMIT 2000
#define BRENT_ITER 300

void ctr_radial_params_default(ctr_radial_params *p) {
  p->G = 1001, p->Q = 8, p->refine = 1, p->quad_rel = 1e-10, p->sort_n = 20000, p->force_sort = 0;
}

/* ---------------------------------------------------------------- A_d */

double ctr_radial_vmf_mean_cos(double d, double kappa) {
  if (!(d >= 1) || !(kappa >= 0)) return NAN;
  if (kappa == 0) return 0;
  if (isinf(kappa)) return 1;
  /* I_{nu+1}(x) / I_nu(x) = 1 / (b_1 + 1 / (b_2 + ...)), b_j = 2 (nu + j) / x, nu = d/2 - 1
   * (the Bessel recurrence's continued fraction, convergent for nu > -1); modified Lentz.
   * For x >> nu it needs O(x^(1/2)) to O(x) terms, every one a few flops. */
  double nu = 0.5 * d - 1, tiny = 1e-300, f = tiny, C = f, D = 0;
  for (long j = 1; j < 100000000L; j++) {
    double b = 2 * (nu + (double)j) / kappa;
    D = b + D;
    if (D == 0) D = tiny;
    C = b + 1 / C;
    if (C == 0) C = tiny;
    D = 1 / D;
    double delta = C * D;
    f *= delta;
    if (fabs(delta - 1) < 1e-16) break;
  }
  return f;
}

/* ---------------------------------------------------------------- rules */

/* E over Z_1 ~ N(0, 1): physicists' Gauss-Hermite (GSL), nodes sqrt(2) x_j, weights / sqrt(pi). */
static ctr_status hermite(int Q, double *xi, double *om, ctr_error *err) {
  gsl_integration_fixed_workspace *hw =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, (size_t)Q, 0.0, 1.0, 0.0, 0.0);
  if (!hw) return ctr_fail(err, CTR_ENUMERIC, "radial: Gauss-Hermite rule of order %d failed", Q);
  const double *x = gsl_integration_fixed_nodes(hw), *wt = gsl_integration_fixed_weights(hw);
  for (int j = 0; j < Q; j++) xi[j] = M_SQRT2 * x[j], om[j] = wt[j] / sqrt(M_PI);
  gsl_integration_fixed_free(hw);
  return CTR_OK;
}

/* E over W ~ chi^2_n = 2 Gamma(n/2): generalised Gauss-Laguerre with alpha = n/2 - 1 by
 * Golub-Welsch (Jacobi matrix diag 2j + alpha + 1, off-diagonal sqrt(j (j + alpha))), weights
 * the squared first eigenvector components. GSL's own Laguerre rule multiplies by
 * Gamma(alpha + 1), which overflows beyond alpha = 171 (d = 343). */
static ctr_status laguerre(double n, int Q, double *W, double *om, ctr_error *err) {
  double alpha = 0.5 * n - 1;
  size_t n_ = (size_t)Q;
  gsl_matrix *J = gsl_matrix_calloc(n_, n_), *V = gsl_matrix_alloc(n_, n_);
  gsl_vector *ev = gsl_vector_alloc((size_t)Q);
  gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc((size_t)Q);
  ctr_status st = CTR_OK;
  if (!J || !V || !ev || !ws) st = ctr_fail(err, CTR_ENOMEM, "radial: out of memory");
  for (int j = 0; !st && j < Q; j++) {
    gsl_matrix_set(J, j, j, 2.0 * j + alpha + 1);
    if (j > 0) {
      double b = sqrt((double)j * (j + alpha));
      gsl_matrix_set(J, j, j - 1, b), gsl_matrix_set(J, j - 1, j, b);
    }
  }
  if (!st && gsl_eigen_symmv(J, ev, V, ws))
    st = ctr_fail(err, CTR_ENUMERIC, "radial: Gauss-Laguerre rule (n = %g, Q = %d) failed", n, Q);
  double tot = 0;
  for (int j = 0; !st && j < Q; j++) {
    double v0 = gsl_matrix_get(V, 0, j);
    W[j] = 2 * gsl_vector_get(ev, j), om[j] = v0 * v0, tot += om[j];
  }
  for (int j = 0; !st && j < Q; j++) om[j] /= tot;
  gsl_matrix_free(J), gsl_matrix_free(V), gsl_vector_free(ev), gsl_eigen_symmv_free(ws);
  return st;
}

typedef struct {
  int Q;
  double xi[CTR_RADIAL_QMAX], oh[CTR_RADIAL_QMAX]; /* Hermite, along m e_1 */
  double W[CTR_RADIAL_QMAX], ol[CTR_RADIAL_QMAX];  /* Laguerre, chi^2_{D-1} of the rest */
} rule2;

static ctr_status rule2_init(rule2 *R, int64_t D, int Q, ctr_error *err) {
  R->Q = Q;
  ctr_status st = hermite(Q, R->xi, R->oh, err);
  return st ? st : laguerre((double)(D - 1), Q, R->W, R->ol, err);
}

ctr_status ctr_radial_rule(int64_t D, int Q, double m, double sigma, double *rho, double *om,
                           ctr_error *err) {
  if (D < 2 || Q < 2 || Q > CTR_RADIAL_QMAX)
    return ctr_fail(err, CTR_EINPUT, "radial rule: D = %lld, Q = %d (accepted: D >= 2, 2 <= Q "
                    "<= %d)", (long long)D, Q, CTR_RADIAL_QMAX);
  rule2 R;
  ctr_status st = rule2_init(&R, D, Q, err);
  for (int i = 0; !st && i < Q; i++)
    for (int j = 0; j < Q; j++) {
      double z = m + sigma * R.xi[i];
      rho[i * Q + j] = sqrt(z * z + sigma * sigma * R.W[j]), om[i * Q + j] = R.oh[i] * R.ol[j];
    }
  return st;
}

/* ---------------------------------------------------------------- the recursion */

typedef struct {
  int K;
  int64_t d;
  const double *pi, *v;
  const ctr_schedule *s;
  rule2 R;
  double *lw, *gam, *sig; /* per component at the current step */
  ctr_grid_spline prev, cur;
} run;

/* Radial bulk of q_t: union over components of S_k^(1/2) times the chi_d quantiles. */
static void bulk(const run *r, double a, double sd, double *lo, double *hi) {
  double dd = (double)r->d, ql = gsl_cdf_chisq_Pinv(TAIL, dd), qh = gsl_cdf_chisq_Qinv(TAIL, dd);
  *lo = INFINITY, *hi = 0;
  for (int k = 0; k < r->K; k++) {
    if (r->pi[k] == 0) continue;
    double S = a * a * r->v[k] + sd * sd;
    *lo = fmin(*lo, sqrt(S * ql)), *hi = fmax(*hi, sqrt(S * qh));
  }
  if (*lo < 1e-3 * *hi) *lo = 0; /* small d: start at the origin */
}

#define RULE_BUF 1024                  /* nodes per batched spline call (8 KB of stack each) */
#define RULE_ROWS(Q) (RULE_BUF / (Q)) /* Hermite rows per call, >= 16 for Q <= 64 */

/* h_t at radius x from h_{t-1} in r->prev (theory.md §9.12). */
static double gain_at(const run *r, const double *lw0, double x) {
  int K = r->K, Q = r->R.Q;
  double dd = (double)r->d, mx = -INFINITY, lw[64], *lwp = K <= 64 ? lw : NULL;
  double *buf = lwp ? lwp : malloc(sizeof *buf * (size_t)K);
  if (!buf) return NAN;
  for (int k = 0; k < K; k++) { /* log pi_k - (d/2) log S_k - x^2 / (2 S_k), S_k in lw0 */
    buf[k] = r->pi[k] > 0 ? log(r->pi[k]) - 0.5 * dd * log(lw0[k]) - 0.5 * x * x / lw0[k]
                          : -INFINITY;
    mx = fmax(mx, buf[k]);
  }
  double tot = 0, acc = 0;
  for (int k = 0; k < K; k++) tot += buf[k] = exp(buf[k] - mx);
  for (int k = 0; k < K; k++) {
    double wk = buf[k] / tot;
    if (wk < WEIGHT_SKIP) continue;
    double m = r->gam[k] * x, sg = r->sig[k], e = 0;
    if (sg == 0) e = ctr_grid_spline_eval(&r->prev, m * m); /* a point mass: deterministic */
    else /* the Q x Q rule, rows batched through the vector spline; sums in the scalar order */
      for (int i0 = 0; i0 < Q; i0 += RULE_ROWS(Q)) {
        int i1 = i0 + RULE_ROWS(Q) < Q ? i0 + RULE_ROWS(Q) : Q;
        double y[RULE_BUF], v[RULE_BUF], s2 = sg * sg;
        for (int i = i0; i < i1; i++) {
          double z = m + sg * r->R.xi[i], z2 = z * z;
          for (int j = 0; j < Q; j++) y[(i - i0) * Q + j] = z2 + s2 * r->R.W[j];
        }
        ctr_grid_spline_eval_n(&r->prev, y, v, (i1 - i0) * Q);
        for (int i = i0; i < i1; i++) {
          double ei = 0;
          for (int j = 0; j < Q; j++) ei += r->R.ol[j] * v[(i - i0) * Q + j];
          e += r->R.oh[i] * ei;
        }
      }
    acc += wk * r->gam[k] * e;
  }
  if (buf != lw) free(buf);
  return acc;
}

/* The recursion t = 2..N on G points; on return r->prev holds h_N. The spline's variable is
 * u = |x|^2, not |x|: a smooth radial map has a gain smooth in |x|^2 (h_t(|x|) = H_t(|x|^2)),
 * so the rule sees the polynomial-smooth H(z^2 + sigma^2 W) and converges spectrally even in
 * small d, where h as a spline in |x| would have a kink at the origin. */
static ctr_status recurse(run *r, int G, ctr_error *err) {
  const ctr_schedule *s = r->s;
  double lo, hi;
  bulk(r, s->a[1], s->s[1], &lo, &hi);
  ctr_grid_spline_grid(&r->prev, lo * lo, hi * hi);
  for (int i = 0; i < G; i++) r->prev.f[i] = 1; /* f_1 = identity */
  ctr_grid_spline_fit(&r->prev);
  for (int64_t t = 2; t <= s->N; t++) {
    double at = s->a[t], st = s->s[t], ct = ctr_schedule_c(s, t), ratio = s->s[t - 1] / st;
    for (int k = 0; k < r->K; k++) {
      double S = at * at * r->v[k] + st * st;
      r->lw[k] = S, r->gam[k] = ratio + ct * at * r->v[k] / S;
      r->sig[k] = ct * st * sqrt(r->v[k] / S);
    }
    bulk(r, at, st, &lo, &hi);
    ctr_grid_spline_grid(&r->cur, lo * lo, hi * hi);
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad)
    for (int i = 0; i < G; i++) {
      double x = sqrt(r->cur.lo + i * r->cur.h);
      r->cur.f[i] = gain_at(r, r->lw, x);
      bad |= !isfinite(r->cur.f[i]);
    }
    if (bad)
      return ctr_fail(err, CTR_ENUMERIC, "radial: the gain is not finite at step %lld",
                      (long long)t);
    ctr_grid_spline_fit(&r->cur);
    ctr_grid_spline tmp = r->prev;
    r->prev = r->cur, r->cur = tmp;
  }
  return CTR_OK;
}

/* ---------------------------------------------------------------- radial laws */

/* sum_k pi_k S_k^(1/2) chi_d */
typedef struct {
  int K;
  const double *pi;
  double *S;
  double d;
} rlaw;

static double rlaw_P(const rlaw *L, double y) {
  double p = 0;
  for (int k = 0; k < L->K; k++) p += L->pi[k] * gsl_cdf_chisq_P(y * y / L->S[k], L->d);
  return p;
}
static double rlaw_Q(const rlaw *L, double y) {
  double p = 0;
  for (int k = 0; k < L->K; k++) p += L->pi[k] * gsl_cdf_chisq_Q(y * y / L->S[k], L->d);
  return p;
}
static double rlaw_pdf(const rlaw *L, double y) {
  double p = 0;
  for (int k = 0; k < L->K; k++)
    if (L->pi[k] > 0) p += L->pi[k] * 2 * y / L->S[k] * gsl_ran_chisq_pdf(y * y / L->S[k], L->d);
  return p;
}
static void rlaw_bulk(const rlaw *L, double *lo, double *hi) {
  double ql = gsl_cdf_chisq_Pinv(TAIL, L->d), qh = gsl_cdf_chisq_Qinv(TAIL, L->d);
  *lo = INFINITY, *hi = 0;
  for (int k = 0; k < L->K; k++)
    if (L->pi[k] > 0) *lo = fmin(*lo, sqrt(L->S[k] * ql)), *hi = fmax(*hi, sqrt(L->S[k] * qh));
}

typedef struct {
  const rlaw *L;
  double target;
  int upper;
} qctx;

static double qfun(double y, void *vp) {
  const qctx *c = vp;
  return c->upper ? c->target - rlaw_Q(c->L, y) : rlaw_P(c->L, y) - c->target;
}

/* The radius with lower-tail mass p (upper = 0) or upper-tail mass p (upper = 1), by Brent on
 * that tail's own CDF so that tail masses down to 1e-300 keep their relative accuracy. */
static double rlaw_quantile(const rlaw *L, double p, int upper) {
  if (p <= 0) return upper ? INFINITY : 0;
  double lo = 0, hi = 0;
  for (int k = 0; k < L->K; k++) hi = fmax(hi, sqrt(L->S[k]) * (sqrt(L->d) + 10));
  qctx c = {L, p, upper};
  while (qfun(hi, &c) < 0) hi *= 2;
  gsl_function f = {qfun, &c};
  gsl_root_fsolver *sv = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!sv) return NAN;
  double y = NAN;
  if (!gsl_root_fsolver_set(sv, &f, lo, hi))
    for (int it = 0; it < BRENT_ITER; it++) {
      if (gsl_root_fsolver_iterate(sv)) break;
      y = gsl_root_fsolver_root(sv);
      if (gsl_root_test_interval(gsl_root_fsolver_x_lower(sv), gsl_root_fsolver_x_upper(sv), 0,
                                 1e-15) == GSL_SUCCESS)
        break;
    }
  gsl_root_fsolver_free(sv);
  return y;
}

/* F_1^(-1)(F_in(r)) on the tail that keeps digits. */
static double transport(const rlaw *in, const rlaw *out, double r) {
  double P = rlaw_P(in, r);
  return P <= 0.5 ? rlaw_quantile(out, P, 0) : rlaw_quantile(out, rlaw_Q(in, r), 1);
}

/* log of the radial density, by log-sum-exp: between two shells it underflows (d = 1e4, shells
 * at radii 50 and 100: ~e^-900), and the valley must still be located. */
static double rlaw_logpdf(const rlaw *L, double y) {
  double mx = -INFINITY, acc = 0, a = 0.5 * L->d, v[64];
  double cst = M_LN2 - a * M_LN2 - gsl_sf_lngamma(a);
  int K = L->K < 64 ? L->K : 64; /* more shells than 64: the first 64 (only used for cuts) */
  for (int k = 0; k < K; k++) {
    double S = L->S[k];
    v[k] = L->pi[k] > 0 ? log(L->pi[k]) + cst - a * log(S) - 0.5 * y * y / S +
                              (L->d > 1 ? (L->d - 1) * log(y) : 0)
                        : -INFINITY;
    mx = fmax(mx, v[k]);
  }
  if (mx == -INFINITY) return mx;
  for (int k = 0; k < K; k++) acc += exp(v[k] - mx);
  return mx + log(acc);
}

static double logpdf_fn(double y, void *vp) { return rlaw_logpdf(vp, y); }

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The input radii where r -> F_out^(-1)(F_in(r)) jumps: F_out^(-1) crosses a valley of the
 * output's radial density between two shells, and when the valley's mass is below the double
 * resolution of F (d = 1e4: e^-900) the quantile function jumps by the shell distance between
 * two adjacent doubles of r. An adaptive integral across that jump bisects down to the spacing
 * of doubles and stops with GSL_ESING (d = 1e4, N = 1e5, theory.md §9.12); split there, each
 * piece is smooth up to a log-type endpoint behaviour of the tail quantile (QAGS's case).
 * Valleys: the minimum of log p_out between every two adjacent shell modes (S (d-1))^(1/2),
 * by a 64-point scan refined with Brent's minimiser; at most ncut cuts in (lo, hi), sorted. */
static int quantile_jumps(const rlaw *in, const rlaw *out, double lo, double hi, double *cut,
                          int ncut) {
  int K = out->K < 64 ? out->K : 64, n = 0;
  double mode[64];
  for (int k = 0; k < K; k++) mode[k] = out->pi[k] > 0 ? sqrt(out->S[k] * fmax(out->d - 1, 0)) : -1;
  qsort(mode, (size_t)K, sizeof *mode, cmp_d);
  gsl_min_fminimizer *mn = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
  if (!mn) return 0;
  for (int k = 0; k + 1 < K && n < ncut; k++) {
    double a = mode[k], b = mode[k + 1];
    if (a < 0 || !(b > a * (1 + 1e-9))) continue;
    double best = INFINITY, yb = NAN, ya = a, yc = b;
    for (int i = 1; i < 64; i++) {
      double y = a + (b - a) * i / 64.0, f = rlaw_logpdf(out, y);
      if (f < best) best = f, yb = y, ya = a + (b - a) * (i - 1) / 64.0, yc = a + (b - a) * (i + 1) / 64.0;
    }
    if (!(best < rlaw_logpdf(out, ya) && best < rlaw_logpdf(out, yc))) continue; /* no valley */
    gsl_function f = {logpdf_fn, (void *)out};
    if (gsl_min_fminimizer_set(mn, &f, yb, ya, yc) == GSL_SUCCESS)
      for (int it = 0; it < 100; it++) {
        if (gsl_min_fminimizer_iterate(mn) != GSL_SUCCESS) break;
        yb = gsl_min_fminimizer_x_minimum(mn);
        if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(mn), gsl_min_fminimizer_x_upper(mn),
                                  0, 1e-12) == GSL_SUCCESS)
          break;
      }
    double P = rlaw_P(out, yb);
    double r = P <= 0.5 ? rlaw_quantile(in, P, 0) : rlaw_quantile(in, rlaw_Q(out, yb), 1);
    if (r > lo && r < hi) cut[n++] = r;
  }
  gsl_min_fminimizer_free(mn);
  qsort(cut, (size_t)n, sizeof *cut, cmp_d);
  return n;
}

/* ---------------------------------------------------------------- metrics */

typedef struct {
  const ctr_grid_spline *h;
  const rlaw *in, *out;
  int p;
} wctx;

static double gN(const ctr_grid_spline *h, double r) { return r * ctr_grid_spline_eval(h, r * r); }

static double w_integrand(double r, void *vp) {
  const wctx *c = vp;
  double u = fabs(gN(c->h, r) - transport(c->in, c->out, r));
  return (c->p == 1 ? u : u * u) * rlaw_pdf(c->in, r);
}

static ctr_status distances(const ctr_radial_params *p, const ctr_grid_spline *h, int monotone,
                            const rlaw *in, const rlaw *out, ctr_radial_w *w, int *sorted,
                            ctr_error *err) {
  int use_sort = !monotone || p->force_sort;
  if (!use_sort) {
    double lo, hi, val[2] = {0, 0}, cut[66];
    rlaw_bulk(in, &lo, &hi);
    int nc = quantile_jumps(in, out, lo, hi, cut + 1, 64);
    cut[0] = lo, cut[nc + 1] = hi;
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(QUAD_LIMIT);
    if (!ws) return ctr_fail(err, CTR_ENOMEM, "radial: out of memory");
    for (int q = 1; q <= 2; q++)
      for (int j = 0; j <= nc; j++) { /* each piece between two jumps of the quantile map */
        wctx c = {h, in, out, q};
        gsl_function f = {w_integrand, &c};
        double e, v = 0;
        int rc = gsl_integration_qags(&f, cut[j], cut[j + 1], 0, p->quad_rel, QUAD_LIMIT, ws, &v,
                                      &e);
        /* the unsplit integral met GSL_ESING (d = 1e4, N = 1e5); should a piece still fail,
         * fall back to sorted quantiles, flagged */
        if (rc && rc != GSL_EROUND && rc != GSL_EMAXITER) use_sort = 1;
        val[q - 1] += v;
      }
    gsl_integration_workspace_free(ws);
    w->w1 = val[0], w->w2 = sqrt(val[1]);
  }
  if (use_sort) { /* sorted quantiles of M equal-mass input points (theory.md §9.12) */
    *sorted = 1;
    int M = p->sort_n;
    double *y = ctr_dalloc((size_t)M), a1 = 0, a2 = 0;
    if (!y) return ctr_fail(err, CTR_ENOMEM, "radial: out of memory");
    for (int i = 0; i < M; i++) {
      double u = (i + 0.5) / M;
      y[i] = gN(h, u <= 0.5 ? rlaw_quantile(in, u, 0) : rlaw_quantile(in, 1 - u, 1));
    }
    qsort(y, (size_t)M, sizeof *y, cmp_d);
    for (int i = 0; i < M; i++) {
      double u = (i + 0.5) / M;
      double z = u <= 0.5 ? rlaw_quantile(out, u, 0) : rlaw_quantile(out, 1 - u, 1);
      a1 += fabs(y[i] - z), a2 += (y[i] - z) * (y[i] - z);
    }
    free(y);
    w->w1 = a1 / M, w->w2 = sqrt(a2 / M);
  }
  if (!isfinite(w->w1) || !isfinite(w->w2))
    return ctr_fail(err, CTR_ENUMERIC, "radial: a distance is not finite");
  return CTR_OK;
}

static int is_monotone(const ctr_grid_spline *h) {
  for (int i = 1; i < h->n; i++) {
    double x0 = sqrt(h->lo + (i - 1) * h->h), x1 = sqrt(h->lo + i * h->h);
    if (x1 * h->f[i] < x0 * h->f[i - 1]) return 0;
  }
  return 1;
}

/* One level: the recursion on (G, Q) and the four distances. */
static ctr_status level(const ctr_radial_params *p, run *r, int G, int Q, const rlaw *gauss,
                        const rlaw *qN, const rlaw *x1, ctr_radial_w *wg, ctr_radial_w *wq,
                        int *monotone, int *sorted, ctr_error *err) {
  ctr_grid_spline_free(&r->prev), ctr_grid_spline_free(&r->cur);
  ctr_status st = CTR_OK;
  if (ctr_grid_spline_alloc(&r->prev, G) || ctr_grid_spline_alloc(&r->cur, G))
    st = ctr_fail(err, CTR_ENOMEM, "radial: out of memory (G = %d)", G);
  if (!st) st = rule2_init(&r->R, r->d + 2, Q, err);
  if (!st) st = recurse(r, G, err);
  if (!st) *monotone = is_monotone(&r->prev);
  if (!st) st = distances(p, &r->prev, *monotone, gauss, x1, wg, sorted, err);
  if (!st) st = distances(p, &r->prev, *monotone, qN, x1, wq, sorted, err);
  return st;
}

static ctr_status check(const ctr_radial_params *p, const ctr_schedule *s, int K, const double *w,
                        const double *v, int64_t d, ctr_error *err) {
  if (p->G < 5 || p->G > RADIAL_G_MAX || p->Q < 2 || p->Q > CTR_RADIAL_QMAX * 2 / 3 ||
      !(p->quad_rel > 0 && p->quad_rel < 1) || p->sort_n < 100 || p->sort_n > 100000000)
    return ctr_fail(err, CTR_EINPUT, "radial engine: G = %d, Q = %d, quad_rel = %g, sort_n = %d "
                    "(accepted: 5 <= G <= %d, 2 <= Q <= %d, 0 < quad_rel < 1, "
                    "100 <= sort_n <= 1e8)",
                    p->G, p->Q, p->quad_rel, p->sort_n, RADIAL_G_MAX, CTR_RADIAL_QMAX * 2 / 3);
  if (d < 1 || d > 100000000LL)
    return ctr_fail(err, CTR_EINPUT, "radial engine: d = %lld (accepted: 1 to 1e8)", (long long)d);
  if (K < 1 || K > 1000000)
    return ctr_fail(err, CTR_EINPUT, "radial engine: K = %d (accepted: 1 to 1e6)", K);
  double tot = 0;
  for (int k = 0; k < K; k++) {
    if (!(w[k] >= 0 && isfinite(w[k])) || !(v[k] >= 0 && v[k] <= 1e100))
      return ctr_fail(err, CTR_EINPUT, "radial engine: component %d has weight %g, variance %g "
                      "(accepted: weight >= 0, 0 <= variance <= 1e100)", k, w[k], v[k]);
    tot += w[k];
  }
  if (fabs(tot - 1) > 1e-12)
    return ctr_fail(err, CTR_EINPUT, "radial engine: weights sum to %.17g (accepted: 1 within "
                    "1e-12)", tot);
  (void)s;
  return CTR_OK;
}

ctr_status ctr_radial_run(const ctr_radial_params *p, const ctr_schedule *s, int K,
                          const double *w, const double *v, int64_t d, ctr_radial_result **out,
                          ctr_error *err) {
  *out = NULL;
  ctr_status st = check(p, s, K, w, v, d, err);
  if (st) return st;
  ctr_radial_result *res = calloc(1, sizeof *res);
  run r = {K, d, w, v, s, {0}, ctr_dalloc((size_t)K), ctr_dalloc((size_t)K), ctr_dalloc((size_t)K),
           {0}, {0}};
  double *S = ctr_dalloc(3 * (size_t)K), one = 1, dd = (double)d;
  if (!res || !r.lw || !r.gam || !r.sig || !S)
    st = ctr_fail(err, CTR_ENOMEM, "radial: out of memory");
  rlaw gauss = {1, &one, &one, dd}, qN = {K, w, S, dd}, x1 = {K, w, S + K, dd};
  double var = 0;
  for (int k = 0; !st && k < K; k++) {
    S[k] = s->a[s->N] * s->a[s->N] * v[k] + s->s[s->N] * s->s[s->N];
    S[K + k] = s->a[1] * s->a[1] * v[k] + s->s[1] * s->s[1];
    var += w[k] * v[k];
  }
  ctr_radial_w bg = {0}, bq = {0};
  int mono = 1, G = p->G, Q = p->Q;
  if (!st) st = level(p, &r, G, Q, &gauss, &qN, &x1, &bg, &bq, &mono, &res->sorted, err);
  if (!st) {
    res->d = d, res->gauss = bg, res->qN = bq, res->monotone = mono, res->disc_max = NAN;
    res->data_scale = sqrt(dd * var);
  }
  if (!st && p->refine) {
    G = 2 * p->G - 1, Q = p->Q + p->Q / 2;
    st = level(p, &r, G, Q, &gauss, &qN, &x1, &res->gauss, &res->qN, &mono, &res->sorted, err);
    res->monotone &= mono;
    res->disc_max = fmax(fmax(fabs(res->gauss.w1 - bg.w1), fabs(res->gauss.w2 - bg.w2)),
                         fmax(fabs(res->qN.w1 - bq.w1), fabs(res->qN.w2 - bq.w2)));
  }
  if (!st) {
    res->G = G, res->lo = sqrt(r.prev.lo), res->hi = sqrt(r.prev.lo + (G - 1) * r.prev.h);
    res->h = ctr_dalloc((size_t)G), res->M = ctr_dalloc((size_t)G);
    if (!res->h || !res->M) st = ctr_fail(err, CTR_ENOMEM, "radial: out of memory");
  }
  if (!st) {
    memcpy(res->h, r.prev.f, sizeof *res->h * (size_t)G);
    memcpy(res->M, r.prev.M, sizeof *res->M * (size_t)G);
    res->slope_lo = r.prev.slope_lo, res->slope_hi = r.prev.slope_hi;
  }
  ctr_grid_spline_free(&r.prev), ctr_grid_spline_free(&r.cur);
  free(r.lw), free(r.gam), free(r.sig), free(S);
  if (st) ctr_radial_result_free(res), res = NULL;
  *out = res;
  return st;
}

void ctr_radial_result_free(ctr_radial_result *r) {
  if (!r) return;
  free(r->h), free(r->M), free(r);
}

double ctr_radial_gain(const ctr_radial_result *r, double radius) {
  double lo = r->lo * r->lo, h = (r->hi * r->hi - lo) / (r->G - 1);
  ctr_grid_spline sp = {r->G, lo, h, h * h / 6, r->slope_lo, r->slope_hi, r->h, r->M, NULL};
  return ctr_grid_spline_eval(&sp, radius * radius);
}
