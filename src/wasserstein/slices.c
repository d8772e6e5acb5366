/* wasserstein/slices.c: the 1-D W1 of two samples' projections on many given directions at once,
 * the kernel of sliced and max-sliced W1 (theory.md §7).
 *
 * Per direction the work is a projection (n d flops), a sort of the n projected values and a
 * merge walk. The directions are processed in blocks of WS_BLOCK: the projections of one
 * point on a block are a small matrix-vector product whose inner loop runs over the block
 * (it vectorises), and each coordinate sum runs over k = 0..d-1 in order, exactly as the
 * one-direction dot product of sampled.c, so a value here equals the one computed there.
 * The sort is an LSD radix sort of the doubles' order-preserving integer images (bytes whose
 * digit is the same for every key are skipped): no comparisons, no branches on the data, and
 * the sorted values do not depend on how ties were broken.
 * Blocks are shared among OpenMP threads; block b writes only w[b*WS_BLOCK ..], each value
 * computed by one thread in a fixed order, so the results do not depend on the thread count. */
#include "wasserstein/slices.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasserstein/sampled.h"

#define WS_BLOCK 8 /* directions per block: 8 running sums per point fit the registers */

/* Order-preserving map of a double to an unsigned integer (negative: all bits flipped;
 * positive: the sign bit set), and back. */
static uint64_t key_of(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : u | (UINT64_C(1) << 63);
}

static double value_of(uint64_t k) {
  uint64_t u = (k >> 63) ? k & ~(UINT64_C(1) << 63) : ~k;
  double v;
  memcpy(&v, &u, sizeof v);
  return v;
}

/* Sort v[n] ascending through keys k[n] and scratch t[n] (8 byte-wide passes at most). */
static void radix_sort(size_t n, double *v, uint64_t *k, uint64_t *t) {
  size_t count[8][256];
  memset(count, 0, sizeof count);
  for (size_t i = 0; i < n; i++) {
    uint64_t u = k[i] = key_of(v[i]);
    for (int b = 0; b < 8; b++) count[b][(u >> (8 * b)) & 0xff]++;
  }
  uint64_t *src = k, *dst = t;
  for (int b = 0; b < 8; b++) {
    size_t *c = count[b], pos = 0;
    if (c[(src[0] >> (8 * b)) & 0xff] == n) continue; /* one digit for all: order unchanged */
    for (int q = 0; q < 256; q++) {
      size_t cq = c[q];
      c[q] = pos, pos += cq;
    }
    for (size_t i = 0; i < n; i++) dst[c[(src[i] >> (8 * b)) & 0xff]++] = src[i];
    uint64_t *s = src;
    src = dst, dst = s;
  }
  for (size_t i = 0; i < n; i++) v[i] = value_of(src[i]);
}

/* out[i * nb + b] = theta_b . x_i for the block's directions, given transposed and padded
 * with zero directions: tt[c * WS_BLOCK + b] = coordinate c of direction b. */
static void project_block(size_t d, size_t n, const double *x, size_t nb, const double *tt,
                          double *out) {
  for (size_t i = 0; i < n; i++) {
    double acc[WS_BLOCK] = {0};
    const double *xi = x + i * d;
    for (size_t c = 0; c < d; c++)
      for (size_t b = 0; b < WS_BLOCK; b++) acc[b] += xi[c] * tt[c * WS_BLOCK + b];
    for (size_t b = 0; b < nb; b++) out[i * nb + b] = acc[b];
  }
}

typedef struct {
  double *px, *py, *bx, *by; /* one direction's values; a block's projections */
  double *tt;                /* the block's directions, transposed (d x WS_BLOCK) */
  uint64_t *k, *t;           /* radix sort keys and scratch */
} ws_work;

static void work_free(ws_work *w) {
  free(w->px);
  free(w->bx);
  free(w->tt);
  free(w->k);
}

static int work_alloc(ws_work *w, size_t d, size_t nx, size_t ny) {
  size_t nmax = nx > ny ? nx : ny;
  w->px = malloc((nx + ny) * sizeof(double));
  w->bx = malloc((nx + ny) * WS_BLOCK * sizeof(double));
  w->tt = malloc(d * WS_BLOCK * sizeof(double));
  w->k = malloc(2 * nmax * sizeof(uint64_t));
  if (!w->px || !w->bx || !w->tt || !w->k) {
    work_free(w);
    return 0;
  }
  w->py = w->px + nx, w->by = w->bx + nx * WS_BLOCK, w->t = w->k + nmax;
  return 1;
}

/* Directions [k0, k0 + nb) into w[k0 ..]. */
static void do_block(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                     const double *theta, size_t k0, size_t nb, ws_work *wk, double *w) {
  for (size_t c = 0; c < d; c++)
    for (size_t b = 0; b < WS_BLOCK; b++)
      wk->tt[c * WS_BLOCK + b] = b < nb ? theta[(k0 + b) * d + c] : 0.0;
  project_block(d, nx, x, nb, wk->tt, wk->bx);
  project_block(d, ny, y, nb, wk->tt, wk->by);
  for (size_t b = 0; b < nb; b++) {
    for (size_t i = 0; i < nx; i++) wk->px[i] = wk->bx[i * nb + b];
    for (size_t i = 0; i < ny; i++) wk->py[i] = wk->by[i * nb + b];
    radix_sort(nx, wk->px, wk->k, wk->t);
    radix_sort(ny, wk->py, wk->k, wk->t);
    w[k0 + b] = ctr_wp_1d_sorted(nx, wk->px, ny, wk->py, 1.0);
  }
}

static int all_finite(size_t n, const double *v) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(v[i])) return 0;
  return 1;
}

ctr_status ctr_sliced_w1_dirs(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                              size_t m, const double *theta, double *w, ctr_error *err) {
  if (d < 1 || nx < 1 || ny < 1 || m < 1 || !x || !y || !theta || !w)
    return ctr_fail(err, CTR_EINPUT, "sliced W1: d = %zu, sizes %zu and %zu, %zu directions "
                    "(want all >= 1)", d, nx, ny, m);
  size_t g = nx, r = ny;
  while (r) {
    size_t q = g % r;
    g = r, r = q;
  }
  if ((double)(nx / g) * (double)ny > 9007199254740992.0)
    return ctr_fail(err, CTR_EINPUT, "sliced W1: lcm(%zu, %zu) exceeds 2^53", nx, ny);
  if (!all_finite(nx * d, x) || !all_finite(ny * d, y) || !all_finite(m * d, theta))
    return ctr_fail(err, CTR_EINPUT, "sliced W1: non-finite coordinate in a sample or direction "
                    "(want finite)");
  size_t nblocks = (m + WS_BLOCK - 1) / WS_BLOCK;
  int bad = 0;
#pragma omp parallel reduction(| : bad)
  {
    ws_work wk = {0};
    if (!work_alloc(&wk, d, nx, ny)) bad = 1;
#pragma omp for schedule(dynamic, 1)
    for (size_t b = 0; b < nblocks; b++) {
      size_t k0 = b * WS_BLOCK, nb = m - k0 < WS_BLOCK ? m - k0 : WS_BLOCK;
      if (!bad) do_block(d, nx, x, ny, y, theta, k0, nb, &wk, w);
    }
    if (!bad) work_free(&wk);
  }
  if (bad)
    return ctr_fail(err, CTR_ENOMEM, "sliced W1: cannot allocate for %zu + %zu points", nx, ny);
  return CTR_OK;
}
