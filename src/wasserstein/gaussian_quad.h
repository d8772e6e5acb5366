/* wasserstein/gaussian_quad.h: internal to the Gaussian closed forms (wasserstein/gaussian.h).
 * The one-dimensional quadrature of E||nu + G|| and of a difference of two such expectations
 * (wasserstein/gaussian.c, which documents the method), shared by the commuting path there and
 * the full-covariance path in wasserstein/gaussian_full.c. */
#ifndef CTR_WASSERSTEIN_GAUSSIAN_QUAD_H
#define CTR_WASSERSTEIN_GAUSSIAN_QUAD_H

#include <stddef.h>

#include "core/common.h"
#include "wasserstein/gaussian.h"

/* 1/sqrt(pi) (M_ constants are not in strict C11). */
static const double ctr_wg_inv_sqrt_pi = 0.56418958354775628694807945156077;

/* Per-call integrand data in scaled units (R = 1). Per coordinate: A = 2 s^2,
 * B = nu^2 for law 1 (and law 2 in difference mode), dA = A2 - A1 given
 * cancellation-free by the caller. One block of 5n doubles per call. */
typedef struct {
  size_t n;
  const double *mult;
  double *A1, *B1, *A2, *B2, *dA;
  double lim0, lim0n; /* limits of the [0,1] integrands (g and its noise bound) at t = 0 */
  int diff;           /* 0: g = 1 - P;  1: g = P_Y - P_X */
  int noise;          /* integrate the rounding-noise bound of g instead of g (diff mode) */
} ctr_wq_data;

/* Vector kernels (wasserstein/gaussian_sum_simd.c, built when SLEEF is found): the sums of
 * wq_g over coordinates [0, n_vec), n_vec a multiple of the width: out = {sum m l_X, sum m l_Y,
 * sum m (l_Y - l_X), sum m |terms|} (the last three in diff mode only). */
void ctr_wq_sums_avx512(const ctr_wq_data *w, double q, size_t n_vec, double out[4]);
void ctr_wq_sums_avx2(const ctr_wq_data *w, double q, size_t n_vec, double out[4]);

/* The 5n-double block for n coordinates; mult as in ctr_diag_pair (NULL = ones), diff = 1 for
 * a difference integral. CTR_ENOMEM. */
ctr_status ctr_wq_alloc(ctr_wq_data *w, size_t n, const double *mult, int diff, ctr_error *err);
void ctr_wq_free(ctr_wq_data *w);
/* J = int_0^inf g(u^2)/u^2 du in scaled units; E||nu + G|| = R J / sqrt(pi), a difference
 * E_Y - E_X = -R J / sqrt(pi). Jerr (diff mode, or NULL) bounds |J - computed J|. */
ctr_status ctr_wq_integrate(ctr_wq_data *w, double *J, double *Jerr, ctr_error *err);

/* Enforce lo <= hi of a W1 bracket: an excess below WG_CLAMP relative is quadrature noise
 * (lo set to hi), a larger one or a non-finite end is CTR_ENUMERIC. */
ctr_status ctr_w1_bracket_finish(ctr_w1_bracket *b, ctr_error *err);

#endif
