/* store/sweep_journal.h: the output of a sweep, safe against a kill at any moment.
 *
 * HDF5 does not promise a consistent file if its writer dies in the middle of an update (the
 * metadata cache writes in several pieces), so a sweep never updates its result file in place.
 * Each finished row is appended to a journal, PATH.journal, as one checksummed record; the
 * result file PATH is rewritten whole from the rows in memory (PATH.tmp, then rename) at most
 * every `checkpoint_s` seconds and at the end, when the journal is removed. Whenever the
 * process dies, PATH is a complete result file of complete rows and PATH.journal holds every
 * later row (a torn last record is detected by its checksum and dropped), so a resumed sweep
 * loses at most the points in flight and repeats none.
 *
 * Durability: the journal is fsync'ed before every checkpoint, each rewrite of PATH is
 * fsync'ed before its rename and the directory after it, so a power cut loses at most the rows
 * since the last checkpoint (a kill: none). One writer at a time: an flock on PATH.lock.
 *
 * A file belongs to one sweep: its resolved spec text, shard ("I/N" or "") and plan size are
 * root attributes, and resuming under any other spec is refused. */
#ifndef CTR_STORE_SWEEP_JOURNAL_H
#define CTR_STORE_SWEEP_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "core/point.h"
#include "store/results_h5.h"

typedef struct ctr_store ctr_store; /* opaque */

typedef struct {
  const char *path;
  ctr_run_info info;   /* spec_text, shard and plan_points identify the sweep */
  int resume;          /* continue PATH (and its journal) if present; start it if absent */
  int force;           /* remove an existing PATH and journal first */
  double checkpoint_s; /* least seconds between rewrites of PATH (0: after every row) */
} ctr_store_params;

/* Open (creating PATH with no rows, or loading PATH and its journal on resume). Without
 * resume or force, an existing PATH or journal is refused (CTR_EINPUT). */
ctr_status ctr_store_open(const ctr_store_params *p, ctr_store **out, ctr_error *err);

/* 1 if the row of point_id is already stored. */
int ctr_store_has(const ctr_store *s, int64_t point_id);

/* Rows stored so far, and row i of them (in the order they were stored). */
size_t ctr_store_count(const ctr_store *s);
const ctr_point *ctr_store_row(const ctr_store *s, size_t i);

/* Store one row: journal record now, file rewrite when the checkpoint interval has passed.
 * A point_id already stored or outside the plan is CTR_EINPUT. */
ctr_status ctr_store_add(ctr_store *s, const ctr_point *row, ctr_error *err);

/* What loading the journal dropped (damaged or torn records), "" if nothing: for stderr. */
const char *ctr_store_warning(const ctr_store *s);

/* Rewrite PATH with every row (sorted by point id) and remove the journal; then free.
 * NULL-safe. */
ctr_status ctr_store_close(ctr_store *s, ctr_error *err);

#endif
