/* engines/learned_features.h: CT from samples in d = 1 with a FEATURE class, linear in its
 * parameters (theory.md §13.4): random Fourier features or radial basis functions, each beside
 * an affine part, on a 1-D Gaussian mixture (a Gaussian is K = 1).
 *
 * With u = (x - m_t)/sigma_t (m_t, sigma_t^2 the mean and variance of q_t, as in
 * engines/learned_poly.h), the class of step t is
 *   f(x) = theta_0 + theta_1 u + sum_{j<M} theta_{2+j} phi_j(u),
 *   rff: phi_j(u) = sqrt(2) cos(omega_j u + b_j), omega_j ~ N(0, 1/ell^2), b_j ~ U[0, 2 pi)
 *        from a Philox stream of the seed (the same features at every step, in u);
 *   rbf: phi_j(u) = exp(-(u - c_j)^2 / (2 w^2)), centres c_j on an even grid over the bulk of
 *        q_t (the union of a_t mu_k +- 4 sqrt(v_tk), in u) or at the q_t quantiles
 *        (j + 1/2)/M; w the width in units of sigma_t (0: the mean centre spacing).
 * The affine part makes f_1 = identity and every affine minimiser exactly representable.
 * Step t fits theta by ridge least squares (penalty ridge sum_{k>=1} theta_k^2, intercept
 * free) on n pairs with shared (X_0, Z), the random streams of engines/learned_poly.h: the
 * (M + 2) x (M + 2) normal equations solved by a symmetric eigendecomposition with eigenvalues
 * below 1e-12 of the largest dropped (the features are nearly collinear without a ridge).
 *
 * eps_t = ||f_t - f*_t||_{L2(q_t)}: f*_t(x) = E[f_{t-1}((s_{t-1}/s_t) x + c_t X_0) | X_t = x]
 * with the inner expectation in closed form (cosines and Gaussian bumps against the Gaussian
 * posterior of each component), the outer one by Gauss-Hermite per component of q_t.
 * eps_F,t = min over the class of ||g - f*_t||_{L2(q_t)}: the population projection on the same
 * quadrature (SVD least squares, GSL multifit), i.e. the fit from an infinite sample. */
#ifndef CTR_ENGINES_LEARNED_FEATURES_H
#define CTR_ENGINES_LEARNED_FEATURES_H

#include "core/common.h"
#include "core/schedule.h"
#include "engines/learned.h"
#include "targets/mixture.h"

#define CTR_LFEAT_MMAX 200 /* features: the quadrature has >= 4 nodes per parameter */

typedef enum { CTR_LFEAT_AFFINE, CTR_LFEAT_RFF, CTR_LFEAT_RBF } ctr_lfeat_kind;
typedef enum { CTR_LFEAT_GRID, CTR_LFEAT_QUANTILE } ctr_lfeat_centres;

ctr_status ctr_lfeat_kind_parse(const char *name, ctr_lfeat_kind *k, ctr_error *err);
const char *ctr_lfeat_kind_name(ctr_lfeat_kind k);
ctr_status ctr_lfeat_centres_parse(const char *name, ctr_lfeat_centres *c, ctr_error *err);
const char *ctr_lfeat_centres_name(ctr_lfeat_centres c);

typedef struct {
  ctr_lfeat_kind kind;        /* rff or rbf */
  int M;                      /* 1..CTR_LFEAT_MMAX */
  double bandwidth;           /* rff: ell > 0 (u units) */
  double width;               /* rbf: w >= 0 (u units; 0: the mean centre spacing) */
  ctr_lfeat_centres centres;  /* rbf */
  ctr_learned_params base;    /* train_n, mode, ridge, seed, stop_t */
} ctr_lfeat_params;

/* One map of the class: its standardisation, features and coefficients. */
typedef struct {
  ctr_lfeat_kind kind;
  int M;
  double m, sd;                      /* u = (x - m)/sd */
  double w;                          /* rbf width (u units) */
  double a[CTR_LFEAT_MMAX];          /* rff: omega_j; rbf: centre c_j */
  double b[CTR_LFEAT_MMAX];          /* rff: phase b_j */
  double coef[CTR_LFEAT_MMAX + 2];
} ctr_lfeat_fn;

typedef struct {
  int64_t t;      /* step of f (N, or stop_t) */
  ctr_lfeat_fn f; /* f_t */
  double *eps_t;  /* [t], t = 2..N */
  double *epsF_t; /* [t], the class error of step t */
  double eps_sum, eps_max, epsF_sum;
} ctr_lfeat_result;

/* rff, M = 20, bandwidth 1, width 0, grid centres, ctr_learned_params_default. */
void ctr_lfeat_params_default(ctr_lfeat_params *p);
ctr_status ctr_lfeat_check(const ctr_lfeat_params *p, int d, ctr_error *err);
double ctr_lfeat_eval(const ctr_lfeat_fn *f, double x);
/* The class of step t (features, standardisation), coefficients zero. */
void ctr_lfeat_basis(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                     int64_t t, ctr_lfeat_fn *f);
/* ||g - f*_t||^2_{L2(q_t)}, f*_t built from f_prev (step t - 1); q Gauss-Hermite nodes per
 * component (0: the default 160). */
double ctr_lfeat_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, const ctr_lfeat_fn *g,
                      const ctr_lfeat_fn *f_prev, int q);
/* eps_F,t^2 for the class of g (g's coefficients are replaced by the projection). */
double ctr_lfeat_class_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t,
                            ctr_lfeat_fn *g, const ctr_lfeat_fn *f_prev);

/* theta = G^+ rhs, G (q x q, destroyed) symmetric PSD, by its eigendecomposition with the
 * eigenvalues below 1e-12 of the largest dropped; rhs, theta q x nrhs row-major; tmp q
 * doubles. Returns 1 on failure. Shared by the 1-D and 2-D classes. */
int ctr_lfeat_solve_psd(double *G, const double *rhs, int q, int nrhs, double *theta, double *tmp);

ctr_status ctr_lfeat_run(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_lfeat_result **out, ctr_error *err);
void ctr_lfeat_result_free(ctr_lfeat_result *r);

#endif
