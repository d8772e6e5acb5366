/* store/results_h5.h: result files in HDF5 (docs/results-format.md).
 *
 * Layout: a compound table /points with one row per ctr_point (the field list of
 * core/point.h, in that order and with those names), root attributes describing the run.
 * Crash safety: a row is appended and the file flushed as one unit, so a kill loses
 * at most the row in flight; a file is never left with a partial row. The HDF5 layer
 * computes nothing. All functions return CTR_OK or fill err; they never print. */
#ifndef CTR_STORE_RESULTS_H5_H
#define CTR_STORE_RESULTS_H5_H

#include <stddef.h>

#include "core/common.h"
#include "core/point.h"

typedef struct ctr_results ctr_results; /* opaque: an open result file */

/* Run description written as root attributes when a file is created. */
typedef struct {
  const char *command_line; /* the full command line, space-joined */
  const char *spec_text;    /* resolved parameters as text (may be "") */
  int threads;              /* OpenMP thread count used */
  unsigned long long master_seed;
  const char *shard;        /* "I/N" for a shard of a sweep, else "" or NULL */
  long long plan_points;    /* points in the whole sweep plan (0: not a sweep) */
  const char *created;      /* creation time to keep (ISO 8601), or NULL for now */
  const char *inputs;       /* input files: paths, SHA-256 and contents (attribute input_files) */
} ctr_run_info;

/* Open FILE for appending rows. If it does not exist it is created with /points
 * and the root attributes (software "ctrate", version, created ISO 8601 with zone,
 * host, command_line, spec, hdf5/gsl versions, threads, rng "Philox4x64-10",
 * master_seed). If it exists it must be a ctrate result file with the same row
 * layout, else CTR_EINPUT with a message naming the file. */
ctr_status ctr_results_open(const char *path, const ctr_run_info *info, ctr_results **out,
                            ctr_error *err);

/* Append one row and flush it to disk. */
ctr_status ctr_results_append(ctr_results *r, const ctr_point *row, ctr_error *err);

/* Close (NULL-safe). */
ctr_status ctr_results_close(ctr_results *r, ctr_error *err);

/* Write a complete file at once: rows *rows[0..n) in that order, and the root attributes go to
 * a temporary PATH.tmp.XXXXXX, which is then renamed over PATH. PATH is therefore always
 * either its old self or the new file, never a torn one, whenever the process dies. */
ctr_status ctr_results_write_file(const char *path, const ctr_run_info *info,
                                  const ctr_point *const *rows, size_t n, ctr_error *err);

/* The same written a block at a time (`ctrate merge`: memory independent of the rows): open
 * makes the temporary with NROWS rows (zero until put) and the root attributes; put writes
 * ROWS[i] (sanitized in place) to row AT[i] for i < COUNT, in any order; commit closes the file,
 * fsyncs it and renames it over PATH; abandon (NULL-safe) removes the temporary. Commit and
 * abandon free the writer; after a failed put, abandon it. */
typedef struct ctr_results_writer ctr_results_writer;
ctr_status ctr_results_writer_open(const char *path, const ctr_run_info *info, size_t nrows,
                                   ctr_results_writer **w, ctr_error *err);
ctr_status ctr_results_writer_put(ctr_results_writer *w, ctr_point *rows, const size_t *at,
                                  size_t count, ctr_error *err);
ctr_status ctr_results_writer_commit(ctr_results_writer *w, ctr_error *err);
void ctr_results_writer_abandon(ctr_results_writer *w);

/* What identifies a sweep's file: its resolved spec, shard ("I/N" or ""), plan size (-1 if
 * absent), creation time and the ctrate version that wrote it. Strings are malloc'ed ("" when absent). */
typedef struct {
  char *spec, *shard, *created, *version, *inputs;
  int layout_current; /* 1: its row_layout is this build's (rows can be added to it) */
  long long plan_points;
  unsigned long long master_seed;
} ctr_results_meta;
ctr_status ctr_results_meta_read(const char *path, ctr_results_meta *m, ctr_error *err);
void ctr_results_meta_free(ctr_results_meta *m);

/* The version written into files (git describe of the build). */
const char *ctr_results_version(void);

/* The current local time, ISO 8601 with zone. */
void ctr_results_now(char *buf, size_t n);

/* Rows a file may claim (a sparse HDF5 extent beyond the stored bytes is refused too). */
#define CTR_RESULTS_MAX_ROWS 100000000LL

/* Read every row of a result file into a malloc'ed array (*rows, caller frees),
 * with the root attributes as "name = value" lines into a malloc'ed string *attrs
 * (may pass NULL). /points must hold exactly the columns of the file's own schema (its
 * row_layout attribute; columns an older schema lacks stay as ctr_point_clear made them):
 * a missing, extra or mistyped column is CTR_EINPUT. */
ctr_status ctr_results_read(const char *path, ctr_point **rows, size_t *nrows, char **attrs,
                            ctr_error *err);

/* The same file read a block at a time, in bounded memory (`ctrate show`): open checks it as
 * ctr_results_read does and gives its row count (and attributes if ATTRS is not NULL); get
 * reads rows [start, start + count) into ROWS (any order, any number of times). */
typedef struct ctr_results_reader ctr_results_reader;
ctr_status ctr_results_reader_open(const char *path, ctr_results_reader **r, size_t *nrows,
                                   char **attrs, ctr_error *err);
ctr_status ctr_results_reader_get(ctr_results_reader *r, size_t start, size_t count,
                                  ctr_point *rows, ctr_error *err);
void ctr_results_reader_close(ctr_results_reader *r); /* NULL-safe */

#endif
