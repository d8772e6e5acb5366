/* ctrate plot: the rate-curve figure. The numbers go to a .dat table first, so they exist
 * even without gnuplot; gnuplot (run time only) turns them into PDF and PNG. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "commands.h"
#include "results_h5.h"

#ifndef CTR_FIGURES_DIR
#define CTR_FIGURES_DIR "paper_figures"
#endif

static void help(FILE *out) {
  fprintf(out, "usage: ctrate plot FILE.h5 [-o DIR] [--script FILE.gp]\n\n"
               "Rate-curve figure: W2 and the W1 bracket (input N(0, I)) versus N, one colour per\n"
               "d, for the error-free ct points of FILE.h5, with a reference slope -1.\n"
               "Writes DIR/data/rate_curve.dat, DIR/rate_curve.pdf and DIR/rate_curve.png.\n\n"
               "  -o, --output DIR     where to write (default %s)\n"
               "      --script FILE    gnuplot script (default %s/rate_curve.gp)\n"
               "  -h, --help           this text\n",
          CTR_FIGURES_DIR, CTR_FIGURES_DIR);
}

static int cmp_dN(const void *pa, const void *pb) {
  const ctr_point *a = pa, *b = pb;
  if (a->d != b->d) return a->d < b->d ? -1 : 1;
  return (a->N > b->N) - (a->N < b->N);
}

static int clean(const ctr_point *r) {
  return r->status == 0 && !strcmp(r->engine, "ct") && (!strcmp(r->error, "none") || r->eps == 0);
}

/* One gnuplot data block per d (blocks separated by two blank lines: gnuplot's index). */
static int write_dat(const char *path, ctr_point *rows, size_t n) {
  FILE *f = fopen(path, "w");
  if (!f) return 0;
  qsort(rows, n, sizeof *rows, cmp_dN);
  int prev = -1, blocks = 0;
  fprintf(f, "# N W2_normal W1_lo_normal W1_hi_normal W2_qN coupling_l1_qN d\n");
  for (size_t i = 0; i < n; i++) {
    if (!clean(&rows[i])) continue;
    if (rows[i].d != prev) fprintf(f, "%s# d = %d\n", blocks++ ? "\n\n" : "", rows[i].d);
    prev = rows[i].d;
    fprintf(f, "%lld %.10g %.10g %.10g %.10g %.10g %d\n", (long long)rows[i].N, rows[i].w2_normal,
            rows[i].w1_lo_normal, rows[i].w1_hi_normal, rows[i].w2_qN, rows[i].coupling_l1_qN,
            rows[i].d);
  }
  return fclose(f) == 0 ? (blocks ? blocks : -1) : 0;
}

static int run_gnuplot(const char *script, const char *dat, const char *outbase) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
    fprintf(stderr, "ctrate plot: gnuplot is not installed, so no figure was drawn; the numbers "
                    "are in %s. Install it with: apt-get install gnuplot-nox\n", dat);
    return 1;
  }
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "gnuplot -e \"datafile='%s'; outbase='%s'\" '%s'", dat, outbase,
           script);
  int rc = system(cmd);
  if (rc != 0) {
    fprintf(stderr, "ctrate plot: gnuplot failed (status %d) on %s\n", WEXITSTATUS(rc), script);
    return 1;
  }
  printf("figure: %s.pdf and %s.png\n", outbase, outbase);
  return 0;
}

int ctr_cmd_plot(int argc, char **argv) {
  const char *dir = CTR_FIGURES_DIR, *script = CTR_FIGURES_DIR "/rate_curve.gp";
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"script", required_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  optind = 1, opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (c == 'h') return help(stdout), 0;
    if (c == 'o') dir = optarg;
    else if (c == 's') script = optarg;
    else return fprintf(stderr, "ctrate plot: bad option '%s' (see --help)\n", argv[optind - 1]), 2;
  }
  if (optind != argc - 1) return fprintf(stderr, "ctrate plot: expected one FILE.h5\n"), 2;
  ctr_point *rows = NULL;
  size_t n = 0;
  ctr_error err = {0};
  if (ctr_results_read(argv[optind], &rows, &n, NULL, &err))
    return fprintf(stderr, "ctrate plot: %s\n", err.msg), ctr_exit_code(err.status);
  char data[2048], dat[2100], base[2100];
  snprintf(data, sizeof data, "%s/data", dir);
  snprintf(dat, sizeof dat, "%s/rate_curve.dat", data);
  snprintf(base, sizeof base, "%s/rate_curve", dir);
  mkdir(dir, 0777), mkdir(data, 0777);
  int blocks = write_dat(dat, rows, n);
  free(rows);
  if (blocks == 0) return fprintf(stderr, "ctrate plot: cannot write %s\n", dat), 1;
  if (blocks < 0)
    return fprintf(stderr, "ctrate plot: %s holds no error-free ct points to plot\n", argv[optind]), 2;
  printf("data: %s (%d values of d)\n", dat, blocks);
  return run_gnuplot(script, dat, base);
}
