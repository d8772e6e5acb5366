/* engines/learned_poly.h: CT from samples in d = 1 with a POLYNOMIAL class of degree p on a
 * 1-D Gaussian mixture (a Gaussian is K = 1), theory.md §13.3 (`--degree P`; the feature
 * classes are engines/learned_features.h).
 *
 * f_t(x) = sum_{k<=p} theta_k He_k((x - m_t)/sigma_t), He_k the probabilists' Hermite
 * polynomials, m_t and sigma_t^2 the mean and variance of q_t (a well-conditioned basis).
 * Step t fits theta by ridge least squares (penalty ridge sum_{k>=1} theta_k^2, Cholesky of
 * the (p+1) x (p+1) normal equations) on n pairs with shared (X_0, Z), the same random
 * streams as engines/learned.h (so p = 1 on a Gaussian reproduces that engine).
 *
 * eps_t = ||f_t - f*_t||_{L2(q_t)}, f*_t(x) = E[f_{t-1}((s_{t-1}/s_t) x + c_t X_0) | X_t = x]
 * with the mixture posterior of X_0 in closed form: the inner expectation by Gauss-Hermite
 * (exact for polynomial f_{t-1}), the outer one over q_t by Gauss-Hermite per component. */
#ifndef CTR_ENGINES_LEARNED_POLY_H
#define CTR_ENGINES_LEARNED_POLY_H

#include "core/common.h"
#include "core/schedule.h"
#include "engines/learned.h"
#include "targets/mixture.h"

#define CTR_LPOLY_PMAX CTR_LEARNED_DEGREE_MAX

typedef struct {
  int degree;               /* 1..CTR_LPOLY_PMAX */
  ctr_learned_params base;  /* train_n, mode, ridge, seed, stop_t */
} ctr_lpoly_params;

typedef struct {
  double m, sd;          /* the basis centre and scale of f_t */
  double coef[CTR_LPOLY_PMAX + 1];
} ctr_lpoly_fn;

typedef struct {
  int p;
  int64_t t;      /* step of f (N, or stop_t) */
  ctr_lpoly_fn f; /* f_t */
  double *eps_t;  /* [t], t = 2..N */
  double eps_sum, eps_max;
  double epsF_sum; /* sum_t eps_F,t: distance of f*_t to the class (projection under q_t) */
} ctr_lpoly_result;

double ctr_lpoly_eval(const ctr_lpoly_fn *f, int p, double x);

/* ||g - f*_t||^2_{L2(q_t)} for any g of degree p, with f*_t built from f_prev (step t - 1). */
double ctr_lpoly_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, int p,
                      const ctr_lpoly_fn *g, const ctr_lpoly_fn *f_prev);

/* W1(f # N(0, 1), X_1) for any map f of R by the quantile midpoint rule with M points (the
 * sorted f(Phi^-1((i + 1/2)/M)) against the quantiles of X_1); *disc = |W1(M) - W1(M/2)|. */
/* The standard-normal Gauss-Hermite rule of n nodes (GSL, weight exp(-x^2/2)): nodes x, weights
 * w with sum w = 1; 0 when GSL fails. Shared by the polynomial and feature classes. */
int ctr_learned_gh_rule(size_t n, double *x, double *w);

/* The n = base->train_n training pairs of step t in d = 1: x[j] = a_t X_0 + s_t Z (student)
 * and xp[j] = a_{t-1} X_0 + s_{t-1} Z (teacher, shared noise), from the streams of
 * engines/learned.c; shared by the polynomial and feature classes. */
void ctr_learned_pairs_1d(const ctr_learned_params *base, const ctr_schedule *s,
                          const ctr_mixture *m, int64_t t, double *x, double *xp);

typedef double (*ctr_learned_map1)(const void *ctx, double x);
ctr_status ctr_learned_w1_1d(const ctr_schedule *s, const ctr_mixture *m, ctr_learned_map1 f,
                             const void *ctx, int M, double *w1, double *disc, ctr_error *err);

/* W1(f_N # N(0, 1), X_1) by the quantile midpoint rule with M points (quantiles of X_1 by
 * Brent's method on its mixture CDF); *disc = |W1(M) - W1(M/2)| estimates the rule's error. */
ctr_status ctr_lpoly_w1_normal(const ctr_schedule *s, const ctr_mixture *m, const ctr_lpoly_result *r,
                               int M, double *w1, double *disc, ctr_error *err);

/* eps_F,t^2 = min over the class of ||g - f*_t||^2_{L2(q_t)} (quadrature projection). */
double ctr_lpoly_class_err2(const ctr_schedule *s, const ctr_mixture *m, int64_t t, int p,
                            const ctr_lpoly_fn *f_prev);

ctr_status ctr_lpoly_run(const ctr_lpoly_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_lpoly_result **out, ctr_error *err);
void ctr_lpoly_result_free(ctr_lpoly_result *r);

/* The ridge normal equations of both 1-D classes, accumulated as the polynomial and feature
 * fits did each on their own: row h (q regressors, h[0] the intercept) with response y adds to
 * the lower triangle of G (q x q) and to rhs; finish divides by n, mirrors G and adds the ridge
 * to every diagonal entry but the intercept's. Inline: the add runs once per training pair. */
static inline void ctr_normal_add(int q, const double *h, double y, double *G, double *rhs) {
  for (int a = 0; a < q; a++) {
    rhs[a] += h[a] * y;
    for (int b = 0; b <= a; b++) G[a * q + b] += h[a] * h[b];
  }
}
static inline void ctr_normal_finish(int q, size_t n, double ridge, double *G, double *rhs) {
  for (int a = 0; a < q; a++) {
    rhs[a] /= (double)n;
    for (int b = 0; b <= a; b++) G[a * q + b] /= (double)n, G[b * q + a] = G[a * q + b];
    if (a) G[a * q + a] += ridge;
  }
}

#endif
