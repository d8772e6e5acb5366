/* bench_scaling.c: time against size for every engine but the affine one (issue 13 point 7:
 * "scaling is shown, not assumed"; the affine engine has bench_affine --scaling).
 *
 *   bench_scaling [SERIES...]   (default: every series; --list prints their names)
 *
 * For each series one engine is run at 3-5 sizes x of one parameter (d, N, K, G, train_n, n or
 * m), the others fixed, single-threaded; the time is the process CPU time of the engine call
 * alone (CLOCK_PROCESS_CPUTIME_ID: the machine is shared, wall time is not), best of 3 runs
 * below 0.3 s, else of 1, after one untimed run at the smallest size. The exponent e of
 * t ~ x^e is the least-squares slope of log t on log x (gsl_fit_linear), printed with its
 * standard error and the local slopes between neighbouring sizes. Each series states the
 * exponent its cost model expects (engine header comments, docs/benchmarks.md "Scaling of the
 * other engines") and FAILS when the fitted exponent exceeds it by more
 * than the series' margin (a complexity regression; 0.3 unless said: CPU-time noise under load
 * is ~10-20% per point, so +-0.15 on a decade). A fitted exponent far BELOW expectation is
 * printed but not failed: fixed costs at the small sizes flatten a fit and are no regression.
 *
 * One JSON line per series: {"scaling", "engine", "x_name", "x", "cpu_seconds", "exponent",
 * "exponent_se", "local", "expected", "margin", "pass"}; then a summary line per series on
 * stderr. Exit 1 when a series fails or an engine call fails, 2 on bad usage. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <omp.h>

#include "core/rng.h"
#include "core/schedule.h"
#include "engines/chain.h"
#include "engines/distill.h"
#include "engines/grid.h"
#include "engines/learned.h"
#include "engines/lowrank.h"
#include "engines/product.h"
#include "engines/radial.h"
#include "targets/gaussian.h"
#include "targets/mixture.h"
#include "wasserstein/assignment.h"
#include "wasserstein/slices.h"

#define MAXPTS 6

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(const char *what, const ctr_error *err) {
  fprintf(stderr, "bench_scaling: %s: %s\n", what, err->msg);
  return -1;
}

static ctr_schedule *schedule(int64_t N) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp); /* paper schedule, the documented defaults */
  sp.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) fail("schedule", &err);
  return s;
}

/* The sphere preset of mixture_dimension: K modes of width 0.1 on the sphere of radius
 * sqrt(d), seed 1. */
static ctr_mixture *sphere(int d, int K) {
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  mp.kind = CTR_MIXTURE_SPHERE, mp.d = d, mp.K = K, mp.sigma = 0.1;
  mp.radius = 1, mp.radius_growing = 1, mp.seed = 1;
  ctr_mixture *m = NULL;
  ctr_error err;
  if (ctr_mixture_from_params(&mp, &m, &err)) fail("mixture", &err);
  return m;
}

static ctr_mixture *preset(ctr_mixture_preset kind, int d) {
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  mp.kind = kind, mp.d = d, mp.m = 1.0, mp.sigma = 0.1;
  ctr_mixture *m = NULL;
  ctr_error err;
  if (ctr_mixture_from_params(&mp, &m, &err)) fail("mixture", &err);
  return m;
}

/* ---- one run of each engine at size x (the series' parameter) ---- */

typedef struct series series;
typedef int (*run_fn)(const series *se, double x, double *excl);
struct series {
  const char *name, *engine, *x_name;
  double x[MAXPTS];
  int n;
  double expected, margin;
  const char *model; /* the cost model behind `expected` */
  run_fn run;
  int d, K, N, P, full; /* fixed parameters (those not varied) */
  int excl_flow;        /* chain: time the sampling loop (engine minus flow map CPU) */
};

/* the varied parameter or the fixed one */
#define PICK(field, nm) (strcmp(se->x_name, nm) ? se->field : (int)x)

static int run_chain(const series *se, double x, double *excl) {
  int d = PICK(d, "d"), K = PICK(K, "K"), N = PICK(N, "N"), rc = 0;
  ctr_schedule *s = schedule(N);
  ctr_mixture *m = sphere(d, K);
  ctr_chain_params cp;
  ctr_chain_params_default(&cp);
  cp.points = se->P, cp.chains = 4, cp.seed = 1, cp.full_space = se->full;
  ctr_chain_result r;
  ctr_error err;
  if (!s || !m || ctr_chain_run(&cp, s, m, &r, &err)) rc = s && m ? fail("chain", &err) : -1;
  if (!rc && se->excl_flow) *excl = r.flow_seconds;
  ctr_mixture_free(m), ctr_schedule_free(s);
  return rc;
}

/* the DDIM map f_N alone (ctr_distill_map) at P points x ~ N(0, I): the engine's O(N K d) part,
 * without the flow map Phi that ctr_distill_run integrates per point (adaptive, ~N-free) */
static int run_distill(const series *se, double x, double *excl) {
  (void)excl;
  int d = PICK(d, "d"), K = PICK(K, "K"), N = PICK(N, "N"), rc = 0;
  ctr_schedule *s = schedule(N);
  ctr_mixture *m = sphere(d, K);
  ctr_distill_params dp;
  ctr_distill_params_default(&dp);
  dp.points = se->P, dp.seed = 1;
  size_t len = (size_t)se->P * (size_t)d;
  double *xs = malloc(len * sizeof(double)), *fN = malloc(len * sizeof(double));
  ctr_error err;
  if (!s || !m || !xs || !fN) rc = -1;
  if (!rc) {
    ctr_rng r;
    ctr_rng_init(&r, 3, CTR_RNG_TEST, (uint64_t)d, 0);
    ctr_rng_normals(&r, len, xs);
    if (ctr_distill_map(&dp, s, m, (size_t)se->P, xs, fN, &err)) rc = fail("distill", &err);
  }
  free(xs), free(fN), ctr_mixture_free(m), ctr_schedule_free(s);
  return rc;
}

static int run_grid(const series *se, double x, double *excl) {
  (void)excl;
  int N = PICK(N, "N"), rc = 0;
  ctr_schedule *s = schedule(N);
  ctr_mixture *m = preset(CTR_MIXTURE_TWO_MODES, 1);
  ctr_grid_params p;
  ctr_grid_params_default_d(&p, 1);
  p.coupling = 0; /* the recursion and its metrics: the coupling's flow maps do not scale in N, G */
  if (!strcmp(se->x_name, "G")) p.G = (int)x;
  ctr_grid_result *r = NULL;
  ctr_error err;
  if (!s || !m || ctr_grid_run(&p, s, m, &r, &err)) rc = s && m ? fail("grid", &err) : -1;
  ctr_grid_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
  return rc;
}

/* product_bimodal: every coordinate 0.5 N(-1, 0.01) + 0.5 N(1, 0.01), one group of d */
static int run_product(const series *se, double x, double *excl) {
  (void)excl;
  int d = PICK(d, "d"), N = PICK(N, "N"), rc = 0;
  ctr_schedule *s = schedule(N);
  double w[2] = {0.5, 0.5}, mu[2] = {-1, 1}, v[2] = {0.01, 0.01};
  ctr_product_coord c = {2, w, mu, v, d};
  ctr_product_params p;
  ctr_product_params_default(&p);
  p.lipschitz = 0; /* the exact L (a 1-D search, ~0.4 s at N = 100 whatever d) is no engine work */
  ctr_product_result r;
  ctr_error err;
  if (!s || ctr_product_run(&p, s, 1, &c, &r, &err)) rc = s ? fail("product", &err) : -1;
  ctr_schedule_free(s);
  return rc;
}

/* scale mixture 0.5 N(0, 0.25 I) + 0.5 N(0, 4 I) */
static int run_radial(const series *se, double x, double *excl) {
  (void)excl;
  int d = PICK(d, "d"), N = PICK(N, "N"), rc = 0;
  ctr_schedule *s = schedule(N);
  double w[2] = {0.5, 0.5}, v[2] = {0.25, 4.0};
  ctr_radial_params p;
  ctr_radial_params_default(&p);
  ctr_radial_result *r = NULL;
  ctr_error err;
  if (!s || ctr_radial_run(&p, s, 2, w, v, d, &r, &err)) rc = s ? fail("radial", &err) : -1;
  ctr_radial_result_free(r), ctr_schedule_free(s);
  return rc;
}

static int run_lowrank(const series *se, double x, double *excl) {
  (void)excl;
  int d = PICK(d, "d"), N = PICK(N, "N"), rc = 0;
  ctr_schedule *s = schedule(N);
  ctr_mixture *m = preset(CTR_MIXTURE_TWO_MODES, d);
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p);
  p.prod.lipschitz = 0; /* as the product engine's series */
  ctr_lowrank_result r;
  ctr_error err;
  if (!s || !m || ctr_lowrank_run(&p, s, m, &r, &err)) rc = s && m ? fail("lowrank", &err) : -1;
  ctr_mixture_free(m), ctr_schedule_free(s);
  return rc;
}

/* affine class on the geometric spectrum (lambda 1 down to 0.01), fresh samples */
static int run_learned(const series *se, double x, double *excl) {
  (void)excl;
  int d = PICK(d, "d"), N = PICK(N, "N"), n = PICK(P, "train_n"), rc = 0;
  ctr_schedule *s = schedule(N);
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.kind = CTR_TARGET_GEOMETRIC, tp.d = d, tp.lambda_min = 0.01, tp.lambda_max = 1.0;
  ctr_target *tg = NULL;
  ctr_learned_params lp;
  ctr_learned_params_default(&lp);
  lp.train_n = n, lp.seed = 1;
  ctr_learned_result *r = NULL;
  ctr_error err;
  if (!s || ctr_target_alloc(&tp, &tg, &err) || ctr_learned_run(&lp, s, tg, &r, &err))
    rc = s ? fail("learned", &err) : -1;
  ctr_learned_result_free(r), ctr_target_free(tg), ctr_schedule_free(s);
  return rc;
}

/* x ~ N(0, I), y ~ N(0.3, diag(0.5..2)^2) in d dims (the laws of bench/bench_assign.py) */
static double *clouds(size_t n, int d, uint64_t seed) {
  double *p = malloc(2 * n * (size_t)d * sizeof(double));
  if (!p) return NULL;
  ctr_rng r;
  ctr_rng_init(&r, seed, CTR_RNG_TEST, n, (uint64_t)d);
  ctr_rng_normals(&r, 2 * n * (size_t)d, p);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < d; k++) {
      double sc = d > 1 ? 0.5 + 1.5 * k / (d - 1) : 1.0;
      p[(n + i) * (size_t)d + (size_t)k] = 0.3 + sc * p[(n + i) * (size_t)d + (size_t)k];
    }
  return p;
}

/* W1 and then W2 (as tests/wassign_cli and bench_assign.py) */
static int run_assign(const series *se, double x, double *excl) {
  (void)excl;
  size_t n = (size_t)x;
  double *p = clouds(n, se->d, 7), w;
  ctr_error err;
  ctr_assign_status st;
  int rc = p ? 0 : -1;
  for (int q = 1; q <= 2 && !rc; q++)
    if (ctr_assign_wp(n, (size_t)se->d, p, p + n * (size_t)se->d, q, NULL, &w, &st, &err) ||
        !st.optimal)
      rc = fail("assignment", &err);
  free(p);
  return rc;
}

/* the same-directions kernel of bench/bench_sliced.py: m unit directions given */
static int run_sliced(const series *se, double x, double *excl) {
  (void)excl;
  size_t n = (size_t)PICK(N, "n"), m = (size_t)PICK(K, "m"), d = (size_t)se->d;
  double *p = clouds(n, (int)d, 11), *th = malloc(m * d * sizeof(double));
  double *w = malloc(m * sizeof(double));
  int rc = p && th && w ? 0 : -1;
  if (!rc) {
    ctr_rng r;
    ctr_rng_init(&r, 5, CTR_RNG_TEST, m, d);
    ctr_rng_normals(&r, m * d, th);
    for (size_t k = 0; k < m; k++) {
      double s = 0;
      for (size_t i = 0; i < d; i++) s += th[k * d + i] * th[k * d + i];
      for (size_t i = 0; i < d; i++) th[k * d + i] /= sqrt(s);
    }
    ctr_error err;
    if (ctr_sliced_w1_dirs(d, n, p, n, p + n * d, m, th, w, &err)) rc = fail("sliced", &err);
  }
  free(p), free(th), free(w);
  return rc;
}

/* ---- the series ---- */

static const series SERIES[] = {
    /* chain, default path (low-rank: the chain runs in the r = K - 1 dimensional span of the
     * means, theory.md §9.4): O(N K r) per chain plus O(r d) per point (projection) and the
     * start points' O(d) draws, so flat in d while N K r >> d */
    {"chain-d", "chain", "d", {16, 64, 256, 1024, 4096}, 5, 0.0, 0.3,
     "low-rank span: O(N K r) per chain + O(d) per chain", run_chain, 0, 8, 400, 100, 0, 1},
    {"chain-N", "chain", "N", {50, 100, 200, 400}, 4, 1.0, 0.3, "O(N K r) per chain", run_chain,
     64, 8, 0, 200, 0, 1},
    /* asymptotically O(N K r) = O(N K^2) at r = K - 1, but at K <= 32 the per-sample O(K + r)
     * work (exp of K log-weights, the categorical and the Gaussian draw) dominates the K r
     * distances: measured ~K^0.8-1.0, so 1 is expected at these sizes */
    {"chain-K", "chain", "K", {4, 8, 16, 32}, 4, 1.0, 0.3,
     "O(N K r), at K <= 32 dominated by O(N (K + r)) per chain", run_chain, 64, 0, 100, 100, 0, 1},
    {"chain-full-d", "chain", "d", {16, 64, 256}, 3, 1.0, 0.3,
     "full-space path: O(N K d) per chain (the issue's model)", run_chain, 0, 8, 50, 25, 1, 1},
    {"distill-d", "distill", "d", {16, 64, 256, 1024}, 4, 1.0, 0.3,
     "DDIM with the exact denoiser in d dims: O(N K d) per point", run_distill, 0, 8, 100, 200,
     0, 0},
    {"distill-N", "distill", "N", {50, 100, 200, 400}, 4, 1.0, 0.3, "O(N K d) per point",
     run_distill, 64, 8, 0, 200, 0, 0},
    {"grid-N", "grid", "N", {50, 100, 200, 400}, 4, 1.0, 0.3,
     "1-D grid: O(N G Q), base and refined run (coupling off)", run_grid, 1, 2, 0, 0, 0, 0},
    {"grid-G", "grid", "G", {501, 1001, 2001, 4001}, 4, 1.0, 0.3, "O(N G Q)", run_grid, 1, 2, 100,
     0, 0, 0},
    {"product-d", "product", "d", {16, 256, 4096, 65536}, 4, 0.0, 0.3,
     "one 1-D grid run per distinct coordinate law: flat in d", run_product, 0, 2, 100, 0, 0, 0},
    {"product-N", "product", "N", {50, 100, 200, 400}, 4, 1.0, 0.3, "O(N G Q) per law",
     run_product, 16, 2, 0, 0, 0, 0},
    {"radial-d", "radial", "d", {4, 16, 64, 256}, 4, 0.0, 0.3,
     "1-D radial laws: flat in d", run_radial, 0, 2, 50, 0, 0, 0},
    {"radial-N", "radial", "N", {25, 50, 100, 200}, 4, 1.0, 0.3, "O(N G K Q^2)", run_radial, 16,
     2, 0, 0, 0, 0},
    {"lowrank-d", "lowrank", "d", {16, 128, 1024, 4096}, 4, 0.0, 0.3,
     "1-D span grid + isotropic closed form: flat in d", run_lowrank, 0, 2, 100, 0, 0, 0},
    {"lowrank-N", "lowrank", "N", {50, 100, 200, 400}, 4, 1.0, 0.3, "O(N G Q)", run_lowrank, 16,
     2, 0, 0, 0, 0},
    {"learned-d", "learned", "d", {8, 16, 32, 64}, 4, 2.0, 0.3,
     "affine class: per step an n x d design, Gram O(n d^2) (+ O(d^3))", run_learned, 0, 1, 50,
     2000, 0, 0},
    {"learned-N", "learned", "N", {25, 50, 100, 200}, 4, 1.0, 0.3, "O(N n d^2)", run_learned, 16,
     1, 0, 2000, 0, 0},
    {"learned-n", "learned", "train_n", {500, 1000, 2000, 4000}, 4, 1.0, 0.3, "O(N n d^2)",
     run_learned, 16, 1, 50, 0, 0, 0},
    /* JV on dense random clouds: each scanned row is O(n) and the rows scanned grow ~n^1.8
     * (W1 + W2 on clouds of these laws, tests/wassign_cli: 160k, 271k, 573k at n = 1400, 2000,
     * 2800, deterministic), so ~n^2.8 of work; measured 2.8-3.4 in CPU time under load 30, the
     * larger matrices (16-64 MB) suffering more from shared caches. Margin 0.7: fail above
     * 3.5, clearly beyond JV's n^3 worst case. n >= 1400: from n = 1000 (8 MB) to 1400 the time
     * jumped 4x under load, a constant factor of the memory hierarchy, not a complexity; below
     * the float path (n = 3000) */
    {"assign-n", "assignment", "n", {1400, 2000, 2800}, 3, 2.8, 0.7,
     "JV, W1 + W2, d = 10: ~n^1.8 rows scanned x O(n) each", run_assign, 10, 0, 0, 0, 0, 0},
    {"sliced-n", "sliced", "n", {10000, 40000, 160000}, 3, 1.0, 0.3,
     "per direction: projection O(n d) + radix sort O(n)", run_sliced, 10, 16, 0, 0, 0, 0},
    {"sliced-m", "sliced", "m", {8, 32, 128}, 3, 1.0, 0.3, "O(m n (d + 1))", run_sliced, 10, 0,
     50000, 0, 0, 0},
};
#define NSERIES ((int)(sizeof SERIES / sizeof SERIES[0]))

static int time_series(const series *se) {
  double t[MAXPTS], lx[MAXPTS], lt[MAXPTS], warm = 0;
  if (se->run(se, se->x[0], &warm)) return -1; /* untimed: first-touch page faults, caches */
  for (int i = 0; i < se->n; i++) {
    t[i] = INFINITY;
    for (int rep = 0; rep < 3 && (rep == 0 || t[i] < 0.3); rep++) {
      double c0 = cpu_now(), excl = 0;
      if (se->run(se, se->x[i], &excl)) return -1;
      t[i] = fmin(t[i], cpu_now() - c0 - excl);
    }
    lx[i] = log(se->x[i]), lt[i] = log(t[i]);
  }
  double c0, c1, v00, v01, v11, ss;
  gsl_fit_linear(lx, 1, lt, 1, (size_t)se->n, &c0, &c1, &v00, &v01, &v11, &ss);
  double se1 = se->n > 2 ? sqrt(v11) : NAN;
  int pass = c1 <= se->expected + se->margin;
  printf("{\"scaling\": \"%s\", \"engine\": \"%s\", \"x_name\": \"%s\", \"x\": [", se->name,
         se->engine, se->x_name);
  for (int i = 0; i < se->n; i++) printf("%s%g", i ? ", " : "", se->x[i]);
  printf("], \"cpu_seconds\": [");
  for (int i = 0; i < se->n; i++) printf("%s%.4g", i ? ", " : "", t[i]);
  printf("], \"exponent\": %.3f, \"exponent_se\": %.3f, \"local\": [", c1, se1);
  for (int i = 0; i + 1 < se->n; i++)
    printf("%s%.2f", i ? ", " : "", (lt[i + 1] - lt[i]) / (lx[i + 1] - lx[i]));
  printf("], \"expected\": %g, \"margin\": %g, \"model\": \"%s\", \"pass\": %s}\n", se->expected,
         se->margin, se->model, pass ? "true" : "false");
  fflush(stdout);
  return pass ? 0 : 1;
}

int main(int argc, char **argv) {
  gsl_set_error_handler_off();
  omp_set_num_threads(1);
  if (argc == 2 && !strcmp(argv[1], "--list")) {
    for (int k = 0; k < NSERIES; k++) printf("%s\n", SERIES[k].name);
    return 0;
  }
  for (int a = 1; a < argc; a++) {
    int known = 0;
    for (int k = 0; k < NSERIES; k++) known |= !strcmp(argv[a], SERIES[k].name);
    if (!known) {
      fprintf(stderr, "bench_scaling: unknown series '%s' (bench_scaling --list names them)\n",
              argv[a]);
      return 2;
    }
  }
  int rc = 0;
  for (int k = 0; k < NSERIES; k++) {
    int want = argc == 1;
    for (int a = 1; a < argc; a++) want |= !strcmp(argv[a], SERIES[k].name);
    if (!want) continue;
    double c0 = cpu_now();
    int r = time_series(&SERIES[k]);
    fprintf(stderr, "bench_scaling: %s done in %.1f CPU s%s\n", SERIES[k].name, cpu_now() - c0,
            r < 0 ? " (a run failed)" : r ? " (exponent above its limit)" : "");
    rc |= r ? 1 : 0;
  }
  return rc;
}
