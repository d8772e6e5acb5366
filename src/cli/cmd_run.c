/* ctrate run: one point from flags. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "grid.h"
#include "report.h"
#include "results_h5.h"

static void help(FILE *out) {
  fprintf(out, "usage: ctrate run [OPTIONS] [-o FILE.h5]\n\n"
               "Simulate one point and print every parameter and metric.\n\n"
               "  -o, --output FILE.h5  append the row to FILE.h5 (created if missing)\n");
  ctr_grid_help(out, 0);
  fprintf(out, "  -h, --help           this text\n");
}

static int single_values(const ctr_grid *g) {
  const struct {
    const char *opt;
    size_t n;
  } lists[] = {{"--d", g->nd},         {"--N", g->nN},           {"--eps", g->neps},
               {"--error", g->nerror}, {"--engine", g->nengine}, {"--sigma", g->nsigma}};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
    if (lists[i].n > 1) {
      fprintf(stderr, "ctrate run: %s takes one value here (got %zu; use ctrate sweep for lists)\n",
              lists[i].opt, lists[i].n);
      return 0;
    }
  return 1;
}

static int parse(int argc, char **argv, ctr_grid *g, const char **out) {
  struct option opts[64];
  size_t n = 0;
  while (ctr_grid_options[n].name) opts[n] = ctr_grid_options[n], n++;
  opts[n++] = (struct option){"output", required_argument, 0, 'o'};
  opts[n++] = (struct option){"help", no_argument, 0, 'h'};
  opts[n] = (struct option){0, 0, 0, 0};
  optind = 1, opterr = 0;
  int c;
  ctr_error err;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (c == 'h') return help(stdout), 0;
    if (c == 'o') *out = optarg;
    else if (c == '?' || c == ':') {
      fprintf(stderr, "ctrate run: %s '%s' (see ctrate run --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    } else if (ctr_grid_apply(g, c, optarg, &err)) {
      fprintf(stderr, "ctrate run: %s\n", err.msg);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "ctrate run: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  return single_values(g) ? -1 : 2;
}

int ctr_cmd_run(int argc, char **argv) {
  ctr_grid g;
  ctr_grid_init(&g);
  const char *out = NULL;
  int rc = parse(argc, argv, &g, &out);
  ctr_error err = {0};
  ctr_point row;
  ctr_point_spec spec;
  ctr_results *file = NULL;
  if (rc < 0 && ctr_grid_check(&g, &err)) rc = ctr_exit_code(err.status);
  if (rc < 0) {
    ctr_grid_point(&g, 0, &spec);
    char desc[8192];
    ctr_grid_describe(&g, desc, sizeof desc);
    ctr_run_info info = {ctr_command_line(), desc, 1, spec.target.seed};
    ctr_status st = out ? ctr_results_open(out, &info, &file, &err) : CTR_OK;
    int ran = 0;
    if (!st) st = ctr_point_run(&spec, 0, &row, &err), ran = 1;
    if (ran) ctr_report_point(stdout, &row);
    ctr_error werr = {0};
    ctr_status wst = ran && file ? ctr_results_append(file, &row, &werr) : CTR_OK;
    if (file && ctr_results_close(file, wst ? NULL : &werr) && !wst) wst = werr.status;
    if (wst && !st) st = wst, err = werr;
    rc = ctr_exit_code(st);
  }
  if (rc > 0 && err.msg[0]) fprintf(stderr, "ctrate run: %s\n", err.msg);
  ctr_grid_free(&g);
  return rc;
}
