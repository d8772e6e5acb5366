/* wasserstein/assignment.c: Jonker-Volgenant linear assignment for exact sample W_p (theory.md §7).
 *
 * R. Jonker, A. Volgenant, "A shortest augmenting path algorithm for dense and sparse linear
 * assignment problems", Computing 38 (1987) 325-340: column reduction, reduction transfer and
 * two passes of augmenting row reduction give a partial assignment with feasible column prices
 * v; each row still free is then assigned by a Dijkstra search for the shortest augmenting path
 * in reduced costs c(i, j) - v_j, after which the prices of the settled columns move by their
 * distance. Row duals are implicit: u_i = c(i, x_i) - v_{x_i}.
 *
 * The algorithm is exact in exact arithmetic; in double a tie broken by one ulp can leave a
 * reduced cost of order -1e-16 * scale. Rather than trust the invariants, the result is
 * certified afterwards by one more pass over all n^2 reduced costs (ctr_assign_status).
 *
 * Costs are rows: the searches only ever need "all costs of row i", which is either a row of
 * the stored matrix or n distances computed into one buffer from a coordinate-major copy of y
 * (the inner loop runs over j and vectorises). Every cost is summed over the d coordinates
 * in the same order, so a cost recomputed later is bit-identical to its first evaluation. */
#include "wasserstein/assignment.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WA_BLOCK 256     /* columns per block of a computed cost row (2 KiB of partial sums) */
#define WA_ARR_PASSES 2  /* augmenting row reduction passes, as in JV's code */
#define WA_ARR_BUDGET 8  /* at most this many ARR steps per row per pass: a heuristic phase,
                          * cut short if float ties make it bounce (it would terminate, slowly) */

/* Rows kept when the matrix is not: the searches revisit the rows near a free row over and
 * over (measured at n = 6000: 62% of scans hit a cache of half the rows), so a CLOCK cache
 * (second chance: a row used since the hand last passed survives one more round) saves most
 * recomputation. Only the searches use it; the sequential sweeps would merely flush it. */
typedef struct {
  size_t slots;
  double *rows;       /* slots x n */
  int *slot_of;       /* n: slot holding row i, or -1 */
  int *row_of;        /* slots: row held, or -1 */
  unsigned char *ref; /* slots: used since the hand last passed */
  size_t hand;
} wa_cache;

typedef struct {
  size_t n, d;
  int p;
  const double *x;
  double *yt;      /* y transposed, d x n: column k holds coordinate k of every y_j */
  double *dense;   /* n x n costs, or NULL when they are recomputed */
  double *buf;     /* one row of costs when not dense */
  wa_cache *cache; /* NULL when dense, or when the budget holds fewer than 2 rows */
} wa_costs;

/* Solver state: x[i] = column of row i (-1 free), y[j] = row of column j (-1 free). */
typedef struct {
  int *x, *y, *freerows, *collist, *pred;
  double *v, *dist, *sv, *sd; /* sv, sd: prices and distances of a search's settled columns */
  int nfree;
  long scans, augs;
} wa_state;

/* ------------------------------------------------------------------------- */
/* costs                                                                     */

/* Costs of row i against columns [j0, j0 + m): the partial sums stay in L1 while the d
 * coordinate rows of yt stream past. */
static void row_block(const wa_costs *c, const double *xi, size_t j0, size_t m, double *o) {
  for (size_t j = 0; j < m; j++) o[j] = 0.0;
  for (size_t k = 0; k < c->d; k++) {
    const double a = xi[k], *yk = c->yt + k * c->n + j0;
    for (size_t j = 0; j < m; j++) {
      double t = a - yk[j];
      o[j] += t * t;
    }
  }
  if (c->p == 1)
    for (size_t j = 0; j < m; j++) o[j] = sqrt(o[j]);
}

static void row_compute(const wa_costs *c, size_t i, double *out) {
  for (size_t j0 = 0; j0 < c->n; j0 += WA_BLOCK)
    row_block(c, c->x + i * c->d, j0, c->n - j0 < WA_BLOCK ? c->n - j0 : WA_BLOCK, out + j0);
}

/* All n costs of row i, for sweeps that visit each row once; valid until the next call. */
static const double *row_costs(const wa_costs *c, size_t i) {
  if (c->dense) return c->dense + i * c->n;
  row_compute(c, i, c->buf);
  return c->buf;
}

/* The same through the cache, for the searches; valid until the next call. */
static const double *row_costs_cached(const wa_costs *c, size_t i) {
  wa_cache *k = c->cache;
  if (!k) return row_costs(c, i);
  int slot = k->slot_of[i];
  if (slot < 0) {
    while (k->ref[k->hand]) k->ref[k->hand] = 0, k->hand = (k->hand + 1) % k->slots;
    slot = (int)k->hand, k->hand = (k->hand + 1) % k->slots;
    if (k->row_of[slot] >= 0) k->slot_of[k->row_of[slot]] = -1;
    k->row_of[slot] = (int)i, k->slot_of[i] = slot;
    row_compute(c, i, k->rows + (size_t)slot * c->n);
  }
  k->ref[slot] = 1;
  return k->rows + (size_t)slot * c->n;
}

static void cache_free(wa_cache *k) {
  if (!k) return;
  free(k->rows), free(k->slot_of), free(k->row_of), free(k->ref);
  free(k);
}

/* A cache of budget bytes of rows, or NULL (also when memory is short: it is only a speed-up). */
static wa_cache *cache_new(size_t n, size_t budget) {
  size_t slots = budget / sizeof(double) / n;
  if (slots > n) slots = n;
  wa_cache *k = slots >= 2 ? calloc(1, sizeof *k) : NULL;
  if (!k) return NULL;
  k->slots = slots;
  k->rows = malloc(slots * n * sizeof(double));
  k->slot_of = malloc(n * sizeof(int)), k->row_of = malloc(slots * sizeof(int));
  k->ref = calloc(slots, 1);
  if (!k->rows || !k->slot_of || !k->row_of || !k->ref) {
    cache_free(k);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) k->slot_of[i] = -1;
  for (size_t q = 0; q < slots; q++) k->row_of[q] = -1;
  return k;
}

static ctr_status costs_init(wa_costs *c, size_t n, size_t d, const double *x, const double *y,
                             int p, size_t dense_max, ctr_error *err) {
  memset(c, 0, sizeof *c);
  c->n = n, c->d = d, c->p = p, c->x = x;
  c->yt = malloc(n * d * sizeof(double));
  int dense = n <= dense_max / sizeof(double) / n;
  c->dense = dense ? malloc(n * n * sizeof(double)) : NULL;
  c->buf = dense ? NULL : malloc(n * sizeof(double));
  if (!c->yt || (dense && !c->dense) || (!dense && !c->buf))
    return ctr_fail(err, CTR_ENOMEM, "assignment: cannot allocate costs for n = %zu, d = %zu", n,
                    d);
  for (size_t j = 0; j < n; j++)
    for (size_t k = 0; k < d; k++) c->yt[k * n + j] = y[j * d + k];
  if (!dense) c->cache = cache_new(n, dense_max);
  if (dense)
    for (size_t i = 0; i < n; i++) row_compute(c, i, c->dense + i * n);
  return CTR_OK;
}

static void costs_free(wa_costs *c) {
  free(c->yt);
  free(c->dense);
  free(c->buf);
  cache_free(c->cache);
}

/* ------------------------------------------------------------------------- */
/* initialisation: column reduction, reduction transfer                      */

/* v_j = min_i c(i, j); each column goes to its first minimising row if that row is still
 * unmatched (columns taken from the last, as JV do). collist/pred serve as scratch. */
static void column_reduction(const wa_costs *c, wa_state *s) {
  int n = (int)c->n, *argmin = s->pred, *matches = s->collist;
  for (int j = 0; j < n; j++) s->v[j] = INFINITY, argmin[j] = 0;
  for (int i = 0; i < n; i++) {
    const double *ci = row_costs(c, (size_t)i);
    for (int j = 0; j < n; j++)
      if (ci[j] < s->v[j]) s->v[j] = ci[j], argmin[j] = i;
  }
  for (int i = 0; i < n; i++) s->x[i] = -1, matches[i] = 0;
  for (int j = n - 1; j >= 0; j--) {
    int i = argmin[j];
    s->y[j] = -1;
    if (matches[i]++ == 0) s->x[i] = j, s->y[j] = i;
  }
}

/* A row that is the minimum of exactly one column passes its slack to that column's price
 * (v_j -= second-smallest reduced cost), which keeps it optimal for the row and lowers v_j,
 * so feasibility of every other row is kept. Rows matched to no column become free. */
static void reduction_transfer(const wa_costs *c, wa_state *s) {
  int n = (int)c->n, *matches = s->collist;
  s->nfree = 0;
  for (int i = 0; i < n; i++) {
    if (matches[i] == 0) {
      s->freerows[s->nfree++] = i;
      continue;
    }
    if (matches[i] != 1) continue;
    const double *ci = row_costs(c, (size_t)i);
    int j1 = s->x[i];
    double mu = INFINITY;
    for (int j = 0; j < n; j++)
      if (j != j1 && ci[j] - s->v[j] < mu) mu = ci[j] - s->v[j];
    if (isfinite(mu)) s->v[j1] -= mu;
  }
}

/* ------------------------------------------------------------------------- */
/* augmenting row reduction                                                  */

/* Smallest and second-smallest reduced cost of row ci: (u1 at j1, u2 at j2). */
static void two_smallest(const double *ci, const double *v, int n, double *u1, int *j1, double *u2,
                         int *j2) {
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

/* One ARR pass over the free list: each free row takes its best column, lowering that
 * column's price by the gap to its second best; the evicted row is retried at once when
 * the price moved (it now sees a worse column) and queued otherwise. */
static void arr_pass(const wa_costs *c, wa_state *s) {
  int n = (int)c->n, prev = s->nfree, k = 0;
  long budget = (long)WA_ARR_BUDGET * (prev + 1);
  s->nfree = 0;
  while (k < prev) {
    if (budget-- <= 0) { /* hand the rest to the augmentation phase unchanged */
      while (k < prev) s->freerows[s->nfree++] = s->freerows[k++];
      break;
    }
    int i = s->freerows[k++], j1, j2;
    double u1, u2;
    two_smallest(row_costs_cached(c, (size_t)i), s->v, n, &u1, &j1, &u2, &j2);
    int i0 = s->y[j1];
    int moved = u1 < u2;
    if (moved) s->v[j1] -= u2 - u1;
    else if (i0 >= 0 && j2 >= 0) j1 = j2, i0 = s->y[j2];
    if (i0 >= 0) s->x[i0] = -1;
    s->x[i] = j1, s->y[j1] = i;
    if (i0 < 0) continue;
    if (moved) s->freerows[--k] = i0;
    else s->freerows[s->nfree++] = i0;
  }
}

/* ------------------------------------------------------------------------- */
/* shortest augmenting path                                                  */

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
#include <immintrin.h>
/* The same with AVX2, same operations in the same order on each element (no FMA), and the same
 * tie rule: each lane keeps its first minimum, the lanes then resolve ties by the lower index,
 * and the scalar tail (higher indices) replaces only on a strict decrease. Bit-identical. */
__attribute__((target("avx2"))) static int relax_avx2(const double *ci, const double *v,
                                                      double *dist, int *pred, int i, double h,
                                                      int n) {
  const __m256d hv = _mm256_set1_pd(h), four = _mm256_set1_pd(4.0);
  __m256d bestv = _mm256_set1_pd(INFINITY), besti = _mm256_set1_pd(-1.0);
  __m256d idx = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
  int j = 0;
  for (; j + 4 <= n; j += 4) {
    __m256d t = _mm256_sub_pd(_mm256_sub_pd(_mm256_loadu_pd(ci + j), _mm256_loadu_pd(v + j)), hv);
    __m256d dj = _mm256_loadu_pd(dist + j);
    __m256d lt = _mm256_cmp_pd(t, dj, _CMP_LT_OQ);
    int mk = _mm256_movemask_pd(lt);
    if (mk) {
      dj = _mm256_blendv_pd(dj, t, lt);
      _mm256_storeu_pd(dist + j, dj);
      for (int b = 0; b < 4; b++)
        if (mk >> b & 1) pred[j + b] = i;
    }
    __m256d better = _mm256_cmp_pd(dj, bestv, _CMP_LT_OQ);
    bestv = _mm256_blendv_pd(bestv, dj, better);
    besti = _mm256_blendv_pd(besti, idx, better);
    idx = _mm256_add_pd(idx, four);
  }
  double bv[4], bi[4];
  _mm256_storeu_pd(bv, bestv), _mm256_storeu_pd(bi, besti);
  double best = INFINITY;
  int jb = -1;
  for (int b = 0; b < 4; b++)
    if (bi[b] >= 0.0 && (bv[b] < best || (bv[b] == best && (int)bi[b] < jb)))
      best = bv[b], jb = (int)bi[b];
  for (; j < n; j++) {
    double t = ci[j] - v[j] - h, dj = dist[j];
    if (t < dj) dj = dist[j] = t, pred[j] = i;
    if (dj < best) best = dj, jb = j;
  }
  return jb;
}

static int wa_simd = 1; /* ctr_assign_set_simd */

void ctr_assign_set_simd(int on) { wa_simd = on; }

static int relax(const double *ci, const double *v, double *dist, int *pred, int i, double h,
                 int n) {
  return wa_simd && __builtin_cpu_supports("avx2") ? relax_avx2(ci, v, dist, pred, i, h, n)
                                                   : relax_scalar(ci, v, dist, pred, i, h, n);
}
#else
void ctr_assign_set_simd(int on) { (void)on; }

static int relax(const double *ci, const double *v, double *dist, int *pred, int i, double h,
                 int n) {
  return relax_scalar(ci, v, dist, pred, i, h, n);
}
#endif

/* Dijkstra from free row f over reduced costs c(i, j) - v_j, one column settled at a time (the
 * unsettled one of least distance); returns the free column reached and its distance *m. The
 * settled columns are collist[0..*nready), with their prices in sv and distances in sd; their
 * v_j stay -inf until augment restores them. */
static int shortest_path(const wa_costs *c, wa_state *s, int f, double *m, int *nready) {
  int n = (int)c->n, nset = 0;
  for (int j = 0; j < n; j++) s->dist[j] = INFINITY;
  int j = relax(row_costs_cached(c, (size_t)f), s->v, s->dist, s->pred, f, 0.0, n);
  for (;;) {
    double mj = s->dist[j];
    s->collist[nset] = j, s->sv[nset] = s->v[j], s->sd[nset] = mj, nset++;
    if (s->y[j] < 0) {
      *m = mj, *nready = nset;
      return j;
    }
    int i = s->y[j];
    const double *ci = row_costs_cached(c, (size_t)i);
    double h = ci[j] - s->v[j] - mj;
    s->v[j] = -INFINITY, s->dist[j] = INFINITY;
    s->scans++;
    j = relax(ci, s->v, s->dist, s->pred, i, h, n);
  }
}

static void augment(const wa_costs *c, wa_state *s, int f) {
  double m = 0.0;
  int nready = 0, j = shortest_path(c, s, f, &m, &nready);
  /* settled columns' prices move by their distance below m, keeping reduced costs >= 0 */
  for (int k = 0; k < nready; k++) s->v[s->collist[k]] = s->sv[k] + (s->sd[k] - m);
  int i;
  do {
    i = s->pred[j];
    s->y[j] = i;
    int next = s->x[i];
    s->x[i] = j, j = next;
  } while (i != f);
  s->augs++;
}

/* ------------------------------------------------------------------------- */
/* certificate                                                               */

/* Neumaier-compensated running sum: the n-term sums below decide a 1e-9 gap test. */
typedef struct {
  double s, c;
} wa_sum;

static void sum_add(wa_sum *a, double t) {
  double u = a->s + t;
  a->c += fabs(a->s) >= fabs(t) ? (a->s - u) + t : (t - u) + a->s;
  a->s = u;
}

/* u_i = c(i, x_i) - v_{x_i}; then min reduced cost, largest cost, primal and dual. */
static void certify(const wa_costs *c, const wa_state *s, ctr_assign_status *st) {
  size_t n = c->n;
  wa_sum pr = {0, 0}, du = {0, 0};
  double minrc = INFINITY, scale = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double *ci = row_costs(c, i);
    int xi = s->x[i];
    double ui = ci[xi] - s->v[xi];
    sum_add(&pr, ci[xi]);
    sum_add(&du, ui);
    sum_add(&du, s->v[i]);
    for (size_t j = 0; j < n; j++) {
      double r = ci[j] - ui - s->v[j];
      if (r < minrc) minrc = r;
      if (ci[j] > scale) scale = ci[j];
    }
  }
  st->primal = (pr.s + pr.c) / (double)n;
  st->dual = (du.s + du.c) / (double)n;
  st->min_reduced = minrc, st->scale = scale;
  double gap_tol = CTR_ASSIGN_GAP_REL * fabs(st->primal) + 4.0 * (double)n * DBL_EPSILON * scale;
  st->optimal = fabs(st->primal - st->dual) <= gap_tol && minrc >= -CTR_ASSIGN_RC_REL * scale;
}

/* ------------------------------------------------------------------------- */
/* entry point                                                               */

static ctr_status check_input(size_t n, size_t d, const double *x, const double *y, int p,
                              ctr_error *err) {
  if (p != 1 && p != 2) return ctr_fail(err, CTR_EINPUT, "assignment: p = %d, want 1 or 2", p);
  if (n < 1 || d < 1 || n > (size_t)INT_MAX / 2 || d > SIZE_MAX / sizeof(double) / n)
    return ctr_fail(err, CTR_EINPUT, "assignment: n = %zu, d = %zu, want 1 <= n <= %d, d >= 1",
                    n, d, INT_MAX / 2);
  if (!x || !y) return ctr_fail(err, CTR_EINPUT, "assignment: NULL point set");
  for (size_t k = 0; k < n * d; k++)
    if (!isfinite(x[k]) || !isfinite(y[k]))
      return ctr_fail(err, CTR_EINPUT, "assignment: non-finite coordinate at row %zu, column %zu "
                      "(want finite)", k / d, k % d);
  return CTR_OK;
}

static ctr_status state_alloc(wa_state *s, size_t n, ctr_error *err) {
  memset(s, 0, sizeof *s);
  s->x = malloc(5 * n * sizeof(int));
  s->v = malloc(4 * n * sizeof(double));
  if (!s->x || !s->v) {
    free(s->x), free(s->v);
    return ctr_fail(err, CTR_ENOMEM, "assignment: cannot allocate work arrays for n = %zu", n);
  }
  s->y = s->x + n, s->freerows = s->x + 2 * n, s->collist = s->x + 3 * n, s->pred = s->x + 4 * n;
  s->dist = s->v + n, s->sv = s->v + 2 * n, s->sd = s->v + 3 * n;
  return CTR_OK;
}

static void solve(const wa_costs *c, wa_state *s) {
  column_reduction(c, s);
  reduction_transfer(c, s);
  for (int pass = 0; pass < WA_ARR_PASSES && s->nfree > 0; pass++) arr_pass(c, s);
  for (int k = 0; k < s->nfree; k++) augment(c, s, s->freerows[k]);
}

ctr_status ctr_assign_wp(size_t n, size_t d, const double *x, const double *y, int p, size_t *perm,
                         double *wp, ctr_assign_status *st, ctr_error *err) {
  return ctr_assign_wp_limit(n, d, x, y, p, CTR_ASSIGN_DENSE_MAX, perm, wp, st, err);
}

ctr_status ctr_assign_wp_limit(size_t n, size_t d, const double *x, const double *y, int p,
                               size_t dense_max, size_t *perm, double *wp, ctr_assign_status *st,
                               ctr_error *err) {
  ctr_status rc = check_input(n, d, x, y, p, err);
  if (rc != CTR_OK) return rc;
  wa_costs c;
  wa_state s;
  rc = costs_init(&c, n, d, x, y, p, dense_max, err);
  if (rc == CTR_OK) rc = state_alloc(&s, n, err);
  if (rc != CTR_OK) {
    costs_free(&c);
    return rc;
  }
  solve(&c, &s);
  ctr_assign_status loc;
  certify(&c, &s, &loc);
  loc.iterations = s.scans, loc.augmentations = s.augs, loc.dense = c.dense != NULL;
  loc.cache_rows = c.cache ? (long)c.cache->slots : 0;
  if (perm)
    for (size_t i = 0; i < n; i++) perm[i] = (size_t)s.x[i];
  free(s.x), free(s.v);
  costs_free(&c);
  if (!isfinite(loc.primal))
    return ctr_fail(err, CTR_ENUMERIC, "assignment: non-finite mean cost %g", loc.primal);
  if (wp) *wp = p == 1 ? loc.primal : sqrt(fmax(loc.primal, 0.0));
  if (st) *st = loc;
  return CTR_OK;
}
