/* ctrate plot: the paper figures. The numbers go to one gnuplot data file per figure first
 * (analysis/figure_data.c), so they exist even without gnuplot; gnuplot (run time only) then draws each
 * figure with its script NAME.gp (and the common style.gp) in every format asked for, all
 * figures at once, each gnuplot in the output directory so that cairolatex's .tex includes
 * its graphics by a relative name. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/mem_budget.h"
#include "analysis/figure_data.h"
#include "store/results_h5.h"
#include "store/safe_output.h"
#include "simulate/point_run.h"

/* Without -o the figures go to a folder git ignores: a plot never dirties the checkout (only
 * scripts/paper-figures.sh writes paper_figures/, with -o). */
#define CTR_PLOT_OUT "results/figures"
#ifndef CTR_DATADIR /* the installed data directory, PREFIX/share/ctrate (meson sets it) */
#define CTR_DATADIR "/usr/local/share/ctrate"
#endif

static const char *const formats[] = {"pdf", "png", "tex"};
enum { NFMT = 3 };

static void help(FILE *out) {
  fprintf(
      out,
      "usage: ctrate plot FILE.h5 [FILE2.h5 ...] [-o DIR] [--figure NAME[,NAME]] [--format "
      "pdf,png,tex]\n\n"
      "Paper figures from the rows of the given result files, analysed together as by ctrate\n"
      "fit (groups: every parameter but N and the seed; W averaged over replicates):\n"
      "  rate_curve        W versus N, a curve per family and d, 95%% intervals over\n"
      "                    replicates, the bound C d^(5/2) ln^5 N / N with the family's fitted C\n"
      "                    (dashed), reference slopes N^-1 and N^-1/2 (grey)\n"
      "  w_vs_d            W versus d at the largest N and one mid N, a curve per family and N,\n"
      "                    with d^(1/2) and d^(5/2)\n"
      "  nstar             N*(d, eps) (where W falls to 2 eps) versus d, a curve per family and\n"
      "                    eps, with d^(5/2)/eps\n"
      "  w_vs_eps          W / eps at the largest N versus eps > 0, a curve per family and d,\n"
      "                    with the line W = eps\n"
      "  local_slope       local slope of W versus N per family and d, with the bound's secant and -1\n"
      "  gauss_vs_mixture  W versus N for Gaussian and mixture targets at one d (1 preferred)\n"
      "A family is one set of values of the --by columns: every family is drawn; colour marks\n"
      "one of (family, N/eps/d), dash and point type the other, and the legend lists each once.\n"
      "A figure the data do not allow is skipped with a line saying why. Writes\n"
      "DIR/data/NAME.dat always (columns in its header), then with gnuplot DIR/NAME.pdf,\n"
      "DIR/NAME.png and DIR/NAME.tex with DIR/NAME-inc.pdf (LaTeX: \\input{NAME.tex}).\n\n"
      "  -o, --output DIR     where to write (default %s, made if missing)\n"
      "  -f, --figure LIST    figures, comma-separated (default: every one the data allow)\n"
      "  -F, --format LIST    pdf, png, tex, comma-separated (default all three)\n"
      "  -b, --by COL[,COL]   a curve (family) per value of these parameter columns, e.g. --by\n"
      "                       c1 or --by engine,sigma; default: every parameter column that\n"
      "                       varies among the groups a figure draws (d, eps and N are placed\n"
      "                       by the figures; error splits only nstar and w_vs_eps). A figure\n"
      "                       that leaves groups out says so on stderr\n"
      "  -P, --facet COL      a panel per value of COL, side by side on the same axes, each\n"
      "                       titled 'COL = value' (a curve keeps its colour in every panel;\n"
      "                       one caption, one legend), e.g. --facet engine --by sigma; every\n"
      "                       figure but gauss_vs_mixture\n"
      "  -m, --metric COL     W: a float column of docs/results-format.md (default auto:\n"
      "                       w1_hi_normal, the W1 upper bound with input N(0, I), every engine)\n"
      "      --scripts-dir DIR  gnuplot scripts NAME.gp and style.gp (default: the first of\n"
      "                       DATA/figures, DATA/paper_figures that holds style.gp, for DATA\n"
      "                       = $CTRATE_DATA_DIR, EXE/../share/ctrate, EXE/.., %s in\n"
      "                       turn, EXE being the folder of this ctrate executable)\n"
      "      --max-memory SIZE  refuse files whose rows would need more memory than SIZE\n"
      "                       (bytes, or with K, M, G, T; default: CTRATE_MAX_MEMORY, else half\n"
      "                       of the physical memory); the estimate is %.0f bytes a row\n"
      "  -h, --help           this text\n\n"
      "exit status: 0 ok, 1 runtime failure (gnuplot missing or failing), 2 bad input\n",
      CTR_PLOT_OUT, CTR_DATADIR, CTR_MEM_PER_ROW);
}

/* Comma list of names from table: a bit mask, or -1 naming the first bad word. */
static long parse_list(const char *opt, const char *arg, const char *const *tab, int n) {
  char buf[512];
  if (!*arg || strlen(arg) >= sizeof buf) {
    fprintf(stderr, "ctrate plot: %s '%.40s%s' is %s (accepted: a comma list of:", opt, arg,
            strlen(arg) > 40 ? "..." : "", *arg ? "too long" : "empty");
    for (int j = 0; j < n; j++) fprintf(stderr, "%s %s", j ? "," : "", tab[j]);
    return fprintf(stderr, ")\n"), -1;
  }
  snprintf(buf, sizeof buf, "%s", arg);
  long mask = 0;
  for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
    int i = ctr_name_index(tab, n, w);
    if (i < 0) {
      fprintf(stderr, "ctrate plot: %s '%s' is not accepted (accepted:", opt, w);
      for (int j = 0; j < n; j++)
        fprintf(stderr, "%s %s", j ? "," : "", tab[j]);
      return fprintf(stderr, ")\n"), -1;
    }
    mask |= 1L << i;
  }
  if (!mask) fprintf(stderr, "ctrate plot: %s '%s' names nothing\n", opt, arg);
  return mask ? mask : -1;
}

/* gnuplot on PATH (the shell's lookup, without a shell). */
static int have_gnuplot(void) {
  const char *path = getenv("PATH");
  char buf[4096], file[4200];
  snprintf(buf, sizeof buf, "%s", path ? path : "/usr/bin:/bin");
  for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    snprintf(file, sizeof file, "%s/gnuplot", *d ? d : ".");
    if (access(file, X_OK) == 0) return 1;
  }
  return 0;
}

/* Append name='value' to a gnuplot -e string (a quote inside is doubled). */
static void gp_str(char *buf, size_t n, const char *name, const char *value) {
  size_t k = strlen(buf);
  k += (size_t)snprintf(buf + k, n > k ? n - k : 0, "%s='", name);
  for (; *value && k + 3 < n; value++) {
    if (*value == '\'') buf[k++] = '\'';
    buf[k++] = *value;
  }
  if (k + 3 < n) buf[k++] = '\'', buf[k++] = ';', buf[k] = '\0';
}

/* Start gnuplot on one figure in directory dir; its pid, or -1. */
static pid_t spawn_gnuplot(const char *dir, const char *script, const char *vars) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(127);
    execlp("gnuplot", "gnuplot", "-e", vars, script, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* mkdir -p: every missing folder of path (0777 before the umask); 0 or -1 with errno. */
static int mkdir_p(const char *path) {
  char buf[4400];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') *p = '\0', mkdir(buf, 0777), *p = '/';
  return mkdir(buf, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* The gnuplot scripts when --scripts-dir is not given: the first of DATA/figures (installed
 * layout) and DATA/paper_figures (the source tree) that holds style.gp, for DATA in the order
 * of --help; no path of the build machine is compiled in but the install prefix. Writes the
 * folder to out (0) or says on stderr every place it looked (-1). */
static int find_scripts(char *out, size_t n) {
  char exe[4096] = "", cand[4][4200];
  int nc = 0;
  const char *env = getenv("CTRATE_DATA_DIR");
  if (env && *env) snprintf(cand[nc++], sizeof cand[0], "%s", env);
  ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (k > 0) {
    exe[k] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(cand[nc++], sizeof cand[0], "%s/../share/ctrate", exe);
    snprintf(cand[nc++], sizeof cand[0], "%s/..", exe);
  }
  snprintf(cand[nc++], sizeof cand[0], "%s", CTR_DATADIR);
  static const char *const sub[] = {"figures", "paper_figures"};
  char probe[sizeof cand + 32]; /* gcc bounds cand[i] by the whole array */
  for (int i = 0; i < nc; i++)
    for (int j = 0; j < 2; j++) {
      snprintf(probe, sizeof probe, "%s/%s/style.gp", cand[i], sub[j]);
      if (access(probe, R_OK) == 0 && realpath(probe, exe)) {
        *strrchr(exe, '/') = '\0';
        return snprintf(out, n, "%s", exe), 0;
      }
    }
  fprintf(stderr, "ctrate plot: no gnuplot scripts (style.gp) found; looked in:\n");
  for (int i = 0; i < nc; i++)
    for (int j = 0; j < 2; j++) fprintf(stderr, "  %s/%s\n", cand[i], sub[j]);
  fprintf(stderr, "give the folder with --scripts-dir DIR or set CTRATE_DATA_DIR (the folder "
                  "holding figures/ or paper_figures/), or reinstall (meson install)\n");
  return -1;
}

/* Every file, read and checked, within the memory budget (cli/mem_budget.h); rows into *rows.
 * Exit status or 0. Names from the files (target, engine, ...) may hold any bytes:
 * analysis/figure_keys.c escapes them for gnuplot and LaTeX (core/escape.h), so a result file
 * cannot carry commands into a figure. */
static int read_all(char **files, int nf, const char *metric, const char *max_memory,
                    ctr_point **rows, size_t *n) {
  ctr_error err = {0};
  ctr_mem_budget mb;
  size_t *counts = malloc(sizeof *counts * (size_t)nf);
  ctr_status st = counts ? ctr_mem_budget_init(&mb, max_memory, &err)
                         : ctr_fail(&err, CTR_ENOMEM, "out of memory");
  if (!st) st = ctr_read_rows_budgeted((const char *const *)files, nf, &mb, rows, counts, n, &err);
  if (st) return free(counts), fprintf(stderr, "ctrate plot: %s\n", err.msg), ctr_exit_code(st);
  const ctr_point *r = *rows;
  for (int i = 0; i < nf; r += counts[i++]) {
    size_t m = counts[i], usable = 0;
    for (size_t j = 0; j < m; j++) {
      double w = ctr_scaling_metric(&r[j], metric);
      usable += r[j].status == 0 && isfinite(w) && w > 0;
    }
    if (!usable) {
      fprintf(stderr,
              m ? "ctrate plot: %s: no row has status 0 and a positive value of W (%s): "
                  "the column is missing or every point failed\n"
                : "ctrate plot: %s holds no rows\n",
              files[i], metric);
      return free(counts), 2;
    }
  }
  return free(counts), 0;
}

/* Draw the exported figures; 0 or 1. */
static int draw(const char *dir, const char *scripts, long fmts, const int *want,
                const ctr_fig_meta *meta) {
  if (!have_gnuplot()) {
    fprintf(stderr,
            "ctrate plot: gnuplot is not installed, so no figure was drawn; the numbers "
            "are in %s/data. Install it with: apt-get install gnuplot-nox\n",
            dir);
    return 1;
  }
  char sdir[4096], fmtlist[32] = "";
  if (!scripts && find_scripts(sdir, sizeof sdir)) return 1;
  if (scripts && !realpath(scripts, sdir))
    return fprintf(stderr, "ctrate plot: no script directory %s\n", scripts), 1;
  for (int k = 0; k < NFMT; k++)
    if (fmts >> k & 1) strcat(fmtlist, fmtlist[0] ? " " : ""), strcat(fmtlist, formats[k]);
  pid_t pid[CTR_NFIG] = {0};
  int rc = 0;
  for (int f = 0; f < CTR_NFIG; f++) {
    if (!want[f]) continue;
    char script[4200], vars[32768] = "", path[4200];
    snprintf(script, sizeof script, "%s/%s.gp", sdir, ctr_fig_names[f]);
    if (access(script, R_OK)) {
      fprintf(stderr, "ctrate plot: cannot read %s\n", script), rc = 1;
      continue;
    }
    static const char *const stale[] = {".pdf", ".png", ".tex", "-inc.tex", "-inc.pdf"};
    for (int k = 0; k < 5; k++) /* no stale figure may survive a failed run */
      snprintf(path, sizeof path, "%s/%s%s", dir, ctr_fig_names[f], stale[k]), unlink(path);
    snprintf(path, sizeof path, "data/%s.dat", ctr_fig_names[f]);
    gp_str(vars, sizeof vars, "datafile", path);
    gp_str(vars, sizeof vars, "outbase", ctr_fig_names[f]);
    gp_str(vars, sizeof vars, "formats", fmtlist);
    gp_str(vars, sizeof vars, "scriptdir", sdir);
    gp_str(vars, sizeof vars, "keys_e", meta[f].keys_e);
    gp_str(vars, sizeof vars, "keys_t", meta[f].keys_t);
    gp_str(vars, sizeof vars, "wsym_e", meta[f].wsym_e);
    gp_str(vars, sizeof vars, "wsym_t", meta[f].wsym_t);
    gp_str(vars, sizeof vars, "caption_e", meta[f].caption_e);
    gp_str(vars, sizeof vars, "caption_t", meta[f].caption_t);
    gp_str(vars, sizeof vars, "facet_of", meta[f].facet_of);
    gp_str(vars, sizeof vars, "colour_of", meta[f].colour_of);
    gp_str(vars, sizeof vars, "facets_e", meta[f].facets_e);
    gp_str(vars, sizeof vars, "facets_t", meta[f].facets_t);
    gp_str(vars, sizeof vars, "dt_of", meta[f].dt_of);
    gp_str(vars, sizeof vars, "pt_of", meta[f].pt_of);
    gp_str(vars, sizeof vars, "legend_e", meta[f].legend_e);
    gp_str(vars, sizeof vars, "legend_t", meta[f].legend_t);
    gp_str(vars, sizeof vars, "legend_lt", meta[f].legend_lt);
    gp_str(vars, sizeof vars, "legend_dt", meta[f].legend_dt);
    gp_str(vars, sizeof vars, "legend_pt", meta[f].legend_pt);
    snprintf(vars + strlen(vars), sizeof vars - strlen(vars), "nlegend=%d;nfirst=%d;",
             meta[f].nlegend, meta[f].nfirst);
    snprintf(vars + strlen(vars), sizeof vars - strlen(vars), "nfacets=%d;", meta[f].nfacets);
    snprintf(vars + strlen(vars), sizeof vars - strlen(vars), "nblocks=%d", meta[f].blocks);
    pid[f] = spawn_gnuplot(dir, script, vars);
    if (pid[f] < 0) perror("ctrate plot: fork"), rc = 1;
  }
  for (int f = 0; f < CTR_NFIG; f++) {
    int st = 0;
    if (pid[f] <= 0 || waitpid(pid[f], &st, 0) < 0) continue;
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      fprintf(stderr, "ctrate plot: gnuplot failed (status %d) on %s/%s.gp\n",
              WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), sdir, ctr_fig_names[f]);
      rc = 1;
      continue;
    }
    char from[4200], to[4200], made[256] = "";
    snprintf(from, sizeof from, "%s/%s-inc.tex", dir, ctr_fig_names[f]);
    snprintf(to, sizeof to, "%s/%s.tex", dir, ctr_fig_names[f]);
    if (fmts & 4 && rename(from, to)) perror(from);
    for (int k = 0; k < NFMT; k++) {
      if (!(fmts >> k & 1)) continue;
      snprintf(to, sizeof to, "%s/%s.%s", dir, ctr_fig_names[f], formats[k]);
      if (file_size(to) <= 0)
        fprintf(stderr, "ctrate plot: gnuplot did not write %s\n", to), rc = 1;
      else
        snprintf(made + strlen(made), sizeof made - strlen(made), "%s%s", made[0] ? ", " : "",
                 formats[k]);
    }
    printf("figure: %s/%s (%s)\n", dir, ctr_fig_names[f], made);
  }
  return rc;
}

/* No figure or data file this run writes (or unlinks as stale) may be one of the inputs. */
static int check_outputs(const char *dir, long figs, char **in, int nin) {
  static const char *const out[] = {".pdf", ".png", ".tex", "-inc.tex", "-inc.pdf", ".dat"};
  char path[4400];
  ctr_error err = {0};
  for (int f = 0; f < CTR_NFIG; f++)
    for (int k = 0; (figs >> f & 1) && k < 6; k++) {
      if (snprintf(path, sizeof path, "%s/%s%s%s", dir, k == 5 ? "data/" : "", ctr_fig_names[f],
                   out[k]) >= (int)sizeof path)
        return fprintf(stderr, "ctrate plot: -o %s: the directory name is too long\n", dir), 2;
      struct stat sb; /* the directories are made later: only existing files can be inputs */
      if (stat(path, &sb) == 0 && ctr_output_check("-o", path, (const char *const *)in, (size_t)nin, &err))
        return fprintf(stderr, "ctrate plot: %s\n", err.msg), 2;
    }
  return 0;
}

int ctr_cmd_plot(int argc, char **argv) {
  const char *dir = CTR_PLOT_OUT, *scripts = NULL, *metric = "auto", *by = NULL, *facet = NULL,
             *max_memory = NULL;
  long figs = (1L << CTR_NFIG) - 1, fmts = 7;
  static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                       {"figure", required_argument, 0, 'f'},
                                       {"format", required_argument, 0, 'F'},
                                       {"metric", required_argument, 0, 'm'},
                                       {"scripts-dir", required_argument, 0, 's'},
                                       {"by", required_argument, 0, 'b'},
                                       {"facet", required_argument, 0, 'P'},
                                       {"max-memory", required_argument, 0, 'M'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  optind = 1, opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, ":o:f:F:m:b:P:h", opts, NULL)) != -1) {
    if (c == 'h') return help(stdout), 0;
    if (c == 'o')
      dir = optarg;
    else if (c == 's')
      scripts = optarg;
    else if (c == 'm')
      metric = optarg;
    else if (c == 'M')
      max_memory = optarg;
    else if (c == 'P') {
      ctr_error e;
      if (strchr(optarg, ',') || ctr_fig_check_by(optarg, &e))
        return fprintf(stderr, "ctrate plot: %s\n", strchr(optarg, ',') ? "--facet takes one column" : e.msg), 2;
      facet = optarg;
    } else if (c == 'b') {
      ctr_error e;
      if (ctr_fig_check_by(optarg, &e)) return fprintf(stderr, "ctrate plot: %s\n", e.msg), 2;
      by = optarg;
    }
    else if (c == 'f')
      figs = parse_list("--figure", optarg, ctr_fig_names, CTR_NFIG);
    else if (c == 'F')
      fmts = parse_list("--format", optarg, formats, NFMT);
    else
      return fprintf(stderr, "ctrate plot: %s '%s' (see ctrate plot --help)\n",
                     c == ':' ? "missing value for" : "unknown option", argv[optind - 1]),
             2;
    if (figs < 0 || fmts < 0) return 2;
  }
  if (optind >= argc) return fprintf(stderr, "ctrate plot: expected FILE.h5 [FILE2.h5 ...]\n"), 2;
  const ctr_field *mf = ctr_point_field(metric);
  if (strcmp(metric, "auto") && (!mf || mf->kind != CTR_KIND_F64))
    return fprintf(stderr,
                   "ctrate plot: --metric '%s' is not a float column (see "
                   "docs/results-format.md), nor auto\n",
                   metric),
           2;
  struct stat dst;
  if (!*dir) return fprintf(stderr, "ctrate plot: -o '': the output directory name is empty\n"), 2;
  if (stat(dir, &dst) == 0 && !S_ISDIR(dst.st_mode))
    return fprintf(stderr, "ctrate plot: -o %s is not a directory\n", dir), 2;
  if (check_outputs(dir, figs, argv + optind, argc - optind)) return 2;
  ctr_point *rows = NULL;
  size_t n = 0;
  int rc = read_all(argv + optind, argc - optind, metric, max_memory, &rows, &n);
  if (rc) return free(rows), rc;
  ctr_scaling_opts so;
  ctr_scaling_opts_default(&so);
  so.metric = metric, so.bootstrap = 0; /* figures need no bootstrap */
  ctr_scaling s;
  ctr_error err = {0};
  if (ctr_scaling_run(rows, n, &so, &s, &err))
    return free(rows), fprintf(stderr, "ctrate plot: %s\n", err.msg), ctr_exit_code(err.status);
  ctr_plot_input in = {&s, ctr_plot_ref_row(rows, n, metric), metric, by, facet};
  char data[4200], path[4400];
  snprintf(data, sizeof data, "%s/data", dir);
  if (mkdir_p(data))
    return fprintf(stderr, "ctrate plot: cannot make %s: %s\n", data, strerror(errno)),
           ctr_scaling_free(&s), free(rows), 1;
  static ctr_fig_meta meta[CTR_NFIG];
  int want[CTR_NFIG] = {0}, nwant = 0;
  for (int f = 0; f < CTR_NFIG && rc != 1; f++) {
    if (!(figs >> f & 1)) continue;
    snprintf(path, sizeof path, "%s/%s.dat", data, ctr_fig_names[f]);
    int r = ctr_fig_export(f, &in, path, &meta[f], &err);
    if (r < 0)
      fprintf(stderr, "ctrate plot: %s\n", err.msg), rc = 1;
    else if (r == 0)
      printf("skip %s: %s\n", ctr_fig_names[f], meta[f].why);
    else
      printf("data: %s (%d curve%s)\n", path, meta[f].blocks, meta[f].blocks > 1 ? "s" : ""),
          want[f] = 1, nwant++;
    if (r > 0 && meta[f].left_out)
      fprintf(stderr, "ctrate plot: warning: %s leaves out %zu group%s (%s)\n",
              ctr_fig_names[f], meta[f].left_out, meta[f].left_out > 1 ? "s" : "",
              f == CTR_FIG_GAUSS_VS_MIXTURE
                  ? "it draws one d, the longest curve per target and engine"
                  : f == CTR_FIG_W_VS_D
                      ? "of other families, or with no N shared by two values of d; --by "
                        "COL[,COL] names the columns that split curves"
                      : "of other families; --by COL[,COL] names the columns that split curves");
  }
  ctr_scaling_free(&s);
  free(rows);
  if (rc) return rc;
  if (!nwant)
    return fprintf(stderr, "ctrate plot: the data of %s%s allow none of the figures asked for\n",
                   argv[optind], argc - optind > 1 ? " etc." : ""),
           2;
  return draw(dir, scripts, fmts, want, meta);
}
