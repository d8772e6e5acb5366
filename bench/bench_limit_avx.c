/* bench_limit_avx.c: throughput of SLEEF's 1-ULP vector log1p and exp on one core with AVX2 (4
 * lanes) and AVX-512 (8 lanes), and the peak FMA rate, the machine's limits for the engines'
 * inner loops (issue 13, bench_limit.h). Compiled twice (bench/meson.build): with -mavx2 -mfma
 * -DBENCH_AVX2 for the AVX2 functions and with -mavx512f added and -DBENCH_AVX512 for the
 * AVX-512 ones, so that the AVX2 code cannot contain AVX-512 instructions; the caller checks
 * the CPU first. */
#include <immintrin.h>
#include <sleef.h>

#include "bench_limit.h"

#define REPS 4000
#define LEN 1024 /* in L1 */
#define FMA_REPS 4000000L
#define FMA_ACC 12 /* independent chains: enough to cover FMA latency on two ports */

/* The accumulated sum is returned through the rate's sign test, so the loop cannot be elided;
 * the fill covers the range the engines use. */
#define VEC_RATE(NAME, VT, W, ZERO, ADD, LOAD, FN, REDUCE, LO)                                   \
  double NAME(void) {                                                                           \
    static double x[LEN];                                                                       \
    for (int i = 0; i < LEN; i++) x[i] = (LO) * (i + 1) / LEN;                                  \
    VT acc = ZERO();                                                                            \
    double t0 = bench_cpu_now();                                                                \
    for (int r = 0; r < REPS; r++)                                                              \
      for (int i = 0; i < LEN; i += W) acc = ADD(acc, FN(LOAD(x + i)));                         \
    double t = bench_cpu_now() - t0;                                                            \
    return REDUCE(acc) != 0 ? (double)REPS * LEN / t : 0;                                       \
  }

static inline double sum4(__m256d v) {
  double o[4];
  _mm256_storeu_pd(o, v);
  return o[0] + o[1] + o[2] + o[3];
}

#ifdef BENCH_AVX2
VEC_RATE(bench_log1p_avx2, __m256d, 4, _mm256_setzero_pd, _mm256_add_pd, _mm256_loadu_pd,
         Sleef_log1pd4_u10avx2, sum4, -1e-4)
VEC_RATE(bench_exp_avx2, __m256d, 4, _mm256_setzero_pd, _mm256_add_pd, _mm256_loadu_pd,
         Sleef_expd4_u10avx2, sum4, -30.0)
#endif
#ifdef BENCH_AVX512
VEC_RATE(bench_log1p_avx512, __m512d, 8, _mm512_setzero_pd, _mm512_add_pd, _mm512_loadu_pd,
         Sleef_log1pd8_u10avx512f, _mm512_reduce_add_pd, -1e-4)
VEC_RATE(bench_exp_avx512, __m512d, 8, _mm512_setzero_pd, _mm512_add_pd, _mm512_loadu_pd,
         Sleef_expd8_u10avx512f, _mm512_reduce_add_pd, -30.0)
#endif

/* a <- a m + c on FMA_ACC independent vectors: 2 W FMA_ACC flops an iteration. */
#define FMA_RATE(NAME, VT, W, SET1, FMADD, ADD, REDUCE)                                          \
  double NAME(void) {                                                                           \
    VT a[FMA_ACC];                                                                              \
    const VT m = SET1(0.999999), c = SET1(1e-6);                                                \
    for (int i = 0; i < FMA_ACC; i++) a[i] = SET1(1.0 + 1e-3 * i);                              \
    double t0 = bench_cpu_now();                                                                \
    for (long r = 0; r < FMA_REPS; r++)                                                         \
      for (int i = 0; i < FMA_ACC; i++) a[i] = FMADD(a[i], m, c);                               \
    double t = bench_cpu_now() - t0;                                                            \
    VT s = a[0];                                                                                \
    for (int i = 1; i < FMA_ACC; i++) s = ADD(s, a[i]);                                         \
    return REDUCE(s) > 0 ? 2.0 * W * FMA_ACC * (double)FMA_REPS / t : 0;                         \
  }

#ifdef BENCH_AVX2
FMA_RATE(bench_fma_avx2, __m256d, 4, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd, sum4)
#endif
#ifdef BENCH_AVX512
FMA_RATE(bench_fma_avx512, __m512d, 8, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd,
         _mm512_reduce_add_pd)
#endif
