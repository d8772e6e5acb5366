/* engines/grid.h: exact (up to discretisation) ideal consistency training on a 1-D or 2-D Gaussian
 * mixture or point cloud, by the CT step of theory.md §5 on a grid:
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
 * theory.md §5); point masses (C_k = 0) need none. The discretisation error of every reported
 * metric is estimated by one refinement, a second run with 2G - 1 points and 2Q nodes: the
 * estimate is |refined - base| (base values are the ones reported).
 *
 * Errors (theory.md §6): only fit-bias, e_t = (eps / (N - 1)) u with u = +-1 from
 * ctr_errmodel_direction(seed, d) (d = 2: a unit vector): exact CT commutes with constant
 * shifts, so f_N = f*_N + eps u.
 *
 * Metrics, d = 1, against X_1 = a_1 X_0 + s_1 Z (components N(a_1 mu_k, a_1^2 lambda_k + s_1^2)):
 *   W_p(f_N(input), X_1)^p = int_0^1 |F^-1(u) - G^-1(u)|^p du   (theory.md §4, §1-D exact),
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
 * on W1(f_N(q_N), X_1) of theory.md §3), is an adaptive integral (gsl_integration_qags) of
 * |f_N - Phi| q_N over the final grid's interval: Phi is nearly a jump at the separatrix of
 * narrow modes, where Gauss-Hermite in the noise would converge only like Q^(-1/2).
 *
 * The coupling's square E|f_N - Phi|^2 (coupling_sq, the mean-square form bounding W2^2) is
 * the same adaptive integral of |f_N - Phi|^2 q_N.
 * Cost O(N G K Q) for the recursion (x5 with the refinement); ~3 s at N = 1000, G = 2001,
 * Q = 20, K = 2 with refinement.
 *
 * d = 2. f_t: R^2 -> R^2 is stored on a G x G tensor grid, per axis the bulk of q_t as in
 * d = 1 (union over components of a_t mu_k,i +- width sqrt(a_t^2 Sigma_k,ii + s_t^2)). Each
 * output coordinate is a tensor-product natural cubic spline: per node the value F, the
 * second derivatives Mx (natural spline along axis 1), My (along axis 2) and Mxy (of Mx along
 * axis 2), so 3 G + G line solves per output per step; a point's value is 16 weights from
 * the two 1-D cells (exact for affine f: Gaussian targets are reproduced to rounding).
 * Outside the grid each axis extends linearly by its end tangents (the 1-D rule per axis).
 * Own spline rather than gsl_spline2d: a cell index is one division on a uniform grid
 * (GSL bisects), GSL refuses points outside the grid (its _extrap variant extends the end
 * cell's cubic), and, because the spline is a tensor product, the expectation over a
 * product noise rule aligned with the grid axes factorises: the Q x Q Gauss-Hermite nodes
 * reduce to Q 1-D weight vectors per axis and one small bilinear form over the cells they
 * touch (cost O(Q + cells^2) instead of 16 Q^2). The noise c_t C_k^(1/2) zeta is
 * axis-aligned for isotropic and diagonal components (and full ones whose C_k is diagonal);
 * otherwise the product rule runs in C_k's eigenbasis (U_k diag(sqrt(C_r)) (z_p, z_q),
 * Q^2 spline evaluations). Point masses need one evaluation. Rows of the grid run in
 * parallel (ctr_parfor; results do not depend on the thread count). Defaults for d = 2 (see
 * ctr_grid_params_default_d): G = 201, Q = 10; N = 200, K = 2 with refinement and coupling
 * takes ~15 s on 2 cores (~30 s of CPU: ~20 s the refined recursion, ~4 s the cubature).
 * Per grid point and component the posterior weights use per-step constants (S_k^-1,
 * log det), and GH nodes of weight < 1e-17 and components of posterior weight < 1e-17
 * are skipped (changes below 1e-16 relative).
 * Metrics, d = 2: no quantile formula, so w1_ and w2_ are NAN; the coupling E||f_N - Phi||
 * and E||f_N - Phi||^2 over x ~ q_N (Euclidean norm, Phi = Phi_{N->1} by ctr_flow_map)
 * come from one global adaptive cubature over the final grid's box: tensor Gauss-Kronrod
 * 15 x 15 on rectangles, error |K15xK15 - G7xG7|, the worst rectangle (relative to each
 * integral's value) halved along the axis where dropping to G7 changes it most, until every
 * integral's summed error is below cub_rel of its value (or cub_max rectangles: quad_warn).
 * Phi is nearly a jump across the separatrix between narrow modes, which a fixed
 * Gauss-Hermite rule in the noise would resolve only slowly; the adaptive rule bisects
 * towards it. Base and refined f_N are integrated together, with each node's Phi computed
 * once (the flow map is the costly part). The discretisation estimate is again
 * |refined - base|. */
#ifndef CTR_ENGINES_GRID_H
#define CTR_ENGINES_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "core/error_model.h"
#include "targets/mixture.h"
#include "core/schedule.h"

typedef struct {
  int G;           /* grid points, >= 5 */
  int Q;           /* Gauss-Hermite nodes, 1..200 */
  double width;    /* grid half-width in component standard deviations of q_t, > 0 */
  int refine;      /* 1: second run with (2G - 1, 2Q) for the discretisation estimate */
  int coupling;    /* 1: compute E|f_N - Phi| (needs the flow map; the costliest metric) */
  double quad_rel; /* relative tolerance of the adaptive metric integrals, > 0 */
  int sort_n;      /* output-law sample size if f_N is not monotone, >= 100 */
  ctr_errmodel error; /* none or fit-bias */
  uint64_t seed;      /* sign (d = 1) or direction (d = 2) of the bias */
  double cub_rel;     /* d = 2: relative tolerance of the coupling cubature, > 0 */
  int cub_max;        /* d = 2: most rectangles of the cubature (225 flow maps each), >= 16 */
} ctr_grid_params;

/* G = 2001, Q = 20, width = 8, refine = 1, coupling = 1, quad_rel = 1e-9, sort_n = 65536,
 * no error, seed 1, cub_rel = 1e-6, cub_max = 2000 (the d = 1 defaults). */
void ctr_grid_params_default(ctr_grid_params *p);
/* The defaults for dimension d: d = 1 as above; d = 2 the same but G = 201, Q = 10. */
void ctr_grid_params_default_d(ctr_grid_params *p, int d);

/* The metrics of one f_N (base or refined run). */
typedef struct {
  double w1_gauss, w2_gauss; /* input N(0, 1) */
  double w1_qN, w2_qN;       /* input q_N */
  double coupling;           /* E_{q_N} ||f_N - Phi_{N->1}||, NAN if not requested */
  double coupling_sq;        /* E_{q_N} ||f_N - Phi_{N->1}||^2, NAN if not requested */
} ctr_grid_metrics;

typedef struct {
  int d;                  /* 1 or 2 */
  int G, Q;
  double lo, hi;          /* f_N's grid (d = 2: axis 1): x_i = lo + i (hi - lo)/(G - 1) */
  double lo2, hi2;        /* d = 2: axis 2, y_j = lo2 + j (hi2 - lo2)/(G - 1); NAN for d = 1 */
  double *f;              /* f_N at the grid points (base run); d = 1: G values; d = 2:
                             G x G x 2, f[(i G + j) 2 + c] = coordinate c of f_N(x_i, y_j) */
  double *M;              /* its spline (for ctr_grid_eval): d = 1 second derivatives (G);
                             d = 2 per node F0 F1 Mx0 Mx1 My0 My1 Mxy0 Mxy1 (G x G x 8) */
  int monotone;           /* 1: f_N non-decreasing on the grid (quantile path), 0: sorted
                             sample; -1 in d = 2 (not used) */
  ctr_grid_metrics base;  /* from (G, Q): the reported values */
  ctr_grid_metrics fine;  /* from (2G - 1, 2Q), NANs when refine = 0 */
  ctr_grid_metrics disc;  /* |fine - base|: the discretisation estimates, NANs when refine = 0 */
  double disc_max;        /* d = 1: largest of disc's W1 and W2 entries (coupling included if
                             computed); d = 2: max of disc.coupling and the refinement change
                             of sqrt(coupling_sq) (distance units) */
  double quad_err;        /* largest abserr reported by the adaptive metric integrals */
  int quad_warn;          /* integrals that stopped at GSL_EROUND / GSL_EMAXITER (abserr kept) */
  double flow_err;        /* largest halved-tolerance error estimate of Phi seen (coupling) */
  double eps_total;       /* sum of the injected fit-bias sizes (eps), signed by u: eps u
                             (d = 2: eps, the norm of the shift eps u, u from
                             ctr_errmodel_direction(seed, 2)) */
  double a1, s1, aN, sN;
} ctr_grid_result;

/* Run the recursion (and refinement) and the metrics. CTR_EINPUT for d > 2, bad parameters
 * or unsupported error kinds; CTR_ENUMERIC if a value is not finite or a GSL routine fails. */
ctr_status ctr_grid_run(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                        ctr_grid_result **out, ctr_error *err);
void ctr_grid_result_free(ctr_grid_result *r); /* NULL-safe */

/* d = 2, any map f of R^2 (engines/learned_features2.h's learned f_N): the coupling
 * E_{q_N} ||f(X) - Phi_{N->1}(X)|| (an upper bound on W1(f # q_N, X_1)) and its square's
 * mean, by the same adaptive cubature as the grid engine's metrics, over the box of the bulk
 * of q_N at width 8 (the grid's default box). f must be thread-safe (nodes run in parallel;
 * the result does not depend on the thread count). */
typedef void (*ctr_map2)(const void *ctx, const double *x, double *y);
typedef struct {
  double l1, sq;          /* E||f - Phi||, E||f - Phi||^2 */
  double l1_err, sq_err;  /* the cubature's summed error estimates */
  double flow_err;        /* Phi's error estimate at 3 x 3 points of the box */
  int warn;               /* 1: cub_max rectangles reached before cub_rel */
} ctr_coupling2;
ctr_status ctr_grid_coupling2(const ctr_schedule *s, const ctr_mixture *m, ctr_map2 f,
                              const void *ctx, double cub_rel, int cub_max,
                              ctr_coupling2 *out, ctr_error *err);

/* f_N(x) from the stored grid (cubic spline, linear outside [lo, hi]); d = 1 results only. */
double ctr_grid_eval(const ctr_grid_result *r, double x);
/* y = f_N(x), x and y of length 2 (bicubic spline, linear outside the box); d = 2 only. */
void ctr_grid_eval2(const ctr_grid_result *r, const double *x, double *y);

#endif
