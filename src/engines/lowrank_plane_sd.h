/* engines/lowrank_plane_sd.h: the plane block's W2 by semi-discrete transport (theory.md §9.23).
 *
 * mu = g # in, g the 2-D grid's f_N (engines/grid.h), in an isotropic 2-D Gaussian mixture (the
 * block of N(0, I) or of q_N); nu = X_1's block, an isotropic Gaussian mixture. The input plane
 * is cut into cells x cells product cells over the bulk of `in` (8 standard deviations beyond
 * its extreme means; per axis at the quantiles of the cube root of the input's marginal density,
 * the asymptotically optimal quantiser for squared error) and an outer ring. Each core cell C_i
 * becomes an atom y_i = E[g(Z) | C_i] of mass m_i = P(Z in C_i); wasserstein/semidiscrete.h
 * gives the exact W2 between the atoms and nu (and its dual weights psi). Then
 *   upper  W2^2(mu, nu) <= (1 - e) (W2^2(atoms, nu) + D) + e 2 (E[|X|^2 | ring] + E|Y|^2),
 *          D = sum_i m_i E[|g(Z) - y_i|^2 | C_i] the atoms' distortion (the gluing of the cells'
 *          laws to the atoms' optimal plan, conditionally independent given the cell), e the
 *          ring's mass (joint convexity of W2^2);
 *   lower  Kantorovich duality with g(y) = min_i (|y - y_i|^2 - psi_i) and f = g's c-transform,
 *          |x|^2 - h(x), h the lower convex envelope of the points (y_i, |y_i|^2 - psi_i); any
 *          convex combination of atoms that equals x bounds h(x) from above (a triangle of
 *          neighbouring atoms containing x), so E f is bounded below cell by cell; cells where
 *          no such triangle is found, and the ring, are left out at a cost sqrt(e') ||g+||_2.
 * Both ends are within O(h^2) of W2^2 (h the cells' size: both carry the distortion D), so the
 * bracket is tight only where W2^2 >> D. For the rest, W2^2(atoms, nu) = W2^2 + c h^2 + o(h^2)
 * is extrapolated from cells and cells / 2 (Richardson, h^2 ratio from the distortions), with
 * the change as its error estimate: exact up to that estimate, as the grid engines are. All cell
 * expectations are tensor Gauss-Legendre rules (4 x 4 nodes a cell), so the bracket is certified
 * up to that quadrature and the semi-discrete solver's integration error (quad_err). */
#ifndef CTR_ENGINES_LOWRANK_PLANE_SD_H
#define CTR_ENGINES_LOWRANK_PLANE_SD_H

#include "core/common.h"
#include "engines/grid.h"
#include "wasserstein/semidiscrete.h"

typedef struct {
  double lo2, hi2;   /* the bracket on W2^2(g # in, nu) */
  double est2, est_err; /* W2^2 extrapolated from two cell sizes, and |est2 - W2^2(atoms, nu)|
                           at the finer one (its error estimate) */
  double sd_lo2, sd_hi2; /* the solver's bracket on W2^2(atoms, nu) (dual, primal_hi) */
  double D;          /* the core atoms' distortion (per unit core mass) */
  double ring;       /* input mass outside the core cells */
  double left_out;   /* input mass left out of the lower bound (ring + cells not located) */
  int atoms, unlocated, newton;
  int unconverged;   /* 1: the solver stopped before its mass tolerance (the bracket still holds,
                        the estimate is less sure) */
  double mass_err, quad_err;
} ctr_plane_sd;

/* cells: core cells per axis, CTR_PLANE_CELLS_MIN .. CTR_PLANE_CELLS_MAX (the coarser level
 * uses cells / 2). The CLI's --plane-cells checks the same range (sweep/param_grid.c). */
#define CTR_PLANE_CELLS_MIN 40
#define CTR_PLANE_CELLS_MAX 2000
ctr_status ctr_plane_sd_w2(const ctr_grid_result *r, const ctr_sd_gmix *in, const ctr_sd_gmix *nu,
                           int cells, ctr_plane_sd *out, ctr_error *err);

#endif
