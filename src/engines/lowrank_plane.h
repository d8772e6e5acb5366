/* engines/lowrank_plane.h: the span block of the lowrank engine when the means span a plane
 * (k = 2; engines/lowrank.h, theory.md §9.18). The span's law is the 2-D mixture
 * sum_j w_j N(mu_j, sigma^2 I_2) (mu_j the means in an orthonormal basis of the plane); ideal CT
 * on it is the 2-D grid engine's g_N (engines/grid.h, d = 2). No quantile formula exists in 2-D,
 * so W2 of the block is BRACKETED, per input (0: N(0, I_2), 1: q_N's span law), against the
 * block of X_1:
 *   lower  the Gelbrich bound from the means and covariances of both laws (those of g_N's output
 *          by tensor Gauss-Hermite over each input component, 48 x 48 nodes; checked against
 *          32 x 32, the change enters disc), and for W1 the norm of the mean difference;
 *   upper  a coupling: input 1 the grid's ODE coupling (g_N(x), Phi(x)) (E||g_N - Phi||^2 and
 *          E||g_N - Phi|| by its cubature); input 0 the Knothe-Rosenblatt coupling
 *          (g_N(Z), T(Z)), T the triangular transport of N(0, I_2) onto X_1's block
 *          (T_1(z_1) = F_1^-1(Phi(z_1)), T_2 the conditional quantile given T_1: X_1's block is a
 *          mixture of isotropic Gaussians, so its conditional law given the first coordinate is
 *          a 1-D mixture with reweighted weights), E||g_N(Z) - T(Z)||^2 by nested adaptive
 *          Gauss-Kronrod (gsl_integration_qag) in z_1 and z_2 over [-9, 9]^2. */
#ifndef CTR_ENGINES_LOWRANK_PLANE_H
#define CTR_ENGINES_LOWRANK_PLANE_H

#include "core/common.h"
#include "core/schedule.h"
#include "engines/grid.h"
#include "engines/lowrank_plane_sd.h"

typedef struct {
  double w2_lo, w2_hi; /* bracket on W2 of the block */
  double w1_lo;        /* |E output - E X_1| <= W1 of the block */
  double sq;           /* the upper coupling's E||u||^2 (= w2_hi^2) */
  double l1;           /* input 1: E||g_N - Phi|| (the grid's cubature); input 0: NAN */
  double w2, w2_err;   /* semi-discrete transport (theory.md §9.23): W2 extrapolated from two
                          cell sizes and clamped into [w2_lo, w2_hi], and its change under the
                          extrapolation (distance); NAN when sd_cells = 0 */
  ctr_plane_sd sd;     /* the semi-discrete run's bounds and diagnostics (zeros when off) */
} ctr_plane_input;

typedef struct {
  ctr_plane_input in[2];
  double disc;      /* grid refinement change (distance) and the moment rules' change */
  double kr_err;    /* abserr of the nested Knothe-Rosenblatt integral (in E||u||^2) */
  int quad_warn;
  double var;       /* Var of the block (trace of its covariance) */
  double L, log_L, L_x_norm; /* certified lower bound on the block's flow Lipschitz constant
                                (targets/lip_lower.h; NAN unless requested) */
} ctr_plane_result;

/* K components with weights w (sum 1), means mu (K x 2 row-major), shared variance sigma2 > 0.
 * gp: the 2-D grid's parameters (refine and coupling are forced on). lip_n > 0: also the L lower
 * bound from lip_n sampled starts (seed). sd_cells > 0: also the semi-discrete bracket and
 * estimate (engines/lowrank_plane_sd.h) with sd_cells x sd_cells input cells, which tighten
 * [w2_lo, w2_hi] (the larger lower, the smaller upper end). */
ctr_status ctr_lowrank_plane(const ctr_grid_params *gp, const ctr_schedule *s, int K,
                             const double *w, const double *mu, double sigma2, int lip_n,
                             uint64_t seed, int sd_cells, ctr_plane_result *out, ctr_error *err);

#endif
