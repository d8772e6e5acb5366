/* engines/distill.h: consistency distillation on a mixture or point cloud (theory.md §5), the
 * comparison method. With the teacher's denoiser D^_t = D_t + delta_t, each step is one DDIM
 * step Psi_t(x) = (s_{t-1}/s_t) x + c_t D^_t(x) and f_t = f_{t-1} o Psi_t + e_t, so
 * f_N(x) = Psi_2 o ... o Psi_N (x) + sum_t e_t: deterministic, N denoiser calls per point.
 *
 * For x_i ~ q_N the coupling ||f_N(x_i) - Phi(x_i)|| (Phi = Phi_{N->1} by the ODE) is exact per
 * point, so its mean over the points estimates E||f_N - Phi|| >= W1(f_N(q_N), X_1) with only
 * the sampling error over x (no chain noise, unlike engine_chain).
 * Errors: fit-bias (e_t = eps_t u, sum eps u), score-bias (delta_t = eps u). */
#ifndef CTR_ENGINES_DISTILL_H
#define CTR_ENGINES_DISTILL_H

#include <stdint.h>

#include "core/common.h"
#include "core/error_model.h"
#include "targets/mixture.h"
#include "core/schedule.h"

typedef struct {
  int points;    /* x_i ~ q_N, >= 2 */
  uint64_t seed;
  ctr_errmodel error;
  int normal_input; /* 0: x_i ~ q_N; 1: x_i ~ N(0, I) (CTR_RNG_DISTILL_START_NORMAL) */
} ctr_distill_params;

void ctr_distill_params_default(ctr_distill_params *p); /* 1000 points, seed 1, no error */

typedef struct {
  double l1, l1_se;   /* mean ||f_N(x) - Phi(x)|| over x ~ q_N, standard error */
  double sq, sq_se;   /* mean ||f_N(x) - Phi(x)||^2, standard error */
  double w1_hi;       /* l1 + 1.96 l1_se: 95% upper bound on W1(f_N(q_N), X_1) */
  double w2_hi;       /* sqrt(sq + 1.96 sq_se): 95% upper bound on W2(f_N(q_N), X_1) */
  double flow_err;    /* largest halved-tolerance error estimate of Phi */
} ctr_distill_result;

ctr_status ctr_distill_run(const ctr_distill_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_distill_result *out, ctr_error *err);

/* f_N(x) for n given inputs (n x d), e.g. Z ~ N(0, I) for sampled distances. */
ctr_status ctr_distill_map(const ctr_distill_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, size_t n, const double *x, double *y,
                           ctr_error *err);

#endif
