/* sweep/plan.h: which points of a grid this process runs, in which order.
 *
 * Points keep their grid index as id (ctr_grid_point), so an id names the same point in a
 * full sweep, in any shard and after a resume. The order is by decreasing estimated cost, so
 * the longest points start first and the threads finish together. Shard I of N takes the
 * points a greedy longest-first assignment gives it: deterministic, and balanced by cost. */
#ifndef CTR_SWEEP_PLAN_H
#define CTR_SWEEP_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "core/common.h"
#include "sweep/param_grid.h"

typedef struct {
  size_t *ids;    /* point ids, most expensive first */
  double *cost;   /* estimated seconds of one core, per entry of ids */
  size_t n;       /* points in this plan (the shard's, if sharded) */
  size_t total;   /* points in the whole grid */
  double seconds; /* sum of cost */
} ctr_plan;

/* shard_i in 1..shard_n; shard_n = 1 for the whole grid. */
ctr_status ctr_plan_make(const ctr_grid *g, int shard_i, int shard_n, ctr_plan *p,
                         ctr_error *err);
void ctr_plan_free(ctr_plan *p);

/* Estimated single-core seconds of one point: a rough model of each engine's work plus the
 * Lipschitz search of mixture points (the sum of the two below). */
double ctr_plan_cost(const ctr_point_spec *s);
/* The engine's work alone. */
double ctr_plan_engine_cost(const ctr_point_spec *s);
/* The Lipschitz search alone (0 where L is closed-form or part of the engine's run): a rough
 * model calibrated by measurement on the sphere preset, its own function so that it can be
 * recalibrated when the search changes. */
double ctr_plan_lip_cost(const ctr_point_spec *s);

/* Work refused without --yes: a point estimated over this many core-hours. */
#define CTR_PLAN_MAX_POINT_HOURS 24.0

/* CTR_EINPUT naming the point, its estimate and the limit if any point of G is estimated over
 * CTR_PLAN_MAX_POINT_HOURS (ctr_plan_cost); checked before anything runs. */
ctr_status ctr_plan_check_cost(const ctr_grid *g, ctr_error *err);

/* The plan as a table (id, the swept parameters, estimated cost) and a total. */
void ctr_plan_print(FILE *out, const ctr_grid *g, const ctr_plan *p, int threads);

#endif
