/* ctrate search: the hardest target of a family for the d-exponent (theory.md §9.16): maximise
 * the slope of ln(W / data_scale) on ln d at fixed N over the family's parameters by
 * multi-start Nelder-Mead (analysis/nm_search.h) on an exact engine (sweep/search_scale.h),
 * print the path and the best target, and write mixture files that reproduce it. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <omp.h>

#include "analysis/nm_search.h"
#include "cli/commands.h"
#include "core/parse.h"
#include "engines/radial.h"
#include "store/safe_output.h"
#include "sweep/search_scale.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: ctrate search --target scale_mixture --engine radial [OPTIONS]\n"
          "       ctrate search --target product_bimodal --engine product [OPTIONS]\n\n"
          "Search a family of targets for the largest exponent of d in W / data_scale at fixed N\n"
          "(the slope of ln(W / data_scale) on ln d, least squares over the --d values), with\n"
          "GSL's Nelder-Mead simplex (nmsimplex2) from several starts, on an exact engine (no\n"
          "Monte Carlo noise, so each start converges). Family scale_mixture: sum_k w_k\n"
          "N(0, v_k I), all means 0, on the radial engine; the region is bounded (every variance\n"
          "in [v-min, v-max], every weight >= w-min). Family product_bimodal: every coordinate\n"
          "0.5 N(-m, s^2) + 0.5 N(m, s^2), m in [m-min, m-max], s^2 in [v-min, v-max], on the\n"
          "product engine (its W1 is the upper bound min(E||u||, W2)). --max-log10-L bounds the\n"
          "exact L at the largest d (an infeasible point ranks below every feasible one).\n"
          "Prints one line per\n"
          "simplex iteration (the path), the best target with W at each d, and with -o writes\n"
          "PREFIX_dD.txt per d: mixture files that `ctrate run --target mixture_file\n"
          "--mixture-file F --engine radial --N N` reproduces (product: the `ctrate run`\n"
          "command, in a comment line '# run:').\n\n"
          "  --target NAME      family: scale_mixture or product_bimodal\n"
          "  --engine NAME      exact engine: radial (scale_mixture), product (product_bimodal)\n"
          "  --K K              components, 1 to 16 (2; product: 2 only)\n"
          "  --d LIST           2 to 8 increasing dimensions (16,64,256)\n"
          "  --N N              steps, fixed (100)\n"
          "  --v-min V          smallest variance, > 0 (0.0625)\n"
          "  --v-max V          largest variance, v-min to 1e6 (1): ratio <= v-max / v-min\n"
          "  --w-min W          smallest weight, 0 to 1/K (0.05)\n"
          "  --m-min X          product: smallest half-separation m, >= 0 (0)\n"
          "  --m-max X          product: largest m, m-min to 1e3 (2)\n"
          "  --max-log10-L X    constraint: exact log10 L at the largest d at most X, >= 0\n"
          "                     (none)\n"
          "  --metric NAME      w1 or w2 of f_N(N(0, I)) against X_1 (w1)\n"
          "  --schedule NAME    paper, linear, cosine (paper); --c0 X, --c1 X (2, 4)\n"
          "  --grid-points G    radial (product) grid points (engine default 1001 (2001))\n"
          "  --hermite Q        radial (product) quadrature nodes (engine default 8 (20))\n"
          "  --starts S         Nelder-Mead starts, 1 to 1000 (4)\n"
          "  --max-evals M      objective evaluations over all starts (200; each is one\n"
          "                     engine run per d)\n"
          "  --tol X            a start ends when its simplex size is below X (1e-3)\n"
          "  --step X           initial simplex step in the unbounded parameters (0.5)\n"
          "  -o, --output PFX   write PFX_dD.txt for every d of the best target\n"
          "      --force        replace existing PFX_dD.txt\n"
          "      --dry-run      print the search's size and its estimated cost, run nothing\n"
          "  -q, --quiet        no progress lines on stderr\n"
          "  -h, --help         this text\n");
}

typedef struct {
  ctr_scale_family fam;
  ctr_nm_params nm;
  const char *output;
  int force, dry_run, quiet;
  double t0;
  int last_start;
  int target, engine; /* the family named by --target and by --engine: 0 scale, 1 product */
} search_opts;

static ctr_status parse_target(const char *a, const char *const *names, const char *opt,
                               int *which, ctr_error *err) {
  for (int i = 0; i < 2; i++)
    if (!strcmp(a, names[i])) return *which = i, CTR_OK;
  return ctr_fail(err, CTR_EINPUT, "%s '%s' is not searchable (accepted: %s, %s)", opt, a,
                  names[0], names[1]);
}

static const char *const TARGETS[2] = {"scale_mixture", "product_bimodal"};
static const char *const ENGINES[2] = {"radial", "product"};

static ctr_status parse_dims(const char *a, ctr_scale_family *f, ctr_error *err) {
  int64_t *v = NULL;
  size_t n = 0;
  ctr_status st = ctr_arg_int_list("--d", a, 1, 1000000, &v, &n, err);
  if (!st && (n < 2 || n > CTR_SCALE_DIMS_MAX))
    st = ctr_fail(err, CTR_EINPUT, "--d '%s' gives %zu dimensions (accepted: 2 to %d)", a, n,
                  CTR_SCALE_DIMS_MAX);
  for (size_t i = 0; !st && i < n; i++) {
    if (i && v[i] <= v[i - 1])
      st = ctr_fail(err, CTR_EINPUT, "--d '%s': dimensions must increase", a);
    f->dims[i] = v[i];
  }
  if (!st) f->ndims = (int)n;
  free(v);
  return st;
}

static ctr_status parse_one(int c, const char *a, search_opts *o, ctr_error *err) {
  ctr_scale_family *f = &o->fam;
  int64_t k = 0;
  ctr_status st = CTR_OK;
  switch (c) {
  case 't': return parse_target(a, TARGETS, "--target", &o->target, err);
  case 'e': return parse_target(a, ENGINES, "--engine", &o->engine, err);
  case 'a': return ctr_arg_double("--m-min", a, 0, 1e3, &f->m_min, err);
  case 'b': return ctr_arg_double("--m-max", a, 0, 1e3, &f->m_max, err);
  case 'L': return ctr_arg_double("--max-log10-L", a, 0, 1e300, &f->max_log10_L, err);
  case 'K': st = ctr_arg_int("--K", a, 1, CTR_SCALE_KMAX, &k, err), f->K = (int)k; break;
  case 'd': return parse_dims(a, f, err);
  case 'N': st = ctr_arg_int("--N", a, 2, CTR_SCHEDULE_NMAX, &k, err), f->schedule.N = k; break;
  case 'v': return ctr_arg_double("--v-min", a, 1e-300, 1e6, &f->v_min, err);
  case 'V': return ctr_arg_double("--v-max", a, 1e-300, 1e6, &f->v_max, err);
  case 'w': return ctr_arg_double("--w-min", a, 0, 1, &f->w_min, err);
  case 'm':
    if (!strcmp(a, "w1") || !strcmp(a, "w2")) return f->metric = a[1] - '0', CTR_OK;
    return ctr_fail(err, CTR_EINPUT, "--metric '%s' is unknown (accepted: w1, w2)", a);
  case 's': return ctr_schedule_kind_parse(a, &f->schedule.kind, err);
  case '0': return ctr_arg_double("--c0", a, 1e-3, 1e3, &f->schedule.c0, err);
  case '1': return ctr_arg_double("--c1", a, 1e-3, 1e3, &f->schedule.c1, err);
  case 'G': st = ctr_arg_int("--grid-points", a, 5, 1000000, &k, err), f->grid_G = (int)k; break;
  case 'Q': st = ctr_arg_int("--hermite", a, 2, CTR_RADIAL_QMAX, &k, err), f->grid_Q = (int)k; break;
  case 'S': st = ctr_arg_int("--starts", a, 1, 1000, &k, err), o->nm.starts = (int)k; break;
  case 'M': st = ctr_arg_int("--max-evals", a, 2, 1000000, &k, err), o->nm.max_evals = (int)k; break;
  case 'T': return ctr_arg_double("--tol", a, 1e-12, 10, &o->nm.size_tol, err);
  case 'P': return ctr_arg_double("--step", a, 1e-6, 10, &o->nm.step, err);
  }
  return st;
}

static int parse(int argc, char **argv, search_opts *o) {
  static const struct option opts[] = {
      {"target", required_argument, 0, 't'}, {"engine", required_argument, 0, 'e'},
      {"K", required_argument, 0, 'K'}, {"d", required_argument, 0, 'd'},
      {"N", required_argument, 0, 'N'}, {"v-min", required_argument, 0, 'v'},
      {"v-max", required_argument, 0, 'V'}, {"w-min", required_argument, 0, 'w'},
      {"metric", required_argument, 0, 'm'}, {"m-min", required_argument, 0, 'a'},
      {"m-max", required_argument, 0, 'b'}, {"max-log10-L", required_argument, 0, 'L'}, {"schedule", required_argument, 0, 's'},
      {"c0", required_argument, 0, '0'}, {"c1", required_argument, 0, '1'},
      {"grid-points", required_argument, 0, 'G'}, {"hermite", required_argument, 0, 'Q'},
      {"starts", required_argument, 0, 'S'}, {"max-evals", required_argument, 0, 'M'},
      {"tol", required_argument, 0, 'T'}, {"step", required_argument, 0, 'P'},
      {"output", required_argument, 0, 'o'}, {"force", no_argument, 0, 'f'},
      {"dry-run", no_argument, 0, 'n'}, {"quiet", no_argument, 0, 'q'},
      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int c, target = 0, engine = 0;
  optind = 1, opterr = 0;
  while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
    ctr_error err = {0};
    if (c == 'h') return help(stdout), 0;
    if (c == 'o') o->output = optarg;
    else if (c == 'f') o->force = 1;
    else if (c == 'n') o->dry_run = 1;
    else if (c == 'q') o->quiet = 1;
    else if (c == ':' || c == '?') {
      fprintf(stderr, "ctrate search: %s '%s' (see ctrate search --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    } else if (parse_one(c, optarg, o, &err))
      return fprintf(stderr, "ctrate search: %s\n", err.msg), 2;
    target |= c == 't', engine |= c == 'e';
  }
  if (optind < argc)
    return fprintf(stderr, "ctrate search: unexpected argument '%s'\n", argv[optind]), 2;
  if (!target || !engine)
    return fprintf(stderr, "ctrate search: give the family: --target scale_mixture --engine "
                           "radial, or --target product_bimodal --engine product\n"), 2;
  if (o->target != o->engine)
    return fprintf(stderr, "ctrate search: --target %s runs on --engine %s, not %s\n",
                   TARGETS[o->target], ENGINES[o->target], ENGINES[o->engine]), 2;
  o->fam.family = o->target ? CTR_SEARCH_PRODUCT : CTR_SEARCH_SCALE;
  ctr_error err = {0};
  if (ctr_scale_family_check(&o->fam, &err)) return fprintf(stderr, "ctrate search: %s\n", err.msg), 2;
  int n = ctr_scale_nparams(&o->fam);
  if (o->nm.max_evals < n + 1)
    return fprintf(stderr, "ctrate search: --max-evals %d is below the %d evaluations of one "
                           "initial simplex (accepted: at least 2K = %d)\n", o->nm.max_evals,
                   n + 1, n + 1), 2;
  return -1;
}

static ctr_status objective(const double *z, double *value, void *ctx, ctr_error *err) {
  const search_opts *o = ctx;
  double w[CTR_SCALE_KMAX], v[CTR_SCALE_KMAX], m;
  ctr_scale_value val;
  ctr_scale_decode(&o->fam, z, w, v, &m);
  ctr_status st = ctr_scale_eval(&o->fam, w, v, m, &val, err);
  if (!st) *value = ctr_scale_objective(&val); /* Nelder-Mead minimises */
  return st;
}

static void print_target(const ctr_scale_family *f, const double *w, const double *v, double m) {
  if (f->family == CTR_SEARCH_PRODUCT) {
    printf(" %10.6g %10.6g", m, sqrt(v[0]));
    return;
  }
  for (int k = 0; k < f->K; k++) printf(" %9.6f", w[k]);
  for (int k = 0; k < f->K; k++) printf(" %10.6g", v[k]);
}

/* One row of the path per simplex iteration (stdout), a progress line per start (stderr). */
static void observe(int start, int iter, int evals, const double *z, double f, double size,
                    void *ctx) {
  search_opts *o = ctx;
  double w[CTR_SCALE_KMAX], v[CTR_SCALE_KMAX], m;
  ctr_scale_decode(&o->fam, z, w, v, &m);
  if (iter >= 0) { /* an infeasible best prints as nan (its value is the penalty) */
    printf("%5d %5d %6d %12.8f %10.3g", start + 1, iter, evals,
           f >= CTR_SEARCH_INFEASIBLE ? NAN : -f, size);
    print_target(&o->fam, w, v, m);
    printf("\n");
    fflush(stdout);
    return;
  }
  if (!o->quiet)
    fprintf(stderr, "ctrate search: start %d/%d ended (%s): exponent %.6f, %d of %d evaluations "
            "used, %.0f s\n", start + 1, o->nm.starts, size < o->nm.size_tol ? "converged"
            : evals >= o->nm.max_evals ? "budget spent" : "iteration limit",
            f >= CTR_SEARCH_INFEASIBLE ? NAN : -f, evals,
            o->nm.max_evals, omp_get_wtime() - o->t0);
}

static char *file_name(const char *prefix, int64_t d) {
  size_t n = strlen(prefix) + 32;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s_d%lld.txt", prefix, (long long)d);
  return p;
}

/* Before anything runs: every output may be written (not a directory; --force to replace). */
static int check_outputs(const search_opts *o) {
  for (int i = 0; o->output && i < o->fam.ndims; i++) {
    ctr_error err = {0};
    char *p = file_name(o->output, o->fam.dims[i]);
    struct stat sb;
    ctr_status st = p ? ctr_output_check("-o", p, NULL, 0, &err)
                      : ctr_fail(&err, CTR_ENOMEM, "out of memory");
    if (!st && !o->force && stat(p, &sb) == 0)
      st = ctr_fail(&err, CTR_EINPUT, "-o: %s exists (--force replaces it)", p);
    free(p);
    if (st) return fprintf(stderr, "ctrate search: %s\n", err.msg), ctr_exit_code(st);
  }
  return -1;
}

/* Cost of one radial run in s of one core: 0.15 + 2.8e-8 N G K Q^2, fitted to CPU times
 * measured on the development machine (one thread, d = 64: N = 100 and 400, K = 2 and 4,
 * G = 201 and 1001; within 10 % at G = 1001, the fixed part underestimated at small G). The
 * sweep plan's model (sweep/plan.c) is a pessimistic bound for scheduling, not an estimate. */
static int dry_run(const search_opts *o) {
  const ctr_scale_family *f = &o->fam;
  int prod = f->family == CTR_SEARCH_PRODUCT;
  double G = f->grid_G ? f->grid_G : prod ? 2001 : 1001, Q = f->grid_Q ? f->grid_Q : prod ? 20 : 8;
  /* product: one 1-D grid run (x5 with the refinement, Q rather than Q^2) and its coupling
   * nodes; 1.2e-7 N G K Q + 0.3 from ctrate run --engine product at N = 100, 400 (G 2001, Q 20):
   * a rough model, not fitted over G and Q */
  double run = prod ? 0.3 + 1.2e-7 * (double)f->schedule.N * G * f->K * Q
                    : 0.15 + 2.8e-8 * (double)f->schedule.N * G * f->K * Q * Q;
  int n = ctr_scale_nparams(f), evals = o->nm.max_evals + n + 1 + 2; /* + best, Gaussian */
  printf("search: %d parameters, %d starts, at most %d evaluations of %d %s runs each%s\n"
         "estimated cost: %.0f s of one core at most (%.2f s per evaluation)\n", n,
         o->nm.starts, evals, f->ndims, prod ? "product" : "radial",
         isfinite(f->max_log10_L) ? " (plus one exact L each)" : "", run * f->ndims * evals,
         run * f->ndims);
  return 0;
}

static void header(const search_opts *o, const ctr_scale_value *b, char *buf, size_t size) {
  size_t k = (size_t)snprintf(buf, size, "# ctrate search: the best %s found, d-exponent "
                              "of %s / data_scale %.17g at N = %lld\n# command: %s\n",
                              TARGETS[o->fam.family == CTR_SEARCH_PRODUCT],
                              o->fam.metric == CTR_SCALE_W1 ? "W1" : "W2", b->exponent,
                              (long long)o->fam.schedule.N, ctr_command_line());
  for (int i = 0; i < o->fam.ndims && k < size; i++)
    k += (size_t)snprintf(buf + k, size - k, "# d = %lld: %s = %.17g, data_scale = %.17g\n",
                          (long long)o->fam.dims[i], o->fam.metric == CTR_SCALE_W1 ?
                          "w1_hi_normal" : "w2_normal", b->W[i], b->scale[i]);
}

static int report(search_opts *o, const ctr_nm_result *r) {
  ctr_scale_family *f = &o->fam;
  double w[CTR_SCALE_KMAX], v[CTR_SCALE_KMAX], g = 0, m;
  ctr_scale_value b, gv;
  ctr_error err = {0};
  ctr_scale_decode(f, r->x, w, v, &m);
  for (int k = 0; k < f->K; k++) g += w[k] * v[k];
  g += m * m; /* product: the coordinate's variance m^2 + sigma^2 */
  ctr_scale_family gauss = *f; /* the Gaussian with the same data scale, on the radial engine */
  gauss.family = CTR_SEARCH_SCALE, gauss.K = 1, gauss.w_min = 0, gauss.v_min = gauss.v_max = g;
  gauss.max_log10_L = INFINITY, gauss.grid_G = gauss.grid_Q = 0;
  double one = 1;
  ctr_status st = ctr_scale_eval(f, w, v, m, &b, &err);
  if (!st && !b.feasible) {
    printf("\nno feasible target found: the best point has log10 L = %.6g at d = %lld, above "
           "--max-log10-L %g\n", b.log10_L[f->ndims - 1], (long long)f->dims[f->ndims - 1],
           f->max_log10_L);
    return 1;
  }
  if (!st) st = ctr_scale_eval(&gauss, &one, &g, 0, &gv, &err);
  if (!st) st = ctr_scale_lipschitz(f, w, v, m, &b, &err);
  if (st) return fprintf(stderr, "ctrate search: %s\n", err.msg), ctr_exit_code(st);
  printf("\nbest: exponent %.6f (start %d; %d evaluations, %d of %d starts converged)\n",
         b.exponent, r->start + 1, r->evals, r->converged, r->starts_run);
  if (f->family == CTR_SEARCH_PRODUCT) {
    printf("m:         %.17g\nsigma:     %.17g\n", m, sqrt(v[0]));
  } else {
    printf("weights:  ");
    for (int k = 0; k < f->K; k++) printf(" %.17g", w[k]);
    printf("\nvariances:");
    for (int k = 0; k < f->K; k++) printf(" %.17g", v[k]);
    printf("\n");
  }
  if (isfinite(f->max_log10_L)) printf("constraint: log10 L <= %g at d = %lld\n", f->max_log10_L,
                                       (long long)f->dims[f->ndims - 1]);
  printf("%8s %24s %12s %12s %10s\n", "d", f->metric == CTR_SCALE_W1 ? "W1" : "W2",
         "data_scale", "log10_L", "disc_err");
  for (int i = 0; i < f->ndims; i++)
    printf("%8lld %24.17g %12.6g %12.6g %10.2g\n", (long long)f->dims[i], b.W[i], b.scale[i],
           b.log10_L[i], b.disc[i]);
  printf("slope between the two largest d: %.6f%s\n", b.secant_last,
         b.sorted ? " (some W from sorted quantiles: accurate to O(1/M) only)" : "");
  printf("Gaussian N(0, %.6g I) (same data scale): exponent %.6f\n", g, gv.exponent);
  if (!o->output) return 0;
  char head[4096];
  header(o, &b, head, sizeof head);
  for (int i = 0; i < f->ndims; i++) {
    char *p = file_name(o->output, f->dims[i]);
    st = p ? ctr_scale_write(f, w, v, m, f->dims[i], head, p, &err)
           : ctr_fail(&err, CTR_ENOMEM, "out of memory");
    if (!st) printf("wrote %s\n", p);
    free(p);
    if (st) return fprintf(stderr, "ctrate search: %s\n", err.msg), ctr_exit_code(st);
  }
  return 0;
}

int ctr_cmd_search(int argc, char **argv) {
  search_opts o = {.nm = {.starts = 4, .step = 0.5, .size_tol = 1e-3, .max_evals = 200,
                          .max_iter = 100000}};
  ctr_scale_family_default(&o.fam);
  int rc = parse(argc, argv, &o);
  if (rc >= 0) return rc;
  if (o.dry_run) return dry_run(&o);
  if ((rc = check_outputs(&o)) >= 0) return rc;
  int n = ctr_scale_nparams(&o.fam);
  double *z0 = malloc(sizeof(double) * (size_t)n * o.nm.starts);
  if (!z0) return fprintf(stderr, "ctrate search: out of memory\n"), 1;
  ctr_scale_starts(&o.fam, o.nm.starts, z0);
  o.nm.n = n, o.nm.x0 = z0, o.t0 = omp_get_wtime();
  printf("# path: one row per Nelder-Mead iteration; exponent = slope of ln(%s / data_scale) on "
         "ln d; size = simplex size\n%5s %5s %6s %12s %10s", o.fam.metric == CTR_SCALE_W1 ?
         "W1" : "W2", "start", "iter", "evals", "exponent", "size");
  if (o.fam.family == CTR_SEARCH_PRODUCT) printf("          m      sigma");
  for (int k = 0; o.fam.family == CTR_SEARCH_SCALE && k < o.fam.K; k++) printf("        w%d", k + 1);
  for (int k = 0; o.fam.family == CTR_SEARCH_SCALE && k < o.fam.K; k++) printf("         v%d", k + 1);
  printf("\n");
  ctr_nm_result r;
  ctr_error err = {0};
  ctr_status st = ctr_nm_minimise(&o.nm, objective, &o, observe, &o, &r, &err);
  free(z0);
  if (st) return fprintf(stderr, "ctrate search: %s\n", err.msg), ctr_exit_code(st);
  return report(&o, &r);
}
