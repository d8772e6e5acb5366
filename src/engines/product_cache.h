/* engines/product_cache.h: the product engine's memo of per-law 1-D results, shared by the
 * points of one process (theory.md §9.10).
 *
 * A product point's costly part, the 1-D grid run of a coordinate law with its coupling nodes
 * and exact L, depends on the law, the schedule and the engine parameters only: not on how many
 * coordinates share the law. An atlas sweeps d at fixed (law, N), so every d after the first
 * would redo the same 1-D run; here it is computed once per process and copied out. The key is
 * compared in full (law, every schedule array, every parameter), so a hit returns exactly the
 * doubles a fresh run computes (the run is deterministic and single-threaded): rows are
 * bit-identical with or without the memo. Concurrent points asking for the same key wait for
 * the thread computing it instead of computing it twice. Bounded: CTR_PRODUCT_CACHE_BYTES of
 * stored keys and results, oldest finished entries evicted first. */
#ifndef CTR_ENGINES_PRODUCT_CACHE_H
#define CTR_ENGINES_PRODUCT_CACHE_H

#include <stddef.h>

#include "core/common.h"
#include "core/schedule.h"
#include "engines/grid.h"

#define CTR_PRODUCT_CACHE_BYTES ((size_t)64 << 20)

/* What one coordinate law contributes to a product run (engines/product.c). */
typedef struct {
  ctr_grid_metrics base, fine;
  int monotone;
  double *u[2], *w[2]; /* coupling nodes for inputs 0 = N(0, 1), 1 = q_N (owned) */
  size_t n[2];
  double sq[2], L, logL, L_x, var;
  int warn; /* quadrature warnings the run counted */
} ctr_product_group;

/* Everything the group depends on (pointers are read, never kept). */
typedef struct {
  int K;
  const double *w, *mu, *var;
  const ctr_schedule *s;
  const ctr_grid_params *grid;
  double quad_rel;
  int lipschitz;
} ctr_product_key;

typedef struct ctr_product_slot ctr_product_slot;

/* 1: a finished entry was copied into *out (deep copy: the caller frees u and w). 0: no entry;
 * *slot is then either a reservation the caller must settle with _put or _drop (other threads
 * asking for the key wait for it), or NULL (memo off or full of unfinished entries: compute
 * without storing). CTR_ENOMEM only when a copy fails. */
ctr_status ctr_product_cache_get(const ctr_product_key *k, ctr_product_group *out, int *hit,
                                 ctr_product_slot **slot);
/* Store g (deep-copied) in the reserved slot and wake the waiters. */
void ctr_product_cache_put(ctr_product_slot *slot, const ctr_product_group *g);
/* Give a reservation up (the computation failed): waiters compute for themselves. */
void ctr_product_cache_drop(ctr_product_slot *slot);
/* Forget every finished entry (tests; reservations in flight are kept). */
void ctr_product_cache_clear(void);
/* Hits and misses since the start (tests, bench). */
void ctr_product_cache_stats(long *hits, long *misses);
/* 0 disables the memo (every group computed afresh), 1 enables it (the default). */
void ctr_product_cache_enable(int on);

void ctr_product_group_free(ctr_product_group *g);

#endif
