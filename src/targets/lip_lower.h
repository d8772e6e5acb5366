/* targets/lip_lower.h: a certified LOWER bound on the flow map's Lipschitz constant in d > 1
 * (theory.md §9: only a lower bound is available in general), by multi-start maximisation of
 * the operator norm ||J(x)||_2 of Phi_{N->1}'s Jacobian.
 *
 * Cheap operator norm. For a mixture whose components share one isotropic width (two_modes,
 * simplex, sphere, clouds), the flow map is exactly the product of the flow of an
 * r-dimensional mixture on V = span{mu_k - mu_1} (r <= K - 1) and a closed-form linear map
 * beta I on V's complement (targets/lip_span.h, theory.md §9.4): J = J_V (+) beta I and
 * ||J||_2 = max(||J_r||_2, beta). Every evaluation integrates r + r^2 numbers, O(K r^2) per
 * right-hand side whatever d, after one O(r d) projection of the point; the posterior weights,
 * hence J, depend on x only through its projection on V, so the search is over the r
 * coordinates x = x_start + Q^T c.
 * Why search from level 1: near a deep valley of q_1 the peak of ||J(x)|| is narrower in x than
 * double precision resolves (two modes, sigma 0.1: ~1e-23 wide), so no x-search finds it. In
 * y = Phi(x) at level 1 the peak is as wide as the modes. So a point y is evaluated by
 * integrating UP from y (stable there: the inverse map contracts) together with the adjoint
 * M^T V, M(u) = d x(u_1)/d x(u), dM/du = -M A: at level N, M = J_{N->1}(x) at the exact
 * preimage x of y, whatever its double representation (lip_span.c, ctr_lip_span_flow).
 * Starts: the sampled points x_i ~ q_N (evaluated downward) and, for every pair of modes (at
 * most 256 pairs), the midpoint y = a_1 (mu_j + mu_k) / 2 (by the adjoint); the best three are
 * refined by GSL's nmsimplex2 in the r coordinates of V (step: half the level-1 mode width).
 * Other mixtures (different widths, diagonal or full covariances): the samples and the
 * preimages Phi_{1->N}(midpoint) with full d x d Jacobians, no refinement (and the resolution
 * limit above applies).
 *
 * Measured: on two modes in d = 2 and 3 (weights 1/2 or 0.3/0.7, sigma 0.1 or 0.2) the bound
 * equals the exact L of targets/lip_exact.h (3.0e20 for 0.3/0.7, sigma 0.1); the x-only search
 * found 8.5e13 there. It remains a lower bound in general (a multi-start local search). No upper
 * bound is proved for these families.
 *
 * Cost. The work per ODE step does not depend on d; the number of steps does, through the
 * growth of the tangent vectors (e^570 from a mode midpoint at d = 16 on the sphere preset, K = 8,
 * sigma 0.1, radius sqrt(d), N = 400). Integrated as they are, rk8pd must resolve that growth
 * (an order-8 step resolves e^0.2 to 1e-12: ~2800 steps at d = 16, ~7500 at d = 64). They are
 * integrated as V = e^g W instead (theory.md §9.19, lip_span.c): W keeps its norm and g carries
 * the growth exactly, and the steps are limited only by stability on the decaying directions
 * (251 at d = 16, 380 at d = 64, 5316 at d = 1024 per midpoint evaluation; the search at d = 64:
 * 2.1 s against 38.6 s CPU, log10 L equal to 1e-12 relative; bench/bench_lip.c). The earlier
 * integrator stays available (CTR_LIP_TANGENT_PLAIN) as the tests' reference. Still ~9x the rest
 * of a point at d = 1024 (22.5 s): almost all steps are upward where only the valley's two
 * components carry the posterior, and there the tangent equation has a closed form (theory.md
 * §9.21, CTR_LIP_TANGENT_PAIR, the default): the same steps at ~1/5 of the cost (5.0 s at
 * d = 1024, log10 L equal in 12 digits).
 * Restricting the search to V had been reverted once because in rotated coordinates the adjoint
 * stalled at 1e6 steps: GSL's standard control holds every component to abs + rel |y_i|, which
 * depends on the basis. The reduced flow uses a Euclidean-norm control instead (lip_span.h). */
#ifndef CTR_TARGETS_LIP_LOWER_H
#define CTR_TARGETS_LIP_LOWER_H

#include <stddef.h>

#include "core/common.h"
#include "core/schedule.h"
#include "targets/flow_map.h"
#include "targets/mixture.h"

/* D(x) and gradD(x) V for nv vectors V (nv x d row-major) into GV (nv x d), iso and diagonal
 * components only (CTR_EINPUT otherwise). work: ctr_mixture_work_len(m) + K + d doubles. */
ctr_status ctr_mixture_jvp(const ctr_mixture *m, double a, double s, const double *x, int nv,
                           const double *V, double *D, double *GV, double *work, ctr_error *err);

/* y = Phi(x) and the products JV = J(x) V for nv vectors (nv x d row-major), by integrating
 * x and the nv vectors of the variational equation jointly. */
ctr_status ctr_flow_jvp(const ctr_mixture *m, const ctr_flow_span *span, const ctr_flow_tol *tol,
                        const double *x, int nv, const double *V, double *y, double *JV,
                        ctr_error *err);

typedef struct {
  double L;        /* max(1, best norm): a lower bound on the theorem's L; +inf beyond the double
                      range (log_L is finite), NaN when every start failed */
  double log_L;    /* ln L, computed scale-free (lip_lower.c, evolve_scaled) */
  double norm;     /* the largest ||J(x)||_2 found: the smaller of its values at the default and
                      at halved tolerances (+inf beyond the double range) */
  double log_norm; /* ln norm */
  double norm_err; /* |difference| of those two values (the ODE's error estimate at x*); NaN if
                      the halved run failed */
  double x_norm;   /* |x*| of that maximiser */
  int structured;  /* 1: shared isotropic width (J_V (+) beta I and refinement), 0: fallback */
  int starts;      /* starting points tried */
  unsigned long steps; /* ODE steps of the structured evaluations, in total (for bench/) */
  int failed;      /* of which failed numerically (skipped); all failed: L = log_L = NaN */
} ctr_lip_lower;

/* Over the n sampled starts xs (n x d row-major, from q_N) and the mode-midpoint preimages.
 * Starts that fail numerically are skipped (out->failed); CTR_OK even when all of them fail. */
ctr_status ctr_lip_lower_compute(const ctr_mixture *m, const ctr_schedule *s, size_t n,
                                 const double *xs, ctr_lip_lower *out, ctr_error *err);

/* The same with the tangent integrator chosen (targets/lip_span.h; the default above is
 * CTR_LIP_TANGENT_PAIR), for tests and bench/bench_lip.c. */
ctr_status ctr_lip_lower_compute_tangent(const ctr_mixture *m, const ctr_schedule *s, size_t n,
                                         const double *xs, int tangent, ctr_lip_lower *out,
                                         ctr_error *err);

/* ||J(x)||_2 of Phi_{N->1} at one x as the search computes it (structured when the width is
 * shared), for tests. */
ctr_status ctr_lip_lower_norm_at(const ctr_mixture *m, const ctr_schedule *s, const double *x,
                                 double *norm, ctr_error *err);

/* ln ||J||_2 at p (x at level N, or upward: y at level 1 by the adjoint), the tangent vectors
 * rescaled whenever their largest entry leaves [1 / above, above] (above = INFINITY: never, the
 * plain computation; only with tangent = CTR_LIP_TANGENT_PLAIN, targets/lip_span.h), for tests. */
ctr_status ctr_lip_lower_log_norm_at(const ctr_mixture *m, const ctr_schedule *s,
                                     const double *p, int upward, double above, int tangent,
                                     double *log_norm, ctr_error *err);

#endif
