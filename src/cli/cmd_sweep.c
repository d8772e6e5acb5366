/* ctrate sweep: a grid of points from a spec file and/or flags, run in parallel, written
 * crash-safe (store/sweep_journal.h), resumable, shardable. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "core/parse.h"
#include "cli/commands.h"
#include "sweep/param_grid.h"
#include "sweep/plan.h"
#include "cli/report.h"
#include "sweep/spec.h"
#include "sweep/sweep_loop.h"
#include "store/safe_output.h"
#include "cli/signals.h"

typedef struct {
  char *out;         /* owned */
  const char *from;  /* result file whose spec to re-run */
  const char *spec_file;
  int force, resume, dry_run, report, shard_i, shard_n, yes;
  double checkpoint;
  ctr_sweep_run_opts run;
} sweep_opts;

static void help(FILE *out) {
  fprintf(out,
          "usage: ctrate sweep [SPEC.cfg] [OPTIONS] [-o FILE.h5]\n\n"
          "Simulate every combination of the listed values (N innermost, then d, sigma, eps,\n"
          "error, engine, replicate) and print W versus N per group with log-log slopes.\n"
          "SPEC.cfg (libconfig: `key = value;`, keys are the option names below, e.g.\n"
          "`d = [1, 2, 4]; N = \"10:1e6:11\"; engine = [\"ct\", \"cd\"]; output = \"x.h5\";`)\n"
          "sets the experiment; options given as well override its keys.\n\n"
          "  -o, --output FILE.h5   write the rows (also: the spec's output key)\n"
          "      --resume           continue FILE.h5 (same spec, same shard): run only the\n"
          "                         points it lacks; starts it if it does not exist\n"
          "      --force            replace an existing FILE.h5\n"
          "      --shard I/N        run only part I of N (1-based) of the plan, balanced by cost\n"
          "      --from FILE.h5     the spec stored in a result file (re-runs that experiment)\n"
          "      --dry-run          print the plan with estimated costs and stop\n"
          "  -j, --threads K        OpenMP threads (default: all cores); no result depends on K\n"
          "      --checkpoint S     rewrite FILE.h5 at most every S seconds (10); every finished\n"
          "                         point is in FILE.h5.journal at once in any case\n"
          "      --progress-every S progress line interval off a terminal (60)\n"
          "  -q, --quiet            no progress and no rate table\n"
          "      --yes              run even if a point is estimated over %g core-hours\n",
          CTR_PLAN_MAX_POINT_HOURS);
  ctr_grid_help(out, 1);
  fprintf(out, "  -h, --help             this text\n\n"
               "A kill at any moment leaves FILE.h5 complete (rows of finished points only) and\n"
               "--resume loses at most the points in flight. SIGINT, SIGTERM, SIGHUP: finish the\n"
               "points in flight, save, exit 1; a second signal abandons them. Exit status: 0 all\n"
               "points ran, 1 a point failed or the sweep was interrupted, 2 bad usage or input.\n");
}

enum { OPT_FORCE = 'f', OPT_RESUME = 2000, OPT_SHARD, OPT_FROM, OPT_DRY, OPT_CKPT, OPT_EVERY, OPT_YES };

static void options(struct option *opts) {
  size_t n = 0;
  while (ctr_grid_options[n].name) opts[n] = ctr_grid_options[n], n++;
  opts[n++] = (struct option){"output", required_argument, 0, 'o'};
  opts[n++] = (struct option){"force", no_argument, 0, OPT_FORCE};
  opts[n++] = (struct option){"resume", no_argument, 0, OPT_RESUME};
  opts[n++] = (struct option){"shard", required_argument, 0, OPT_SHARD};
  opts[n++] = (struct option){"from", required_argument, 0, OPT_FROM};
  opts[n++] = (struct option){"dry-run", no_argument, 0, OPT_DRY};
  opts[n++] = (struct option){"checkpoint", required_argument, 0, OPT_CKPT};
  opts[n++] = (struct option){"progress-every", required_argument, 0, OPT_EVERY};
  opts[n++] = (struct option){"threads", required_argument, 0, 'j'};
  opts[n++] = (struct option){"quiet", no_argument, 0, 'q'};
  opts[n++] = (struct option){"yes", no_argument, 0, OPT_YES};
  opts[n++] = (struct option){"help", no_argument, 0, 'h'};
  opts[n] = (struct option){0, 0, 0, 0};
}

static ctr_status parse_shard(const char *text, sweep_opts *o, ctr_error *err) {
  char *end;
  long i = strtol(text, &end, 10), n = *end == '/' ? strtol(end + 1, &end, 10) : 0;
  if (*end || n < 1 || n > 100000 || i < 1 || i > n)
    return ctr_fail(err, CTR_EINPUT, "--shard '%s' is not I/N with 1 <= I <= N <= 100000", text);
  o->shard_i = (int)i, o->shard_n = (int)n;
  return CTR_OK;
}

/* Pass 1 reads the sweep's own options (not the grid's), pass 2 the grid's, so that flags
 * override the spec whatever their position. Returns -1 to go on, else an exit status. */
static int parse_pass(int argc, char **argv, int pass, ctr_grid *g, sweep_opts *o) {
  struct option opts[96];
  options(opts);
  optind = 1, opterr = 0;
  int c;
  int64_t k;
  double x;
  while ((c = getopt_long(argc, argv, ":o:j:qh", opts, NULL)) != -1) {
    ctr_error err = {0};
    ctr_status st = CTR_OK;
    if (c == '?' || c == ':') {
      fprintf(stderr, "ctrate sweep: %s '%s' (see ctrate sweep --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    }
    if (pass == 2) {
      if (c >= 1000 && c < 2000 && (st = ctr_grid_apply(g, c, optarg, &err)))
        return fprintf(stderr, "ctrate sweep: %s\n", err.msg), ctr_exit_code(st);
      continue;
    }
    if (c == 'h') return help(stdout), 0;
    else if (c == 'o') free(o->out), o->out = strdup(optarg);
    else if (c == OPT_FORCE) o->force = 1;
    else if (c == OPT_RESUME) o->resume = 1;
    else if (c == OPT_DRY) o->dry_run = 1;
    else if (c == OPT_YES) o->yes = 1;
    else if (c == OPT_FROM) o->from = optarg;
    else if (c == OPT_SHARD) st = parse_shard(optarg, o, &err);
    else if (c == 'q') o->run.quiet = 1, o->report = 0;
    else if (c == 'j') st = ctr_arg_int("--threads", optarg, 1, 1024, &k, &err), o->run.threads = (int)k;
    else if (c == OPT_CKPT) st = ctr_arg_double("--checkpoint", optarg, 0, 1e6, &o->checkpoint, &err);
    else if (c == OPT_EVERY)
      st = ctr_arg_double("--progress-every", optarg, 0.1, 1e6, &x, &err), o->run.progress_every = x;
    if (st) return fprintf(stderr, "ctrate sweep: %s\n", err.msg), 2;
  }
  return -1;
}

static int load_spec(int argc, char **argv, ctr_grid *g, sweep_opts *o) {
  ctr_error err = {0};
  ctr_status st = CTR_OK;
  char *spec_out = NULL;
  if (argc - optind > 1)
    return fprintf(stderr, "ctrate sweep: unexpected argument '%s' (one spec file at most)\n",
                   argv[optind + 1]), 2;
  if (o->from && optind < argc)
    return fprintf(stderr, "ctrate sweep: give a spec file or --from, not both\n"), 2;
  if (optind < argc) o->spec_file = argv[optind];
  if (optind < argc) st = ctr_spec_load_file(argv[optind], g, &spec_out, &err);
  if (o->from) {
    ctr_results_meta m;
    if (!(st = ctr_results_meta_read(o->from, &m, &err))) {
      ctr_text name = {0};
      ctr_text_add(&name, "%s:spec", o->from);
      if (name.oom) st = ctr_fail(&err, CTR_ENOMEM, "out of memory");
      else if (!*m.spec) st = ctr_fail(&err, CTR_EINPUT, "%s: the file holds no spec", o->from);
      else st = ctr_spec_load_text(name.p, m.spec, g, NULL, &err);
      free(name.p);
      ctr_results_meta_free(&m);
    }
  }
  if (st) return free(spec_out), fprintf(stderr, "ctrate sweep: %s\n", err.msg), ctr_exit_code(st);
  if (!o->out) o->out = spec_out;
  else free(spec_out);
  return -1;
}

static int parse(int argc, char **argv, ctr_grid *g, sweep_opts *o) {
  int rc = parse_pass(argc, argv, 1, g, o);
  if (rc < 0) rc = load_spec(argc, argv, g, o);
  if (rc < 0) rc = parse_pass(argc, argv, 2, g, o);
  if (rc >= 0) return rc;
  if ((o->resume || o->shard_n > 1) && !o->out && !o->dry_run)
    return fprintf(stderr, "ctrate sweep: --resume and --shard need an output file (-o)\n"), 2;
  if (o->resume && o->force)
    return fprintf(stderr, "ctrate sweep: --resume and --force contradict each other\n"), 2;
  return -1;
}

static void report(const ctr_plan *plan, ctr_store *store, ctr_point *rows) {
  if (store) { /* every row of this plan, resumed ones included */
    size_t n = ctr_store_count(store);
    rows = malloc(sizeof *rows * (n ? n : 1));
    if (!rows) return;
    for (size_t i = 0; i < n; i++) rows[i] = *ctr_store_row(store, i);
    ctr_report_rates(stdout, rows, n);
    free(rows);
  } else {
    ctr_report_rates(stdout, rows, plan->n);
  }
}

/* Said only once the final save succeeded: the summary never claims rows the file lacks. */
static int finish(const sweep_opts *o, const ctr_plan *plan, const ctr_sweep_outcome *r,
                  size_t held) {
  if (r->signal) {
    fprintf(stderr, "ctrate sweep: interrupted by signal %d: %zu of %zu points are in %s; "
            "resume with:\n  %s%s\n", r->signal, held, plan->n,
            o->out, ctr_command_line(), o->resume ? "" : " --resume");
    return 1;
  }
  if (o->out && !o->run.quiet)
    printf("\n%zu points in %s (%zu run now)\n", held, o->out, r->ran);
  return r->failed || r->write_failed ? 1 : 0;
}

static int run(const ctr_grid *g, const sweep_opts *o, const ctr_plan *plan, const char *spec) {
  ctr_error err = {0};
  ctr_store *store = NULL;
  ctr_point *rows = NULL;
  char shard[32] = "";
  if (o->shard_n > 1) snprintf(shard, sizeof shard, "%d/%d", o->shard_i, o->shard_n);
  if (o->out) {
    const char *in[4] = {o->spec_file, o->from, g->cov_file, g->mixture_file};
    ctr_status cs = ctr_output_check("-o", o->out, in, 4, &err);
    if (cs) return fprintf(stderr, "ctrate sweep: %s\n", err.msg), ctr_exit_code(cs);
    ctr_store_params sp = {o->out, {ctr_command_line(), spec, o->run.threads,
                                    g->base.target.seed, shard, (long long)plan->total, NULL,
                                    g->inputs.p},
                           o->resume, o->force, o->checkpoint};
    ctr_signals_defer(); /* the resume load and its first checkpoint complete */
    ctr_status st = ctr_store_open(&sp, &store, &err);
    if (st) return fprintf(stderr, "ctrate sweep: %s\n", err.msg), ctr_exit_code(st);
    if (*ctr_store_warning(store)) fprintf(stderr, "ctrate sweep: %s\n", ctr_store_warning(store));
    if (o->resume && !o->run.quiet)
      fprintf(stderr, "ctrate sweep: resuming %s: %zu of %zu points already done\n", o->out,
              ctr_store_count(store), plan->n);
  } else if (!(rows = calloc(plan->n ? plan->n : 1, sizeof *rows))) {
    return fprintf(stderr, "ctrate sweep: out of memory for %zu rows\n", plan->n), 1;
  }
  ctr_sweep_outcome r = {0};
  int early = ctr_signals_take(); /* a signal during the load: save and stop, run nothing */
  if (!early) ctr_sweep_run(g, plan, store, rows, &o->run, &r);
  ctr_signals_defer(); /* the final save completes whatever arrives now */
  if (early) r.signal = early;
  size_t held = store ? ctr_store_count(store) : 0;
  if (o->report && !r.signal) report(plan, store, rows);
  int rc;
  if (ctr_store_close(store, &err))
    rc = 1, fprintf(stderr, "ctrate sweep: %s\nctrate sweep: the final save failed: %s holds the "
                    "rows of its last checkpoint, %s.journal the rest (--resume continues)\n",
                    err.msg, o->out, o->out);
  else
    rc = finish(o, plan, &r, held);
  int late = ctr_signals_take();
  if (late && !r.signal)
    rc = 1, fprintf(stderr, "ctrate sweep: signal %d during the final save: the save completed\n", late);
  free(rows);
  return rc;
}

int ctr_cmd_sweep(int argc, char **argv) {
  ctr_grid g;
  ctr_grid_init(&g);
  sweep_opts o = {.run = {omp_get_max_threads(), 0, 60}, .report = 1, .shard_i = 1,
                  .shard_n = 1, .checkpoint = 10};
  int rc = parse(argc, argv, &g, &o);
  ctr_error err = {0};
  ctr_plan plan = {0};
  char *spec = NULL;
  if (rc < 0 && (ctr_grid_pin_inputs(&g, &err) || ctr_grid_check(&g, &err)))
    rc = ctr_exit_code(err.status), fprintf(stderr, "ctrate sweep: %s\n", err.msg);
  if (rc < 0 && !(spec = ctr_grid_describe(&g))) rc = 1, fprintf(stderr, "ctrate sweep: out of memory\n");
  if (rc < 0 && ctr_plan_make(&g, o.shard_i, o.shard_n, &plan, &err))
    rc = 1, fprintf(stderr, "ctrate sweep: %s\n", err.msg);
  if (rc < 0 && o.dry_run) {
    printf("# resolved spec\n%s\n", spec);
    ctr_plan_print(stdout, &g, &plan, o.run.threads);
    rc = 0;
  }
  if (rc < 0 && !o.yes && ctr_plan_check_cost(&g, &err))
    rc = ctr_exit_code(err.status), fprintf(stderr, "ctrate sweep: %s\n", err.msg);
  if (rc < 0) rc = run(&g, &o, &plan, spec);
  free(spec), free(o.out);
  ctr_plan_free(&plan);
  ctr_grid_free(&g);
  return rc;
}
