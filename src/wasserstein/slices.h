/* wasserstein/slices.h: exact 1-D W1 of two samples' projections on given directions (the kernel
 * of sliced and max-sliced W1, theory.md §7), vectorised and parallel over directions. */
#ifndef CTR_WASSERSTEIN_SLICES_H
#define CTR_WASSERSTEIN_SLICES_H

#include <stddef.h>

#include "core/common.h"

/* w[k] = W1(theta_k . X, theta_k . Y) between the uniform laws on the projections of x[nx][d]
 * and y[ny][d] (row-major) on the m directions theta[m][d] (row k = direction k, used as given:
 * pass unit vectors for sliced W1). Runs on the OpenMP threads of the caller's team size; every
 * w[k] is bit-identical whatever the thread count, and equal to ctr_wp_1d of the projections
 * computed as sum over coordinates in order. Errors: CTR_EINPUT (sizes, non-finite input,
 * lcm(nx, ny) > 2^53), CTR_ENOMEM. */
ctr_status ctr_sliced_w1_dirs(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                              size_t m, const double *theta, double *w, ctr_error *err);

#endif
