/* targets/lip_span.h: the flow map of a mixture whose components share one isotropic width,
 * reduced to the span of its centred means (theory.md §9.4), for the Lipschitz search
 * (targets/lip_lower.h).
 *
 * Why it is exact. With Sigma_k = lam I for every k, the posterior weights at level (a, s)
 * depend on x only through x . (mu_k - mu_1), so only through the projection c = Q x of x on
 * V = span{mu_k - mu_1} (Q: r x d, orthonormal rows, r <= min(K - 1, d)), and
 *   D(x) = (a lam / S) x + (s^2 / S) sum_k w_k(c) mu_k,   S = a^2 lam + s^2.
 * Write mu_k = Q^T m_k + p (p = (I - Q^T Q) mu_1, the same for every k). Then
 *   Q Phi(x) = Phi_r(Q x): the flow map of the r-dimensional mixture with means m_k = Q mu_k,
 *              the same weights and the same width lam;
 *   (I - Q^T Q) Phi(x) = a_to p + beta ((I - Q^T Q) x - a_from p),  beta = sqrt(S_to / S_from):
 *              the closed-form flow of N(p, lam I) on the complement.
 * So J = Q^T J_r Q + beta (I - Q^T Q) and ||J||_2 = max(||J_r||_2, beta) (beta only if r < d):
 * the Jacobian is integrated as an r x r matrix along an r-dimensional trajectory, O(K r^2)
 * per right-hand side, independent of d (after one O(r d) projection of the point).
 *
 * The error control is coordinate-free: GSL's standard control bounds every component by
 * abs + rel |y_i|, which depends on the basis; in a rotated basis a tangent vector whose entries
 * differ by 1e50 in size was held to 1e-12 absolute on its small entries and the integration
 * stalled (1e6 steps; lip_lower.h). Here the step is accepted when the Euclidean norm of the
 * error of the trajectory is <= abs + rel |x| and that of the r tangent vectors (Frobenius) is
 * <= abs + rel ||V||_F: invariant under rotations of V, and what the operator norm needs
 * (||J||_2 to relative ~rel). With the default normalised tangent integration (theory.md
 * §9.19) the state is (c, W, g), V = e^g W, and g's error is held absolutely to abs + rel (an
 * absolute error of g is a relative error of V). */
#ifndef CTR_TARGETS_LIP_SPAN_H
#define CTR_TARGETS_LIP_SPAN_H

#include "core/common.h"
#include "targets/flow_map.h"
#include "targets/mixture.h"

/* How the tangent vectors are integrated (theory.md §9.19). NORMALISED: as V = e^g W with
 * W' = sA W - mu W, g' = mu, mu = <W, sA W> / <W, W> (W keeps its norm; the growth sits in g, so
 * the steps are not limited by resolving it); PLAIN: V itself, rescaled by powers of two (the
 * earlier integrator, kept as the reference of tests/test_liplower.c). PAIR (the search's
 * default, theory.md §9.21): NORMALISED, except that while the posterior sits on two components
 * (every other weight < e^-80 of the larger) A = alpha I - gamma e e^T with e fixed, so V is
 * e^(s G_perp) (I - e e^T) + e^(s G_e) e e^T in closed form from two scalar integrals, and only the
 * r-dimensional trajectory and those two integrals are integrated (r + 2 numbers instead of
 * r^2 + r + 1); the rest of the span from where a third component appears. */
typedef enum {
  CTR_LIP_TANGENT_NORMALISED = 0,
  CTR_LIP_TANGENT_PLAIN = 1,
  CTR_LIP_TANGENT_PAIR = 2
} ctr_lip_tangent;

typedef struct {
  int d, r;
  ctr_lip_tangent tangent; /* CTR_LIP_TANGENT_NORMALISED after ctr_lip_span_alloc */
  double *Q;       /* r x d row-major: orthonormal basis of V (Gram-Schmidt of mu_k - mu_1) */
  ctr_mixture *mr; /* the reduced mixture in R^r (NULL when r = 0) */
  double lam;      /* the shared variance */
  double *p;       /* (I - Q^T Q) mu_1, length d */
} ctr_lip_span;

/* 1 if every component is isotropic with the same variance (the reduction applies). */
int ctr_lip_span_applies(const ctr_mixture *m);

/* CTR_EINPUT if the reduction does not apply; CTR_ENOMEM. */
ctr_status ctr_lip_span_alloc(const ctr_mixture *m, ctr_lip_span **out, ctr_error *err);
void ctr_lip_span_free(ctr_lip_span *ls); /* NULL-safe */

/* ln beta of the downward span (N -> 1). */
double ctr_lip_span_log_beta(const ctr_lip_span *ls, const ctr_flow_span *down);

/* The reduced flow over span from c (length r), jointly with the r tangent vectors started at
 * e_1..e_r (V: r x r, vector j in row j). sign = +1: the variational equation, vector j =
 * J_r e_j, V[j*r + i] = (J_r)_{ij}. sign = -1 with span going UP (level 1 -> N): the adjoint,
 * vector j = J_r^T e_j of the DOWNWARD map at the exact preimage of c (lip_lower.h), so
 * V[j*r + i] = (J_r)_{ji}. The vectors are rescaled by powers of two
 * whenever their largest entry leaves [1 / above, above] (true = V 2^e2). c_to: the end point.
 * steps: accepted steps (may be NULL). */
ctr_status ctr_lip_span_flow(const ctr_lip_span *ls, const ctr_flow_span *span,
                             const ctr_flow_tol *tol, const double *c, double sign, double above,
                             double *c_to, double *V, long *e2, unsigned long *steps,
                             ctr_error *err);

/* ln ||J_{N->1}||_2 at the point p (length d): x at level N (upward = 0), or y at level 1 with
 * x = Phi_{1->N}(y) (upward = 1, the adjoint); *xn = |x|. down: the span N -> 1. steps (may
 * be NULL): the ODE steps taken are added to it. */
ctr_status ctr_lip_span_log_norm(const ctr_lip_span *ls, const ctr_flow_span *down,
                                 const ctr_flow_tol *tol, const double *p, int upward,
                                 double above, double *log_norm, double *xn,
                                 unsigned long *steps, ctr_error *err);

/* 1 if the pair phase (CTR_LIP_TANGENT_PAIR, theory.md §9.21) starts at x (length d) at the
 * level (a, s): all but two posterior weights below e^-80 times the largest. For tests. */
int ctr_lip_span_pair_at(const ctr_lip_span *ls, double a, double s, const double *x);

/* The full d x d Jacobian Q^T J_r Q + beta (I - Q^T Q) and y = Phi(x) over span (any
 * direction), from the reduced flow, for tests against the d x d variational equation. */
ctr_status ctr_lip_span_jacobian(const ctr_lip_span *ls, const ctr_flow_span *span,
                                 const ctr_flow_tol *tol, const double *x, double *y, double *J,
                                 ctr_error *err);

#endif
