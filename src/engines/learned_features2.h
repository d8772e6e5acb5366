/* engines/learned_features2.h: CT from samples in d = 2 with a FEATURE class, linear in its
 * parameters (theory.md §13.6): random Fourier features or radial basis functions beside an
 * affine part, vector-valued f_t: R^2 -> R^2, on a 2-D Gaussian mixture (any covariances).
 *
 * With u = L_t^-1 (x - m_t) (m_t the mean of q_t, L_t the Cholesky factor of its covariance:
 * u is white under q_t), the class of step t is
 *   f(x) = theta_0 + Theta u + sum_{j<M} theta_{3+j} phi_j(u),   theta_k in R^2,
 *   rff: phi_j(u) = sqrt(2) cos(omega_j . u + b_j), omega_j ~ N(0, I / ell^2), b_j ~ U[0, 2 pi)
 *        from the Philox stream (seed, CTR_RNG_LEARNED_FEATURES, M, 2): the same at every t;
 *   rbf: phi_j(u) = exp(-|u - c_j|^2 / (2 w^2)), centres
 *        grid:     a g x g tensor grid (M = g^2) over the per-axis bulk of q_t (the union of
 *                  a_t mu_k,i +- 4 sd_k,i), mapped to u;
 *        quantile: equal-mass points of each component of q_t, no k-means: component k gets
 *                  M_k centres (largest remainder of M pi_k), at a_t mu_k + S_k^(1/2) z_i with
 *                  z_i the sunflower points |z_i| = chi_2 quantile of (i + 1/2)/M_k, angle i
 *                  times the golden angle;
 *        w the width in u units, 0: the mean nearest-neighbour distance of the centres.
 * The two outputs share one design matrix H (n x (M + 3)): the fit is one set of ridge normal
 * equations (penalty ridge sum_{k>=1} |theta_k|^2, intercept free) with two right-hand sides,
 * solved as in d = 1 (ctr_lfeat_solve_psd). The Gram is accumulated in fixed chunks of the
 * training pairs, summed in chunk order, so results do not depend on the thread count.
 *
 * Training pairs of step t (streams keyed like engines/learned_poly.h, with d = 2): data
 * normals xi (n x 2) from (seed, CTR_RNG_LEARNED_DATA, t or 0, 2), noise Z (n x 2) from
 * (seed, CTR_RNG_LEARNED_NOISE, t, 2), components from (seed, CTR_RNG_LEARNED_COMPONENT,
 * t or 0, 2); X_0 = mu_k + U_k diag(sqrt(lambda_k)) xi.
 *
 * eps_t = ||f_t - f*_t||_{L2(q_t)} with f*_t(x) = E[f_{t-1}((s_{t-1}/s_t) x + c_t X_0) | X_t = x]
 * EXACT in the inner expectation (cosines and Gaussian bumps against each component's
 * Gaussian posterior, closed form), the outer integral over q_t by a Q x Q tensor Gauss-Hermite
 * rule per component (deterministic, no Monte Carlo: no standard error; its error checked by
 * Q against 2Q). eps_F,t = min over the class of ||g - f*_t||_{L2(q_t)}, the population
 * projection on the same nodes (the fit from an infinite sample, no ridge). */
#ifndef CTR_ENGINES_LEARNED_FEATURES2_H
#define CTR_ENGINES_LEARNED_FEATURES2_H

#include "core/common.h"
#include "core/schedule.h"
#include "engines/learned_features.h"
#include "targets/mixture.h"

#define CTR_LFEAT2_Q 48 /* default outer Gauss-Hermite nodes per axis and component */

/* One map of the class in d = 2. */
typedef struct {
  ctr_lfeat_kind kind;
  int M;
  double m[2], L[4], Li[4];             /* u = Li (x - m), L lower triangular, row-major */
  double w;                             /* rbf width (u units) */
  double a[2 * CTR_LFEAT_MMAX];         /* rff: omega_j; rbf: centre c_j (pairs) */
  double b[CTR_LFEAT_MMAX];             /* rff: phase b_j */
  double coef[2 * (CTR_LFEAT_MMAX + 3)]; /* (M + 3) x 2 row-major: regressor k, output c */
} ctr_lfeat2_fn;

typedef struct {
  int64_t t;       /* step of f (N, or stop_t) */
  ctr_lfeat2_fn f; /* f_t */
  double *eps_t, *epsF_t; /* [t], t = 2..N */
  double eps_sum, eps_max, epsF_sum;
} ctr_lfeat2_result;

/* y = f(x), x and y of length 2. */
void ctr_lfeat2_eval(const ctr_lfeat2_fn *f, const double *x, double *y);
/* the M + 3 regressors at x */
void ctr_lfeat2_regressors(const ctr_lfeat2_fn *f, const double *x, double *h);
/* The class of step t (standardisation, features), coefficients zero. */
void ctr_lfeat2_basis(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, ctr_lfeat2_fn *f);
/* f_1 = the identity in the class of step 1. */
void ctr_lfeat2_identity(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_lfeat2_fn *f);
/* f*_t(x) given f_prev (step t - 1), exact; lw: K doubles of scratch. */
void ctr_lfeat2_fstar(const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                      const ctr_lfeat2_fn *f_prev, const double *x, double *y, double *lw);
/* ||g - f*_t||^2_{L2(q_t)} with Q x Q nodes per component (0: CTR_LFEAT2_Q); NAN on failure.
 * With proj = 1, g's coefficients are first replaced by the projection of f*_t on g's class
 * (then the value is eps_F,t^2). */
double ctr_lfeat2_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, ctr_lfeat2_fn *g,
                       const ctr_lfeat2_fn *f_prev, int Q, int proj);
/* The n training pairs of step t: x (student, a_t X_0 + s_t Z) and xp (teacher, a_{t-1} X_0 +
 * s_{t-1} Z), n x 2 each, n = base->train_n. */
void ctr_lfeat2_pairs(const ctr_learned_params *base, const ctr_schedule *s, const ctr_mixture *m,
                      int64_t t, double *x, double *xp);

ctr_status ctr_lfeat2_run(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                          ctr_lfeat2_result **out, ctr_error *err);
void ctr_lfeat2_result_free(ctr_lfeat2_result *r);

#endif
