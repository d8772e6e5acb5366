/* engines/lowrank.h: exact ideal CT on mixtures whose means span a line (theory.md §9.13).
 *
 * Every component N(mu_j, sigma^2 I) with one shared sigma^2, and the differences mu_j - mu_1
 * spanning k <= 2 dimensions. Let V = span{mu_j - mu_1} (basis q, engines/chain_lowrank.h) and
 * c = mu_1 - q q^T mu_1 (the same for every j): in the coordinates (V, V^perp) the target is the
 * product of the 1-D mixture sum_j w_j N(q^T mu_j, sigma^2) and the isotropic Gaussian
 * N(c, sigma^2 I_(d-k)). Nothing is translated, so N(0, I) stays the N(0, I) input. Ideal CT
 * factorises over independent blocks (theory.md §9.3), so:
 *   span        the product engine with one 1-D group (engines/product.h): the 1-D grid's
 *               exact W1 and W2 of both inputs, the nodes of the monotone coupling, exact L;
 *   complement  the affine engine (engines/affine.h) on the isotropic Gaussian with mean norm
 *               |c| in d - k dimensions: closed-form laws of both outputs against X_1.
 * Metrics per input (N(0, I) and q_N), all exact up to the span grid's discretisation:
 *   W2^2 = W2_span^2 + W2_compl^2;
 *   W1 >= (W1_span^2 + w1lo_compl^2)^(1/2)   (the product engine's potential argument);
 *   W1 <= min(W2, E||u||), u = (u_span, u_compl) the independent block couplings (span: the
 *        monotone transport; complement: the Gaussian pair's W2-optimal coupling dm + dsd Z
 *        for N(0, I), f_N - Phi for q_N), E||u|| by the product engine's norm integral with the
 *        complement as a closed-form Gaussian block (ctr_product_gauss);
 *   L = max(L_span, L_compl) (the flow map's Jacobian is block diagonal).
 * k = 0 (all means equal) is the affine engine alone: W1 bracket as it reports it.
 * k = 2 (means in a plane; engines/lowrank_plane.h, theory.md §9.18): the plane is the 2-D grid,
 * whose W2 has no quantile formula: W2 is a BRACKET [w2_lo, w2_hi] with
 * w2^2 = W2_plane^2 + W2_compl^2 and the plane's W2 between the larger of its Gelbrich bound and
 * the semi-discrete lower bound and the smaller of a coupling (q_N: the ODE flow; N(0, I):
 * Knothe-Rosenblatt) and the semi-discrete upper bound (theory.md §9.23); w2 is the
 * semi-discrete estimate (extrapolated in the cell size, its change in disc_max; NAN when
 * plane_cells = 0 or where the solver does not converge); W1 in [hypot(|mean diff|, lo_compl), w2_hi];
 * L a certified lower bound (targets/lip_lower.h on the plane's mixture, with L_compl).
 * Refused (CTR_EINPUT): components with different widths or a non-isotropic covariance, and
 * k >= 3. */
#ifndef CTR_ENGINES_LOWRANK_H
#define CTR_ENGINES_LOWRANK_H

#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"
#include "engines/product.h"
#include "targets/mixture.h"

typedef struct {
  ctr_product_params prod; /* the span's run (k = 1); its extra blocks are set by the engine */
  ctr_grid_params grid2;   /* k = 2: the plane's 2-D grid (engines/lowrank_plane.h) */
  int lip_n;               /* k = 2: sampled starts of the plane's L lower bound (0: no L) */
  int plane_cells;         /* k = 2: input cells per axis of the semi-discrete W2 (theory.md
                              §9.23; 0: off, the Gelbrich / coupling bracket only) */
  uint64_t seed;           /* direction of the complement's mean (irrelevant: it is isotropic) */
} ctr_lowrank_params;

/* Defaults: the product engine's (1-D grid defaults, quad_rel 1e-9, exact L), the 2-D grid
 * defaults (G = 201, Q = 10), lip_n = 64, plane_cells = 100 (the estimate's error ~0.2% of W2
 * on the square of theory.md §9.23; 200 cells: ~0.05%, 3x the time), seed 1. */
void ctr_lowrank_params_default(ctr_lowrank_params *p);

typedef struct {
  double w2, w1_lo, w1_hi; /* the product law's W2 (k = 2: NAN) and W1 bracket */
  double w2_lo, w2_hi;     /* W2 bracket: both equal to w2 for k <= 1; k = 2 (theory.md §9.18) */
  double l1, sq;           /* E||u|| and E||u||^2 of the block coupling (q_N: u = f_N - Phi);
                              k = 2: l1 NAN unless d = 2, input N(0, I) the KR coupling's sq */
  double w2_span, w2_compl; /* the blocks' W2 (0 for an absent block; k = 2: the upper bound) */
} ctr_lowrank_input;

typedef struct {
  int d, k;             /* dimension, span dimension (0, 1 or 2) */
  double sigma2, c_norm; /* shared variance, |c| */
  ctr_lowrank_input gauss, qN;
  double disc_max;      /* the span grid's refinement change (product engine), 0 for k = 0 */
  double node_err;      /* the span quadrature's check against the grid's W2 (product engine) */
  int quad_warn, monotone;
  double L, log_L, L_span, L_compl, L_x_norm; /* L_x_norm: |x*| along the span (NAN: complement's) */
  int L_exact;          /* 1: L exact (k <= 1); 0: a certified lower bound (k = 2, lip_lower) */
  double kr_err;        /* k = 2: abserr of the Knothe-Rosenblatt integral (E||u||^2), else 0 */
  double data_scale;    /* (Var_span + (d - k) sigma^2)^(1/2) */
} ctr_lowrank_result;

/* 1 if every component is isotropic (iso, or diagonal with equal entries) with one shared
 * variance; else 0 and err says which component differs. */
int ctr_lowrank_applies(const ctr_mixture *m, ctr_error *err);

/* Run on mixture m at schedule s. CTR_EINPUT when the target does not qualify (see above). */
ctr_status ctr_lowrank_run(const ctr_lowrank_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_lowrank_result *out, ctr_error *err);

#endif
