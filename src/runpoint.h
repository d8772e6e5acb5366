/* runpoint.h: simulate one point (schedule + target + engine + error) and fill its row.
 * The only place that knows how the modules fit together for one point. */
#ifndef CTR_RUNPOINT_H
#define CTR_RUNPOINT_H

#include <stdint.h>

#include "common.h"
#include "engine_affine.h"
#include "point.h"
#include "schedule.h"
#include "target.h"

typedef struct {
  ctr_target_params target;
  ctr_schedule_params schedule;
  ctr_affine_params engine;
  char cov_source[128]; /* how the spectrum was given, for the row (diag list or file) */
} ctr_point_spec;

void ctr_point_spec_default(ctr_point_spec *spec);

/* Check every parameter without running anything (for sweeps: refuse before the first point). */
ctr_status ctr_point_spec_check(const ctr_point_spec *spec, ctr_error *err);

/* Run and fill *row (parameters, metrics, status, wall time). On failure the row carries
 * the status and message and its metrics stay NaN; the status is also returned. */
ctr_status ctr_point_run(const ctr_point_spec *spec, int64_t point_id, ctr_point *row,
                         ctr_error *err);

/* The theorem's rate with C = 1: L^3 d^(5/2) log^5(N) / N (math.md section 3). */
double ctr_bound_shape(double L, int d, int64_t N);

#endif
