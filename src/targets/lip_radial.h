/* targets/lip_radial.h: the theorem's Lipschitz constant L = sup_{1 <= k <= t <= N}
 * Lip(Phi_{t->k}) exactly for rotation-invariant targets X_0 ~ sum_k pi_k N(0, v_k I_d)
 * (theory.md §9.2, §9.15), in any d.
 *
 * The flow map is radial, Phi(x) = h(|x|) x / |x|, and pushes the radial law of q_t onto that
 * of q_k, so h = F_k^{-1} o F_t on the radii (F the CDF of sum_k pi_k S_k^(1/2) chi_d). Its
 * Jacobian has the eigenvalue h'(r) = p_t(r) / p_k(h(r)) along x (p the radial densities: mass
 * conservation of the radius) and h(r) / r on the d - 1 tangential directions. Since h(0) = 0,
 * h(r) / r is the mean of h' over [0, r], so sup_r h(r)/r <= sup_r h'(r) and L = sup_r h'(r)
 * (the tangential values are evaluated anyway, d >= 2, and can only agree).
 *
 * As in 1-D (lip_exact.h), the peak of h' sits at the valley of p_k between two shells, where
 * the densities underflow (d = 1e4, shells at radii 50 and 100: p_1 ~ e^-900 there) and the
 * peak is far narrower in r than in y = h(r). So everything is in log space (radial log
 * densities in closed form, log-sum-exp over components; tail masses from GSL's regularised
 * incomplete gamma functions, the smaller tail of each), and the search is over y on the k
 * side: a grid over the radii whose tail masses are >= 1e-280 on either side, dense around
 * every shell and between every pair of shells, plus the images of a grid on the t side; the
 * best three cells are refined by Brent's method. The two ends are added in closed form:
 *   h'(0)   = ( sum_k pi_k S_{t,k}^(-d/2) / sum_k pi_k S_{k,k}^(-d/2) )^(1/d)   (F ~ c r^d),
 *   h'(inf) = ( S_{k,w} / S_{t,w} )^(1/2)   (w the widest component, which owns both tails).
 * Not proved: that h' has no higher maximum in the tails beyond mass 1e-280 than at those two
 * ends (checked: no grid maximum ever sits at the edge of the searched range). */
#ifndef CTR_TARGETS_LIP_RADIAL_H
#define CTR_TARGETS_LIP_RADIAL_H

#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"
#include "targets/flow_map.h"
#include "targets/lip_exact.h"

/* sum_k exp(logw_k) N(0, var_k I_d), var_k >= 0, d >= 1. */
typedef struct {
  int K;
  const double *logw, *var;
  int64_t d;
} ctr_radial_mix;

/* sup_r h'(r) (and h(r)/r for d >= 2) of the radial map over span (from -> to), in log:
 * *log_sup, attained at radius *r_at on the from side, *y_at = h(r_at) (r_at = 0 or inf when
 * an end's limit is the sup). */
ctr_status ctr_lip_radial_map(const ctr_radial_mix *m, const ctr_flow_span *span,
                              double *log_sup, double *r_at, double *y_at, ctr_error *err);

/* h(r) for span (from -> to): the radius of equal tail mass, for tests. */
ctr_status ctr_lip_radial_transport(const ctr_radial_mix *m, const ctr_flow_span *span, double r,
                                    double *y, ctr_error *err);

/* L over the level pairs of lip_exact (ctr_lip_level_set), max(1, .), into out (exact = 1). */
ctr_status ctr_lip_radial_compute(int K, const double *w, const double *v, int64_t d,
                                  const ctr_schedule *s, ctr_lip_exact *out, ctr_error *err);

#endif
