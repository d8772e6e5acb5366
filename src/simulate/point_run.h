/* simulate/point_run.h: simulate one point (schedule + target + engine + error) and fill its row.
 * simulate/ is the only place that knows how the modules fit together for one point: Gaussian
 * targets with ct/cd go to the closed-form engine (engines/affine.h, metrics/gaussian_metrics.h);
 * any target with chain/distill goes to the mixture engines (a Gaussian as a one-component
 * mixture). The spec and its checks are in point_spec.c, the dispatch in point_run.c, the other
 * engine families in the files point_engines.h names. */
#ifndef CTR_SIMULATE_POINT_RUN_H
#define CTR_SIMULATE_POINT_RUN_H

#include <stdint.h>

#include "core/common.h"
#include "engines/affine.h"
#include "engines/learned.h"
#include "targets/mixture.h"
#include "core/point.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

typedef struct {
  int is_mixture;               /* 1: `mixture` describes the target, else `target` */
  ctr_target_params target;     /* Gaussian families */
  ctr_mixture_params mixture;   /* mixture and point-cloud presets (d taken from target.d) */
  ctr_schedule_params schedule;
  ctr_affine_params engine;     /* engine kind, error model (and ct/cd options) */
  int points, chains;           /* chain and distill: x_i ~ q_N, chains per point */
  int lip_points;               /* mixtures: points for the empirical Lipschitz constant */
  int sample_n;                 /* distill: sample size of sampled W and its floor (0: none) */
  int replicate;                /* replicate index (its seed is already in target.seed) */
  int grid_G, grid_Q;           /* grid: grid points and Gauss-Hermite nodes (0: defaults) */
  int plane_cells;              /* lowrank, k = 2: semi-discrete W2 cells per axis; 0 is OFF,
                                   so "not given" is -1 (the engine's default) */
  char cov_source[128];         /* how the spectrum or mixture was given, for the row */
  ctr_learned_params learned;   /* engine learned: train_n, sample mode, ridge */
} ctr_point_spec;

void ctr_point_spec_default(ctr_point_spec *spec);

/* Parse a target name: a Gaussian family or a mixture preset (sets is_mixture). */
ctr_status ctr_point_spec_target(ctr_point_spec *spec, const char *name, ctr_error *err);

/* Check every parameter that can be checked without building the target. */
ctr_status ctr_point_spec_check(const ctr_point_spec *spec, ctr_error *err);

/* Build the target as a mixture (a Gaussian becomes one component); checks it fully. */
ctr_status ctr_point_spec_mixture(const ctr_point_spec *spec, ctr_mixture **out, ctr_error *err);

/* Run and fill *row (parameters, metrics, status, wall time). On failure the row carries
 * the status and message and its metrics stay NaN; the status is also returned. */
ctr_status ctr_point_run(const ctr_point_spec *spec, int64_t point_id, ctr_point *row,
                         ctr_error *err);

/* The theorem's rate with C = 1: L^3 d^(5/2) log^5(N) / N (theory.md §3); +inf when it
 * exceeds the double range. The _log form takes ln L (L itself may overflow). */
double ctr_bound_shape(double L, int d, int64_t N);
double ctr_bound_shape_log(double log_L, int d, int64_t N);

#endif
