/* targets/flow_map.h: the probability-flow ODE's flow map Phi_{t->k}, its Jacobian by the variational
 * equation, and an empirical Lipschitz constant (theory.md §1, §4, §5).
 *
 * theory.md §5 writes the ODE in the angle phi (a = cos phi, s = sin phi):
 *   dx/dphi = (cos(phi) x - D(x, phi)) / sin(phi),   dJ/dphi = (cos(phi) I - gradD) J / sin(phi).
 * It is integrated here in u = log tan(phi/2), where du = dphi / sin(phi), so that
 *   dx/du = a x - D(x),   dJ/du = (a I - gradD(x)) J,   a = -tanh(u), s = 1/cosh(u):
 * the 1/sin(phi) singularity is gone, phi_1 ~ 1e-7 is u_1 ~ -16, and because
 * gradD = (a/s^2) Cov[X_0 | x] is positive semi-definite, a I - gradD <= a I: going down in u the
 * flow contracts at rate at most 1 (never stiff); it may expand fast (between mixture modes),
 * which is the Lipschitz constant being measured, not a solver problem. (Measured on Gaussians,
 * tol 1e-12: the error stays ~4e-13 from N = 1e3 to 1e7 in u; in phi it grew to 1.6e-12 at
 * N = 1e7.) The solver is GSL's explicit Prince-Dormand 8(7) (rk8pd): non-stiff problem, tight
 * tolerances; at 1e-12 it takes ~45-65 steps (~600-850 denoiser calls) where rkf45 takes ~215
 * steps (~1300 calls) for a 4x larger error.
 *
 * Every call owns its workspace (driver, scratch): several threads may call at once, provided
 * the denoiser's eval is itself thread-safe (targets/denoiser.h requires it). */
#ifndef CTR_TARGETS_FLOW_MAP_H
#define CTR_TARGETS_FLOW_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "targets/denoiser.h"
#include "core/schedule.h"

/* The two noise levels of a flow map: from (a_from, s_from) to (a_to, s_to). Each pair must
 * satisfy a >= 0, s > 0, a^2 + s^2 = 1 (to 1e-10). Usually from is the noisier level. */
typedef struct {
  double a_from, s_from, a_to, s_to;
} ctr_flow_span;

/* Span of Phi_{t->k} on a schedule, 1 <= k, t <= N (Phi_{N->1}: t = s->N, k = 1). */
ctr_status ctr_flow_span_steps(const ctr_schedule *s, int64_t t, int64_t k, ctr_flow_span *span,
                               ctr_error *err);

typedef struct {
  double abs_tol, rel_tol; /* GSL standard control, per component: abs_tol + rel_tol |y_i| */
  unsigned long max_steps; /* guard against endless step shrinking; 0 = default 1e6 */
} ctr_flow_tol;

/* abs_tol = rel_tol = 1e-12 (the Gaussian closed form is then matched to ~1e-13). */
void ctr_flow_tol_default(ctr_flow_tol *tol);

/* y = Phi(x) (length d = den->d). When y_err != NULL the integration is repeated with both
 * tolerances halved: y is the halved run and y_err[i] = |difference|, an order-of-magnitude
 * estimate of y's error (theory.md §5). Measured on Gaussians: at tol <= 1e-11 always within x100
 * of the true error or both below 1e-12; at tol 1e-10..1e-5, where rk8pd takes only 10-30 steps,
 * ~0.7% of coordinates fall outside x100, in either direction. x and y may alias. */
ctr_status ctr_flow_map(const ctr_denoiser *den, const ctr_flow_span *span,
                        const ctr_flow_tol *tol, const double *x, double *y, double *y_err,
                        ctr_error *err);

typedef struct {
  int d;
  double *y;         /* Phi(x), length d */
  double *J;         /* dPhi/dx, d x d row-major: J[i*d + j] = d y_i / d x_j */
  double opnorm;     /* ||J||_2, largest singular value */
  int estimated;     /* 1: the fields below hold halved-tolerance differences, else zeros */
  double *y_err;     /* |y - y_half|, length d */
  double *J_err;     /* |J - J_half|, d x d */
  double opnorm_err; /* |opnorm - opnorm_half| */
  unsigned long steps; /* accepted steps of the (last) integration */
} ctr_flow_jac;

ctr_status ctr_flow_jac_alloc(int d, ctr_flow_jac **out, ctr_error *err);
void ctr_flow_jac_free(ctr_flow_jac *j); /* NULL-safe */

/* Flow map and Jacobian along one trajectory (state x and J integrated jointly, size d + d^2).
 * jac->d must equal den->d. estimate != 0: repeat at halved tolerances (results from the
 * halved run, differences in the _err fields). */
ctr_status ctr_flow_jacobian(const ctr_denoiser *den, const ctr_flow_span *span,
                             const ctr_flow_tol *tol, const double *x, int estimate,
                             ctr_flow_jac *jac, ctr_error *err);

typedef struct {
  double L;            /* max(1, max_norm): the sup in theory.md §4 includes k = t (identity) */
  double max_norm;     /* max_i ||J(x_i)||_2 */
  size_t argmax;       /* the i attaining max_norm (first one on ties) */
  double max_norm_err; /* halved-tolerance estimate of max_norm's error, at argmax */
} ctr_flow_lip;

/* Empirical (lower) estimate of the flow map's Lipschitz constant over the n points xs
 * (n x d row-major), which the caller draws (from q_N for the theorem's L). n >= 1. */
ctr_status ctr_flow_lipschitz(const ctr_denoiser *den, const ctr_flow_span *span,
                              const ctr_flow_tol *tol, size_t n, const double *xs,
                              ctr_flow_lip *out, ctr_error *err);

#endif
