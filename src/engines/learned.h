/* engines/learned.h: consistency training FROM SAMPLES on Gaussian targets, affine function
 * class (exact for Gaussians: eps_F = 0), with the fitting error measured (theory.md §13.2).
 *
 * Step t = 2..N fits f_t(x) = A_t x + b_t by least squares on the CT objective
 *   (1/n) sum_j ||f_t(X'_t,j) - f_{t-1}(X'_{t-1},j)||^2 + ridge ||A_t||_F^2
 * over n pairs with shared (X_0, Z). Least squares is linear in the responses, so the fit
 * equals A_{t-1} composed with the regression of the teacher's input X'_{t-1} on X'_t:
 * A_t = A_{t-1} K_t, computed by a Cholesky solve of the d x d ridge normal equations (full
 * d x d regression even though Sigma is diagonal in eigen-coordinates: the finite-sample K_t
 * is not diagonal). Ridge Frobenius penalty and OLS are both rotation-equivariant, so working
 * in eigen-coordinates gives the same law of f_N as the original coordinates.
 *
 * Two routes to each fresh step's fit (ctr_learned_sampler): the n pairs themselves
 * (samples, the reference, d <= 256), or their sample mean and covariance drawn from their exact
 * joint law (moments, engines/learned_moments.h, theory.md §13.7; d <= 1024): the same law of
 * f_N, not the same draws. Above d = 128 the output is W2 only (eigenvalues; W1 columns NaN).
 *
 * Samples: X_0 = mu + Sigma^(1/2) xi. fresh: new (xi, Z) at every step; fixed: one data set
 * xi_1..xi_n reused at every step, Z fresh per step (a fixed training set, fresh noise, as in
 * practice). Streams are keyed by (seed, t), so the result is deterministic given the seed and
 * independent of the thread count (one point runs serially).
 *
 * Measured: eps_t = ||f_t - f*_t||_{L2(q_t)}, f*_t = E[f_{t-1}(X'_{t-1}) | X'_t = x] the exact
 * CT minimiser given the learned f_{t-1}, in closed form; eps = sum_t eps_t. The output of
 * the affine f_N is Gaussian for both inputs: exact W2 and the W1 bracket. */
#ifndef CTR_ENGINES_LEARNED_H
#define CTR_ENGINES_LEARNED_H

#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

typedef enum { CTR_LEARNED_FRESH, CTR_LEARNED_FIXED } ctr_learned_mode;
/* How a fresh step's fit is drawn (theory.md §13.7): from n sample pairs (the reference,
 * O(n d^2 + d^3) per step), or from the exact joint law of the pairs' sample mean and
 * covariance (Bartlett, O(d^3) per step whatever n; fresh data, affine class only). */
typedef enum { CTR_LEARNED_SAMPLES, CTR_LEARNED_MOMENTS } ctr_learned_sampler;

#define CTR_LEARNED_DMAX 1024        /* moments route: O(N d^3), ~0.7 s a step at d = 1024 */
#define CTR_LEARNED_DMAX_SAMPLES 256 /* samples route: O(N (n d^2 + d^3)) and n x d arrays */
#define CTR_LEARNED_W1_DMAX 128      /* above: W2 only, by eigenvalues (theory.md §13.7) */
#define CTR_LEARNED_NMAX 100000000 /* train_n */
#define CTR_LEARNED_DEGREE_MAX 12  /* polynomial class */

typedef struct {
  int64_t train_n;       /* samples per step, > d + 1 */
  ctr_learned_mode mode; /* fresh or fixed */
  int sampler;           /* ctr_learned_sampler: samples (default) or moments (fresh, affine) */
  double ridge;          /* >= 0, penalty ridge ||A||_F^2 on the per-sample mean loss */
  uint64_t seed;
  int degree;     /* 0 or 1: the affine class (this engine); >= 2: polynomial class in d = 1
                     (engines/learned_poly.h) */
  /* feature classes in d = 1 (engines/learned_features.h): features 0 = affine/polynomial,
   * else a ctr_lfeat_kind; n_features M, rff bandwidth, rbf width and centres */
  int features, n_features, centres;
  double bandwidth, width;
  int64_t stop_t; /* tests: stop after step stop_t < N (then A, beta are f_stop's and the
                     distances NaN); 0 = run to N */
} ctr_learned_params;

/* train_n = 1000, fresh, samples, ridge 0, seed 1, stop_t 0. */
void ctr_learned_params_default(ctr_learned_params *p);
ctr_status ctr_learned_mode_parse(const char *name, ctr_learned_mode *mode, ctr_error *err);
const char *ctr_learned_mode_name(ctr_learned_mode mode);
ctr_status ctr_learned_sampler_parse(const char *name, int *sampler, ctr_error *err);
const char *ctr_learned_sampler_name(int sampler);
/* Refuse parameters the engine cannot run (d range per sampler, train_n > d + 1, ridge,
 * moments only with fresh data). */
ctr_status ctr_learned_check(const ctr_learned_params *p, int d, ctr_error *err);

typedef struct {
  int d;
  /* f_N(x) = a_1 mu + A (x - a_N mu) + beta in eigen-coordinates (A: d x d row-major) */
  double *A, *beta;
  double *eps_t;          /* eps_t[t], t = 2..N (index 0, 1 unused) */
  double eps_sum, eps_max; /* sum_t eps_t (the paper's eps) and max_t eps_t */
  double w2_normal, w1_lo_normal, w1_hi_normal; /* f_N(N(0,I)) vs X_1 */
  double w2_qN, w1_lo_qN, w1_hi_qN;             /* f_N(q_N) vs X_1 */
  double lipschitz; /* the flow map's L = max(1, max_lambda sqrt(v_1/v_N)) (theory.md §4) */
} ctr_learned_result;

ctr_status ctr_learned_run(const ctr_learned_params *p, const ctr_schedule *s,
                           const ctr_target *tg, ctr_learned_result **out, ctr_error *err);
void ctr_learned_result_free(ctr_learned_result *r);

/* W2 of f_N(N(0, I)) (input 0) or f_N(q_N) (input 1) against X_1 by eigenvalues alone
 * (theory.md §13.7); the run uses it instead of the full W2 and W1 bracket when d > 128. */
ctr_status ctr_learned_w2_eig(const ctr_schedule *s, const ctr_target *tg,
                              const ctr_learned_result *r, int input, double *out, ctr_error *err);

#endif
