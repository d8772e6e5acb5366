/* engines/grid_spline.c: fitting the grid engine's splines (engines/grid_spline.h): the
 * uniform natural cubic spline of d = 1 and the tensor-product spline of d = 2, and the
 * per-axis noise rule on the latter. Split from engines/grid.c without change. */
#include "engines/grid_spline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ uniform natural spline */

void ctr_grid_spline_free(ctr_grid_spline *sp) {
  free(sp->f), free(sp->M), free(sp->cp);
  sp->f = sp->M = sp->cp = NULL;
}

ctr_status ctr_grid_spline_alloc(ctr_grid_spline *sp, int n) {
  sp->n = n;
  sp->f = ctr_dalloc(n), sp->M = ctr_dalloc(n), sp->cp = ctr_dalloc(n);
  if (!sp->f || !sp->M || !sp->cp) return CTR_ENOMEM;
  sp->cp[1] = 0.25; /* forward elimination of M_{i-1} + 4 M_i + M_{i+1} = r_i */
  for (int i = 2; i < n - 1; i++) sp->cp[i] = 1.0 / (4.0 - sp->cp[i - 1]);
  return CTR_OK;
}

void ctr_grid_spline_grid(ctr_grid_spline *sp, double lo, double hi) {
  sp->lo = lo, sp->h = (hi - lo) / (sp->n - 1), sp->h26 = sp->h * sp->h / 6.0;
}

/* Natural cubic spline through f: one O(n) Thomas solve (diagonally dominant, stable). Affine
 * data give M = 0 up to rounding, so affine f_t (Gaussian targets, theory.md §4) stay exact. */
void ctr_grid_spline_fit(ctr_grid_spline *sp) {
  int n = sp->n;
  double *f = sp->f, *M = sp->M, k = 6.0 / (sp->h * sp->h);
  M[0] = M[n - 1] = 0;
  for (int i = 1; i < n - 1; i++)
    M[i] = (k * (f[i + 1] - 2 * f[i] + f[i - 1]) - (i > 1 ? M[i - 1] : 0)) * sp->cp[i];
  for (int i = n - 3; i >= 1; i--) M[i] -= sp->cp[i] * M[i + 1];
  double h = sp->h;
  sp->slope_lo = (f[1] - f[0]) / h - h * M[1] / 6.0;
  sp->slope_hi = (f[n - 1] - f[n - 2]) / h + h * M[n - 2] / 6.0;
}

/* ================================================================ batched evaluation */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SPLINE_AVX2 1

/* Four lanes of ctr_grid_spline_eval. Every lane computes all three branches (interior with a
 * clamped cell index, below, above) by the scalar expressions, multiply and add separately
 * (no FMA: -ffp-contract=off, and no _mm256_fmadd here), then blends them as the scalar ifs
 * choose: !(u > 0) (NaN included) below, u >= n - 1 above. IEEE lane arithmetic rounds as the
 * scalar does, so every bit agrees. */
__attribute__((target("avx2"))) static void eval_n_avx2(const ctr_grid_spline *sp,
                                                         const double *y, double *out, int n) {
  const __m256d lo = _mm256_set1_pd(sp->lo), h = _mm256_set1_pd(sp->h);
  const __m256d h26 = _mm256_set1_pd(sp->h26), one = _mm256_set1_pd(1.0);
  const __m256d top = _mm256_set1_pd((double)(sp->n - 1)), top1 = _mm256_set1_pd((double)(sp->n - 2));
  const __m256d f0 = _mm256_set1_pd(sp->f[0]), fn = _mm256_set1_pd(sp->f[sp->n - 1]);
  const __m256d sl = _mm256_set1_pd(sp->slope_lo), sh = _mm256_set1_pd(sp->slope_hi);
  const double *f = sp->f, *M = sp->M;
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    __m256d yv = _mm256_loadu_pd(y + j), dy = _mm256_sub_pd(yv, lo);
    __m256d u = _mm256_div_pd(dy, h);
    __m256d pos = _mm256_cmp_pd(u, _mm256_setzero_pd(), _CMP_GT_OQ); /* false for NaN */
    __m256d hi = _mm256_cmp_pd(u, top, _CMP_GE_OQ);
    __m256d uc = _mm256_blendv_pd(top1, _mm256_and_pd(u, pos), _mm256_andnot_pd(hi, pos));
    uc = _mm256_blendv_pd(uc, top1, hi);
    __m128i i = _mm256_cvttpd_epi32(uc);
    __m256d b = _mm256_sub_pd(u, _mm256_cvtepi32_pd(i)), a = _mm256_sub_pd(one, b);
    __m256d F0 = _mm256_i32gather_pd(f, i, 8), F1 = _mm256_i32gather_pd(f + 1, i, 8);
    __m256d M0 = _mm256_i32gather_pd(M, i, 8), M1 = _mm256_i32gather_pd(M + 1, i, 8);
    __m256d ca = _mm256_sub_pd(_mm256_mul_pd(_mm256_mul_pd(a, a), a), a);
    __m256d cb = _mm256_sub_pd(_mm256_mul_pd(_mm256_mul_pd(b, b), b), b);
    __m256d in = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(a, F0), _mm256_mul_pd(b, F1)),
                               _mm256_mul_pd(h26, _mm256_add_pd(_mm256_mul_pd(ca, M0),
                                                                _mm256_mul_pd(cb, M1))));
    __m256d below = _mm256_add_pd(f0, _mm256_mul_pd(sl, dy));
    __m256d above = _mm256_add_pd(fn, _mm256_mul_pd(_mm256_mul_pd(sh, _mm256_sub_pd(u, top)), h));
    __m256d r = _mm256_blendv_pd(in, above, hi);
    _mm256_storeu_pd(out + j, _mm256_blendv_pd(below, r, pos));
  }
  for (; j < n; j++) out[j] = ctr_grid_spline_eval(sp, y[j]);
}
#endif

void ctr_grid_spline_eval_n(const ctr_grid_spline *sp, const double *y, double *out, int n) {
#ifdef SPLINE_AVX2
  if (sp->n >= 3 && __builtin_cpu_supports("avx2")) {
    eval_n_avx2(sp, y, out, n);
    return;
  }
#endif
  for (int j = 0; j < n; j++) out[j] = ctr_grid_spline_eval(sp, y[j]);
}

/* ================================================================ d = 2: tensor spline */

void ctr_grid_spline2_free(ctr_grid_spline2 *S) {
  free(S->c), free(S->cp);
  S->c = S->cp = NULL;
}

ctr_status ctr_grid_spline2_alloc(ctr_grid_spline2 *S, int n) {
  S->n = n;
  S->c = ctr_dalloc((size_t)n * n * CTR_GRID_NODE), S->cp = ctr_dalloc(n);
  if (!S->c || !S->cp) return CTR_ENOMEM;
  S->cp[1] = 0.25;
  for (int i = 2; i < n - 1; i++) S->cp[i] = 1.0 / (4.0 - S->cp[i - 1]);
  return CTR_OK;
}

void ctr_grid_spline2_grid(ctr_grid_spline2 *S, const double *lo, const double *hi) {
  for (int a = 0; a < 2; a++)
    S->lo[a] = lo[a], S->h[a] = (hi[a] - lo[a]) / (S->n - 1), S->h26[a] = S->h[a] * S->h[a] / 6;
}

/* Natural second derivatives along one strided line (the Thomas solve of spline_fit). */
static void line_M(const double *f, size_t sf, double *M, size_t sm, int n, double h,
                   const double *cp) {
  double k = 6.0 / (h * h);
  M[0] = M[(size_t)(n - 1) * sm] = 0;
  for (int i = 1; i < n - 1; i++)
    M[i * sm] = (k * (f[(i + 1) * sf] - 2 * f[i * sf] + f[(i - 1) * sf]) -
                 (i > 1 ? M[(i - 1) * sm] : 0)) * cp[i];
  for (int i = n - 3; i >= 1; i--) M[i * sm] -= cp[i] * M[(i + 1) * sm];
}

/* Mx along axis 1, My along axis 2, Mxy = (Mx) along axis 2 (the two solves commute). */
void ctr_grid_spline2_fit(ctr_grid_spline2 *S) {
  int n = S->n;
  size_t row = (size_t)n * CTR_GRID_NODE;
  for (int c = 0; c < 2; c++) {
    for (int j = 0; j < n; j++)
      line_M(S->c + (size_t)j * CTR_GRID_NODE + c, row, S->c + (size_t)j * CTR_GRID_NODE + 2 + c,
             row, n, S->h[0], S->cp);
    for (int i = 0; i < n; i++) {
      double *r = S->c + i * row;
      line_M(r + c, CTR_GRID_NODE, r + 4 + c, CTR_GRID_NODE, n, S->h[1], S->cp);
      line_M(r + 2 + c, CTR_GRID_NODE, r + 6 + c, CTR_GRID_NODE, n, S->h[1], S->cp);
    }
  }
}

/* Per-axis accumulated weights of a 1-D rule (nodes y + sd xi_q, weights om_q, q = q0..q1):
 * value and second-derivative weights A, C on the nodes first .. first + span - 1; returns
 * span. When every node lies in one cell (or all beyond one end), the rule is exact for the
 * cubic (linear) piece there (Q >= 2 integrates degree 3), so its sum is the closed form
 * E f(y + sd zeta) = f(y) + (sd^2 / 2) f''(y): weights (a, b, c0 + sd^2 a / 2, c1 + sd^2 b / 2)
 * (f'' of the cell's cubic is a M_i + b M_{i+1}), equal to the node sum up to rounding. */
int ctr_grid_axis_rule(const ctr_grid_spline2 *S, int ax, double y, double sd, int q0, int q1,
                       const double *xi, const double *om, double *A, double *C, int *first) {
  double w[4];
  double ulo = (y + sd * xi[q0] - S->lo[ax]) / S->h[ax], uhi = (y + sd * xi[q1] - S->lo[ax]) / S->h[ax];
  int n = S->n, lin = uhi <= 0 || ulo >= n - 1;
  int cell = ulo > 0 && uhi < n - 1 && floor(ulo) == floor(uhi) && q1 > q0;
  if (sd == 0 || lin || cell) {
    int i = ctr_grid_axis_w(S, ax, y, w);
    A[0] = w[0], A[1] = w[1], C[0] = w[2], C[1] = w[3], *first = i;
    if (cell) C[0] += 0.5 * sd * sd * w[0], C[1] += 0.5 * sd * sd * w[1];
    return 2;
  }
  int i0 = ctr_grid_axis_w(S, ax, y + sd * xi[q0], w);
  int i1 = ctr_grid_axis_w(S, ax, y + sd * xi[q1], w);
  int lo = i0 < i1 ? i0 : i1, span = (i0 < i1 ? i1 : i0) - lo + 2;
  memset(A, 0, sizeof(double) * span), memset(C, 0, sizeof(double) * span);
  double u0 = (y - S->lo[ax]) / S->h[ax], du = sd / S->h[ax], h26 = S->h26[ax];
  for (int q = q0; q <= q1; q++) {
    double u = u0 + du * xi[q], o = om[q];
    if (u > 0 && u < n - 1) { /* interior (axis_w inlined) */
      int i = (int)u;
      double b = u - i, a = 1 - b;
      i -= lo;
      A[i] += o * a, A[i + 1] += o * b;
      C[i] += o * h26 * (a * a * a - a), C[i + 1] += o * h26 * (b * b * b - b);
      continue;
    }
    int i = ctr_grid_axis_w(S, ax, y + sd * xi[q], w) - lo;
    A[i] += o * w[0], A[i + 1] += o * w[1], C[i] += o * w[2], C[i + 1] += o * w[3];
  }
  *first = lo;
  return span;
}

