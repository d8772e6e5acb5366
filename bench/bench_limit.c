/* bench_limit.c: the machine's limits for the engines' inner loops (bench_limit.h): SLEEF vector
 * log1p and exp throughput, peak FMA flops, GSL dgemm flops and the assignment scan's in-cache
 * rate, each on one core per CPU second. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_blas.h>

#ifdef CTR_HAVE_SLEEF
#include <emmintrin.h>
#include <sleef.h>
#endif

#include "bench_limit.h"
#include "wasserstein/assignment_scan.h"

#define MIN_CPU 0.05 /* repeat a timed call until this much CPU time has passed */

double bench_cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#ifdef CTR_HAVE_SLEEF
/* SSE2 is always there on x86-64: the baseline the wider variants must beat. */
static double sse2_rate(int is_exp) {
  enum { LEN = 1024, REPS = 2000 };
  static double x[LEN];
  for (int i = 0; i < LEN; i++) x[i] = (is_exp ? -30.0 : -1e-4) * (i + 1) / LEN;
  __m128d acc = _mm_setzero_pd();
  double t0 = bench_cpu_now(), out[2];
  for (int r = 0; r < REPS; r++)
    for (int i = 0; i < LEN; i += 2) {
      __m128d v = _mm_loadu_pd(x + i);
      acc = _mm_add_pd(acc, is_exp ? Sleef_expd2_u10sse2(v) : Sleef_log1pd2_u10sse2(v));
    }
  double t = bench_cpu_now() - t0;
  _mm_storeu_pd(out, acc);
  return out[0] + out[1] != 0 ? (double)REPS * LEN / t : 0;
}

static double widest(int is_exp, double rate[3]) {
  rate[0] = sse2_rate(is_exp), rate[1] = rate[2] = 0;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    rate[1] = is_exp ? bench_exp_avx2() : bench_log1p_avx2();
  if (__builtin_cpu_supports("avx512f")) rate[2] = is_exp ? bench_exp_avx512() : bench_log1p_avx512();
  return fmax(rate[0], fmax(rate[1], rate[2]));
}
#else
static double widest(int is_exp, double rate[3]) { /* built without SLEEF: no limit */
  (void)is_exp;
  rate[0] = rate[1] = rate[2] = 0;
  return 0;
}
#endif

double bench_limit_log1p(double rate[3]) { return widest(0, rate); }

double bench_limit_exp(double rate[3]) { return widest(1, rate); }

double bench_limit_fma(void) {
#ifdef CTR_HAVE_SLEEF
  __builtin_cpu_init();
  double r = 0;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) r = bench_fma_avx2();
  if (__builtin_cpu_supports("avx512f")) r = fmax(r, bench_fma_avx512());
  return r;
#else
  return 0;
#endif
}

double bench_limit_dgemm(size_t m, size_t n, size_t k) {
  double *a = malloc(sizeof(double) * m * k), *b = malloc(sizeof(double) * n * k);
  double *c = malloc(sizeof(double) * m * n);
  if (!a || !b || !c) {
    free(a), free(b), free(c);
    return 0;
  }
  for (size_t i = 0; i < m * k; i++) a[i] = sin(0.1 * (double)i);
  for (size_t i = 0; i < n * k; i++) b[i] = cos(0.1 * (double)i);
  gsl_matrix_view A = gsl_matrix_view_array(a, m, k), B = gsl_matrix_view_array(b, n, k);
  gsl_matrix_view C = gsl_matrix_view_array(c, m, n);
  long calls = 0;
  double t0 = bench_cpu_now(), t;
  do {
    gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &A.matrix, &B.matrix, 0.0, &C.matrix);
    calls++;
  } while ((t = bench_cpu_now() - t0) < MIN_CPU);
  free(a), free(b), free(c);
  return 2.0 * (double)m * (double)n * (double)k * (double)calls / t;
}

double bench_limit_relax(int n, int f32) {
  double *v = malloc(sizeof(double) * (size_t)n), *dist = malloc(sizeof(double) * (size_t)n);
  double *cd = malloc(sizeof(double) * (size_t)n);
  float *cf = malloc(sizeof(float) * (size_t)n);
  int *pred = malloc(sizeof(int) * (size_t)n);
  if (!v || !dist || !cd || !cf || !pred) {
    free(v), free(dist), free(cd), free(cf), free(pred);
    return 0;
  }
  for (int j = 0; j < n; j++)
    v[j] = 0.01 * j, dist[j] = INFINITY, cd[j] = 1 + sin(j), cf[j] = (float)cd[j], pred[j] = -1;
  long calls = 0, sink = 0;
  double t0 = bench_cpu_now(), t;
  do { /* after the first call dist holds the minima: the scan's common no-update path */
    for (int i = 0; i < 64; i++)
      sink += f32 ? ctr_wa_relax_f(cf, v, dist, pred, i, 0.0, n)
                  : ctr_wa_relax(cd, v, dist, pred, i, 0.0, n);
    calls += 64;
  } while ((t = bench_cpu_now() - t0) < MIN_CPU);
  free(v), free(dist), free(cd), free(cf), free(pred);
  return sink >= 0 ? (double)calls * n / t : 0;
}
