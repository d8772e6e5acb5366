/* ctrate fit: the scaling verdict of a result file (analysis/scaling.h): a markdown report on
 * stdout and beside the file, and the same numbers in the file's /analysis group. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/analysis_h5.h"
#include "core/parse.h"
#include "cli/commands.h"
#include "cli/fit_report.h"
#include "cli/mem_budget.h"
#include "store/results_h5.h"
#include "store/safe_output.h"
#include "cli/signals.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: ctrate fit FILE.h5 [OPTIONS]\n\n"
          "Group the rows by every parameter but N and the replicate, and report per group the\n"
          "slope of log W on log N (weighted by the rows' Monte Carlo standard errors where\n"
          "the metric has an X_se_* column; a CI 95%% or, for deterministic values, a\n"
          "curvature band; bootstrap over replicates), local slopes beside the bound's, the\n"
          "floor model a N^-p + c where an error is injected, W <= sum e + sum D; across\n"
          "groups the exponent of d at fixed N beside the data scale's own, N*(d, eps) in two\n"
          "conventions (log N*, log(N*/ln N*)) beside the bound's, and the bound's constant\n"
          "C(N) with a held-out check and where the bound exceeds the data scale; across the\n"
          "widths sigma (rows with an exact or lower-bound L) the exponent of L at fixed N and\n"
          "in N*(L, eps), beside the bound's 3; for learned\n"
          "rows W <= C shape + eps + eps_F with the measured eps and eps_F. Writes the\n"
          "report to stdout and FILE.fit.md, and the numbers to /analysis in FILE.h5.\n\n"
          "  --metric COLUMN    W column (auto: w1_hi_normal, the W1 upper bound with input\n"
          "                     N(0, I), for every engine)\n"
          "  --range LO:HI      slopes over LO <= N <= HI only (default: every N)\n"
          "  --bootstrap B      bootstrap resamples, 0 or 20..100000 (1000)\n"
          "  --C X              learned rows: check W <= X shape + eps + eps_F (default: the\n"
          "                     fitted C of the file's ideal rows of the same target)\n"
          "  --report FILE.md   where the markdown goes (default FILE.fit.md)\n"
          "  --no-write         leave FILE.h5 unchanged and write no report file\n"
          "  --max-memory SIZE  refuse a file whose rows would need more memory than SIZE\n"
          "                     (bytes, or with K, M, G, T; default: CTRATE_MAX_MEMORY, else\n"
          "                     half of the physical memory); the estimate is %.0f bytes a row\n"
          "  -q, --quiet        nothing on stdout\n"
          "  -h, --help         this text\n", CTR_MEM_PER_ROW);
}

typedef struct {
  const char *file, *report, *max_memory;
  int no_write, quiet;
} fit_opts;

static ctr_status parse_range(const char *t, ctr_scaling_opts *o, ctr_error *err) {
  char a[64], *colon;
  if (strlen(t) >= sizeof a)
    return ctr_fail(err, CTR_EINPUT, "--range '%.20s...' is longer than %zu characters", t,
                    sizeof a - 1);
  snprintf(a, sizeof a, "%s", t);
  if (!(colon = strchr(a, ':'))) return ctr_fail(err, CTR_EINPUT, "--range '%s' is not LO:HI", t);
  *colon = '\0';
  ctr_status st = ctr_arg_double("--range", a, 2, 1e12, &o->n_lo, err);
  if (!st) st = ctr_arg_double("--range", colon + 1, 2, 1e12, &o->n_hi, err);
  if (!st && o->n_hi < o->n_lo) st = ctr_fail(err, CTR_EINPUT, "--range '%s': LO > HI", t);
  return st;
}

static int parse(int argc, char **argv, fit_opts *f, ctr_scaling_opts *o) {
  static const struct option opts[] = {
      {"metric", required_argument, 0, 'm'}, {"range", required_argument, 0, 'r'},
      {"bootstrap", required_argument, 0, 'b'}, {"report", required_argument, 0, 'R'},
      {"C", required_argument, 0, 'C'}, {"max-memory", required_argument, 0, 'M'},
      {"no-write", no_argument, 0, 'n'}, {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  optind = 1, opterr = 0;
  int c;
  int64_t k;
  while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
    ctr_error err = {0};
    ctr_status st = CTR_OK;
    if (c == 'h') return help(stdout), 0;
    if (c == 'm') o->metric = optarg;
    else if (c == 'r') st = parse_range(optarg, o, &err);
    else if (c == 'b') {
      st = ctr_arg_int("--bootstrap", optarg, 0, 100000, &k, &err), o->bootstrap = (int)k;
      if (!st && k > 0 && k < 20) st = ctr_fail(&err, CTR_EINPUT, "--bootstrap %lld: use 0 or 20..100000", (long long)k);
    } else if (c == 'C') st = ctr_arg_double("--C", optarg, 1e-300, 1e300, &o->learned_C, &err);
    else if (c == 'R') f->report = optarg;
    else if (c == 'M') f->max_memory = optarg;
    else if (c == 'n') f->no_write = 1;
    else if (c == 'q') f->quiet = 1;
    else {
      fprintf(stderr, "ctrate fit: %s '%s' (see ctrate fit --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    }
    if (st) return fprintf(stderr, "ctrate fit: %s\n", err.msg), 2;
  }
  if (argc - optind != 1) return fprintf(stderr, "ctrate fit: give one result file\n"), 2;
  f->file = argv[optind];
  return -1;
}

/* Where the markdown goes (malloc'ed): --report, else FILE.h5 -> FILE.fit.md. */
static char *report_name(const fit_opts *f) {
  size_t len = strlen(f->file);
  if (f->report) return strdup(f->report);
  int stem = (int)(len > 3 && !strcmp(f->file + len - 3, ".h5") ? len - 3 : len);
  char *md = malloc((size_t)stem + 8);
  if (md) snprintf(md, (size_t)stem + 8, "%.*s.fit.md", stem, f->file);
  return md;
}

/* Before anything is computed or written: the report must not be the result file. */
static int check_outputs(const fit_opts *f) {
  ctr_error err = {0};
  char *md = report_name(f);
  const char *in[1] = {f->file};
  ctr_status st = md ? ctr_output_check("--report", md, in, 1, &err)
                     : ctr_fail(&err, CTR_ENOMEM, "out of memory");
  free(md);
  return st ? fprintf(stderr, "ctrate fit: %s\n", err.msg), ctr_exit_code(st) : -1;
}

static int write_outputs(const fit_opts *f, const ctr_scaling *s, const char *text) {
  ctr_error err = {0};
  char *md = report_name(f);
  if (!md) return fprintf(stderr, "ctrate fit: out of memory\n"), 1;
  const char *in[1] = {f->file};
  ctr_status cst = ctr_output_check("--report", md, in, 1, &err);
  if (cst) return fprintf(stderr, "ctrate fit: %s\n", err.msg), free(md), ctr_exit_code(cst);
  /* Whole or not at all, as the result files: a temporary renamed into place, so a second
   * signal (which removes the temporary) or a full disk never leaves a torn report. */
  char *tmp = NULL;
  int fd = -1;
  cst = ctr_tmp_create(md, &tmp, &fd, &err);
  for (const char *p = text, *end = text + strlen(text); !cst && p < end;) {
    ssize_t k = write(fd, p, (size_t)(end - p));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) cst = ctr_fail(&err, CTR_EIO, "cannot write %s (%s)", md, strerror(errno));
    else p += k;
  }
  if (!cst) cst = ctr_tmp_commit(tmp, fd, md, &err);
  else if (tmp) ctr_tmp_discard(tmp);
  if (fd >= 0) close(fd);
  free(tmp);
  if (cst) return fprintf(stderr, "ctrate fit: %s\n", err.msg), free(md), ctr_exit_code(cst);
  ctr_status st = ctr_analysis_write(f->file, s, text, &err);
  if (st) return fprintf(stderr, "ctrate fit: %s\n", err.msg), free(md), ctr_exit_code(st);
  if (!f->quiet) printf("\nreport: %s; numbers: %s:/analysis\n", md, f->file);
  free(md);
  return 0;
}

int ctr_cmd_fit(int argc, char **argv) {
  fit_opts f = {0};
  ctr_scaling_opts o;
  ctr_scaling_opts_default(&o);
  int rc = parse(argc, argv, &f, &o);
  if (rc < 0 && !f.no_write) rc = check_outputs(&f);
  if (rc >= 0) return rc;
  ctr_error err = {0};
  ctr_point *rows = NULL;
  size_t n = 0, count;
  ctr_scaling s;
  ctr_mem_budget mb;
  ctr_status st = ctr_mem_budget_init(&mb, f.max_memory, &err);
  if (st) return fprintf(stderr, "ctrate fit: %s\n", err.msg), ctr_exit_code(st);
  st = ctr_read_rows_budgeted(&f.file, 1, &mb, &rows, &count, &n, &err);
  if (!st && !n) st = ctr_fail(&err, CTR_EINPUT, "%s holds no rows", f.file);
  if (!st) st = ctr_scaling_run(rows, n, &o, &s, &err);
  if (st) {
    free(rows);
    fprintf(stderr, "ctrate fit: %s%s%s\n", strstr(err.msg, f.file) ? "" : f.file,
            strstr(err.msg, f.file) ? "" : ": ", err.msg);
    return ctr_exit_code(st);
  }
  char *text = NULL;
  size_t tlen = 0;
  FILE *mem = open_memstream(&text, &tlen);
  if (mem) ctr_fit_report(mem, f.file, &s, &o), fclose(mem);
  if (!text) rc = 1, fprintf(stderr, "ctrate fit: out of memory\n");
  if (text && !f.quiet) fputs(text, stdout);
  if (text && !f.no_write) ctr_signals_defer(), rc = write_outputs(&f, &s, text);
  int sig = ctr_signals_take(); /* as the compute loop: the phase completed, then stop */
  if (sig && rc <= 0) rc = 1, fprintf(stderr, "ctrate fit: signal %d during the save: the save completed\n", sig);
  free(text);
  ctr_scaling_free(&s);
  free(rows);
  return rc < 0 ? 0 : rc;
}
