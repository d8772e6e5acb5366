/* engines/affine_fast.h: the streaming kernel of the affine engine (engine ct, diag path,
 * errors that leave the slope alone: none, fit-bias), and its Chebyshev variant for spectra
 * with many distinct eigenvalues (theory.md section 9, "smooth spectra").
 *
 * Per eigenvalue lambda the slope is A_N = G_N prod_t cos theta_t (theory.md section 4), so the
 * deviation from the flow map is Delta = G_N (sqrt(1 - y_N) - 1) with
 *   y_t = 1 - prod_{s <= t} cos^2 theta_s = y_{t-1} + sin^2 theta_t (1 - y_{t-1}),
 * a sum of non-negative terms: no cancellation, no logarithm per step (y_N is about 1e-6 at
 * N = 1e7, 1 - y is never formed as the answer). Per step and eigenvalue: one division for
 * sin^2 theta_t = lambda kap_t / (v_t v_{t-1}), and 1 - cos theta_t (the per-step bias D_t,
 * whose RMS over the eigenvalues is summed) by a Taylor series of degree 2..9 when a bound on
 * sin^2 theta over all lambda allows it in the whole chunk, else by one square root and one
 * more division (theory.md §9.20).
 *
 * Layout: eigenvalues in fixed blocks of B lanes (B = 4, 8 or 16, chosen from the number of
 * eigenvalues only), steps in chunks with the schedule constants precomputed per chunk; a
 * block runs a whole chunk with its state in registers. Blocks of a chunk run on OpenMP
 * threads and their per-step partial sums are added in block order, so the bits do not
 * depend on the thread count. Only +, -, *, / and sqrt (correctly rounded, no contraction),
 * so every instruction-set clone gives the same bits too. */
#ifndef CTR_ENGINES_AFFINE_FAST_H
#define CTR_ENGINES_AFFINE_FAST_H

#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"
#include "core/step_sums.h"

/* The eigenvalues whose L1 per-step bias is evaluated at the probe steps. approx (may be
 * NULL): Chebyshev nodes and weights that stand in for the spectrum in those quadratures
 * (O(M) instead of O(d) each) when they reproduce the exact L1 at t = N to 1e-11 relative. */
typedef struct ctr_affine_spectrum ctr_affine_spectrum;
struct ctr_affine_spectrum {
  int n;
  const double *lam, *mult;
  const ctr_affine_spectrum *approx;
};

#define CTR_AFFINE_CHEB_MAX 256 /* most Chebyshev nodes */

/* Run fn on jobs 0..n-1: on OpenMP threads when `work` (about one update each) is worth a
 * parallel region (idle OpenMP threads spin, so small points in a sweep stay serial), else in
 * a loop; the same jobs either way, so the bits do not depend on it. */
ctr_status ctr_affine_jobs(void *ctx, ctr_status (*fn)(void *, size_t, void *, ctr_error *),
                           void *(*ws_alloc)(void *), void (*ws_free)(void *), size_t n,
                           double work, ctr_error *err);

/* Chebyshev nodes in log lambda for the spectrum and weights W_k = sum_j mult_j ell_k(u_j), so
 * that sum_j mult_j f(lam_j) ~ sum_k W_k f(node_k) for f analytic in log lambda; lam and w hold
 * CTR_AFFINE_CHEB_MAX entries. *M = 0 when the spectrum does not qualify or some W_k < 0. */
ctr_status ctr_affine_cheb_nodes(const ctr_affine_spectrum *spec, double *lam, double *w, int *M,
                                 ctr_error *err);

/* Run the recursion for n lanes (eigenvalues lam, weights w in the per-step RMS sum
 * sum_j w_j tau_j^2; w = multiplicity on the exact path). Outputs y[j] = y_N(lam_j).
 * sumD receives every step's RMS and, at its probe steps, the exact L1 over `probe`.
 * sumE (may be NULL) receives the fit-bias sizes eps_t = eps / (N - 1) when eps_fit > 0,
 * and *bsum (may be NULL) their sum in step order. check (may be NULL): the full spectrum
 * when the lanes are Chebyshev nodes; *check_err then receives the largest relative
 * difference between the lanes' sum of tau_t^2 and the exact one (every 16th probe step and
 * t = N) and between the L1 over `probe` and the exact L1 over `check` at t = N. */
ctr_status ctr_affine_fast_deficit(const ctr_schedule *s, int n, const double *lam, const double *w,
                                   const ctr_affine_spectrum *probe, ctr_stepsum *sumD,
                                   ctr_stepsum *sumE, double eps_fit, double *bsum, double *y,
                                   const ctr_affine_spectrum *check, double *check_err,
                                   ctr_error *err);

/* The kernels' 1 - cos theta = 1 - sqrt(1 - x) (theory.md §9.20), exported for the tests: the
 * degree index for a chunk whose steps all have x <= xmax (0: the closed form with a square
 * root; k = 1..5: the Taylor series of degree ctr_affine_series_degree(k), truncation error
 * below 2^-56 relative), and omega at x with the series of index k (0: the closed form). */
int ctr_affine_series_index(double xmax);
int ctr_affine_series_degree(int index);
double ctr_affine_series_xmax(int index); /* the bound on x of index 1..5 */
double ctr_affine_omega(double x, int index);

/* Delta / G = sqrt(1 - y) - 1 = expm1(D_N), cancellation-free. */
double ctr_affine_shrink(double y);

/* Chebyshev path: recursion at M nodes in log lambda (plus `checks` eigenvalues drawn with a
 * fixed seed), then barycentric interpolation of expm1(D_N) to every eigenvalue, and the
 * per-step RMS sum through interpolation weights. *used = 0 (nothing written) when the
 * spectrum does not qualify or the check against the exact recursion misses `tol` relative;
 * the caller then runs the exact path. On success e[j] = expm1(D_N(lam_j)). */
ctr_status ctr_affine_cheb_deficit(const ctr_schedule *s, const ctr_affine_spectrum *spec,
                                   ctr_stepsum *sumD, ctr_stepsum *sumE, double eps_fit,
                                   double *bsum, double tol, double *e, int *used,
                                   ctr_error *err);

#endif
