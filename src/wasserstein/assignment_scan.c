/* wasserstein/assignment_scan.c: the row loops of the assignment solver (assignment.c), vectorised.
 *
 * Both loops stream one whole row of costs against the column prices: two_smallest for the
 * augmenting row reduction, relax for the shortest-path searches (one pass over all n columns
 * instead of a gathered to-do list: the gathers were 81% of the run at n = 3000). Each has a
 * portable scalar form and an AVX2 form, chosen at run time by the CPU; the AVX2 forms do the
 * same operations in the same order on each element (no FMA) and break ties by the same rule,
 * so the two give bit-identical results (test_wsample checks it). */
#include "wasserstein/assignment_scan.h"

#include <math.h>

#include "wasserstein/assignment.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

static int wa_simd = 1; /* ctr_assign_set_simd: the AVX2 loops where the CPU has them */

void ctr_assign_set_simd(int on) { wa_simd = on; }

/* Smallest and second-smallest reduced cost of row ci: (u1 at j1, u2 at j2), i.e. the two
 * smallest (value, index) pairs in lexicographic order (ties to the lower index); u2 = inf,
 * j2 = -1 when n = 1. */
static void two_smallest_scalar(const double *ci, const double *v, int n, double *u1, int *j1,
                                double *u2, int *j2) {
  double a = ci[0] - v[0], b = INFINITY;
  int ja = 0, jb = -1;
  for (int j = 1; j < n; j++) {
    double h = ci[j] - v[j];
    if (h >= b) continue;
    if (h >= a) b = h, jb = j;
    else b = a, jb = ja, a = h, ja = j;
  }
  *u1 = a, *j1 = ja, *u2 = b, *j2 = jb;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with AVX2: each lane keeps its own two smallest (strict <: indices grow within a
 * lane, so that is the lexicographic order), then the 8 lane candidates and the scalar tail
 * are merged in lexicographic order. Same pairs as the scalar loop, bit for bit. */
__attribute__((target("avx2"))) static void two_smallest_avx2(const double *ci, const double *v,
                                                              int n, double *u1, int *j1,
                                                              double *u2, int *j2) {
  const __m256d inf = _mm256_set1_pd(INFINITY), four = _mm256_set1_pd(4.0);
  __m256d a = inf, b = inf, ia = _mm256_set1_pd(-1.0), ib = ia;
  __m256d idx = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    __m256d h = _mm256_sub_pd(_mm256_loadu_pd(ci + j), _mm256_loadu_pd(v + j));
    __m256d lta = _mm256_cmp_pd(h, a, _CMP_LT_OQ), ltb = _mm256_cmp_pd(h, b, _CMP_LT_OQ);
    b = _mm256_blendv_pd(_mm256_blendv_pd(b, h, ltb), a, lta);
    ib = _mm256_blendv_pd(_mm256_blendv_pd(ib, idx, ltb), ia, lta);
    a = _mm256_blendv_pd(a, h, lta);
    ia = _mm256_blendv_pd(ia, idx, lta);
    idx = _mm256_add_pd(idx, four);
  }
  double cv[8], cx[8];
  _mm256_storeu_pd(cv, a), _mm256_storeu_pd(cv + 4, b);
  _mm256_storeu_pd(cx, ia), _mm256_storeu_pd(cx + 4, ib);
  double ba = INFINITY, bb = INFINITY;
  int ja = -1, jb = -1;
  for (int q = 0; q < 8 + (n - j); q++) {
    double h;
    int k;
    if (q < 8) {
      if (cx[q] < 0.0) continue; /* lane never filled */
      h = cv[q], k = (int)cx[q];
    } else {
      k = j + (q - 8), h = ci[k] - v[k];
    }
    if (ja < 0 || h < ba || (h == ba && k < ja)) bb = ba, jb = ja, ba = h, ja = k;
    else if (jb < 0 || h < bb || (h == bb && k < jb)) bb = h, jb = k;
  }
  *u1 = ba, *j1 = ja, *u2 = jb < 0 ? INFINITY : bb, *j2 = jb;
}
#endif

void ctr_wa_two_smallest(const double *ci, const double *v, int n, double *u1, int *j1, double *u2,
                         int *j2) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (wa_simd && __builtin_cpu_supports("avx2")) {
    two_smallest_avx2(ci, v, n, u1, j1, u2, j2);
    return;
  }
#endif
  two_smallest_scalar(ci, v, n, u1, j1, u2, j2);
}

/* Relax every column against row i (shifted by h) and return the unsettled column of least
 * distance, the lowest index among ties: dist[j] = min(dist[j], c(i, j) - v_j - h), pred[j] = i
 * where it dropped. Settled columns carry v_j = -inf and dist_j = +inf, so that they are neither
 * relaxed (c - v - h = +inf) nor picked: the loop is branch-free over all n columns and streams
 * (contiguous loads instead of a gathered to-do list; measured at n = 3000, the gathers made
 * the old list scan 81% of the run). */
static int relax_scalar(const double *ci, const double *v, double *dist, int *pred, int i,
                        double h, int n) {
  double best = INFINITY;
  int jb = -1;
  for (int j = 0; j < n; j++) {
    double t = ci[j] - v[j] - h, dj = dist[j];
    if (t < dj) dj = dist[j] = t, pred[j] = i;
    if (dj < best) best = dj, jb = j;
  }
  return jb;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with AVX2, same operations in the same order on each element (no FMA), and the same
 * tie rule: each lane keeps its first minimum, the lanes then resolve ties by the lower index,
 * and the scalar tail (higher indices) replaces only on a strict decrease. Bit-identical. One
 * body for a double row (relax_avx2) and a float row widened in registers, exactly
 * (relax_avx2_f: half the bytes streamed); LOAD4 reads four costs of the row as doubles. */
#define RELAX_AVX2(NAME, T, LOAD4)                                                            \
  __attribute__((target("avx2"))) static int NAME(const T *ci, const double *v, double *dist, \
                                                  int *pred, int i, double h, int n) {        \
    const __m256d hv = _mm256_set1_pd(h), four = _mm256_set1_pd(4.0);                          \
    __m256d bestv = _mm256_set1_pd(INFINITY), besti = _mm256_set1_pd(-1.0);                   \
    __m256d idx = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);                                         \
    int j = 0;                                                                                \
    for (; j + 4 <= n; j += 4) {                                                              \
      __m256d t = _mm256_sub_pd(_mm256_sub_pd(LOAD4(ci + j), _mm256_loadu_pd(v + j)), hv);    \
      __m256d dj = _mm256_loadu_pd(dist + j);                                                 \
      __m256d lt = _mm256_cmp_pd(t, dj, _CMP_LT_OQ);                                          \
      int mk = _mm256_movemask_pd(lt);                                                        \
      if (mk) {                                                                               \
        dj = _mm256_blendv_pd(dj, t, lt);                                                     \
        _mm256_storeu_pd(dist + j, dj);                                                       \
        for (int b = 0; b < 4; b++)                                                           \
          if (mk >> b & 1) pred[j + b] = i;                                                   \
      }                                                                                       \
      __m256d better = _mm256_cmp_pd(dj, bestv, _CMP_LT_OQ);                                  \
      bestv = _mm256_blendv_pd(bestv, dj, better);                                            \
      besti = _mm256_blendv_pd(besti, idx, better);                                           \
      idx = _mm256_add_pd(idx, four);                                                         \
    }                                                                                         \
    double bv[4], bi[4];                                                                      \
    _mm256_storeu_pd(bv, bestv), _mm256_storeu_pd(bi, besti);                                 \
    double best = INFINITY;                                                                   \
    int jb = -1;                                                                              \
    for (int b = 0; b < 4; b++)                                                               \
      if (bi[b] >= 0.0 && (bv[b] < best || (bv[b] == best && (int)bi[b] < jb)))              \
        best = bv[b], jb = (int)bi[b];                                                        \
    for (; j < n; j++) {                                                                      \
      double t = (double)ci[j] - v[j] - h, dj = dist[j];                                      \
      if (t < dj) dj = dist[j] = t, pred[j] = i;                                              \
      if (dj < best) best = dj, jb = j;                                                       \
    }                                                                                         \
    return jb;                                                                                \
  }
#define LOAD4_D(p) _mm256_loadu_pd(p)
#define LOAD4_F(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
RELAX_AVX2(relax_avx2, double, LOAD4_D)
RELAX_AVX2(relax_avx2_f, float, LOAD4_F)
#endif

int ctr_wa_relax(const double *ci, const double *v, double *dist, int *pred, int i, double h,
                 int n) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (wa_simd && __builtin_cpu_supports("avx2")) return relax_avx2(ci, v, dist, pred, i, h, n);
#endif
  return relax_scalar(ci, v, dist, pred, i, h, n);
}

static int relax_scalar_f(const float *ci, const double *v, double *dist, int *pred, int i,
                          double h, int n) {
  double best = INFINITY;
  int jb = -1;
  for (int j = 0; j < n; j++) {
    double t = (double)ci[j] - v[j] - h, dj = dist[j];
    if (t < dj) dj = dist[j] = t, pred[j] = i;
    if (dj < best) best = dj, jb = j;
  }
  return jb;
}

int ctr_wa_relax_f(const float *ci, const double *v, double *dist, int *pred, int i, double h,
                   int n) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (wa_simd && __builtin_cpu_supports("avx2")) return relax_avx2_f(ci, v, dist, pred, i, h, n);
#endif
  return relax_scalar_f(ci, v, dist, pred, i, h, n);
}

