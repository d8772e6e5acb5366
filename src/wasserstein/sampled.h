/* wasserstein/sampled.h: Wasserstein distances between samples beyond the assignment (theory.md §7):
 * exact 1-D W_p, sliced and max-sliced W1, the Gelbrich bound on W2, and the bracket that
 * puts them beside the exact assignment value.
 *
 * Samples are row-major x[nx][d], y[ny][d], read as the uniform (empirical) laws on their
 * points. Every bound here is a bound on W between those EMPIRICAL laws; the lower bounds
 * (mean gap, sliced, max-sliced, Gelbrich) converge in n at dimension-free rates, whereas the
 * empirical W1 is biased upwards by ~n^(-1/d), which is why they are reported together.
 *
 * All functions return CTR_OK or fill err; they never print. */
#ifndef CTR_WASSERSTEIN_SAMPLED_H
#define CTR_WASSERSTEIN_SAMPLED_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "wasserstein/assignment.h"

/* Direction k of a run is drawn from stream (seed, CTR_RNG_SLICE, d, k) (core/rng.h), so the
 * first m directions do not depend on how many are asked for. */

/* Exact 1-D W_p (p >= 1) between the uniform laws on a[na] and b[nb], both SORTED ascending:
 * W_p^p = int_0^1 |F_a^-1(t) - F_b^-1(t)|^p dt, the quantile functions merged exactly on the
 * grid of multiples of 1/(na nb) (for na = nb: the mean of |a_i - b_i|^p). No allocation;
 * na, nb >= 1, na * nb <= 2^53 (checked by ctr_wp_1d, not here). */
double ctr_wp_1d_sorted(size_t na, const double *a, size_t nb, const double *b, double p);

/* The same for unsorted samples (sorted copies are made). */
ctr_status ctr_wp_1d(size_t na, const double *a, size_t nb, const double *b, double p, double *out,
                     ctr_error *err);

/* Sliced and max-sliced W1 over m >= 2 random unit directions theta_k (uniform on the sphere):
 *   mean = (1/m) sum_k W1(theta_k . X, theta_k . Y), se = its standard error over directions;
 *   max_dir = max_k of the same;
 *   max_sliced = 1-D W1 along the best direction found by local ascent on the sphere, started
 *   from the better of the best theta_k and the mean-difference direction. Every value is the
 *   exact 1-D W1 along some unit direction, hence <= W1 (projection is 1-Lipschitz), and
 *   max_sliced >= max(max_dir, ||mean_x - mean_y||).
 * The m directions' W1 values come from ctr_sliced_w1_dirs (wasserstein/slices.h), on the
 * caller's OpenMP threads; every field is bit-identical whatever the thread count. */
typedef struct {
  size_t m;
  double mean, se;
  double max_dir;
  double max_sliced;
  int ascent_steps; /* accepted local-ascent steps */
} ctr_sliced_w1;

/* dir (d entries, or NULL) receives the unit direction of max_sliced. nx, ny >= 1 may differ. */
ctr_status ctr_sliced_w1_compute(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                                 size_t m, uint64_t seed, ctr_sliced_w1 *out, double *dir,
                                 ctr_error *err);

/* Gelbrich lower bound on W2: the Bures distance between N(mean_x, C_x) and N(mean_y, C_y),
 * with the 1/n (not 1/(n-1)) covariances of the samples, i.e. the exact covariances of the
 * empirical laws, so that the bound holds for them at every n (theory.md §7). */
ctr_status ctr_gelbrich_w2(size_t d, size_t nx, const double *x, size_t ny, const double *y,
                           double *out, ctr_error *err);

/* Certified bracket lower <= W_p(empirical x, empirical y) <= upper, p = 1 or 2, equal n.
 *   lower: max of ||mean_x - mean_y|| ("mean"), max-sliced W1 ("max-sliced") and, for p = 2,
 *          the Gelbrich bound ("gelbrich") (W1 <= W2, so W1 bounds serve for p = 2 too);
 *   upper: the assignment value ("assignment W1" / "assignment W2"), which is the EXACT
 *          W_p between the two empirical laws when assign.optimal = 1 (then it is also the
 *          value to report as the sampled W) and still an upper bound otherwise
 *          ("assignment W1 (uncertified)").
 * The same-law floor of theory.md §7 is the caller's: run this same function on two
 * independent samples of the target law with the same n, d, p, m and seed, and report its
 * upper (and lower) beside the ones of (model, target); a sampled W is only meaningful where
 * it clearly exceeds that floor. Source strings are static literals. */
typedef struct {
  int p;
  double lower, upper;
  const char *lower_src, *upper_src;
  double mean_gap;       /* ||mean_x - mean_y|| */
  ctr_sliced_w1 sliced;  /* sliced / max-sliced W1 (m directions, seed) */
  double gelbrich;       /* Gelbrich W2 bound (p = 2 only; NAN for p = 1) */
  ctr_assign_status assign;
} ctr_sample_bracket;

ctr_status ctr_sample_bracket_compute(size_t n, size_t d, const double *x, const double *y, int p,
                                      size_t m, uint64_t seed, ctr_sample_bracket *out,
                                      ctr_error *err);

#endif
