/* ctrate merge: join the shard files of one sweep into one result file, after checking that
 * they come from the same spec and cover its plan exactly once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "store/results_h5.h"
#include "store/safe_output.h"
#include "cli/signals.h"

static void help(FILE *out) {
  fprintf(out, "usage: ctrate merge -o ALL.h5 [--force] SHARD.h5...\n\n"
               "Join the files of `ctrate sweep --shard I/N` (or any files of one sweep) into\n"
               "ALL.h5, rows sorted by point id. Refuses files of different specs, a point in\n"
               "two files, and a plan not covered (it lists the missing points).\n\n"
               "  -o, --output ALL.h5  the merged file (written whole, then renamed into place)\n"
               "      --force          replace an existing ALL.h5\n"
               "  -h, --help           this text\n");
}

/* Rows are copied a block at a time: memory is these blocks and one bit per point of the plan
 * (12.5 MB at the largest plan a file may hold), never the rows of the inputs. */
enum { BLOCK = 2048 };

typedef struct {
  int nfiles;
  char **files;
  long long plan;
  unsigned char *seen; /* one bit per point id */
  ctr_point *buf;
  size_t *at;
} merge_ctx;

static int bit(const unsigned char *s, long long i) { return s[i >> 3] >> (i & 7) & 1; }
static void flip(unsigned char *s, long long i) { s[i >> 3] ^= (unsigned char)(1u << (i & 7)); }

/* "3, 7, 10-15, ..." for the first ids i without their bit. */
static void list_missing(const unsigned char *seen, long long n, char *buf, size_t size) {
  size_t k = 0;
  buf[0] = '\0';
  for (long long i = 0; i < n && k + 32 < size; i++) {
    if (bit(seen, i)) continue;
    long long j = i;
    while (j + 1 < n && !bit(seen, j + 1)) j++;
    k += (size_t)(j > i ? snprintf(buf + k, size - k, "%s%lld-%lld", k ? ", " : "", i, j)
                        : snprintf(buf + k, size - k, "%s%lld", k ? ", " : "", i));
    i = j;
  }
  if (k + 32 >= size) snprintf(buf + k, size - k, ", ...");
}

static int check_inputs(int nfiles, char **files, ctr_results_meta *meta, ctr_error *err) {
  for (int f = 0; f < nfiles; f++) {
    ctr_status st = ctr_results_meta_read(files[f], &meta[f], err);
    if (st) return ctr_exit_code(st);
    size_t len = strlen(files[f]);
    char *journal = malloc(len + 9);
    if (!journal) return ctr_fail(err, CTR_ENOMEM, "out of memory"), 1;
    memcpy(journal, files[f], len), memcpy(journal + len, ".journal", 9);
    int busy = !access(journal, F_OK);
    free(journal);
    if (busy)
      return ctr_fail(err, CTR_EINPUT, "%s: the sweep that writes it was interrupted (%s.journal "
                      "exists): finish it with ctrate sweep ... --resume", files[f], files[f]), 2;
    if (!meta[f].layout_current)
      return ctr_fail(err, CTR_EINPUT, "%s: its row_layout is not this ctrate's columns; refusing "
                      "to merge it", files[f]), 2;
    if (meta[f].plan_points <= 0)
      return ctr_fail(err, CTR_EINPUT, "%s: not the output of ctrate sweep (no plan_points)",
                      files[f]), 2;
    if (meta[f].plan_points > CTR_RESULTS_MAX_ROWS)
      return ctr_fail(err, CTR_EINPUT, "%s: plan_points = %lld (accepted: at most %lld, the rows a "
                      "result file may hold)", files[f], meta[f].plan_points,
                      (long long)CTR_RESULTS_MAX_ROWS), 2;
    if (f && (strcmp(meta[f].spec, meta[0].spec) || meta[f].plan_points != meta[0].plan_points))
      return ctr_fail(err, CTR_EINPUT, "%s and %s come from different specs; refusing to merge",
                      files[0], files[f]), 2;
    if (strcmp(meta[f].version, ctr_results_version())) /* the merged file names one version */
      return ctr_fail(err, CTR_EINPUT, "%s was written by ctrate %s; merge it with that ctrate "
                      "(this is %s)", files[f], meta[f].version, ctr_results_version()), 2;
  }
  return -1;
}

typedef int (*block_fn)(merge_ctx *m, int f, size_t count, ctr_error *err, void *arg);

/* Call FN on each block of rows of file F (in m->buf); the exit status, or -1 when all passed. */
static int each_block(merge_ctx *m, int f, block_fn fn, void *arg, ctr_error *err) {
  ctr_results_reader *r = NULL;
  size_t n = 0;
  ctr_status st = ctr_results_reader_open(m->files[f], &r, &n, NULL, err);
  int rc = st ? ctr_exit_code(st) : -1;
  for (size_t at = 0; rc < 0 && at < n; at += BLOCK) {
    size_t k = n - at < BLOCK ? n - at : BLOCK;
    if ((st = ctr_results_reader_get(r, at, k, m->buf, err))) rc = ctr_exit_code(st);
    else rc = fn(m, f, k, err, arg);
  }
  ctr_results_reader_close(r);
  return rc;
}

/* The first file holding point *(long long *)ARG, for the message about a duplicate: found
 * again rather than stored per point. */
static int holds(merge_ctx *m, int f, size_t count, ctr_error *err, void *arg) {
  (void)f, (void)err;
  for (size_t i = 0; i < count; i++)
    if (m->buf[i].point_id == *(long long *)arg) return 0;
  return -1;
}

static int first_holder(merge_ctx *m, long long id, int upto) {
  ctr_error ignore = {0};
  for (int f = 0; f < upto; f++)
    if (each_block(m, f, holds, &id, &ignore) == 0) return f;
  return upto;
}

/* Pass 1: every id inside the plan and in one file only; its bit set. */
static int mark(merge_ctx *m, int f, size_t count, ctr_error *err, void *arg) {
  (void)arg;
  for (size_t i = 0; i < count; i++) {
    long long id = m->buf[i].point_id;
    if (id < 0 || id >= m->plan)
      return ctr_fail(err, CTR_EINPUT, "%s: point id %lld outside the plan 0..%lld", m->files[f],
                      id, m->plan - 1), 2;
    if (bit(m->seen, id)) {
      int g = first_holder(m, id, f); /* f itself when it holds the id twice */
      return ctr_fail(err, CTR_EINPUT, "point %lld is in both %s and %s", id, m->files[g],
                      m->files[f]), 2;
    }
    flip(m->seen, id);
  }
  return -1;
}

/* Every file's rows, each point exactly once, covering the plan: checked before anything is
 * written, so that a refusal leaves no file behind. */
static int check_rows(merge_ctx *m, ctr_error *err) {
  int rc = -1;
  for (int f = 0; rc < 0 && f < m->nfiles; f++) rc = each_block(m, f, mark, NULL, err);
  long long missing = 0;
  for (long long i = 0; rc < 0 && i < m->plan; i++) missing += !bit(m->seen, i);
  if (rc < 0 && missing) {
    char list[400];
    list_missing(m->seen, m->plan, list, sizeof list);
    rc = 2, ctr_fail(err, CTR_EINPUT, "the files cover %lld of %lld points; missing: %s",
                     m->plan - missing, m->plan, list);
  }
  return rc;
}

/* Pass 2: row of point id i to row i of the output (rows sorted by id), clearing its bit; a bit
 * already clear means a file changed between the passes. */
static int copy(merge_ctx *m, int f, size_t count, ctr_error *err, void *arg) {
  for (size_t i = 0; i < count; i++) {
    long long id = m->buf[i].point_id;
    if (id < 0 || id >= m->plan || !bit(m->seen, id))
      return ctr_fail(err, CTR_EINPUT, "%s changed while it was merged (point %lld)", m->files[f],
                      id), 2;
    flip(m->seen, id), m->at[i] = (size_t)id;
  }
  ctr_status st = ctr_results_writer_put(arg, m->buf, m->at, count, err);
  return st ? ctr_exit_code(st) : -1;
}

static int write_merged(merge_ctx *m, const char *out, const ctr_results_meta *meta,
                        ctr_error *err) {
  ctr_run_info info = {ctr_command_line(), meta->spec, 0, meta->master_seed, "",
                       meta->plan_points, meta->created, meta->inputs};
  int lock = -1;
  ctr_results_writer *w = NULL;
  ctr_signals_defer(); /* the merged file is written whole */
  ctr_status st = ctr_output_lock(out, &lock, err);
  if (!st) st = ctr_results_writer_open(out, &info, (size_t)m->plan, &w, err);
  int rc = st ? ctr_exit_code(st) : -1;
  for (int f = 0; rc < 0 && f < m->nfiles; f++) rc = each_block(m, f, copy, w, err);
  for (long long i = 0; rc < 0 && i < m->plan; i++)
    if (bit(m->seen, i)) rc = 2, ctr_fail(err, CTR_EINPUT, "the files changed while they were "
                                          "merged (point %lld is gone)", i);
  if (rc < 0) st = ctr_results_writer_commit(w, err), rc = st ? ctr_exit_code(st) : 0;
  else ctr_results_writer_abandon(w);
  ctr_output_unlock(out, lock);
  if (!rc) printf("%lld points from %d files in %s\n", m->plan, m->nfiles, out);
  int sig = ctr_signals_take(); /* as the compute loop: the phase completed, then stop */
  if (sig && !rc) rc = 1, fprintf(stderr, "ctrate merge: signal %d during the save: the save completed\n", sig);
  return rc;
}

static int merge(const char *out, int force, int nfiles, char **files, ctr_error *err) {
  ctr_status cs = ctr_output_check("-o", out, (const char *const *)files, (size_t)nfiles, err);
  if (cs) return ctr_exit_code(cs);
  if (!force && !access(out, F_OK))
    return ctr_fail(err, CTR_EINPUT, "%s exists (use --force to replace it)", out), 2;
  if (force && (cs = ctr_output_replaceable(out, err))) return ctr_exit_code(cs);
  ctr_results_meta *meta = calloc((size_t)nfiles, sizeof *meta);
  merge_ctx m = {nfiles, files, 0, NULL, malloc(sizeof *m.buf * BLOCK), malloc(sizeof *m.at * BLOCK)};
  int rc = meta && m.buf && m.at ? check_inputs(nfiles, files, meta, err)
                                 : (ctr_fail(err, CTR_ENOMEM, "out of memory"), 1);
  if (rc < 0) m.plan = meta[0].plan_points;
  if (rc < 0 && !(m.seen = calloc((size_t)(m.plan / 8 + 1), 1)))
    rc = 1, ctr_fail(err, CTR_ENOMEM, "out of memory");
  if (rc < 0) rc = check_rows(&m, err);
  if (rc < 0) rc = write_merged(&m, out, &meta[0], err);
  for (int f = 0; meta && f < nfiles; f++) ctr_results_meta_free(&meta[f]);
  free(meta), free(m.seen), free(m.buf), free(m.at);
  return rc;
}

int ctr_cmd_merge(int argc, char **argv) {
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"force", no_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *out = NULL;
  int force = 0, c;
  optind = 1, opterr = 0;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (c == 'h') return help(stdout), 0;
    if (c == 'o') out = optarg;
    else if (c == 'f') force = 1;
    else {
      fprintf(stderr, "ctrate merge: %s '%s' (see ctrate merge --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    }
  }
  if (!out || optind >= argc) {
    fprintf(stderr, "ctrate merge: need -o ALL.h5 and at least one shard file\n");
    return 2;
  }
  ctr_error err = {0};
  int rc = merge(out, force, argc - optind, argv + optind, &err);
  if (rc > 0) fprintf(stderr, "ctrate merge: %s\n", err.msg);
  return rc;
}
