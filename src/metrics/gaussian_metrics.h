/* metrics/gaussian_metrics.h: distances between the engine's output law and the target X_1, for the
 * two input laws of theory.md §2 (N(0, I) and the exact marginal q_N), plus the
 * coupling bound E||f_N - Phi|| and the flow map's Lipschitz constant (theory.md §4). */
#ifndef CTR_METRICS_GAUSSIAN_METRICS_H
#define CTR_METRICS_GAUSSIAN_METRICS_H

#include "core/common.h"
#include "engines/affine.h"
#include "targets/gaussian.h"

typedef struct {
  double w2;            /* exact W2(f_N(input), X_1) */
  double w1_lo, w1_hi;  /* certified W1 bracket */
  int w1_exact;         /* lo == hi in closed form */
  double coupling_l1;   /* E||f_N(X) - Phi(X)||, X ~ input */
  double coupling_rms;  /* (E||f_N(X) - Phi(X)||^2)^(1/2) */
} ctr_input_metrics;

typedef struct {
  ctr_input_metrics normal, qN;
  double lipschitz;  /* max(1, max_i sqrt(v_1/v_N)) */
  double shrink_max; /* max_i -(A_N - G)/G: relative spread deficit of CT */
} ctr_gauss_metrics;

ctr_status ctr_gauss_metrics_compute(const ctr_affine_result *r, const ctr_target *tg,
                                     ctr_gauss_metrics *m, ctr_error *err);

#endif
