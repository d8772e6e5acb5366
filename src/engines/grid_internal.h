/* engines/grid_internal.h: what the files of the grid engine (engines/grid.h) share, internal
 * to it: engines/grid.c (the public entry points), engines/grid_1d.c (d = 1) and
 * engines/grid_2d.c (d = 2). The splines are in engines/grid_spline.h. */
#ifndef CTR_ENGINES_GRID_INTERNAL_H
#define CTR_ENGINES_GRID_INTERNAL_H

#include "engines/grid.h"

/* Physicists' Gauss-Hermite rule of order Q turned into E over zeta ~ N(0, 1) (theory.md §5):
 * nodes xi[j] = sqrt(2) x_j, weights om[j] = w_j / sqrt(pi). */
ctr_status ctr_grid_hermite(int Q, double *xi, double *om, ctr_error *err);

/* The recursion (and refinement) and the metrics for d = 1 and d = 2, into r as allocated by
 * ctr_grid_run (metrics NAN, f and M sized for p->G); p is already checked. */
ctr_status ctr_grid_run_1d(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                           ctr_grid_result *r, ctr_error *err);
ctr_status ctr_grid_run_2d(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                           ctr_grid_result *r, ctr_error *err);

#endif
