/* bench_lip.c: CPU time of the Lipschitz lower bound (targets/lip_lower.h) alone, on the starts a
 * point uses (simulate/point_mixture.c: lip_points samples of q_N from the CTR_RNG_LIPSCHITZ
 * stream of seed 1), with either tangent integrator (targets/lip_span.h, theory.md §9.19), so
 * that L's cost is separated from the chain engine's (docs/benchmarks.md "Lipschitz lower bound").
 *
 *   bench_lip PRESET d K sigma N lip_points [plain|normalised|pair [R]]
 *
 * R: the preset's fixed radius (default: radius sqrt(d), --radius-growing).
 *
 * Prints log10 L, the halved-tolerance error estimate, the ODE steps and the CPU seconds
 * (clock(), one thread), and the fraction of the machine's limit (issue 13 point 1): an rk8pd
 * step takes 13 stages, each at least K exponentials (the posterior weights) and 2 K r flops
 * (distances to the K means in the r-dimensional span the flow runs in), so one core does at
 * most 1 / (13 (K / E + 2 K r / F)) steps a second, with E SLEEF's vector exp throughput and F
 * the peak FMA rate measured in this run (bench_limit.h). The tangent's products, rejected
 * steps and the refinements are not in the limit; in the pair phase (theory §9.21) a step integrates
 * r + 2 numbers, not r^2 + r + 1, so the limit there is a model of the exponentials only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "core/schedule.h"
#include "targets/lip_lower.h"
#include "targets/lip_span.h"
#include "targets/mixture.h"
#include "engines/chain_lowrank.h"

#include "bench_limit.h"

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: bench_lip PRESET d K sigma N lip_points [plain|normalised|pair [R]]\n");
    return 2;
  }
  ctr_error err;
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  int tangent = CTR_LIP_TANGENT_NORMALISED;
  if (argc > 7 && !strcmp(argv[7], "plain")) tangent = CTR_LIP_TANGENT_PLAIN;
  else if (argc > 7 && !strcmp(argv[7], "pair")) tangent = CTR_LIP_TANGENT_PAIR;
  else if (argc > 7 && strcmp(argv[7], "normalised")) {
    fprintf(stderr, "bench_lip: integrator '%s' (accepted: plain, normalised, pair)\n",
            argv[7]);
    return 2;
  }
  if (ctr_mixture_preset_parse(argv[1], &mp.kind, &err)) {
    fprintf(stderr, "bench_lip: %s\n", err.msg);
    return 2;
  }
  mp.d = atoi(argv[2]), mp.K = atoi(argv[3]), mp.sigma = atof(argv[4]);
  mp.radius = argc > 8 ? atof(argv[8]) : 1, mp.radius_growing = argc <= 8;
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = atoll(argv[5]);
  size_t n = (size_t)atol(argv[6]);
  ctr_mixture *m = NULL;
  ctr_schedule *s = NULL;
  if (ctr_mixture_from_params(&mp, &m, &err) || ctr_schedule_alloc(&sp, &s, &err)) {
    fprintf(stderr, "bench_lip: %s\n", err.msg);
    return 2;
  }
  double *xs = ctr_dalloc(n * (size_t)m->d);
  ctr_rng r;
  ctr_rng_init(&r, mp.seed, CTR_RNG_LIPSCHITZ, (uint64_t)m->d, 0);
  ctr_lip_lower lo;
  clock_t t0 = clock();
  ctr_status st = ctr_mixture_sample_noised(m, s->a[s->N], s->s[s->N], &r, n, xs, &err);
  if (!st) st = ctr_lip_lower_compute_tangent(m, s, n, xs, tangent, &lo, &err);
  double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
  if (st) {
    fprintf(stderr, "bench_lip: %s\n", err.msg);
    return 1;
  }
  ctr_chain_lowrank *lr = NULL; /* r: the span of the means (d when the path does not apply) */
  int r_span = ctr_chain_lowrank_alloc(m, s, &lr, &err) == CTR_OK && lr ? lr->r : m->d;
  ctr_chain_lowrank_free(lr);
  double rates[3], E = bench_limit_exp(rates), F = bench_limit_fma();
  double per_step = 13.0 * (m->K / E + 2.0 * m->K * r_span / F);
  printf("%s d=%d K=%d sigma=%g N=%lld starts=%d failed=%d integrator=%s log10_L=%.12g "
         "rel_err=%.2g |x*|=%.6g steps=%lu cpu_s=%.2f r=%d limit_steps_per_s=%.3g "
         "fraction_of_limit=%.3g\n", argv[1], m->d, m->K, mp.sigma,
         (long long)sp.N, lo.starts, lo.failed, tangent == CTR_LIP_TANGENT_PLAIN ? "plain" : tangent == CTR_LIP_TANGENT_PAIR ? "pair" : "normalised",
         lo.log_L / M_LN10, lo.norm_err / lo.norm, lo.x_norm, lo.steps, cpu, r_span,
         1 / per_step, (double)lo.steps * per_step / cpu);
  free(xs), ctr_mixture_free(m), ctr_schedule_free(s);
  return 0;
}
