/* wasserstein/gaussian_sum_simd.c: the per-coordinate sums of the W1 quadrature's integrand
 * (wasserstein/gaussian.c, wq_g) on WQ_WIDTH doubles at a time, with SLEEF's 1-ULP vector log1p.
 * Built twice by meson, once with -mavx512f (WQ_WIDTH 8) and once with -mavx2 -mfma (WQ_WIDTH 4);
 * gaussian.c calls the widest one the CPU has (after __builtin_cpu_supports) when n is large.
 *
 * Why: at d = 1e6 the quadrature, not the engine, was the point's cost (13.7 s of it), 3 log1p and
 * 3 divisions per coordinate and evaluation. The arithmetic is the scalar code's term by term
 * (same formulas, same branch on q); only the order of the sums differs (WQ_WIDTH lane sums,
 * added in lane order at the end), so the result is deterministic on a given CPU family and
 * agrees with the scalar path to the rounding of an n-term sum, which the noise bound of wq_g
 * already allows for. */
#include <immintrin.h>
#include <sleef.h>
#include <stddef.h>

#include "wasserstein/gaussian_quad.h"

#if WQ_WIDTH == 8
typedef __m512d vd;
#define V_SET1 _mm512_set1_pd
#define V_LOAD _mm512_loadu_pd
#define V_ADD _mm512_add_pd
#define V_SUB _mm512_sub_pd
#define V_MUL _mm512_mul_pd
#define V_DIV _mm512_div_pd
#define V_MAX _mm512_max_pd
#define V_ABS _mm512_abs_pd
#define V_STORE _mm512_storeu_pd
#define V_LOG1P Sleef_log1pd8_u10avx512f
#define WQ_NAME ctr_wq_sums_avx512
#elif WQ_WIDTH == 4
typedef __m256d vd;
#define V_SET1 _mm256_set1_pd
#define V_LOAD _mm256_loadu_pd
#define V_ADD _mm256_add_pd
#define V_SUB _mm256_sub_pd
#define V_MUL _mm256_mul_pd
#define V_DIV _mm256_div_pd
#define V_MAX _mm256_max_pd
#define V_ABS(x) _mm256_andnot_pd(_mm256_set1_pd(-0.0), (x))
#define V_STORE _mm256_storeu_pd
#define V_LOG1P Sleef_log1pd4_u10avx2
#define WQ_NAME ctr_wq_sums_avx2
#else
#error "WQ_WIDTH must be 4 or 8"
#endif

/* q nu^2 / (1 + 2 q s^2) as gaussian.c's quad_term: B q / (1 + A q) for q <= 1, else B / (1/q + A). */
static inline vd quad_term(int small, vd q, vd invq, vd one, vd A, vd B) {
  return small ? V_DIV(V_MUL(B, q), V_ADD(one, V_MUL(A, q))) : V_DIV(B, V_ADD(invq, A));
}

void WQ_NAME(const ctr_wq_data *w, double qs, size_t n_vec, double out[4]) {
  const int small = qs <= 1.0, diff = w->diff;
  const vd q = V_SET1(qs), invq = V_SET1(1.0 / qs), one = V_SET1(1.0), half = V_SET1(-0.5),
           mone = V_SET1(-1.0);
  vd L1 = V_SET1(0.0), L2 = L1, dL = L1, T = L1;
  for (size_t i = 0; i < n_vec; i += WQ_WIDTH) {
    const vd m = w->mult ? V_LOAD(w->mult + i) : one, A1 = V_LOAD(w->A1 + i),
             B1 = V_LOAD(w->B1 + i);
    const vd b1 = quad_term(small, q, invq, one, A1, B1);
    L1 = V_ADD(L1, V_MUL(m, V_SUB(V_MUL(half, V_LOG1P(V_MUL(A1, q))), b1)));
    if (!diff) continue;
    const vd A2 = V_LOAD(w->A2 + i), B2 = V_LOAD(w->B2 + i), dA = V_LOAD(w->dA + i);
    const vd b2 = quad_term(small, q, invq, one, A2, B2);
    L2 = V_ADD(L2, V_MUL(m, V_SUB(V_MUL(half, V_LOG1P(V_MUL(A2, q))), b2)));
    const vd r = small ? V_DIV(V_MUL(q, dA), V_ADD(one, V_MUL(q, A1))) : V_DIV(dA, V_ADD(invq, A1));
    const vd v = V_MUL(half, V_LOG1P(V_MAX(r, mone)));
    dL = V_ADD(dL, V_MUL(m, V_SUB(v, V_SUB(b2, b1))));
    T = V_ADD(T, V_MUL(m, V_ADD(V_ADD(V_ABS(v), b1), b2)));
  }
  double lane[4][WQ_WIDTH];
  V_STORE(lane[0], L1), V_STORE(lane[1], L2), V_STORE(lane[2], dL), V_STORE(lane[3], T);
  for (int k = 0; k < 4; k++) {
    out[k] = 0.0;
    for (int j = 0; j < WQ_WIDTH; j++) out[k] += lane[k][j];
  }
}
