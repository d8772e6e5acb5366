/* wasserstein/assignment.h: exact optimal transport between two equal-size uniform point clouds
 * (theory.md §7), as a linear assignment problem.
 *
 * W_p(mu_x, mu_y)^p = min over permutations s of (1/n) sum_i ||x_i - y_s(i)||^p, p in {1, 2},
 * for the empirical laws mu_x = (1/n) sum delta_{x_i}, mu_y likewise (Birkhoff: the optimal
 * coupling of two uniform n-point laws is a permutation). Solved by the Jonker-Volgenant
 * shortest augmenting path method in double, with dual variables, and certified at the end by
 * an independent pass over all n^2 reduced costs.
 *
 * Memory: the n x n cost matrix is stored when it fits in CTR_ASSIGN_DENSE_MAX bytes (1 GiB): in
 * double below n = 3000, from there in float (n = 1e4: 400 MB, half of POT's double cost matrix),
 * the solve then run on the float-rounded costs and repaired on the exact ones (the rows whose
 * column is no longer their best are freed and re-augmented: short searches), so the result is
 * exact all the same (the repair recomputes the exact rows it scans, so the memory is the float
 * matrix plus O(n d): peak 396 MB at n = 1e4, where a cache of exact rows in the rest of the budget
 * had reached 1.05 GB; docs/benchmarks.md). Above (n > 16384) rows are recomputed as needed, the
 * searches keeping the rows they revisit in a cache of that size. The searches stream whole rows
 * and are bound by memory traffic, which the float rows halve (n = 5000: ~7% faster).
 * Single-threaded and deterministic: the same input gives bit-identical output; the stored,
 * recomputed and cached paths give bit-identical results, the float path the same optimum (its
 * permutation may differ where several are optimal). */
#ifndef CTR_WASSERSTEIN_ASSIGNMENT_H
#define CTR_WASSERSTEIN_ASSIGNMENT_H

#include <stddef.h>

#include "core/common.h"

#define CTR_ASSIGN_DENSE_MAX ((size_t)1 << 30) /* bytes of cost matrix stored, at most */
#define CTR_ASSIGN_GAP_REL 1e-9 /* |primal - dual| allowed, relative to |primal| */
#define CTR_ASSIGN_RC_REL 1e-9  /* reduced costs allowed down to -this * (largest cost) */

/* What the solver reached. primal and dual are means over the n rows (so primal = W_p^p).
 * optimal = 1 when both certificate checks passed:
 *   |primal - dual| <= CTR_ASSIGN_GAP_REL * |primal| (plus a rounding floor of n ulps of scale),
 *   min_reduced >= -CTR_ASSIGN_RC_REL * scale,
 * i.e. the duals are feasible and complementary to the permutation, which proves the
 * permutation optimal up to those tolerances. The primal is an upper bound on W_p^p whatever
 * the flag (every permutation is a coupling). */
typedef struct {
  int optimal;
  double primal;       /* (1/n) sum_i c(i, perm[i]) */
  double dual;         /* (1/n) (sum_i u_i + sum_j v_j) */
  double min_reduced;  /* min over all (i, j) of c(i, j) - u_i - v_j */
  double scale;        /* largest cost c(i, j), the scale of the reduced-cost tolerance */
  long iterations;     /* rows scanned by the shortest-path searches (each O(n) work) */
  long augmentations;  /* augmenting paths (rows left free by the JV initialisation) */
  int dense;           /* 1 when the cost matrix was stored in double (0: float, or recomputed) */
  long cache_rows;     /* otherwise: rows of costs kept by the searches' cache (0: none) */
} ctr_assign_status;

/* Exact W_p between the uniform laws on x[n][d] and y[n][d] (row-major), p = 1 or 2.
 * perm (n entries, or NULL) receives the optimal matching: x_i is sent to y_perm[i].
 * wp = primal^(1/p); st (or NULL) receives the certificate. A run that fails the
 * certificate still returns CTR_OK with st->optimal = 0: the caller decides. */
ctr_status ctr_assign_wp(size_t n, size_t d, const double *x, const double *y, int p, size_t *perm,
                         double *wp, ctr_assign_status *st, ctr_error *err);

/* The same with the cost storage limit in bytes: the whole matrix if it fits, else a row cache
 * of that size (0: always recompute), so that tests can run every path at small n. All paths
 * give bit-identical results. */
ctr_status ctr_assign_wp_limit(size_t n, size_t d, const double *x, const double *y, int p,
                               size_t dense_max, size_t *perm, double *wp, ctr_assign_status *st,
                               ctr_error *err);

/* For tests: 0 makes the searches use the portable scalar loop instead of the AVX2 one (used
 * only where the CPU has AVX2); both give bit-identical results. Not thread-safe: set it
 * before any solve. */
void ctr_assign_set_simd(int on);

/* For tests: the n from which the stored matrix is float with an exact repair (default 3000:
 * below, the double matrix is as fast or faster: measured at n = 1000, 2000). */
void ctr_assign_set_float_min(size_t n);

#endif
