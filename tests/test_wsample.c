/* test_wsample.c: checks of wasserstein/assignment.c and wasserstein/sampled.c (theory.md §7) against brute-force
 * enumeration of permutations, replicated-point identities and the bounds' defining
 * inequalities. Prints "ok - name" or "FAIL - name: ..."; exits 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/rng.h"
#include "wasserstein/assignment.h"
#include "wasserstein/sampled.h"
#include "wasserstein/slices.h"

#include <omp.h>

#define MAXN 8
#define MAXD 5
#define BIG 64

static ctr_rng rng;

/* Points: Gaussian, or small integers (many exact ties in costs), or a shifted Gaussian. */
static void points(size_t n, size_t d, int kind, double *x) {
  ctr_rng_normals(&rng, n * d, x);
  for (size_t k = 0; k < n * d; k++) {
    if (kind == 1) x[k] = floor(2.0 * x[k]);
    if (kind == 2) x[k] = 3.0 * x[k] + 1.5;
  }
}

static double cost(const double *a, const double *b, size_t d, int p) {
  double s = 0.0;
  for (size_t k = 0; k < d; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
  return p == 1 ? sqrt(s) : s;
}

/* Minimum total cost over all permutations, by depth-first enumeration (n <= 8). */
static void brute_rec(size_t n, const double *c, size_t i, int *used, double acc, double *best) {
  if (i == n) {
    if (acc < *best) *best = acc;
    return;
  }
  for (size_t j = 0; j < n; j++) {
    if (used[j]) continue;
    used[j] = 1;
    brute_rec(n, c, i + 1, used, acc + c[i * n + j], best);
    used[j] = 0;
  }
}

static double brute_wp(size_t n, size_t d, const double *x, const double *y, int p) {
  double c[MAXN * MAXN], best = INFINITY;
  int used[MAXN] = {0};
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) c[i * n + j] = cost(x + i * d, y + j * d, d, p);
  brute_rec(n, c, 0, used, 0.0, &best);
  best /= (double)n;
  return p == 1 ? best : sqrt(best);
}

static int is_perm_with_cost(size_t n, size_t d, const double *x, const double *y, int p,
                             const size_t *perm, double primal) {
  int seen[MAXN] = {0};
  double s = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (perm[i] >= n || seen[perm[i]]++) return 0;
    s += cost(x + i * d, y + perm[i] * d, d, p);
  }
  return fabs(s / (double)n - primal) <= 1e-12 * fmax(primal, 1.0);
}

/* ---- 1. assignment vs brute force; both cost paths ---- */
static void test_brute(void) {
  double x[MAXN * MAXD], y[MAXN * MAXD], worst = 0.0;
  int all_opt = 1, perms_ok = 1, paths_same = 1, cases = 0;
  char where[160] = "none";
  for (size_t n = 1; n <= MAXN; n++)
    for (size_t d = 1; d <= 3; d++)
      for (int p = 1; p <= 2; p++)
        for (int rep = 0; rep < (n <= 6 ? 40 : 8); rep++) {
          points(n, d, rep % 3, x);
          points(n, d, (rep / 3) % 3, y);
          size_t perm[MAXN], perm2[MAXN], perm3[MAXN], rows3 = 3 * n * sizeof(double);
          double w, w2, w3, want = brute_wp(n, d, x, y, p);
          ctr_assign_status st, st2, st3;
          ctr_error err;
          /* stored matrix; recomputed rows; recomputed rows with a 3-row cache (n > 3) */
          if (ctr_assign_wp(n, d, x, y, p, perm, &w, &st, &err) != CTR_OK ||
              ctr_assign_wp_limit(n, d, x, y, p, 0, perm2, &w2, &st2, &err) != CTR_OK ||
              ctr_assign_wp_limit(n, d, x, y, p, rows3, perm3, &w3, &st3, &err) != CTR_OK) {
            check_true("assignment runs", 0, err.msg);
            return;
          }
          double e = fabs(w - want) / fmax(want, 1e-3);
          if (e > worst)
            worst = e, snprintf(where, sizeof where, "n=%zu d=%zu p=%d rep=%d", n, d, p, rep);
          all_opt &= st.optimal && st.dense && st2.optimal && !st2.dense && !st2.cache_rows;
          all_opt &= st3.optimal && (n <= 3 ? st3.dense : st3.cache_rows == 3);
          perms_ok &= is_perm_with_cost(n, d, x, y, p, perm, st.primal);
          paths_same &= w == w2 && memcmp(perm, perm2, n * sizeof perm[0]) == 0;
          paths_same &= w == w3 && memcmp(perm, perm3, n * sizeof perm[0]) == 0;
          cases++;
        }
  check_worst("assignment W_p = brute-force minimum over permutations (n <= 8, d <= 3, p = 1, 2)",
              worst, 1e-12, where);
  check_true("optimality certificate set on every brute-force case", all_opt, "a case unflagged");
  check_true("returned matching is a permutation with the reported cost", perms_ok, "bad perm");
  check_true("stored, recomputed and cached cost paths agree bit for bit", paths_same,
             "paths differ");
  printf("# %d brute-force cases\n", cases);
}

/* ---- 2. medium n: certificate, identical clouds, input errors ---- */
static void test_assign_misc(void) {
  size_t n = 300, d = 4;
  double *x = malloc(n * d * sizeof(double)), *y = malloc(n * d * sizeof(double));
  ctr_assign_status st;
  ctr_error err;
  double w;
  points(n, d, 0, x);
  points(n, d, 2, y);
  int ok = ctr_assign_wp(n, d, x, y, 1, NULL, &w, &st, &err) == CTR_OK;
  check_true("n = 300 certificate: optimal, primal = dual", ok && st.optimal &&
             fabs(st.primal - st.dual) <= 1e-12 * st.primal, "gap or flag");
  check_true("n = 300 dual <= primal + rounding, reduced costs >= -1e-12 scale",
             ok && st.dual <= st.primal * (1 + 1e-14) && st.min_reduced >= -1e-12 * st.scale,
             "dual");
  memcpy(y, x, n * d * sizeof(double));
  ok = ctr_assign_wp(n, d, x, y, 2, NULL, &w, &st, &err) == CTR_OK;
  check_true("identical clouds give W2 = 0 exactly", ok && w == 0.0 && st.optimal, "nonzero");
  check_true("p = 3 refused", ctr_assign_wp(n, d, x, y, 3, NULL, &w, &st, &err) == CTR_EINPUT, "");
  x[5] = NAN;
  check_true("NaN coordinate refused",
             ctr_assign_wp(n, d, x, y, 1, NULL, &w, &st, &err) == CTR_EINPUT, "");
  free(x), free(y);
}

/* ---- 3. 1-D: sorting vs assignment; unequal sizes vs replicated points ---- */
static void test_1d(void) {
  double a[BIG], b[BIG], worst = 0.0, worst_rep = 0.0;
  ctr_error err;
  char where[96] = "none";
  for (size_t n = 1; n <= 40; n += 3)
    for (int p = 1; p <= 2; p++) {
      points(n, 1, n % 3, a);
      points(n, 1, (n + 1) % 3, b);
      double w1d, wa;
      ctr_assign_status st;
      if (ctr_wp_1d(n, a, n, b, p, &w1d, &err) != CTR_OK ||
          ctr_assign_wp(n, 1, a, b, p, NULL, &wa, &st, &err) != CTR_OK) {
        check_true("1-D runs", 0, err.msg);
        return;
      }
      double e = fabs(w1d - wa) / fmax(wa, 1e-3);
      if (e > worst) worst = e, snprintf(where, sizeof where, "n=%zu p=%d", n, p);
    }
  check_worst("1-D sorted W_p = assignment W_p (d = 1, p = 1, 2)", worst, 1e-12, where);
  /* na = 3k points vs nb = 4k: replicating each point 4 (resp. 3) times gives equal sizes */
  for (size_t na = 1; na <= 9; na++)
    for (size_t nb = 1; nb <= 7; nb++) {
      double ra[BIG], rb[BIG], p = 1.0 + 0.25 * (double)((na + nb) % 5), wu, we;
      points(na, 1, 0, a);
      points(nb, 1, 2, b);
      size_t L = na * nb; /* <= 63 < BIG */
      for (size_t i = 0; i < L; i++) ra[i] = a[i / nb], rb[i] = b[i / na];
      ctr_wp_1d(na, a, nb, b, p, &wu, &err);
      ctr_wp_1d(L, ra, L, rb, p, &we, &err);
      worst_rep = fmax(worst_rep, fabs(wu - we) / fmax(we, 1e-3));
    }
  check_worst("1-D unequal sizes = replicated equal sizes (p in [1, 2])", worst_rep, 1e-13, "");
}

/* ---- 4. sliced on 1-D data: every direction is +-1 ---- */
static void test_sliced_1d(void) {
  double a[BIG], b[BIG], worst = 0.0;
  ctr_error err;
  for (size_t na = 2; na <= 40; na += 7)
    for (size_t nb = na; nb <= na + 3; nb += 3) {
      points(na, 1, 0, a);
      points(nb, 1, 2, b);
      double want;
      ctr_sliced_w1 s;
      ctr_wp_1d(na, a, nb, b, 1.0, &want, &err);
      if (ctr_sliced_w1_compute(1, na, a, nb, b, 16, 7, &s, NULL, &err) != CTR_OK) {
        check_true("sliced runs", 0, err.msg);
        return;
      }
      worst = fmax(worst, fabs(s.mean - want) / want);
      worst = fmax(worst, fabs(s.max_sliced - want) / want);
      worst = fmax(worst, s.se / want);
    }
  check_worst("sliced and max-sliced W1 on d = 1 = exact 1-D W1 (se = 0)", worst, 1e-12, "");
}

/* ---- 5. bracket and bounds on random cases ---- */
typedef struct {
  double worst_order;  /* lower - upper, relative */
  double worst_slice;  /* sliced mean - max-sliced, relative */
  double worst_ms;     /* max-sliced - assignment W1, relative */
  double worst_mean;   /* mean gap - max-sliced, relative */
  double worst_gelb;   /* Gelbrich - assignment W2, relative */
  int certified;
} bounds_acc;

static int one_bracket(size_t n, size_t d, int kind, bounds_acc *acc, ctr_error *err) {
  double x[BIG * MAXD], y[BIG * MAXD], g, w2;
  ctr_sample_bracket b1, b2;
  ctr_assign_status st;
  points(n, d, kind, x);
  points(n, d, (kind + 1) % 3, y);
  if (ctr_sample_bracket_compute(n, d, x, y, 1, 8, 11, &b1, err) != CTR_OK ||
      ctr_sample_bracket_compute(n, d, x, y, 2, 8, 11, &b2, err) != CTR_OK ||
      ctr_gelbrich_w2(d, n, x, n, y, &g, err) != CTR_OK ||
      ctr_assign_wp(n, d, x, y, 2, NULL, &w2, &st, err) != CTR_OK)
    return 0;
  double u1 = b1.upper;
  acc->worst_order = fmax(acc->worst_order, fmax(b1.lower - b1.upper, b2.lower - b2.upper) / u1);
  acc->worst_slice = fmax(acc->worst_slice, (b1.sliced.mean - b1.sliced.max_sliced) / u1);
  acc->worst_ms = fmax(acc->worst_ms, (b1.sliced.max_sliced - u1) / u1);
  acc->worst_mean = fmax(acc->worst_mean, (b1.mean_gap - b1.sliced.max_sliced) / u1);
  acc->worst_gelb = fmax(acc->worst_gelb, (g - w2) / w2);
  acc->certified &= b1.assign.optimal && b2.assign.optimal && b2.gelbrich == g;
  return 1;
}

static void test_bounds(void) {
  bounds_acc acc = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, 1};
  ctr_error err;
  for (size_t d = 1; d <= MAXD; d++)
    for (int rep = 0; rep < 60; rep++) {
      size_t n = rep < 40 ? 5 : 5 + (size_t)rep; /* Gelbrich's n = 5 cases, then larger n */
      if (!one_bracket(n, d, rep % 3, &acc, &err)) {
        check_true("bracket runs", 0, err.msg);
        return;
      }
    }
  check_worst("lower <= upper for W1 and W2 brackets", acc.worst_order, 0.0, "");
  check_worst("sliced mean <= max-sliced", acc.worst_slice, 0.0, "");
  check_worst("max-sliced W1 <= assignment W1 (up to rounding)", acc.worst_ms, 1e-12, "");
  check_worst("mean gap <= max-sliced (up to rounding)", acc.worst_mean, 1e-12, "");
  check_worst("Gelbrich (1/n covariances) <= assignment W2 (up to rounding)", acc.worst_gelb, 1e-10,
              "");
  check_true("bracket assignments certified; bracket's Gelbrich = direct", acc.certified, "");
}

/* ---- 6. Gelbrich in 1-D is the closed form; input checks ---- */
static void test_gelbrich_1d(void) {
  double a[5] = {0.1, -1.0, 2.0, 0.5, 0.3}, b[3] = {1.0, 4.0, 2.5}, g;
  ctr_error err;
  double ma = 1.9 / 5, mb = 2.5, va = 0.0, vb = 0.0;
  for (int i = 0; i < 5; i++) va += (a[i] - ma) * (a[i] - ma) / 5;
  for (int i = 0; i < 3; i++) vb += (b[i] - mb) * (b[i] - mb) / 3;
  ctr_status rc = ctr_gelbrich_w2(1, 5, a, 3, b, &g, &err);
  check_true("Gelbrich runs on unequal sizes", rc == CTR_OK, err.msg);
  check_close("Gelbrich d = 1 = sqrt(dm^2 + (sd_a - sd_b)^2), 1/n variances", g,
              hypot(ma - mb, sqrt(va) - sqrt(vb)), 1e-12, 0);
  ctr_sliced_w1 s;
  check_true("sliced with m = 1 refused",
             ctr_sliced_w1_compute(1, 5, a, 3, b, 1, 1, &s, NULL, &err) == CTR_EINPUT, "");
  check_true("1-D W with p = 0.5 refused", ctr_wp_1d(5, a, 3, b, 0.5, &g, &err) == CTR_EINPUT, "");
}

/* ---- 7. max-sliced improves on random directions in a case built for it ---- */
static void test_max_sliced_ascent(void) {
  size_t n = 200, d = 6;
  double *x = malloc(n * d * sizeof(double)), *y = malloc(n * d * sizeof(double)), dir[6];
  ctr_error err;
  ctr_sliced_w1 s;
  points(n, d, 0, x);
  points(n, d, 0, y);
  for (size_t i = 0; i < n; i++) y[i * d + 3] *= 4.0; /* the difference lies along axis 3 */
  ctr_status rc = ctr_sliced_w1_compute(d, n, x, n, y, 4, 5, &s, dir, &err);
  check_true("max-sliced runs", rc == CTR_OK, err.msg);
  check_true("ascent raised max-sliced above the best random direction",
             s.max_sliced > s.max_dir && s.ascent_steps > 0, "no improvement");
  check_true("ascent found the stretched axis (|dir_3| > 0.95)", fabs(dir[3]) > 0.95, "");
  free(x), free(y);
}

/* ---- 8. the vector kernels against their plain forms ---- */
static void test_kernels(void) {
  /* assignment: the AVX2 search loop (where the CPU has it) against the scalar one; integer
   * points (kind 1) make many exact ties, which the two must break alike */
  size_t n = 403, d = 3;
  double *x = malloc(n * d * sizeof(double)), *y = malloc(n * d * sizeof(double));
  size_t *pa = malloc(n * sizeof(size_t)), *pb = malloc(n * sizeof(size_t));
  int same = 1, opt = 1;
  for (int kind = 0; kind <= 1; kind++)
    for (int p = 1; p <= 2; p++) {
      points(n, d, kind, x);
      points(n, d, kind == 1 ? 1 : 2, y);
      double wa, wb;
      ctr_assign_status sa, sb;
      ctr_error err;
      ctr_assign_set_simd(1);
      int ok = ctr_assign_wp(n, d, x, y, p, pa, &wa, &sa, &err) == CTR_OK;
      ctr_assign_set_simd(0);
      ok &= ctr_assign_wp(n, d, x, y, p, pb, &wb, &sb, &err) == CTR_OK;
      ctr_assign_set_simd(1);
      same &= ok && wa == wb && memcmp(pa, pb, n * sizeof(size_t)) == 0;
      opt &= ok && sa.optimal && sb.optimal;
    }
  check_true("assignment: vector and scalar search loops agree bit for bit (n = 403, ties)",
             same, "differ");
  check_true("assignment: both certified optimal", opt, "not certified");
  /* the float-stored matrix with its exact repair (forced at n = 403) against the double one:
   * same optimum (to rounding of the sums: the optimal permutation may differ in exact ties) */
  double worst = 0.0;
  int fopt = 1;
  for (int kind = 0; kind <= 1; kind++)
    for (int p = 1; p <= 2; p++) {
      points(n, d, kind, x);
      points(n, d, kind == 1 ? 1 : 2, y);
      double wa, wb;
      ctr_assign_status sa, sb;
      ctr_error err;
      ctr_assign_set_float_min(100);
      int ok = ctr_assign_wp(n, d, x, y, p, pa, &wa, &sa, &err) == CTR_OK;
      ctr_assign_set_float_min((size_t)-1);
      ok &= ctr_assign_wp(n, d, x, y, p, pb, &wb, &sb, &err) == CTR_OK;
      ctr_assign_set_float_min(3000); /* the default */
      /* and no cache of exact rows beside the float matrix (memory bound, issue 13 point 6) */
      fopt &= ok && sa.optimal && sb.optimal && !sa.dense && sb.dense && sa.cache_rows == 0;
      worst = fmax(worst, ok ? fabs(wa - wb) / wb : INFINITY);
    }
  check_worst("assignment: float-stored costs + exact repair = double-stored (n = 403, ties)",
              worst, 1e-13, "");
  check_true("assignment: float path certified optimal (and really taken, without a row cache)",
             fopt, "flag");
  /* slices: each value = ctr_wp_1d of the plainly computed projections, bit for bit, at 1 and
   * 2 threads; 21 directions (not a multiple of the block of 8), unequal sizes */
  size_t nx = 301, ny = 250, m = 21;
  d = 7;
  double *sx = malloc(nx * d * sizeof(double)), *sy = malloc(ny * d * sizeof(double));
  double *th = malloc(m * d * sizeof(double)), w1[21], w2[21], px[301], py[250];
  points(nx, d, 0, sx);
  points(ny, d, 2, sy);
  points(m, d, 0, th);
  ctr_error err;
  int eq = 1;
  omp_set_num_threads(1);
  int ok = ctr_sliced_w1_dirs(d, nx, sx, ny, sy, m, th, w1, &err) == CTR_OK;
  omp_set_num_threads(2);
  ok &= ctr_sliced_w1_dirs(d, nx, sx, ny, sy, m, th, w2, &err) == CTR_OK;
  for (size_t k = 0; k < m && ok; k++) {
    for (size_t i = 0; i < nx; i++) {
      px[i] = 0.0;
      for (size_t c = 0; c < d; c++) px[i] += th[k * d + c] * sx[i * d + c];
    }
    for (size_t i = 0; i < ny; i++) {
      py[i] = 0.0;
      for (size_t c = 0; c < d; c++) py[i] += th[k * d + c] * sy[i * d + c];
    }
    double want;
    ok &= ctr_wp_1d(nx, px, ny, py, 1.0, &want, &err) == CTR_OK;
    eq &= w1[k] == want && w2[k] == want;
  }
  check_true("sliced kernel = 1-D W1 of the projections, bit for bit, at 1 and 2 threads",
             ok && eq, "differ");
  free(x), free(y), free(pa), free(pb), free(sx), free(sy), free(th);
}

int main(void) {
  gsl_set_error_handler_off();
  ctr_rng_init(&rng, 20240611, CTR_RNG_TEST, 7, 0);
  test_brute();
  test_assign_misc();
  test_1d();
  test_sliced_1d();
  test_bounds();
  test_gelbrich_1d();
  test_max_sliced_ascent();
  test_kernels();
  return check_summary();
}
