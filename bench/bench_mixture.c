/* bench_mixture.c: wall time of the chain engine (ideal CT by backward chains) and of the
 * distillation engine (DDIM with the exact denoiser) on the 1-D two-mode mixture
 * (modes at +-1, weights 1/2, sigma 0.1: ctr_mixture_params_default, set explicitly), on the
 * paper schedule with the documented defaults (ctr_schedule_params_default: c0 = 2, c1 = 4).
 *
 * Run single-threaded (omp_set_num_threads(1)) so that the ratio against the numpy reference
 * (bench/ref_mixture.py) is a fair one-core comparison. Each engine is run a few times and the
 * best wall time (omp_get_wtime) of ctr_chain_run / ctr_distill_run alone is reported. Both
 * engines compute the flow map Phi_{N->1}(x) of every starting point (rk8pd, tolerance 1e-12,
 * repeated at halved tolerance for the error estimate); "seconds_flow" is the best time of that
 * part alone (ctr_flow_map on the same number of points from q_N), so the chain / DDIM part
 * costs about seconds - seconds_flow.
 *
 * "cpu_seconds" is the process CPU time (clock()) of the same best run: less sensitive than
 * the wall time to other jobs sharing the machine.
 *
 * Rates: chain: posterior samples per second = points * chains * (N - 1) / seconds;
 *        distill: DDIM denoiser calls per second = points * (N - 1) / seconds
 *        (the flow map's own denoiser calls are not counted in either).
 *
 * Fraction of the machine's limit (issue 13 point 1, docs/benchmarks.md): a posterior draw
 * needs at least K exponentials (the log-sum-exp of the weights), the squared distances to K
 * means in r dimensions (2 K r flops; r = d, or the span of the means on the low-rank path) and
 * r normals (a log and a sincospi per pair: counted as one vector evaluation each), so one core
 * does at most 1 / ((K + r) / E + 2 K r / F) draws a second, with E SLEEF's vector exp
 * throughput and F the peak FMA rate, both measured in this run (bench_limit.h). A DDIM
 * denoiser call (distill) draws no normals: 1 / (K / E + 2 K d / F). "fraction_of_limit" is the
 * engine's rate per CPU second of its sampling loop (engine CPU time minus the flow map's) over
 * that limit; the uniform for the categorical draw, the random bits and the bookkeeping are not
 * in the limit.
 *
 * usage: bench_mixture [N POINTS CHAINS]   (default: 200 2000 4)
 *        bench_mixture --sphere D K N POINTS CHAINS [NUMPY_SCRIPT [MIN_SPEEDUP]]
 *          (the chain engine on the sphere preset, sigma 0.1, radius sqrt(d): old full-space
 *          path against the default (low-rank) path and bench/ref_mixture.py --sphere; see
 *          sphere_main)
 * Output, one JSON line each: {"engine": "chain", ...}, {"engine": "distill", ...} with the
 * estimates (sq, l1 and standard errors) for the statistical cross-check, and
 * {"engine": "maps", "x": [...], "phi": [...], "fN": [...]}: Phi(x) and the DDIM map f_N(x)
 * at fixed x = -3, -2.5, ..., 3 for a deterministic cross-check.
 * Exit status 1 if a run fails, 2 on bad usage. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "engines/chain.h"
#include "engines/distill.h"
#include "targets/flow_map.h"
#include "targets/mixture.h"
#include "core/rng.h"
#include "core/schedule.h"
#include "engines/chain_lowrank.h"

#include "bench_limit.h"

#define REPS 3
#define NFIX 13

static int fail(const char *what, const ctr_error *err) {
  fprintf(stderr, "bench_mixture: %s: %s\n", what, err->msg);
  return 1;
}

/* The limit above: draws (or denoiser calls) per second for K components in r dims with
 * `normals` Gaussian draws each. */
typedef struct {
  double exp_per_s, flops_per_s;
} limits;

static limits measure_limits(void) {
  double r[3];
  limits l = {bench_limit_exp(r), bench_limit_fma()};
  return l;
}

static double draw_limit(const limits *l, double K, double r, double normals) {
  if (!(l->exp_per_s > 0 && l->flops_per_s > 0)) return NAN; /* built without SLEEF */
  return 1 / ((K + normals) / l->exp_per_s + 2 * K * r / l->flops_per_s);
}

/* Best time of ctr_flow_map (with the halved-tolerance estimate, as the engines call it) over
 * `points` starting points from q_N. */
static int time_flow(const ctr_schedule *s, const ctr_mixture *m, int points, double *best,
                     double *best_cpu) {
  ctr_error err = {0};
  ctr_denoiser den = ctr_mixture_denoiser(m);
  ctr_flow_span span;
  ctr_flow_tol tol;
  ctr_flow_tol_default(&tol);
  if (ctr_flow_span_steps(s, s->N, 1, &span, &err)) return fail("flow span", &err);
  double *x = malloc(sizeof(double) * (size_t)points);
  if (!x) return fail("flow", &(ctr_error){.msg = "out of memory"});
  ctr_rng r;
  ctr_rng_init(&r, 12345, CTR_RNG_TEST, 0, 0);
  if (ctr_mixture_sample_noised(m, s->a[s->N], s->s[s->N], &r, (size_t)points, x, &err)) {
    free(x);
    return fail("flow start points", &err);
  }
  *best = *best_cpu = INFINITY;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = omp_get_wtime(), c0 = bench_cpu_now();
    for (int i = 0; i < points; i++) {
      double y, yerr;
      if (ctr_flow_map(&den, &span, &tol, x + i, &y, &yerr, &err)) {
        free(x);
        return fail("flow map", &err);
      }
    }
    double t = omp_get_wtime() - t0, c = bench_cpu_now() - c0;
    if (t < *best) *best = t;
    if (c < *best_cpu) *best_cpu = c;
  }
  free(x);
  return 0;
}

/* ---- --sphere: the chain engine on the sphere preset in d dims (issue 13 point 4) ---- */

/* Best of REPS runs of ctr_chain_run with full_space = fs: wall seconds, CPU seconds, the flow
 * map's CPU seconds in the run of least CPU time, and the estimates. */
static int time_chain(const ctr_schedule *s, const ctr_mixture *m, const ctr_chain_params *cp0,
                      int fs, double *best, double *cpu, double *flow, ctr_chain_result *res) {
  ctr_chain_params cp = *cp0;
  cp.full_space = fs;
  ctr_error err = {0};
  *best = *cpu = INFINITY;
  for (int rep = 0; rep < REPS; rep++) {
    double t0 = omp_get_wtime();
    clock_t c0 = clock();
    if (ctr_chain_run(&cp, s, m, res, &err)) return fail("chain", &err);
    double t = omp_get_wtime() - t0, c = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (t < *best) *best = t;
    if (c < *cpu) *cpu = c, *flow = res->flow_seconds;
  }
  return 0;
}

/* Run the numpy reference (vectorised over chains and points) and read its samples_per_s. */
static double numpy_rate(const char *script, long d, long K, long N, long P, long M) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 '%s' "
           "--sphere %ld %ld %ld %ld %ld", script, d, K, N, P, M);
  FILE *f = popen(cmd, "r");
  if (!f) return NAN;
  char line[4096];
  double rate = NAN;
  while (fgets(line, sizeof line, f)) {
    fputs(line, stdout);
    const char *q = strstr(line, "\"samples_per_s\": ");
    if (q) rate = strtod(q + strlen("\"samples_per_s\": "), NULL);
  }
  return pclose(f) == 0 ? rate : NAN;
}

/* usage: --sphere D K N POINTS CHAINS [NUMPY_SCRIPT [MIN_SPEEDUP]]. Times the old path
 * (full_space = 1: every step in d dims) and the default path (low-rank when it applies) on
 * the same points, best of REPS each, then the numpy reference if given. Rates are posterior
 * samples per CPU second of the sampling loop (the engine's CPU time minus the flow map's: the
 * machine is shared, and CPU time is the less disturbed measure); "engine_samples_per_s"
 * counts the whole engine; "seconds" is the best wall time. Exit 1 if the loop's speed-up of the
 * default path over the old one is below MIN_SPEEDUP (default 0: no check). */
static int sphere_main(int argc, char **argv) {
  long v[5];
  for (int i = 0; i < 5; i++) {
    char *e;
    v[i] = strtol(argv[2 + i], &e, 10);
    if (*e || v[i] < 2 || v[i] > 100000000) {
      fprintf(stderr, "bench_mixture --sphere: argument %d = '%s' is invalid (accepted: "
                      "integers 2..1e8: D K N POINTS CHAINS)\n", i + 1, argv[2 + i]);
      return 2;
    }
  }
  long d = v[0], K = v[1], N = v[2], P = v[3], M = v[4];
  const char *script = argc > 7 ? argv[7] : NULL;
  double min_speedup = argc > 8 ? strtod(argv[8], NULL) : 0;
  omp_set_num_threads(1);
  ctr_error err = {0};
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = N;
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  mp.kind = CTR_MIXTURE_SPHERE, mp.d = (int)d, mp.K = (int)K, mp.sigma = 0.1;
  mp.radius = 1, mp.radius_growing = 1, mp.seed = 1;
  ctr_schedule *s = NULL;
  ctr_mixture *m = NULL;
  if (ctr_schedule_alloc(&sp, &s, &err)) return fail("schedule", &err);
  if (ctr_mixture_from_params(&mp, &m, &err)) return fail("mixture", &err);
  ctr_chain_params cp;
  ctr_chain_params_default(&cp);
  cp.points = (int)P, cp.chains = (int)M, cp.seed = 1;
  double samples = (double)P * (double)M * (double)(N - 1), loop[2] = {0, 0}, frac[2] = {0, 0};
  ctr_chain_lowrank *lr = NULL; /* r: the dimension the default path's draws run in */
  if (ctr_chain_lowrank_alloc(m, s, &lr, &err)) return fail("low-rank span", &err);
  int r_span = lr ? lr->r : (int)d; /* NULL: the default path is the full-space one */
  ctr_chain_lowrank_free(lr);
  limits lim = measure_limits();
  int rc = 0;
  for (int fs = 1; !rc && fs >= 0; fs--) {
    double t = 0, cpu = 0, tf = 0;
    ctr_chain_result r;
    if ((rc = time_chain(s, m, &cp, fs, &t, &cpu, &tf, &r))) break;
    loop[fs] = cpu - tf;
    int rr = fs ? (int)d : r_span;
    double limit = draw_limit(&lim, (double)K, rr, rr);
    frac[fs] = samples / (cpu - tf) / limit;
    printf("{\"impl\": \"c\", \"engine\": \"chain\", \"target\": \"sphere\", \"path\": \"%s\", "
           "\"d\": %ld, \"K\": %ld, \"N\": %ld, \"points\": %ld, \"chains\": %ld, \"reps\": %d, "
           "\"seconds\": %.6g, \"cpu_seconds\": %.6g, \"cpu_seconds_flow\": %.6g, "
           "\"samples_per_s\": %.6g, \"engine_samples_per_s\": %.6g, \"sq\": %.9g, "
           "\"sq_se\": %.3g, \"l1\": %.9g, \"l1_se\": %.3g, \"flow_err\": %.3g, \"r\": %d, "
           "\"limit_per_s\": %.6g, \"fraction_of_limit\": %.4g}\n",
           fs ? "full" : "default", d, K, N, P, M, REPS, t, cpu, tf, samples / (cpu - tf),
           samples / cpu, r.sq, r.sq_se, r.l1, r.l1_se, r.flow_err, rr, limit, frac[fs]);
    fflush(stdout);
  }
  if (!rc) {
    double speedup = loop[1] / loop[0];
    double np = script ? numpy_rate(script, d, K, N, P, M) : NAN;
    printf("{\"engine\": \"chain\", \"summary\": true, \"d\": %ld, \"K\": %ld, \"N\": %ld, "
           "\"speedup_vs_full\": %.4g, \"full_vs_numpy\": %.4g, \"default_vs_numpy\": %.4g, "
           "\"min_speedup\": %g, \"full_of_limit\": %.4g, \"default_of_limit\": %.4g, "
           "\"exp_per_s\": %.4g, \"fma_flops_per_s\": %.4g}\n", d, K, N, speedup,
           samples / loop[1] / np, samples / loop[0] / np, min_speedup, frac[1], frac[0],
           lim.exp_per_s, lim.flops_per_s);
    if (script && !isfinite(np)) rc = fail("numpy reference", &(ctr_error){.msg = "failed"});
    if (speedup < min_speedup) {
      fprintf(stderr, "bench_mixture: d = %ld K = %ld: speed-up %.3g < target %g\n", d, K,
              speedup, min_speedup);
      rc = 1;
    }
  }
  ctr_mixture_free(m);
  ctr_schedule_free(s);
  return rc;
}

int main(int argc, char **argv) {
  if (argc >= 7 && !strcmp(argv[1], "--sphere") && argc <= 9) return sphere_main(argc, argv);
  long N = 200, points = 2000, chains = 4;
  if (argc != 1 && argc != 4) {
    fprintf(stderr, "usage: bench_mixture [N POINTS CHAINS]   (default: 200 2000 4)\n");
    return 2;
  }
  if (argc == 4) {
    char *e1, *e2, *e3;
    N = strtol(argv[1], &e1, 10), points = strtol(argv[2], &e2, 10);
    chains = strtol(argv[3], &e3, 10);
    if (*e1 || *e2 || *e3 || N < 9 || N > 100000000 || points < 2 || points > 100000000 ||
        chains < 2 || chains > 1000000) {
      fprintf(stderr, "bench_mixture: bad arguments (accepted: N 9..1e8, POINTS >= 2, "
                      "CHAINS >= 2)\n");
      return 2;
    }
  }
  omp_set_num_threads(1);

  ctr_error err = {0};
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp); /* paper, c0 = 2, c1 = 4 */
  sp.N = N;
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  mp.kind = CTR_MIXTURE_TWO_MODES, mp.d = 1, mp.m = 1.0, mp.sigma = 0.1; /* explicit */
  ctr_schedule *s = NULL;
  ctr_mixture *m = NULL;
  if (ctr_schedule_alloc(&sp, &s, &err)) return fail("schedule", &err);
  if (ctr_mixture_from_params(&mp, &m, &err)) return fail("mixture", &err);
  int rc = 0;

  double t_flow = NAN, c_flow = NAN;
  if (time_flow(s, m, (int)points, &t_flow, &c_flow)) rc = 1;
  limits lim = measure_limits();
  double limit = draw_limit(&lim, m->K, m->d, m->d), dlimit = draw_limit(&lim, m->K, m->d, 0);

  /* chain engine */
  ctr_chain_params cp;
  ctr_chain_params_default(&cp);
  cp.points = (int)points, cp.chains = (int)chains, cp.seed = 1;
  ctr_chain_result cr;
  double best = INFINITY, cpu = INFINITY, cpu_flow = 0;
  for (int rep = 0; !rc && rep < REPS; rep++) {
    double t0 = omp_get_wtime();
    clock_t c0 = clock();
    if (ctr_chain_run(&cp, s, m, &cr, &err)) rc = fail("chain", &err);
    double t = omp_get_wtime() - t0, c = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (t < best) best = t;
    if (c < cpu) cpu = c, cpu_flow = cr.flow_seconds;
  }
  if (!rc) {
    double samples = (double)points * (double)chains * (double)(N - 1);
    printf("{\"impl\": \"c\", \"engine\": \"chain\", \"N\": %ld, \"points\": %ld, "
           "\"chains\": %ld, \"reps\": %d, \"seconds\": %.6g, \"cpu_seconds\": %.6g, "
           "\"seconds_flow\": %.6g, "
           "\"samples_per_s\": %.6g, \"sq\": %.17g, \"sq_se\": %.17g, \"l1\": %.17g, "
           "\"l1_se\": %.17g, \"flow_err\": %.3g, \"loop_per_cpu_s\": %.6g, "
           "\"limit_per_s\": %.6g, \"fraction_of_limit\": %.4g}\n",
           N, points, chains, REPS, best, cpu, t_flow, samples / best, cr.sq, cr.sq_se, cr.l1,
           cr.l1_se, cr.flow_err, samples / (cpu - cpu_flow), limit,
           samples / (cpu - cpu_flow) / limit);
    fflush(stdout);
  }

  /* distillation engine */
  ctr_distill_params dp;
  ctr_distill_params_default(&dp);
  dp.points = (int)points, dp.seed = 1;
  ctr_distill_result dr;
  best = INFINITY, cpu = INFINITY;
  for (int rep = 0; !rc && rep < REPS; rep++) {
    double t0 = omp_get_wtime();
    clock_t c0 = clock();
    if (ctr_distill_run(&dp, s, m, &dr, &err)) rc = fail("distill", &err);
    double t = omp_get_wtime() - t0, c = (double)(clock() - c0) / CLOCKS_PER_SEC;
    if (t < best) best = t;
    if (c < cpu) cpu = c;
  }
  if (!rc) {
    double calls = (double)points * (double)(N - 1);
    printf("{\"impl\": \"c\", \"engine\": \"distill\", \"N\": %ld, \"points\": %ld, "
           "\"reps\": %d, \"seconds\": %.6g, \"cpu_seconds\": %.6g, \"seconds_flow\": %.6g, "
           "\"calls_per_s\": %.6g, "
           "\"sq\": %.17g, \"sq_se\": %.17g, \"l1\": %.17g, \"l1_se\": %.17g, "
           "\"flow_err\": %.3g, \"loop_per_cpu_s\": %.6g, \"limit_per_s\": %.6g, "
           "\"fraction_of_limit\": %.4g}\n",
           N, points, REPS, best, cpu, t_flow, calls / best, dr.sq, dr.sq_se, dr.l1, dr.l1_se,
           dr.flow_err, calls / (cpu - c_flow), dlimit, calls / (cpu - c_flow) / dlimit);
    fflush(stdout);
  }

  /* deterministic maps at fixed x */
  double x[NFIX], phi[NFIX], fN[NFIX];
  for (int i = 0; i < NFIX; i++) x[i] = -3.0 + 0.5 * i;
  if (!rc) {
    ctr_denoiser den = ctr_mixture_denoiser(m);
    ctr_flow_span span;
    ctr_flow_tol tol;
    ctr_flow_tol_default(&tol);
    if (ctr_flow_span_steps(s, s->N, 1, &span, &err)) rc = fail("flow span", &err);
    for (int i = 0; !rc && i < NFIX; i++) {
      double e;
      if (ctr_flow_map(&den, &span, &tol, x + i, phi + i, &e, &err)) rc = fail("flow", &err);
    }
    if (!rc && ctr_distill_map(&dp, s, m, NFIX, x, fN, &err)) rc = fail("distill map", &err);
  }
  if (!rc) {
    const char *names[3] = {"x", "phi", "fN"};
    const double *vals[3] = {x, phi, fN};
    printf("{\"impl\": \"c\", \"engine\": \"maps\", \"N\": %ld", N);
    for (int k = 0; k < 3; k++) {
      printf(", \"%s\": [", names[k]);
      for (int i = 0; i < NFIX; i++) printf("%s%.17g", i ? ", " : "", vals[k][i]);
      printf("]");
    }
    printf("}\n");
  }
  ctr_mixture_free(m);
  ctr_schedule_free(s);
  return rc;
}
