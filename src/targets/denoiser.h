/* targets/denoiser.h: the interface between a target law and everything that needs its posterior
 * (theory.md §5): the probability-flow ODE, the flow map's Jacobian, the CT engines.
 *
 * At noise level (a, s) (a = a_t, s = s_t, a^2 + s^2 = 1), for x in R^d:
 *   D(x)     = E[X_0 | a X_0 + s Z = x]                    (the denoiser)
 *   gradD(x) = (a / s^2) Cov[X_0 | x]  (d x d, row-major)  (Tweedie)
 * The score is -(x - a D(x)) / s^2 and is never formed where s^2 underflows. */
#ifndef CTR_TARGETS_DENOISER_H
#define CTR_TARGETS_DENOISER_H

#include "core/common.h"

typedef struct {
  int d;
  void *ctx;
  /* Fill D (length d) and, when gradD != NULL, the d x d Jacobian of D. Must be safe to call
   * from several threads at once with distinct output buffers (no hidden shared scratch). */
  ctr_status (*eval)(void *ctx, double a, double s, const double *x, double *D, double *gradD,
                     ctr_error *err);
} ctr_denoiser;

#endif
