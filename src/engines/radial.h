/* engines/radial.h: exact ideal CT on rotation-invariant targets in any d (theory.md §9.2,
 * §9.12): X_0 ~ sum_k pi_k N(0, v_k I_d), v_k >= 0 (scale mixtures, N(0, v I), a point mass).
 *
 * Every ideal CT map is radial, f_t(x) = h_t(|x|) x (h_t the radial gain; g_t(r) = r h_t(r)
 * in §9.2's notation). The §9.2 recursion with the von Mises-Fisher mean cosine A_d is turned
 * into one without Bessel functions by the noncentral-chi identity
 *     p_d(u) A_d(lambda u) = (lambda / u) p_{d+2}(u)
 * (p_D the noncentral chi density with D degrees of freedom and noncentrality lambda), which
 * gives (theory.md §9.12)
 *     h_t(r) = sum_k w_k(r) gamma_k E h_{t-1}(|gamma_k r e_1 + sigma_k Z|),   Z ~ N(0, I_{d+2}),
 * h_1 = 1. The expectation is a product rule: |.|^2 = (gamma_k r + sigma_k Z_1)^2 +
 * sigma_k^2 W with Z_1 ~ N(0, 1) (Gauss-Hermite, Q nodes) and W ~ chi^2_{d+1} (generalised
 * Gauss-Laguerre with alpha = (d - 1)/2, Q nodes, Golub-Welsch with normalised weights so that
 * Gamma(alpha + 1) never overflows). Both rules are exact for polynomials of degree 2Q - 1 in
 * their variable and need no special function, so the cost, O(N G K Q^2), does not depend on d.
 * h_t is a natural cubic spline on G equal steps over the radial bulk of q_t (chi-square
 * quantiles 1e-15 and 1 - 1e-15 of every component), extended linearly.
 *
 * Metrics (§9.2: W_p between rotation-invariant laws = W_p between their radial laws): the
 * output radius for input N(0, I) is g_N(R), R ~ chi_d; for q_N, R ~ sum_k pi_k S_k^(1/2) chi_d;
 * X_1's radius is sum_k pi_k (a_1^2 v_k + s_1^2)^(1/2) chi_d. When g_N is non-decreasing (checked
 * on the grid), W_p^p = int |g_N(r) - F_1^(-1)(F_in(r))|^p p_in(r) dr (adaptive GSL quadrature,
 * split where the quantile map jumps across a valley of X_1's radial law, quantiles by Brent on
 * the tail that keeps relative accuracy); otherwise, or when that
 * integral fails, sorted quantiles of M equal-mass input points (flagged: `sorted`). For q_N, Phi is radial with radius map F_1^(-1) o F_N, so the
 * coupling E||f_N - Phi|| equals W1 when g_N is monotone. A second run with 2G - 1 points and
 * Q + Q/2 nodes gives the reported values; their change from the first is disc_max. */
#ifndef CTR_ENGINES_RADIAL_H
#define CTR_ENGINES_RADIAL_H

#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"

#define CTR_RADIAL_QMAX 64

typedef struct {
  int G;        /* grid points per step, 5 <= G <= 1e6 */
  int Q;        /* nodes of each 1-D rule, 2 <= Q <= CTR_RADIAL_QMAX */
  int refine;   /* 1: the refined run (2G - 1, Q + Q/2) is reported, disc_max its change */
  double quad_rel; /* relative tolerance of the metric integrals */
  int sort_n;   /* M of the sorted-quantile fallback */
  int force_sort; /* 1: sorted quantiles even when g_N is monotone (tests) */
} ctr_radial_params;

/* G = 1001, Q = 8 (Q = 8, 12, 16 agree to 2e-10 relative at d = 1000, N = 300), refine = 1,
 * quad_rel = 1e-10, sort_n = 20000, force_sort = 0. */
void ctr_radial_params_default(ctr_radial_params *p);

typedef struct {
  double w1, w2;
} ctr_radial_w;

typedef struct {
  int64_t d;
  ctr_radial_w gauss, qN; /* input N(0, I); input q_N (= E||f_N - Phi|| when monotone) */
  double disc_max;        /* largest |refined - base| of the four distances (NAN: no refine) */
  int monotone;           /* 1: g_N non-decreasing on the grid (then exact quantile integrals) */
  int sorted;             /* 1: some distance came from sorted quantiles (not monotone, or the
                             adaptive integral failed): accurate to O(1 / sort_n) only */
  double data_scale;      /* (d sum_k pi_k v_k)^(1/2) */
  double lo, hi;          /* the last grid */
  int G;
  double *h;              /* h_N on the last grid (owned) */
  double *M;              /* its spline second derivatives */
  double slope_lo, slope_hi;
} ctr_radial_result;

/* Run on schedule s for X_0 ~ sum_k w[k] N(0, v[k] I_d). CTR_EINPUT for bad parameters,
 * CTR_ENUMERIC when a value or a GSL routine fails. Free with ctr_radial_result_free. */
ctr_status ctr_radial_run(const ctr_radial_params *p, const ctr_schedule *s, int K,
                          const double *w, const double *v, int64_t d, ctr_radial_result **out,
                          ctr_error *err);
void ctr_radial_result_free(ctr_radial_result *r);

/* The radial gain h_N(r) of the reported run (f_N(x) = h_N(|x|) x). */
double ctr_radial_gain(const ctr_radial_result *r, double radius);

/* The product rule for E h(|m e_1 + sigma Z|), Z ~ N(0, I_D), D >= 2: nodes rho[i] (Q^2 of
 * them) and weights om[i] summing to 1. Exposed for tests. */
ctr_status ctr_radial_rule(int64_t D, int Q, double m, double sigma, double *rho, double *om,
                           ctr_error *err);

/* The von Mises-Fisher mean cosine A_d(kappa) = I_{d/2}(kappa) / I_{d/2-1}(kappa), d >= 1,
 * kappa >= 0, by the continued fraction of the Bessel ratio (modified Lentz), which never forms
 * a Bessel function and so cannot underflow (theory.md §9.12). Used for documentation and
 * tests of the identity above; the engine does not need it. */
double ctr_radial_vmf_mean_cos(double d, double kappa);

#endif
