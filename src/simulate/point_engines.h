/* simulate/point_engines.h: the parts of ctr_point_run (point_run.c) that live in their own files,
 * one a family of engines, and the row helpers they share. Internal to simulate/: the public
 * interface is point_run.h. Each run function fills the engine's metrics into a row whose
 * parameters ctr_point_fill_params already set, and returns the status. */
#ifndef CTR_SIMULATE_POINT_ENGINES_H
#define CTR_SIMULATE_POINT_ENGINES_H

#include "engines/learned_features.h"
#include "simulate/point_run.h"

/* point_spec.c: the row's parameter columns (metrics left NaN). */
void ctr_point_fill_params(const ctr_point_spec *spec, int64_t id, ctr_point *row);

/* point_spec.c: the feature class of a learned spec (engines/learned_features.h). */
ctr_lfeat_params ctr_point_lfeat_params(const ctr_point_spec *spec);

/* point_learned.c: engine learned, every class (affine, polynomial, features). */
ctr_status ctr_point_run_learned(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err);

/* point_mixture.c: engines grid, chain and distill on a mixture target. */
ctr_status ctr_point_run_mixture(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err);

/* point_exact.c: engines product and radial (exact W for structured mixtures). */
ctr_status ctr_point_run_product(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err);
ctr_status ctr_point_run_radial(const ctr_point_spec *spec, const ctr_schedule *s,
                                ctr_point *row, ctr_error *err);

/* point_lowrank.c: engine lowrank. */
ctr_status ctr_point_run_lowrank(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err);

/* point_mixture.c: the Lipschitz columns from ln L (NaN: failed) and where it was attained. */
void ctr_point_set_lipschitz(ctr_point *row, double log_L, double x_norm, const char *kind);

/* point_mixture.c: L of the flow map of a mixture, exact or a certified lower bound; never fails
 * the point (a failure is written to the row's message). */
void ctr_point_fill_lipschitz(const ctr_point_spec *spec, const ctr_schedule *s,
                              const ctr_mixture *m, ctr_point *row);

#endif
