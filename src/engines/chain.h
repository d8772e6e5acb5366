/* engines/chain.h: ideal consistency training on a mixture or point cloud by the backward-chain
 * representation of theory.md §5, in any dimension.
 *
 * For a starting point x ~ q_N, the chain Y_N = x, Y_{t-1} = (s_{t-1}/s_t) Y_t + c_t X_0 with
 * X_0 ~ p(X_0 | X_t = Y_t) has E[Y_1 | Y_N = x] = f*_N(x). Two independent chains from the
 * same x give E[(Y1' - Phi(x)) . (Y1'' - Phi(x))] = ||f*_N(x) - Phi(x)||^2 exactly (Phi =
 * Phi_{N->1}, the probability-flow map); with M >= 2 chains per point the U-statistic over all
 * pairs is used. Averaged over x ~ q_N this estimates E||f*_N - Phi||^2, an upper bound on
 * W2(f*_N(q_N), X_1)^2, without bias and without a curse of dimension (but with a curse of N:
 * theory.md §5). The mean of the M chains, plugged into ||. - Phi(x)||, over-estimates
 * ||f*_N(x) - Phi(x)|| in expectation (Jensen): the conservative L1 estimate.
 *
 * Errors (theory.md §6): fit-bias adds e_t = eps_t u at every step, so f_N = f*_N + eps u;
 * score-bias draws the teacher's X_0 + eps u (a wrong data law). Other kinds are refused.
 *
 * Paths: when every component is isotropic with one shared width (two modes, simplex, sphere,
 * point clouds), the chain runs in the span of the means with a specialised posterior draw and
 * the complement in closed form (theory.md §9.4, engines/chain_lowrank.h): exact in
 * distribution, O(K r) per step instead of O(K d). Other mixtures take every step in d dims.
 * Each chain's draws come from its own stream (seed, point, chain), so the estimates are
 * bit-identical whatever the thread count; the two paths use the streams differently. */
#ifndef CTR_ENGINES_CHAIN_H
#define CTR_ENGINES_CHAIN_H

#include <stdint.h>

#include "core/common.h"
#include "core/error_model.h"
#include "targets/mixture.h"
#include "core/schedule.h"

typedef struct {
  int points;      /* starting points x_i ~ q_N, >= 2 */
  int chains;      /* chains per point, >= 2 */
  uint64_t seed;   /* streams keyed by (seed, point, chain) */
  ctr_errmodel error;
  int normal_input; /* 0: x_i ~ q_N (CTR_RNG_CHAIN_START); 1: x_i ~ N(0, I), the theorem's input
                       (CTR_RNG_CHAIN_START_NORMAL); the chains' steps use the same streams */
  int full_space;   /* 0: mixtures with one shared isotropic width and K < d run the chain in
                       the span of the means (theory.md §9.4, engines/chain_lowrank.h), exact in
                       distribution; 1: always in all d dimensions (tests, benchmarks) */
} ctr_chain_params;

/* 1000 points, 4 chains, seed 1, no error. */
void ctr_chain_params_default(ctr_chain_params *p);

typedef struct {
  double sq, sq_se;      /* U-statistic estimate of E||f_N - Phi||^2 over the input, its SE */
  double rms, rms_se;    /* sqrt(max(sq, 0)) and its delta-method SE sq_se / (2 rms) */
  double w2_hi;          /* sqrt of the 95% upper confidence limit of sq: bounds W2(f_N(q_N), X_1) */
  double l1, l1_se;      /* conservative estimate of E||f_N - Phi|| and its standard error */
  double w1_hi;          /* l1 + 1.96 l1_se: a 95% upper bound on W1(f_N(q_N), X_1) in expectation */
  double flow_err;       /* largest halved-tolerance error estimate of Phi over the points */
  double flow_seconds;   /* CPU time in the flow map, summed over threads (benchmarks only:
                            the one field that is not a function of the inputs) */
} ctr_chain_result;

ctr_status ctr_chain_run(const ctr_chain_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_chain_result *out, ctr_error *err);

#endif
