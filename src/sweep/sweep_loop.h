/* sweep/sweep_loop.h: running a plan: OpenMP over points (one point per thread, so results do not
 * depend on the thread count), rows to the store as they finish, progress on stderr, and
 * SIGINT/SIGTERM/SIGHUP handled: the first finishes the points in flight and stops, a second
 * abandons them (the store already holds every finished row). */
#ifndef CTR_SWEEP_SWEEP_LOOP_H
#define CTR_SWEEP_SWEEP_LOOP_H

#include "sweep/param_grid.h"
#include "sweep/plan.h"
#include "store/sweep_journal.h"

typedef struct {
  int threads;
  int quiet;
  double progress_every; /* seconds between progress lines off a terminal */
} ctr_sweep_run_opts;

typedef struct {
  size_t ran, failed; /* points run now, and how many of them failed */
  int signal;         /* the signal that stopped the sweep, or 0 */
  int write_failed;
} ctr_sweep_outcome;

/* Run the points of plan not yet in store (store may be NULL: rows only go to rows_out, which
 * is indexed like plan->ids and may be NULL when store is given). */
void ctr_sweep_run(const ctr_grid *g, const ctr_plan *plan, ctr_store *store, ctr_point *rows_out,
                   const ctr_sweep_run_opts *o, ctr_sweep_outcome *out);

#endif
