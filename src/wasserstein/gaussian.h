/* wasserstein/gaussian.h: Wasserstein distances between Gaussian laws (theory.md §4).
 *
 * Two entry points per metric: a commuting ("diag") form, in which both laws are
 * diagonal in one orthonormal basis, and a general ("full") form with d x d
 * covariances. The diag form takes the second law as a DIFFERENCE from the first,
 * computed cancellation-free by the caller, because the errors under test are tiny
 * (1e-7 relative and below) compared with the laws themselves.
 *
 * All functions return CTR_OK or fill err; they never print. */
#ifndef CTR_WASSERSTEIN_GAUSSIAN_H
#define CTR_WASSERSTEIN_GAUSSIAN_H

#include <stddef.h>

#include "core/common.h"

/* A pair of Gaussians diagonal in one basis:
 *   X ~ N(m,       diag(sd^2))        (the reference, e.g. the target X_1)
 *   Y ~ N(m + dm,  diag((sd + dsd)^2)) (e.g. the model output)
 * sd[i] >= 0 and sd[i] + dsd[i] >= 0. Only the differences matter for distances,
 * so m itself is not passed. mult[i] >= 1 counts how many coordinates share the
 * values of entry i (eigenvalue multiplicity), or mult == NULL for all ones: entry i
 * stands for mult[i] identical coordinates, each with shift dm[i], so for example
 * ||dm||^2 = sum_i mult[i] dm[i]^2. */
typedef struct {
  size_t n;
  const double *dm;
  const double *sd;
  const double *dsd;
  const double *mult;
} ctr_diag_pair;

/* A W1 bracket lo <= W1 <= hi, with exact = 1 when lo and hi are known to agree
 * in closed form (equal means and both laws isotropic). */
typedef struct {
  double lo, hi;
  int exact;
} ctr_w1_bracket;

/* E||Z_d||, Z ~ N(0, I_d), d > 0 real: sqrt(2) Gamma((d+1)/2) / Gamma(d/2). */
double ctr_chi_mean(double d);

/* E||nu + G|| with G ~ N(0, diag(s2)) (s2[i] >= 0 variances), mult as above (NULL = ones).
 * One 1-D quadrature of the identity of theory.md §4, relative accuracy 1e-10. */
ctr_status ctr_gauss_norm_mean(size_t n, const double *nu, const double *s2, const double *mult,
                               double *out, ctr_error *err);

/* Exact W2 for a commuting pair: sqrt(||dm||^2 + sum_i mult_i dsd_i^2). */
double ctr_w2_diag(const ctr_diag_pair *p);

/* W1 bracket for a commuting pair:
 *   hi = E||dm + diag(dsd) Z||  (the W2-optimal coupling, which is monotone per axis)
 *   lo = max( ||dm||, |E||Y - c|| - E||X - c||| for c in {mean of X, mean of Y} ),
 * the differences of expectations computed as ONE integral of a difference of
 * integrands (expm1/log1p), so that lo keeps its digits when W1 << ||sd||. */
ctr_status ctr_w1_bracket_diag(const ctr_diag_pair *p, ctr_w1_bracket *out, ctr_error *err);

/* General Gaussians N(m1, S1), N(m2, S2): S1, S2 symmetric PSD d x d, row-major.
 * W2 by the Procrustes form  W2^2 = ||m1-m2||^2 + min_U ||S1^(1/2) - S2^(1/2) U||_F^2
 * (equal to the Bures formula, fewer digits lost when the laws are close). */
ctr_status ctr_w2_full(size_t d, const double *m1, const double *S1, const double *m2,
                       const double *S2, double *out, ctr_error *err);

/* General W1 bracket: hi = E||X - T(X)|| with T the W2-optimal (Bures) map from X ~ N(m1,S1)
 * to N(m2,S2); lo = max(||m1-m2||, |E||X-c|| - E||Y-c||| for c in {m1, m2}). */
ctr_status ctr_w1_bracket_full(size_t d, const double *m1, const double *S1, const double *m2,
                               const double *S2, ctr_w1_bracket *out, ctr_error *err);

/* Exact 1-D W1 between N(m1, sd1^2) and N(m2, sd2^2) (theory.md §4). */
double ctr_w1_gauss_1d(double m1, double sd1, double m2, double sd2);

#endif
