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

typedef struct {
  ctr_point *rows;
  size_t n;
} shard_rows;

/* "3, 7, 10-15, ..." for the first ids i with !seen[i]. */
static void list_missing(const unsigned char *seen, long long n, char *buf, size_t size) {
  size_t k = 0;
  buf[0] = '\0';
  for (long long i = 0; i < n && k + 32 < size; i++) {
    if (seen[i]) continue;
    long long j = i;
    while (j + 1 < n && !seen[j + 1]) j++;
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
    if (f && (strcmp(meta[f].spec, meta[0].spec) || meta[f].plan_points != meta[0].plan_points))
      return ctr_fail(err, CTR_EINPUT, "%s and %s come from different specs; refusing to merge",
                      files[0], files[f]), 2;
    if (strcmp(meta[f].version, ctr_results_version())) /* the merged file names one version */
      return ctr_fail(err, CTR_EINPUT, "%s was written by ctrate %s; merge it with that ctrate "
                      "(this is %s)", files[f], meta[f].version, ctr_results_version()), 2;
  }
  return -1;
}

/* Rows of every file, each point exactly once; *all points into rows (sorted by id). */
static int gather(int nfiles, char **files, long long plan, shard_rows *sr, const ctr_point ***all,
                  ctr_error *err) {
  unsigned char *seen = calloc((size_t)plan, 1);
  int *owner = calloc((size_t)plan, sizeof *owner);
  *all = calloc((size_t)plan, sizeof **all);
  int rc = seen && owner && *all ? -1 : (ctr_fail(err, CTR_ENOMEM, "out of memory"), 1);
  for (int f = 0; rc < 0 && f < nfiles; f++) {
    ctr_status st = ctr_results_read(files[f], &sr[f].rows, &sr[f].n, NULL, err);
    if (st) rc = ctr_exit_code(st);
    for (size_t i = 0; rc < 0 && i < sr[f].n; i++) {
      long long id = sr[f].rows[i].point_id;
      if (id < 0 || id >= plan)
        rc = 2, ctr_fail(err, CTR_EINPUT, "%s: point id %lld outside the plan 0..%lld", files[f], id,
                         plan - 1);
      else if (seen[id])
        rc = 2, ctr_fail(err, CTR_EINPUT, "point %lld is in both %s and %s", id, files[owner[id]],
                         files[f]);
      else seen[id] = 1, owner[id] = f, (*all)[id] = &sr[f].rows[i];
    }
  }
  long long missing = 0;
  for (long long i = 0; rc < 0 && i < plan; i++) missing += !seen[i];
  if (rc < 0 && missing) {
    char list[400];
    list_missing(seen, plan, list, sizeof list);
    rc = 2, ctr_fail(err, CTR_EINPUT, "the files cover %lld of %lld points; missing: %s",
                     plan - missing, plan, list);
  }
  free(seen), free(owner);
  return rc;
}

static int merge(const char *out, int force, int nfiles, char **files, ctr_error *err) {
  ctr_status cs = ctr_output_check("-o", out, (const char *const *)files, (size_t)nfiles, err);
  if (cs) return ctr_exit_code(cs);
  if (!force && !access(out, F_OK))
    return ctr_fail(err, CTR_EINPUT, "%s exists (use --force to replace it)", out), 2;
  if (force && (cs = ctr_output_replaceable(out, err))) return ctr_exit_code(cs);
  ctr_results_meta *meta = calloc((size_t)nfiles, sizeof *meta);
  shard_rows *sr = calloc((size_t)nfiles, sizeof *sr);
  const ctr_point **all = NULL;
  int rc = meta && sr ? check_inputs(nfiles, files, meta, err) : 1;
  if (rc < 0) rc = gather(nfiles, files, meta[0].plan_points, sr, &all, err);
  if (rc < 0) {
    ctr_run_info info = {ctr_command_line(), meta[0].spec, 0, meta[0].master_seed, "",
                         meta[0].plan_points, meta[0].created, meta[0].inputs};
    int lock = -1;
    ctr_signals_defer(); /* the merged file is written whole */
    ctr_status st = ctr_output_lock(out, &lock, err);
    if (!st) st = ctr_results_write_file(out, &info, all, (size_t)meta[0].plan_points, err);
    ctr_output_unlock(out, lock);
    rc = st ? ctr_exit_code(st) : 0;
    if (!st) printf("%lld points from %d files in %s\n", meta[0].plan_points, nfiles, out);
    int sig = ctr_signals_take(); /* as the compute loop: the phase completed, then stop */
    if (sig && !rc) rc = 1, fprintf(stderr, "ctrate merge: signal %d during the save: the save completed\n", sig);
  }
  for (int f = 0; meta && sr && f < nfiles; f++) ctr_results_meta_free(&meta[f]), free(sr[f].rows);
  free(meta), free(sr), free(all);
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
