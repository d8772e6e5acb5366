#include "core/parfor.h"

#include <math.h>

#include <gsl/gsl_statistics_double.h>

ctr_status ctr_parfor_run(const ctr_parfor *job, size_t n, ctr_error *err) {
  ctr_status st = CTR_OK;
#pragma omp parallel
  {
    ctr_error e = {0};
    void *ws = job->ws_alloc(job->ctx);
    ctr_status mine = ws ? CTR_OK : ctr_fail(&e, CTR_ENOMEM, "out of memory for a workspace");
#pragma omp for schedule(dynamic, 4)
    for (size_t i = 0; i < n; i++)
      if (!mine) mine = job->fn(job->ctx, i, ws, &e);
#pragma omp critical(ctr_parfor_status)
    if (mine && !st) st = mine, *err = e;
    job->ws_free(ws);
  }
  return st;
}

void ctr_mean_se(const double *v, size_t n, double *mean, double *se) {
  *mean = gsl_stats_mean(v, 1, n);
  *se = gsl_stats_sd_m(v, 1, n, *mean) / sqrt((double)n);
}
