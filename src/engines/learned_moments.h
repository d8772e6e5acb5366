/* engines/learned_moments.h: the moments route of the learned affine engine on Gaussian targets
 * (engines/learned.h, theory.md §13.7).
 *
 * With fresh data the least-squares fit of step t depends on its n pairs (x_j, p_j) (student and
 * teacher inputs, centred at the data path) only through the sample means and the centred
 * scatter matrices S_xx = sum (x - xbar)(x - xbar)^T and S_px = sum (p - pbar)(x - xbar)^T. In
 * eigen-coordinates the pairs are N(0, [[V, G V], [G V, G V G + R]]) with V, G, R diagonal
 * (Var x, regression slope of p on x, residual variance), and these statistics have the exact law
 *   xbar = V^(1/2) g1 / sqrt(n),   pbar = G xbar + R^(1/2) g2 / sqrt(n),
 *   S_xx = Lx Lx^T,  Lx = V^(1/2) L  (L the Bartlett factor of Wishart_d(n - 1, I)),
 *   S_px = G S_xx + Y Lx^T,  Y = R^(1/2) Z,
 * g1, g2 ~ N(0, I_d), Z a d x d matrix of independent N(0, 1), all independent: the first d
 * columns of the Bartlett factor of the 2d-dimensional Wishart of the pairs. Drawing them costs
 * O(d^2) numbers and the fit O(d^3), whatever n. */
#ifndef CTR_ENGINES_LEARNED_MOMENTS_H
#define CTR_ENGINES_LEARNED_MOMENTS_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "core/common.h"

/* Step t's draw from the stream (seed, CTR_RNG_LEARNED_MOMENTS, t, d), rng a ctr_rng_gsl_alloc
 * adapter (re-keyed here). v, g, rsd: per coordinate Var x, the slope G and sqrt(R). Writes Lx
 * (d x d row-major, lower triangular, zero above), Y (d x d), xbar, pbar (d). n >= d + 1. */
void ctr_lmom_draw(gsl_rng *rng, uint64_t seed, int64_t t, int d, int64_t n, const double *v,
                   const double *g, const double *rsd, double *Lx, double *Y, double *xbar,
                   double *pbar);

/* The centred sample covariances of theory.md §13.2 from a draw: C = S_xx / n and
 * Bt = B^T = S_px / n = G C + Y Lx^T / n (d x d row-major). */
void ctr_lmom_stats(int d, int64_t n, const double *g, const double *Lx, const double *Y,
                    double *C, double *Bt);

/* The fit K = Bt (C + ridge I)^(-1), w = pbar - K xbar (K d x d row-major). ridge > 0: through
 * ctr_lmom_stats and a Cholesky factorisation (C, Bt are scratch); ridge = 0: K = G + Y Lx^(-1)
 * by one triangular solve (C, Bt unused). Y is overwritten. CTR_ENUMERIC if C + ridge I is not
 * positive definite. */
ctr_status ctr_lmom_fit(int d, int64_t n, double ridge, const double *g, const double *Lx,
                        double *Y, const double *xbar, const double *pbar, double *C, double *Bt,
                        double *K, double *w, ctr_error *err);

#endif
