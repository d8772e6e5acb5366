#include "engines/affine_fast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "core/parfor.h"
#include "wasserstein/gaussian.h"

/* 1 - cos theta = 1 - sqrt(1 - x), x = sin^2 theta (theory.md §9.20). Degree 0: the closed form
 * x / (1 + sqrt(1 - x)), one square root and one division. Degree K: the Taylor series
 * sum_{k<=K} c_k x^k with c_k = Catalan(k-1) / 2^(2k-1) (exact in binary), by Horner with plain
 * * and + (the project builds with -ffp-contract=off, so every clone rounds the same way);
 * its truncation error is below 2^-56 relative for x <= SERIES_XMAX[K]. */
static const double CAT[] = {0,           1.0 / 2,      1.0 / 8,        1.0 / 16,
                             5.0 / 128,   7.0 / 256,    21.0 / 1024,    33.0 / 2048,
                             429.0 / 32768, 715.0 / 65536};
enum { NDEG = 6 }; /* degree index 0 = closed form, 1..5 = the series degrees below */
static const int SERIES_DEG[NDEG] = {0, 2, 3, 4, 6, 9};
/* largest x (a power of 2) with (c_{K+1} / c_1) x^K / (1 - x) <= 2^-56, theory.md §9.20 */
static const double SERIES_XMAX[NDEG] = {1.0, 0x1p-27, 0x1p-18, 0x1p-13, 0x1p-9, 0x1p-6};

static inline __attribute__((always_inline)) double omega(double x, int K) {
  if (K == 0) return x / (1.0 + sqrt(1.0 - x));
  double p = CAT[K];
#pragma GCC unroll 16
  for (int j = K - 1; j >= 1; j--) p = CAT[j] + x * p;
  return x * p;
}

int ctr_affine_series_index(double xmax) {
  for (int k = 1; k < NDEG; k++)
    if (xmax <= SERIES_XMAX[k]) return k;
  return 0;
}

double ctr_affine_omega(double x, int index) {
  switch (index) { /* the kernels' own inline code, one constant degree each */
  case 1: return omega(x, 2);
  case 2: return omega(x, 3);
  case 3: return omega(x, 4);
  case 4: return omega(x, 6);
  case 5: return omega(x, 9);
  default: return omega(x, 0);
  }
}

int ctr_affine_series_degree(int index) { return SERIES_DEG[index]; }

double ctr_affine_series_xmax(int index) { return SERIES_XMAX[index]; }

/* Schedule constants of one chunk of steps t0..t0+C-1 (as in affine.c's step_coefs), and the
 * kernel degree index: the series whenever every step's bound on x allows it. */
typedef struct {
  int64_t t0;
  int C, deg;
  double *a2, *s2, *kap, *xm;
} chunk_sched;

/* The per-step constants, in a function of its own with restrict parameters: gcc vectorises
 * its square root and divisions (the same loop inside chunk_fill, on restrict locals taken
 * from the structs, compiled to scalar code). */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void fill_steps(
    int C, const double *restrict a, const double *restrict sd, const double *restrict beta,
    double *restrict a2, double *restrict s2, double *restrict kap, double *restrict xm) {
  for (int i = 0; i < C; i++) {
    double at = a[i], st = sd[i], ap = a[i - 1], sp = sd[i - 1], b = beta[i];
    double q = ap * b / (st + sqrt(1 - b) * sp), r = q / (at * sp + ap * st);
    a2[i] = at * at, s2[i] = st * st, kap[i] = q * q;
    xm[i] = r * r; /* max over lambda > 0 of lambda kap / (v_t v_{t-1}), theory.md §9.20 */
  }
}

static void chunk_fill(const ctr_schedule *s, int64_t t0, int C, chunk_sched *c) {
  c->t0 = t0, c->C = C;
  fill_steps(C, s->a + t0, s->s + t0, s->beta + t0, c->a2, c->s2, c->kap, c->xm);
  double m = 0;
  for (int i = 0; i < C; i++) m = c->xm[i] > m ? c->xm[i] : m;
  c->deg = ctr_affine_series_index(m * (1 + 0x1p-40)); /* margin for the rounding of m */
}

/* The lane sum of a step as the fixed tree acc[k] += acc[k + h], h = B/2, ..., 1, in GCC's
 * generic vectors (the loop form compiled to scalar code through the stack); the same
 * additions in the same order in every clone. */
typedef double v8d __attribute__((vector_size(64)));
typedef double v4d __attribute__((vector_size(32)));
typedef double v2d __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) double lane_sum8(const double *acc) {
  v8d a;
  memcpy(&a, acc, sizeof a);
  v4d b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
  v2d c = __builtin_shufflevector(b, b, 0, 1) + __builtin_shufflevector(b, b, 2, 3);
  return c[0] + c[1];
}

static inline __attribute__((always_inline)) double lane_sum16(const double *acc) {
  v8d lo, hi;
  memcpy(&lo, acc, sizeof lo), memcpy(&hi, acc + 8, sizeof hi);
  lo += hi;
  double s[8];
  memcpy(s, &lo, sizeof s);
  return lane_sum8(s);
}

/* One block of B lanes through one chunk, 1 - cos theta by omega(., K). State (y, v_{t-1}) in
 * local arrays that gcc keeps in registers; the lane sum of each step is a fixed tree, the
 * same in every clone. */
#define BLOCK_KERNEL(NAME, B, K)                                                                 \
  __attribute__((target_clones("avx512f", "avx2", "default"))) static void NAME(                 \
      int C, const double *restrict a2, const double *restrict s2, const double *restrict kap,  \
      const double *restrict lam, const double *restrict w, double *restrict y,                 \
      double *restrict vp, double *restrict part) {                                             \
    double l[B], ww[B], yy[B], pv[B], acc[B];                                                    \
    for (int k = 0; k < B; k++) l[k] = lam[k], ww[k] = w[k], yy[k] = y[k], pv[k] = vp[k];       \
    for (int i = 0; i < C; i++) {                                                                \
      double A = a2[i], S = s2[i], Kp = kap[i];                                                  \
      for (int k = 0; k < B; k++) {                                                              \
        double v = A * l[k] + S, x = l[k] * Kp / (v * pv[k]);                                    \
        double om = omega(x, K);                                                                 \
        yy[k] += x * (1.0 - yy[k]);                                                              \
        acc[k] = ww[k] * om * om;                                                                \
        pv[k] = v;                                                                               \
      }                                                                                          \
      part[i] = lane_sum##B(acc);                                                                \
    }                                                                                            \
    for (int k = 0; k < B; k++) y[k] = yy[k], vp[k] = pv[k];                                    \
  }

#define BLOCK_KERNELS(B)                                                                         \
  BLOCK_KERNEL(kernel##B##_0, B, 0)                                                              \
  BLOCK_KERNEL(kernel##B##_2, B, 2)                                                              \
  BLOCK_KERNEL(kernel##B##_3, B, 3)                                                              \
  BLOCK_KERNEL(kernel##B##_4, B, 4)                                                              \
  BLOCK_KERNEL(kernel##B##_6, B, 6)                                                              \
  BLOCK_KERNEL(kernel##B##_9, B, 9)
BLOCK_KERNELS(8)
BLOCK_KERNELS(16)

/* Few eigenvalues (n <= STEPS_MAX): lanes are steps instead. One eigenvalue at a time through
 * the chunk; lane k of y accumulates the steps i = k mod W, and y over a union of disjoint
 * step sets combines exactly as 1 - (1 - y_a)(1 - y_b) = y_a + y_b - y_a y_b, so the lanes are
 * merged in a fixed tree at the end of the chunk (no per-step horizontal sum, no padding).
 * The per-step sums add the eigenvalues in index order. */
enum { W = 8, STEPS_MAX = 8, CHUNK_MAX = 1024 }; /* CHUNK_MAX: lanes_alloc's largest chunk */

static double ymerge(double a, double b) { return a + b - a * b; }

/* Two passes over the chunk: the per-step terms in a flat loop (vectorised over steps), then
 * the lane recursion for y in blocks of W steps (the pattern gcc vectorises in BLOCK_KERNEL;
 * one loop doing both stayed scalar). Lane of step i: i mod W, as before the split. */
#define STEPS_KERNEL(NAME, K)                                                                    \
  __attribute__((target_clones("avx512f", "avx2", "default"))) static void NAME(                 \
      int C, const double *restrict a2, const double *restrict s2,                              \
      const double *restrict kap, double l, double w, double *y, double *vp,                    \
      double *restrict part, int first) {                                                       \
    double yl[W] = {0}, xb[CHUNK_MAX];                                                           \
    {                                                                                            \
      double v = a2[0] * l + s2[0], x = l * kap[0] / (v * *vp), om = omega(x, K);                \
      part[0] = (first ? 0.0 : part[0]) + w * om * om;                                           \
      xb[0] = x;                                                                                 \
    }                                                                                            \
    for (int i = 1; i < C; i++) {                                                                \
      double v = a2[i] * l + s2[i], vq = a2[i - 1] * l + s2[i - 1];                              \
      double x = l * kap[i] / (v * vq), om = omega(x, K);                                        \
      part[i] = (first ? 0.0 : part[i]) + w * om * om;                                           \
      xb[i] = x;                                                                                 \
    }                                                                                            \
    int i = 0;                                                                                   \
    for (; i + W <= C; i += W)                                                                   \
      for (int k = 0; k < W; k++) yl[k] += xb[i + k] * (1.0 - yl[k]);                            \
    for (int k = 0; i < C; i++, k++) yl[k] += xb[i] * (1.0 - yl[k]);                             \
    for (int h = W / 2; h >= 1; h /= 2)                                                          \
      for (int k = 0; k < h; k++) yl[k] = ymerge(yl[k], yl[k + h]);                              \
    *y = ymerge(*y, yl[0]);                                                                      \
    *vp = a2[C - 1] * l + s2[C - 1];                                                             \
  }

STEPS_KERNEL(steps_0, 0)
STEPS_KERNEL(steps_2, 2)
STEPS_KERNEL(steps_3, 3)
STEPS_KERNEL(steps_4, 4)
STEPS_KERNEL(steps_6, 6)
STEPS_KERNEL(steps_9, 9)

typedef void (*steps_fn)(int, const double *, const double *, const double *, double, double,
                         double *, double *, double *, int);
static steps_fn const STEPS[NDEG] = {steps_0, steps_2, steps_3, steps_4, steps_6, steps_9};

typedef void (*kernel_fn)(int, const double *, const double *, const double *, const double *,
                          const double *, double *, double *, double *);
static kernel_fn const KERN8[NDEG] = {kernel8_0, kernel8_2, kernel8_3, kernel8_4, kernel8_6, kernel8_9};
static kernel_fn const KERN16[NDEG] = {kernel16_0, kernel16_2, kernel16_3,
                                       kernel16_4, kernel16_6, kernel16_9};

/* Lanes padded to whole blocks: lam repeats the last eigenvalue, weight 0. */
typedef struct {
  int B, nb, C, n, bysteps;
  const kernel_fn *kern; /* by degree index */
  double *lam, *w, *y, *vp, *part; /* part: nb x C */
  double *stepS;                    /* per step of the chunk: the block partials, in block order */
  double *rms;                      /* per step of the chunk: sqrt of stepS */
  chunk_sched cs;
} lanes;

static void lanes_free(lanes *L) {
  free(L->lam), free(L->w), free(L->y), free(L->vp), free(L->part), free(L->stepS), free(L->rms);
  free(L->cs.a2), free(L->cs.s2), free(L->cs.kap), free(L->cs.xm);
}

static ctr_status lanes_alloc(lanes *L, const ctr_schedule *s, int n, const double *lam,
                              const double *w, ctr_error *err) {
  memset(L, 0, sizeof *L);
  L->n = n, L->bysteps = n <= STEPS_MAX;
  L->B = n <= 8 ? 8 : 16;
  L->kern = L->B == 8 ? KERN8 : KERN16;
  L->nb = L->bysteps ? 1 : (n + L->B - 1) / L->B;
  /* chunk: at most 2^21 partial sums in flight, at least 16 steps, at most 1024 */
  int64_t C = ((int64_t)1 << 21) / L->nb, steps = s->N - 1;
  C = C < 16 ? 16 : C > CHUNK_MAX ? CHUNK_MAX : C;
  L->C = (int)(C < steps ? C : steps);
  size_t m = (size_t)L->nb * L->B, c = (size_t)(L->C > 0 ? L->C : 1);
  L->lam = ctr_dalloc(m), L->w = ctr_dalloc(m), L->y = ctr_dalloc(m), L->vp = ctr_dalloc(m);
  L->part = ctr_dalloc((size_t)L->nb * c), L->stepS = ctr_dalloc(c), L->rms = ctr_dalloc(c);
  L->cs.a2 = ctr_dalloc(c), L->cs.s2 = ctr_dalloc(c), L->cs.kap = ctr_dalloc(c);
  L->cs.xm = ctr_dalloc(c);
  if (!L->lam || !L->w || !L->y || !L->vp || !L->part || !L->stepS || !L->rms || !L->cs.a2 || !L->cs.s2 ||
      !L->cs.kap || !L->cs.xm)
    return lanes_free(L), ctr_fail(err, CTR_ENOMEM, "engine: out of memory (%d lanes)", n);
  double a1 = s->a[1], s1 = s->s[1];
  for (size_t j = 0; j < m; j++) {
    double l = lam[j < (size_t)n ? j : (size_t)n - 1];
    L->vp[j] = a1 * a1 * l + s1 * s1; /* v_1, as affine.c's ws_init */
    L->lam[j] = l, L->w[j] = j < (size_t)n ? w[j] * L->vp[j] : 0.0; /* tau^2 = v_1 om^2 */
  }
  return CTR_OK;
}

ctr_status ctr_affine_jobs(void *ctx, ctr_status (*fn)(void *, size_t, void *, ctr_error *),
                           void *(*ws_alloc)(void *), void (*ws_free)(void *), size_t n,
                           double work, ctr_error *err) {
  if (n >= 2 && work >= 1e6 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
    ctr_parfor job = {.ctx = ctx, .ws_alloc = ws_alloc, .ws_free = ws_free, .fn = fn};
    return ctr_parfor_run(&job, n, err);
  }
  void *ws = ws_alloc(ctx);
  ctr_status st = ws ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "engine: out of memory (workspace)");
  for (size_t i = 0; !st && i < n; i++) st = fn(ctx, i, ws, err);
  ws_free(ws);
  return st;
}

/* Sum of the block partials of each step of the chunk, blocks in index order whatever the
 * thread count (the steps are split over threads, never the blocks of one step). */
static void step_totals(lanes *L, int i0, int i1) {
  double *restrict S = L->stepS;
  for (int i = i0; i < i1; i++) S[i] = 0;
  for (int b = 0; b < L->nb; b++) { /* rows of part in turn: contiguous, vectorised */
    const double *restrict p = L->part + (size_t)b * L->C;
    for (int i = i0; i < i1; i++) S[i] += p[i];
  }
}

static void block_run(lanes *L, int b) {
  size_t o = (size_t)b * (size_t)L->B;
  L->kern[L->cs.deg](L->cs.C, L->cs.a2, L->cs.s2, L->cs.kap, L->lam + o, L->w + o, L->y + o, L->vp + o,
          L->part + (size_t)b * (size_t)L->C);
}

/* Exact L1 of the per-step bias at step t over the probe spectrum (zero-mean Gaussian with
 * variances tau^2 = v_1 (1 - cos theta_t)^2 per eigenvalue). */
static ctr_status probe_l1(const ctr_schedule *s, const ctr_affine_spectrum *p, int64_t t,
                           double *tau2, double *zero, double *l1, double *S, ctr_error *err) {
  /* l1 == NULL: the sum of tau^2 only */
  double at = s->a[t], st = s->s[t], ap = s->a[t - 1], sp = s->s[t - 1], b = s->beta[t];
  double q = ap * b / (st + sqrt(1 - b) * sp), kap = q * q, a1 = s->a[1], s1 = s->s[1];
  *S = 0;
  for (int j = 0; j < p->n; j++) {
    double l = p->lam[j], v = at * at * l + st * st, vp = ap * ap * l + sp * sp;
    double x = l * kap / (v * vp), om = x / (1.0 + sqrt(1.0 - x));
    tau2[j] = (a1 * a1 * l + s1 * s1) * om * om;
    *S += p->mult[j] * tau2[j];
  }
  return l1 ? ctr_gauss_norm_mean((size_t)p->n, zero, tau2, p->mult, l1, err) : CTR_OK;
}

/* The Chebyshev path's check at probe step t against the full spectrum: the sum of tau^2 at
 * every 16th probe and at t = N, the L1 at t = N (each O(d), so only a few). */
static ctr_status check_step(const ctr_schedule *s, const ctr_affine_spectrum *check, int64_t t,
                             int iprobe, double S, double l1, double *tau2, double *zero,
                             double *check_err, ctr_error *err) {
  if (!check || (iprobe % 16 && t != s->N)) return CTR_OK;
  double Sx, lx;
  ctr_status st = probe_l1(s, check, t, tau2, zero, t == s->N ? &lx : NULL, &Sx, err);
  if (st) return st;
  *check_err = fmax(*check_err, Sx > 0 ? fabs(S - Sx) / Sx : S);
  if (t == s->N) *check_err = fmax(*check_err, lx > 0 ? fabs(l1 - lx) / lx : l1);
  return CTR_OK;
}

typedef struct {
  const ctr_affine_spectrum *probe, *check;
  ctr_stepsum *sumD, *sumE;
  double eps_t, *bsum, *tau2, *zero, *check_err;
  double *l1;     /* L1 of every probe step, computed up front */
  int iprobe;
} sums_ctx;

/* The probes' L1 values depend on the schedule only (closed form, no recursion): all of them
 * up front, one probe per parallel job, each into its own slot. */
typedef struct {
  const ctr_schedule *s;
  const ctr_affine_spectrum *probe;
  const int64_t *steps;
  double *l1;
} probes_job;

static void *probe_ws(void *ctx) {
  const probes_job *j = ctx;
  return ctr_dalloc(2 * (size_t)(j->probe->n > 0 ? j->probe->n : 1));
}

static ctr_status probe_one(void *ctx, size_t i, void *ws, ctr_error *err) {
  const probes_job *j = ctx;
  double *tau2 = ws, *zero = tau2 + j->probe->n, S;
  return probe_l1(j->s, j->probe, j->steps[i], tau2, zero, &j->l1[i], &S, err);
}

/* The nodes stand in for the spectrum if they give the exact L1 at t = N to 1e-11. */
static ctr_status pick_probe(const ctr_schedule *s, sums_ctx *c, const ctr_affine_spectrum **p,
                             ctr_error *err) {
  const ctr_affine_spectrum *a = c->probe->approx;
  *p = c->probe;
  if (!a || a->n >= c->probe->n) return CTR_OK;
  double buf[2 * CTR_AFFINE_CHEB_MAX], la, lx, S;
  ctr_status st = probe_l1(s, a, s->N, buf, buf + CTR_AFFINE_CHEB_MAX, &la, &S, err);
  if (!st) st = probe_l1(s, c->probe, s->N, c->tau2, c->zero, &lx, &S, err);
  if (!st && fabs(la - lx) <= 1e-11 * fabs(lx)) *p = a;
  return st;
}

static ctr_status all_probes(const ctr_schedule *s, sums_ctx *c, ctr_error *err) {
  const int64_t *steps;
  const ctr_affine_spectrum *p;
  int np = ctr_stepsum_probe_steps(c->sumD, &steps);
  c->l1 = ctr_dalloc((size_t)(np > 0 ? np : 1));
  if (!c->l1) return ctr_fail(err, CTR_ENOMEM, "engine: out of memory (probes)");
  ctr_status st = np > 2 ? pick_probe(s, c, &p, err) : (p = c->probe, CTR_OK);
  if (st) return st;
  probes_job j = {s, p, steps, c->l1};
  return ctr_affine_jobs(&j, probe_one, probe_ws, free, (size_t)np, 200.0 * np * p->n, err);
}

/* Close one chunk: per step, the block partials in block order, then the step sums; the
 * steps between probes as runs (no log per step, ctr_stepsum_add_run). */
static ctr_status chunk_sums(const ctr_schedule *s, const lanes *L, sums_ctx *c, ctr_error *err) {
  int C = L->cs.C;
  double *restrict rms = L->rms;
  const double *restrict S = L->stepS;
  for (int i = 0; i < C; i++) /* Chebyshev weights may be negative */
    rms[i] = sqrt(S[i] > 0 ? S[i] : 0.0);
  for (int i = 0; i < C;) {
    int64_t t = L->cs.t0 + i, tp = ctr_stepsum_next_probe(c->sumD);
    if (tp != t) {
      int n = tp - t < C - i ? (int)(tp - t) : C - i;
      ctr_stepsum_add_run(c->sumD, t, n, rms + i);
      i += n;
      continue;
    }
    double l1 = c->l1[c->iprobe];
    ctr_status st = check_step(s, c->check, t, c->iprobe++, fmax(S[i], 0.0), l1, c->tau2, c->zero,
                               c->check_err, err);
    if (st) return st;
    ctr_stepsum_add(c->sumD, t, rms[i], l1);
    i++;
  }
  if (c->eps_t > 0)
    for (int i = 0; i < C; i++) {
      if (c->sumE) ctr_stepsum_add(c->sumE, L->cs.t0 + i, c->eps_t, c->eps_t);
      if (c->bsum) *c->bsum += c->eps_t;
    }
  return CTR_OK;
}

ctr_status ctr_affine_fast_deficit(const ctr_schedule *s, int n, const double *lam, const double *w,
                                   const ctr_affine_spectrum *probe, ctr_stepsum *sumD,
                                   ctr_stepsum *sumE, double eps_fit, double *bsum, double *y,
                                   const ctr_affine_spectrum *check, double *check_err,
                                   ctr_error *err) {
  lanes L;
  ctr_status st = lanes_alloc(&L, s, n, lam, w, err);
  if (st) return st;
  size_t nbuf = (size_t)(check && check->n > probe->n ? check->n : probe->n);
  sums_ctx c = {.probe = probe, .check = check, .sumD = sumD, .sumE = sumE, .bsum = bsum,
                .check_err = check_err, .tau2 = ctr_dalloc(nbuf), .zero = ctr_dalloc(nbuf)};
  if (!c.tau2 || !c.zero) st = ctr_fail(err, CTR_ENOMEM, "engine: out of memory (probes)");
  if (!st) st = all_probes(s, &c, err);
  c.eps_t = eps_fit > 0 ? eps_fit / (double)(s->N - 1) : 0;
  if (bsum) *bsum = 0;
  if (L.bysteps) {
    for (int64_t t0 = 2; !st && t0 <= s->N; t0 += L.C) {
      int64_t left = s->N - t0 + 1;
      chunk_fill(s, t0, (int)(left < L.C ? left : L.C), &L.cs);
      for (int j = 0; j < n; j++)
        STEPS[L.cs.deg](L.cs.C, L.cs.a2, L.cs.s2, L.cs.kap, L.lam[j], L.w[j], L.y + j, L.vp + j,
                     L.part, j == 0);
      step_totals(&L, 0, L.cs.C);
      st = chunk_sums(s, &L, &c, err);
    }
  } else if (!st) {
    /* One parallel region for the whole recursion (a region per chunk cost ~1/6 of a second
     * thread's gain at d = 4096): blocks split statically over threads, then the steps' block
     * sums, then the serial step sums; every barrier is the construct's own. */
    int par = omp_get_max_threads() > 1 && !omp_in_parallel() && L.nb >= 2 &&
              (double)L.nb * L.B * (double)(s->N - 1) >= 1e6;
#pragma omp parallel if (par)
    for (int64_t t0 = 2; t0 <= s->N; t0 += L.C) {
#pragma omp single
      {
        int64_t left = s->N - t0 + 1;
        chunk_fill(s, t0, (int)(left < L.C ? left : L.C), &L.cs);
      }
#pragma omp for schedule(static)
      for (int b = 0; b < L.nb; b++) block_run(&L, b);
      { /* the steps in one contiguous range per thread */
        int nt = omp_get_num_threads(), me = omp_get_thread_num(), C = L.cs.C;
        step_totals(&L, (int)((int64_t)C * me / nt), (int)((int64_t)C * (me + 1) / nt));
      }
#pragma omp barrier
#pragma omp single
      if (!st) st = chunk_sums(s, &L, &c, err);
    }
  }
  if (!st) memcpy(y, L.y, sizeof(double) * (size_t)n);
  free(c.tau2), free(c.zero), free(c.l1);
  lanes_free(&L);
  return st;
}

double ctr_affine_shrink(double y) { return -y / (1.0 + sqrt(1.0 - y)); }
