/* analysis/scaling_floor.h: the floor model W(N) = a N^-p + c of an error-injected rate curve, by GSL
 * nonlinear least squares (theory.md §8). Internal to analysis/scaling.c. */
#ifndef CTR_ANALYSIS_SCALING_FLOOR_H
#define CTR_ANALYSIS_SCALING_FLOOR_H

#include <stddef.h>

#include "analysis/scaling.h"

/* Fit the n points (N[i], W[i]) (n >= 4, W > 0); out->ok = 0 when it cannot. */
void ctr_floor_fit_run(const double *N, const double *W, size_t n, ctr_floor_fit *out);

#endif
