/* core/parfor.h: run fn(ctx, i, ws) for i = 0..n-1 on OpenMP threads, each thread with its own
 * workspace from ws_alloc, stopping at the first failure (its status and message returned).
 * Callers write point i's results to slot i only, then reduce in index order, so results do
 * not depend on the thread count. Inside a sweep (already one point per thread) OpenMP runs
 * this with one thread, since nested parallelism is off. */
#ifndef CTR_CORE_PARFOR_H
#define CTR_CORE_PARFOR_H

#include <stddef.h>

#include "core/common.h"

typedef struct {
  void *ctx;
  void *(*ws_alloc)(void *ctx);          /* NULL on failure */
  void (*ws_free)(void *ws);             /* NULL-safe */
  ctr_status (*fn)(void *ctx, size_t i, void *ws, ctr_error *err);
} ctr_parfor;

ctr_status ctr_parfor_run(const ctr_parfor *job, size_t n, ctr_error *err);

/* Mean and standard error of the mean of v[0..n-1] (GSL statistics), n >= 2. */
void ctr_mean_se(const double *v, size_t n, double *mean, double *se);

#endif
