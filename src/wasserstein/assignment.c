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
 * (the inner loop runs over j and vectorises), or a float row of the stored matrix (from
 * n = 3000: then the solve is repaired on the exact costs, repair()). Every cost is summed over
 * the d coordinates in the same order, so a cost recomputed later is bit-identical to its
 * first evaluation. The Dijkstra search settles one column at a time, the unsettled one of
 * least distance, found in the same streaming pass that relaxes the row (assignment_scan.c). */
#include "wasserstein/assignment.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wasserstein/assignment_scan.h"

#define WA_BLOCK 256     /* columns per block of a computed cost row (2 KiB of partial sums) */
#define WA_ARR_PASSES 2  /* augmenting row reduction passes, as in JV's code */
#define WA_ARR_BUDGET 8  /* at most this many ARR steps per row per pass: a heuristic phase,
                          * cut short if float ties make it bounce (it would terminate, slowly) */

/* From this n on, the stored matrix is float (half the memory traffic of the searches, which
 * stream whole rows and are bound by it), followed by an exact repair (repair()); below it,
 * double. ctr_assign_set_float_min changes it for tests. */
static size_t wa_float_min = 3000;

void ctr_assign_set_float_min(size_t n) { wa_float_min = n; }

/* Rows kept when no matrix is stored (n > 16384 under the default budget): the searches
 * revisit the rows near a free row over and over (measured at n = 6000: 62% of scans hit a
 * cache of half the rows), so a CLOCK cache (second chance: a row used since the hand last
 * passed survives one more round) saves most recomputation. Only the searches use it; the
 * sequential sweeps would merely flush it. */
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
  float *fdense;   /* n x n costs rounded to float (see costs_init), or NULL */
  int exact;       /* 1: rows are the exact double costs (always, unless fdense is in use) */
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

/* All n costs of row i, for sweeps that visit each row once; valid until the next call.
 * In the float phase: the stored float row widened to double (exactly). */
static const double *row_costs(const wa_costs *c, size_t i) {
  if (c->dense) return c->dense + i * c->n;
  if (!c->exact) {
    const float *fr = c->fdense + i * c->n;
    for (size_t j = 0; j < c->n; j++) c->buf[j] = (double)fr[j];
    return c->buf;
  }
  row_compute(c, i, c->buf);
  return c->buf;
}

/* The same through the cache, for the searches; valid until the next call. */
static const double *row_costs_cached(const wa_costs *c, size_t i) {
  wa_cache *k = c->cache;
  if (!k || !c->exact) return row_costs(c, i);
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
  int dense = n <= dense_max / sizeof(double) / n && n < wa_float_min;
  int fdense = !dense && n >= wa_float_min && n <= dense_max / sizeof(float) / n;
  c->exact = !fdense;
  c->dense = dense ? malloc(n * n * sizeof(double)) : NULL;
  c->fdense = fdense ? malloc(n * n * sizeof(float)) : NULL;
  c->buf = dense ? NULL : malloc(n * sizeof(double));
  if (!c->yt || (dense && !c->dense) || (fdense && !c->fdense) || (!dense && !c->buf))
    return ctr_fail(err, CTR_ENOMEM, "assignment: cannot allocate costs for n = %zu, d = %zu", n,
                    d);
  for (size_t j = 0; j < n; j++)
    for (size_t k = 0; k < d; k++) c->yt[k * n + j] = y[j * d + k];
  /* The recomputing path caches rows in the whole budget. The float path's repair does not:
   * it recomputes each exact row it scans (memory: the float matrix plus O(n d)). Its searches
   * are short and visit mostly distinct rows (n = 3000: 6787 scans, 2702 distinct rows), so a
   * cache there mostly cost page faults. W1 + W2 (tests/wassign_cli), peak resident with the
   * rest of the 1 GiB budget as cache / without: n = 3000 103 / 38 MB (3.7 / 2.8 CPU s), n = 1e4
   * 1054 / 396 MB (89 / 81 CPU s); docs/benchmarks.md. The result does not depend on the cache. */
  if (!dense && !fdense) c->cache = cache_new(n, dense_max);
  if (dense)
    for (size_t i = 0; i < n; i++) row_compute(c, i, c->dense + i * n);
  if (fdense)
    for (size_t i = 0; i < n; i++) {
      row_compute(c, i, c->buf);
      for (size_t j = 0; j < n; j++) c->fdense[i * n + j] = (float)c->buf[j];
    }
  return CTR_OK;
}

static void costs_free(wa_costs *c) {
  free(c->yt);
  free(c->dense);
  free(c->fdense);
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
    ctr_wa_two_smallest(row_costs_cached(c, (size_t)i), s->v, n, &u1, &j1, &u2, &j2);
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

/* Relax against row i of the current costs (float or double), the settled column js (or -1 at
 * the start of a search) giving the shift h, and mask js (see relax_scalar). */
static int relax_row(const wa_costs *c, wa_state *s, int i, int js, double mj) {
  int n = (int)c->n;
  if (!c->exact) {
    const float *ci = c->fdense + (size_t)i * c->n;
    double h = js < 0 ? 0.0 : (double)ci[js] - s->v[js] - mj;
    if (js >= 0) s->v[js] = -INFINITY, s->dist[js] = INFINITY;
    return ctr_wa_relax_f(ci, s->v, s->dist, s->pred, i, h, n);
  }
  const double *ci = row_costs_cached(c, (size_t)i);
  double h = js < 0 ? 0.0 : ci[js] - s->v[js] - mj;
  if (js >= 0) s->v[js] = -INFINITY, s->dist[js] = INFINITY;
  return ctr_wa_relax(ci, s->v, s->dist, s->pred, i, h, n);
}

/* Dijkstra from free row f over reduced costs c(i, j) - v_j, one column settled at a time (the
 * unsettled one of least distance); returns the free column reached and its distance *m. The
 * settled columns are collist[0..*nready), with their prices in sv and distances in sd; their
 * v_j stay -inf until augment restores them. */
static int shortest_path(const wa_costs *c, wa_state *s, int f, double *m, int *nready) {
  int n = (int)c->n, nset = 0;
  for (int j = 0; j < n; j++) s->dist[j] = INFINITY;
  int j = relax_row(c, s, f, -1, 0.0);
  for (;;) {
    double mj = s->dist[j];
    s->collist[nset] = j, s->sv[nset] = s->v[j], s->sd[nset] = mj, nset++;
    if (s->y[j] < 0) {
      *m = mj, *nready = nset;
      return j;
    }
    s->scans++;
    j = relax_row(c, s, s->y[j], j, mj);
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

/* After a solve on float-rounded costs: switch to the exact costs, keep the prices v, and free
 * every row whose column no longer attains its least reduced cost c(i, j) - v_j. The rows kept
 * are then tight and every reduced cost is >= 0 for them, which is all the augmenting searches
 * need, so augmenting the freed rows (short searches: the prices are off by float rounding
 * only) gives an assignment optimal for the exact costs. */
static void repair(wa_costs *c, wa_state *s) {
  int n = (int)c->n;
  c->exact = 1;
  s->nfree = 0;
  for (int i = 0; i < n; i++) {
    const double *ci = row_costs(c, (size_t)i);
    double u1, u2;
    int j1, j2, xi = s->x[i];
    ctr_wa_two_smallest(ci, s->v, n, &u1, &j1, &u2, &j2);
    if (ci[xi] - s->v[xi] <= u1) continue;
    s->y[xi] = -1, s->x[i] = -1, s->freerows[s->nfree++] = i;
  }
  for (int k = 0; k < s->nfree; k++) augment(c, s, s->freerows[k]);
}

static void solve(wa_costs *c, wa_state *s) {
  column_reduction(c, s);
  reduction_transfer(c, s);
  for (int pass = 0; pass < WA_ARR_PASSES && s->nfree > 0; pass++) arr_pass(c, s);
  for (int k = 0; k < s->nfree; k++) augment(c, s, s->freerows[k]);
  if (!c->exact) repair(c, s);
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
