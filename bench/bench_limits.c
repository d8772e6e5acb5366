/* bench_limits.c: the machine's limits for the engines' inner loops (bench_limit.h), one JSON
 * line, for the Python drivers (bench/bench_assign.py, bench/bench_sliced.py) to measure in the
 * same run as their engine.
 *
 *   bench_limits [M N K]   dgemm shape C (M x N) = A (M x K) B^T (default 256 64 64)
 *
 * Keys: exp_per_s, log1p_per_s (SLEEF 1-ULP vector, widest width; 0 without SLEEF),
 * fma_flops_per_s (peak), dgemm_flops_per_s (GSL CBLAS at the shape), relax_f32_per_s and
 * relax_f64_per_s (the assignment scan on an in-cache row of 2048 costs, elements/s). Every
 * rate is per CPU second on one core. Exit 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_limit.h"

int main(int argc, char **argv) {
  long s[3] = {256, 64, 64};
  if (argc != 1 && argc != 4) {
    fprintf(stderr, "usage: bench_limits [M N K]\n");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    char *e;
    s[i - 1] = strtol(argv[i], &e, 10);
    if (*e || s[i - 1] < 1 || s[i - 1] > 100000) {
      fprintf(stderr, "bench_limits: '%s' is not a size (accepted: 1..1e5)\n", argv[i]);
      return 2;
    }
  }
  double re[3], rl[3];
  double e = bench_limit_exp(re), l = bench_limit_log1p(rl), f = bench_limit_fma();
  double g = bench_limit_dgemm((size_t)s[0], (size_t)s[1], (size_t)s[2]);
  printf("{\"limits\": true, \"exp_per_s\": %.6g, \"exp_sse2_avx2_avx512\": [%.6g, %.6g, %.6g], "
         "\"log1p_per_s\": %.6g, \"fma_flops_per_s\": %.6g, \"dgemm_flops_per_s\": %.6g, "
         "\"dgemm_shape\": [%ld, %ld, %ld], \"relax_f32_per_s\": %.6g, \"relax_f64_per_s\": %.6g}\n",
         e, re[0], re[1], re[2], l, f, g, s[0], s[1], s[2], bench_limit_relax(2048, 1),
         bench_limit_relax(2048, 0));
  return 0;
}
