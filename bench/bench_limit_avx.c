/* bench_limit_avx.c: throughput of SLEEF's 1-ULP vector log1p on one core with AVX2 (4 lanes)
 * and AVX-512 (8 lanes), the machine's limit for an inner loop built on a vector log1p
 * (issue 13). Compiled with -mavx2 -mfma -mavx512f; the caller checks the CPU first. */
#include <immintrin.h>
#include <time.h>
#include <sleef.h>

#include "bench_limit.h"

#define REPS 4000
#define LEN 1024 /* in L1 */

/* process CPU seconds: the machine is shared, wall time would count other jobs */
static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_log1p_avx2(void) {
  static double x[LEN];
  for (int i = 0; i < LEN; i++) x[i] = -1e-4 * (i + 1) / LEN; /* -sin^2 theta sized */
  __m256d acc = _mm256_setzero_pd();
  double t0 = cpu_now();
  for (int r = 0; r < REPS; r++)
    for (int i = 0; i < LEN; i += 4) acc = _mm256_add_pd(acc, Sleef_log1pd4_u10avx2(_mm256_loadu_pd(x + i)));
  double t = cpu_now() - t0, out[4];
  _mm256_storeu_pd(out, acc);
  return out[0] + out[1] + out[2] + out[3] < 0 ? (double)REPS * LEN / t : 0;
}

double bench_log1p_avx512(void) {
  static double x[LEN];
  for (int i = 0; i < LEN; i++) x[i] = -1e-4 * (i + 1) / LEN;
  __m512d acc = _mm512_setzero_pd();
  double t0 = cpu_now();
  for (int r = 0; r < REPS; r++)
    for (int i = 0; i < LEN; i += 8) acc = _mm512_add_pd(acc, Sleef_log1pd8_u10avx512f(_mm512_loadu_pd(x + i)));
  double t = cpu_now() - t0;
  return _mm512_reduce_add_pd(acc) < 0 ? (double)REPS * LEN / t : 0;
}
