/* wasserstein/semidiscrete.h: W2 between n weighted atoms in the plane and an isotropic 2-D
 * Gaussian mixture, by semi-discrete optimal transport (theory.md §9.22).
 *
 * Atoms y_i (n x 2, distinct) with masses m_i > 0 (sum 1); nu = sum_k w_k N(c_k, S I_2).
 * For weights psi, the Laguerre (power) cell of i is
 *   Lag_i(psi) = { y : |y - y_i|^2 - psi_i <= |y - y_j|^2 - psi_j for all j },
 * and the concave dual
 *   Phi(psi) = sum_i m_i psi_i + sum_i int_{Lag_i} (|y - y_i|^2 - psi_i) dnu(y)
 * is <= W2^2(atoms, nu) for EVERY psi (weak duality), with equality at the maximiser, where
 * nu(Lag_i) = m_i. The maximiser is found by damped Newton (Kitagawa, Merigot, Thibert 2019),
 * the cells from the regular triangulation of the lifted points (y_i, |y_i|^2 - psi_i)
 * (qhull), the integrals of nu over the cells by a rule exact enough to be called exact at
 * double precision (the error estimate is returned). */
#ifndef CTR_WASSERSTEIN_SEMIDISCRETE_H
#define CTR_WASSERSTEIN_SEMIDISCRETE_H

#include "core/common.h"

typedef struct {
  int K;
  const double *w;  /* K weights, sum 1 */
  const double *c;  /* K x 2 centres, row-major */
  double S;         /* shared variance of every component, > 0 */
} ctr_sd_gmix;

typedef struct {
  double mass_tol;  /* stop when max_i |nu(Lag_i) - m_i| / max(m_i, mass_floor) <= mass_tol
                       (default 1e-10) */
  int max_newton;   /* most Newton steps (default 100) */
  double mass_floor; /* the relative error's denominator is max(m_i, mass_floor) (default 0):
                        cells far lighter than the rest then stop by their absolute error, which
                        their integrals may not resolve relatively */
} ctr_sd_params;

void ctr_sd_params_default(ctr_sd_params *p);

typedef struct {
  double dual;       /* Phi(psi) at the returned psi: a certified LOWER bound on W2^2 */
  double primal_hi;  /* a certified UPPER bound on W2^2, the smaller of two: P the cost
                        sum_i int_{Lag_i} |y - y_i|^2 dnu of the Laguerre coupling of nu with
                        sum_i nu(Lag_i) delta_{y_i}, e = (1/2) sum_i |m_i - nu(Lag_i)| the mass
                        that coupling puts on the wrong atoms, D >= the atoms' diameter:
                        (sqrt(P) + sqrt(e) D)^2 (moving e between atoms costs at most e D^2),
                        and P + sum over cells with nu(Lag_i) > m_i of the excess times
                        (2 D sqrt(cost_i / nu(Lag_i)) + D^2) (the coupling repaired by giving
                        each excess away in proportion; linear in the mass error, so it meets
                        the dual at convergence); both plus a bound on nu outside the box */
  double mass_err;   /* max_i |nu(Lag_i) - m_i| / m_i at the returned psi */
  double quad_err;   /* estimate of the integration error in dual and primal_hi */
  int newton_steps;
  int empty_cells;   /* cells of zero nu-mass at the returned psi (0 at convergence) */
} ctr_sd_result;

/* psi: in/out, n values (on input a start, e.g. zeros; on output the maximiser found). The
 * iteration starts from the better (no empty cell, smaller mass error) of the given psi and
 * the atoms' Voronoi diagram mapped affinely onto nu's mean and spread (theory.md §9.22).
 * CTR_EINPUT for n < 1, non-finite or duplicate atoms, masses not positive or not summing to 1
 * within 1e-12, bad nu; CTR_ENUMERIC if Newton fails to converge (the result still holds the
 * certified bounds at the last psi). */
ctr_status ctr_semidiscrete_w2(int n, const double *y, const double *m, const ctr_sd_gmix *nu,
                               const ctr_sd_params *p, double *psi, ctr_sd_result *out,
                               ctr_error *err);

#endif
