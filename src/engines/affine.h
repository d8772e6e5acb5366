/* engines/affine.h: ideal consistency training (and distillation) on Gaussian targets,
 * in closed form (theory.md §2, §4, §6).
 *
 * Everything is tracked in eigen-coordinates of Sigma and CENTRED at the flow map:
 *   f_t(x) = a_1 mu + (G_t + Delta_t)(x - a_t mu) + beta_t,   G_t = sqrt(v_1 / v_t),
 * so that Delta_t = f_t' - Phi_t' is the (small) deviation from the probability-flow map,
 * accumulated without ever subtracting two O(1) numbers (theory.md §4 warns that
 * the spread deficit is 1e-6 at N = 1e7). With xi_t = f_t - Phi_t the recursion is the
 * exact error recursion of theory.md §3:
 *   Delta_t = Delta_{t-1} (M_t + c_t S_t) + D_t + c_t G_{t-1} S_t + E_t
 *   beta_t  = beta_{t-1} + c_t (G_{t-1} + Delta_{t-1}) sigma_t + eta_t
 * with M_t = diag(m_t), D_t = diag(-G_t (1 - cos theta_t)) the per-step CT bias,
 * (S_t, sigma_t) the score error and (E_t, eta_t) the fit error.
 *
 * Paths: "diag" (every perturbation commutes with Sigma) costs O(N * distinct eigenvalues);
 * "full" keeps Delta as a d x d matrix, O(N d^2), and is taken for fit-matrix errors
 * or on request (tests check that both agree).
 *
 * Engine "cd" composes DDIM steps directly, f_t = f_{t-1} o Psi_t + e_t, with the slope
 * product accumulated as is (the straightforward way, diag path only). For Gaussian
 * targets it must equal CT exactly (the Jensen gap vanishes for affine maps): a test. */
#ifndef CTR_ENGINES_AFFINE_H
#define CTR_ENGINES_AFFINE_H

#include <stdint.h>

#include "core/common.h"
#include "engines/registry.h"
#include "core/error_model.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

typedef struct {
  ctr_engine_kind engine; /* ct or cd */
  ctr_errmodel error;
  uint64_t seed;   /* error directions (u, R) come from (seed, d): same for every N */
  int force_full;  /* 1: take the full-matrix path even when diag would do */
  int probes;      /* steps at which the L1 per-step sums are evaluated exactly (>= 2);
                      0 = default 128. All steps are exact when N - 1 <= probes. */
  int reference;   /* 1: the per-step loop of commit 189ccf9 (tests compare against it) */
  int interp;      /* Chebyshev path (engines/affine_fast.h): 0 auto (>= CTR_AFFINE_INTERP_MIN
                      distinct eigenvalues), 1 whenever the spectrum qualifies, -1 never */
} ctr_affine_params;

#define CTR_AFFINE_INTERP_MIN 1024
/* from this many distinct eigenvalues the exact path's probe quadratures use Chebyshev nodes
 * (engines/affine_fast.h) when they reproduce the exact L1 */
#define CTR_AFFINE_PROBE_NODES_MIN 256

void ctr_affine_params_default(ctr_affine_params *p);

typedef struct {
  int full;   /* which path */
  int interp; /* diag path: 1 if the Chebyshev interpolation ran (and passed its check) */
  int d, nd; /* dimension, distinct eigenvalues */
  /* per distinct eigenvalue j (both paths): */
  double *v1, *vN; /* variances of X_1 and X_N along eigenvalue j */
  double *G;       /* flow-map slope sqrt(v1 / vN) */
  double *delta;   /* diag path: A_N - G, cancellation-free */
  double *bcoef;   /* diag path: beta_N = u * bcoef[group[k]] */
  /* per coordinate, eigen-coordinates: */
  double *u;    /* unit direction of bias errors (or zeros) */
  double *beta; /* full path: offset beta_N (length d) */
  double *Delta; /* full path: d x d, row-major, eigen-coordinates */
  /* per-step sums over t = 2..N (theory.md §3) */
  double sum_e_l1, sum_e_rms, sum_D_l1, sum_D_rms;
  int sums_exact;
  double a1, aN, abar_N;
} ctr_affine_result;

/* Run the engine. Refuses (CTR_EINPUT) engine/error combinations it does not implement. */
ctr_status ctr_affine_run(const ctr_affine_params *p, const ctr_schedule *s, const ctr_target *tg,
                          ctr_affine_result **out, ctr_error *err);
void ctr_affine_result_free(ctr_affine_result *r);

/* The output law of one input against X_1 on the diag path, per coordinate in eigen-
 * coordinates (per distinct eigenvalue with multiplicities when no mean or bias is involved):
 * X_1 ~ N(., sd^2), output ~ N(. + dm, (sd + dsd)^2), differences computed cancellation-free
 * (wasserstein/gaussian.h, ctr_diag_pair); the coupling xi_N = f_N - Phi has mean cnu and
 * variance cs2. The caller's arrays hold tg->d entries each; L->n is set. */
typedef struct {
  int n;
  double *dm, *sd, *dsd, *mult; /* the pair */
  double *cnu, *cs2;            /* coupling xi_N = f_N - Phi: mean and variances */
} ctr_affine_laws;
void ctr_affine_diag_laws(const ctr_affine_result *r, const ctr_target *tg, int qN,
                          ctr_affine_laws *L);

#endif
