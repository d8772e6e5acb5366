/* targets/lip_exact.h: the theorem's Lipschitz constant L = sup_{1 <= k <= t <= N} Lip(Phi_{t->k})
 * exactly, for targets whose flow map is coordinate-wise (theory.md §9).
 *
 * In 1-D the flow map Phi_{t->k} is the monotone transport from q_t to q_k, so
 *   Phi(x) = F_k^{-1}(F_t(x)),   Phi'(x) = q_t(x) / q_k(Phi(x)),
 * and its supremum sits where q_k is smallest between modes (two modes at +-1, sigma 0.1,
 * paper schedule c0 = 2, c1 = 4, N = 100: ~3.2e20). Densities underflow there, so everything
 * is in log space: log q by log-sum-exp, log F and log(1 - F) by log-sum-exp of log Phi(z)
 * (gsl_sf_log_erfc), the lower tail below the median and the upper tail above it.
 *
 * The search is over y = Phi(x) (the q_k side), not over x: near a valley of q_k the map is so
 * steep (the peak of Phi' is ~1e-23 wide in x for the example above) that no grid in x, and
 * not even double precision in x, resolves it, while in y the peak is as wide as the modes.
 * Candidates: a grid in y (uniform over the modes +-10 sd, dense around and between modes)
 * plus the images of a uniform grid in x; the best cells are refined by Brent's method.
 *
 * A target is coordinate-wise ("a product") when every component is isotropic or diagonal and
 * at most one coordinate's (mean, variance) differs between components: two_modes in any d,
 * Gaussian targets with diagonal covariance. Each coordinate is then a 1-D mixture and
 * L = max over coordinates. */
#ifndef CTR_TARGETS_LIP_EXACT_H
#define CTR_TARGETS_LIP_EXACT_H

#include "core/common.h"
#include "core/schedule.h"
#include "targets/flow_map.h"
#include "targets/mixture.h"

/* A 1-D mixture sum_k exp(logw_k) N(mu_k, var_k) (var_k >= 0). */
typedef struct {
  int K;
  const double *logw, *mu, *var;
} ctr_mix1d;

/* sup_x Phi'(x) of the 1-D map over span (from -> to) in log: *log_sup, attained at x = *x_at
 * (the from side) with Phi(x_at) = *y_at. */
ctr_status ctr_lip1d_map(const ctr_mix1d *m, const ctr_flow_span *span, double *log_sup,
                         double *x_at, double *y_at, ctr_error *err);

/* Phi_{from->to}(x) of the 1-D map (the monotone transport), for tests. */
ctr_status ctr_lip1d_transport(const ctr_mix1d *m, const ctr_flow_span *span, double x,
                               double *y, ctr_error *err);

typedef struct {
  int exact;      /* 1: the target is a product and L below is exact; 0: not a product */
  double L;       /* max(1, sup over the level pairs of sup_x Phi'_{t->k}); +inf beyond the
                     double range (two modes at +-1, sigma 0.02: ~e^1200), see log_L */
  double log_L;   /* ln L, always finite */
  double L_N1;    /* sup_x Phi'_{N->1} alone */
  double x_norm;  /* |x| of the maximiser at the from level (for the other coordinates: 0) */
  int64_t t, k;   /* the level pair attaining L (t = k = 1 when L = 1) */
} ctr_lip_exact;

/* The level subset of the pairs: 1, N and N^(j/8), j = 1..7, increasing and without repeats,
 * into lv (room for 10); returns the count. Shared with targets/lip_radial.h. */
int ctr_lip_level_set(int64_t N, int64_t *lv);

/* The grid's best three local maxima of h (h[i]: the log slope at the increasing output points
 * y[i], i < n), each refined by Brent's minimiser of neg_slope (the negated log slope at y, with
 * ctx) on (y[i-1], y[i+1]), to xtol_abs absolute and 1e-13 relative; raises *best (and *ybest)
 * when a refined value is larger, so the refinement can only add. Shared by the 1-D search here
 * and the radial one (targets/lip_radial.h). */
void ctr_lip_refine_max(double (*neg_slope)(double y, void *ctx), void *ctx, const double *y,
                        const double *h, size_t n, double xtol_abs, double *best, double *ybest);

/* L of a product target on schedule s (out->exact = 0 and nothing else set if not a product).
 * The sup over 1 <= k <= t <= N is taken over the pairs of the levels {1, N, N^(j/8), j =
 * 1..7} (see lip_exact.c for why N -> 1 is expected to dominate; the pairs check it). */
ctr_status ctr_lip_exact_compute(const ctr_mixture *m, const ctr_schedule *s, ctr_lip_exact *out,
                                 ctr_error *err);

#endif
