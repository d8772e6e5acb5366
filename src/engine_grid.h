/* engine_grid.h: exact (up to discretisation) ideal consistency training on a 1-D Gaussian
 * mixture or point cloud, by the CT step of math.md section 5 on a grid:
 *
 *   f_1 = identity,   for t = 2..N:
 *   f_t(x) = sum_k w_k(x) E_zeta[ f_{t-1}( (s_{t-1}/s_t) x + c_t m_k(x) + c_t C_k^(1/2) zeta ) ] + e_t
 *
 * with the posterior weights w_k, component means m_k and variances C_k at (a_t, s_t).
 *
 * Discretisation. f_t is stored at G equally spaced points of the bulk of q_t, the union over
 * components of a_t mu_k +- width * sqrt(a_t^2 lambda_k + s_t^2) (width = 8 by default: the
 * tails beyond hold 1e-15 of the mass). f_{t-1} is evaluated off the grid by a natural cubic
 * spline (exact for affine f, so Gaussian targets are reproduced to rounding) with linear
 * extrapolation by the end slopes outside. The spline is evaluated here, not by gsl_spline:
 * on a uniform grid the cell index is one division, while GSL's accelerator falls back to a
 * binary search whenever a query leaves the cached cell; a run evaluates G K Q (N - 1) ~ 1e8
 * points (x4 for the refinement). The expectation over zeta uses Q Gauss-Hermite nodes
 * (GSL gsl_integration_fixed_hermite, physicists' nodes at sqrt(2) x_j, weights / sqrt(pi),
 * math.md 5); point masses (C_k = 0) need none. The discretisation error of every reported
 * metric is estimated by one refinement, a second run with 2G - 1 points and 2Q nodes: the
 * estimate is |refined - base| (base values are the ones reported).
 *
 * Errors (math.md 6): only fit-bias, e_t = (eps / (N - 1)) u with u = +-1 from
 * ctr_errmodel_direction(seed, 1): exact CT commutes with constant shifts, so f_N = f*_N + eps u.
 *
 * Metrics, d = 1, against X_1 = a_1 X_0 + s_1 Z (components N(a_1 mu_k, a_1^2 lambda_k + s_1^2)):
 *   W_p(f_N(input), X_1)^p = int_0^1 |F^-1(u) - G^-1(u)|^p du   (math.md 4, 1-D exact),
 * for input N(0, 1) and input q_N. F^-1(u) = f_N(input quantile at u) when f_N is
 * non-decreasing on the grid (ideal CT preserves monotonicity: the posterior of X_0 is
 * stochastically increasing in x); otherwise the output's quantile function is the sorted
 * values of f_N at `sort_n` mid-point input quantiles u_i = (i + 1/2)/sort_n, and the integral
 * becomes the mid-point sum over the u_i (error O(1/sort_n), flagged in the result). G^-1 and
 * the q_N quantiles come from Brent's method (gsl_root_fsolver_brent) on the mixture CDF,
 * bracketed by the component quantiles (a mixture CDF is a convex combination). The u-integral
 * is adaptive (gsl_integration_qagp, breakpoints at the cumulative weights of the X_1
 * components in mean order, where narrow modes leave near-jumps of G^-1).
 * The coupling E|f_N(X) - Phi(X)|, X ~ q_N, Phi = Phi_{N->1} from ctr_flow_map (the upper bound
 * on W1(f_N(q_N), X_1) of math.md 3), is an adaptive integral (gsl_integration_qags) of
 * |f_N - Phi| q_N over the final grid's interval: Phi is nearly a jump at the separatrix of
 * narrow modes, where Gauss-Hermite in the noise would converge only like Q^(-1/2).
 *
 * d = 2 is refused (CTR_EINPUT); d = 1 only. Cost O(N G K Q) for the recursion (x5 with the
 * refinement); ~3 s at N = 1000, G = 2001, Q = 20, K = 2 with refinement. */
#ifndef CTR_ENGINE_GRID_H
#define CTR_ENGINE_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "errmodel.h"
#include "mixture.h"
#include "schedule.h"

typedef struct {
  int G;           /* grid points, >= 5 */
  int Q;           /* Gauss-Hermite nodes, 1..200 */
  double width;    /* grid half-width in component standard deviations of q_t, > 0 */
  int refine;      /* 1: second run with (2G - 1, 2Q) for the discretisation estimate */
  int coupling;    /* 1: compute E|f_N - Phi| (needs the flow map; the costliest metric) */
  double quad_rel; /* relative tolerance of the adaptive metric integrals, > 0 */
  int sort_n;      /* output-law sample size if f_N is not monotone, >= 100 */
  ctr_errmodel error; /* none or fit-bias */
  uint64_t seed;      /* sign of the bias direction */
} ctr_grid_params;

/* G = 2001, Q = 20, width = 8, refine = 1, coupling = 1, quad_rel = 1e-9, sort_n = 65536,
 * no error, seed 1. */
void ctr_grid_params_default(ctr_grid_params *p);

/* The metrics of one f_N (base or refined run). */
typedef struct {
  double w1_gauss, w2_gauss; /* input N(0, 1) */
  double w1_qN, w2_qN;       /* input q_N */
  double coupling;           /* E_{q_N} |f_N - Phi_{N->1}|, NAN if not requested */
} ctr_grid_metrics;

typedef struct {
  int G, Q;
  double lo, hi;          /* f_N's grid: x_i = lo + i (hi - lo)/(G - 1) */
  double *f;              /* f_N at the G grid points (base run) */
  double *M;              /* its spline's second derivatives (for ctr_grid_eval) */
  int monotone;           /* 1: f_N non-decreasing on the grid (quantile path), 0: sorted sample */
  ctr_grid_metrics base;  /* from (G, Q): the reported values */
  ctr_grid_metrics fine;  /* from (2G - 1, 2Q), NANs when refine = 0 */
  ctr_grid_metrics disc;  /* |fine - base|: the discretisation estimates, NANs when refine = 0 */
  double disc_max;        /* largest of disc's W1 and W2 entries (coupling included if computed) */
  double quad_err;        /* largest abserr reported by the adaptive metric integrals */
  int quad_warn;          /* integrals that stopped at GSL_EROUND / GSL_EMAXITER (abserr kept) */
  double flow_err;        /* largest halved-tolerance error estimate of Phi seen (coupling) */
  double eps_total;       /* sum of the injected fit-bias sizes (eps), signed by u: eps u */
  double a1, s1, aN, sN;
} ctr_grid_result;

/* Run the recursion (and refinement) and the metrics. CTR_EINPUT for d != 1, bad parameters
 * or unsupported error kinds; CTR_ENUMERIC if a value is not finite or a GSL routine fails. */
ctr_status ctr_grid_run(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                        ctr_grid_result **out, ctr_error *err);
void ctr_grid_result_free(ctr_grid_result *r); /* NULL-safe */

/* f_N(x) from the stored grid (cubic spline, linear outside [lo, hi]). */
double ctr_grid_eval(const ctr_grid_result *r, double x);

#endif
