/* engines/product.h: exact ideal CT on product targets in any d (theory.md §9.3, §9.10).
 *
 * A product target has independent coordinates, coordinate i a 1-D Gaussian mixture. The
 * forward process, the posterior and CT's conditional expectation factorise, so ideal CT acts
 * coordinate-wise: f_N(x)_i = f_N^(i)(x_i) with f_N^(i) the 1-D map of coordinate i, which the
 * 1-D grid engine (engines/grid.h, d = 1) computes. Coordinates that share a 1-D law are computed
 * once (a group with a count), so d = 1e4 identical coordinates cost one 1-D run; and once per
 * process for all points sharing the law, schedule and sizes (engines/product_cache.h), so a
 * sweep over d costs one 1-D run per (law, N).
 *
 * Metrics, for both inputs (N(0, I) and q_N); both output laws are products:
 *   W2^2 = sum_i W2_i^2 exactly (per coordinate the grid's quantile integral);
 *   W1 >= (sum_i W1_i^2)^(1/2)  (the dual potential sum_i v_i h_i(x_i) with h_i the coordinate's
 *        Kantorovich potential and v proportional to (W1_i) is ||v||_2-Lipschitz);
 *   W1 <= E||u|| for the coordinate-wise coupling u_i = f_N^(i)(X_i) - T_i(X_i) with T_i the
 *        monotone transport of the input's coordinate law onto X_1's (for q_N, T_i = Phi_i,
 *        the flow map), by E||u|| = (1/(2 sqrt(pi))) int_0^inf (1 - prod_i E exp(-s u_i^2))
 *        s^(-3/2) ds. Each E exp(-s u_i^2) is a fixed quadrature over x: the partition of an
 *        adaptive integral of (|u| + u^2) p (gsl_integration_qag), 16 Gauss-Legendre nodes per
 *        subinterval; T_i is the exact 1-D transport (targets/lip_exact.h).
 * The quadrature is checked against the grid's own W2 (node_err). Cost: one 1-D grid run
 * (O(N G K Q), with refinement x5) plus ~1e5 transports per distinct coordinate law. */
#ifndef CTR_ENGINES_PRODUCT_H
#define CTR_ENGINES_PRODUCT_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"
#include "engines/grid.h"

/* One distinct 1-D coordinate law sum_k w_k N(mu_k, var_k) and how many coordinates have it. */
typedef struct {
  int K;
  const double *w, *mu, *var; /* weights summing to 1, means, variances >= 0 */
  int64_t count;              /* >= 1 */
} ctr_product_coord;

/* Independent Gaussian coordinates u_i ~ N(nu_i, s2_i), each standing for mult_i copies (mult
 * NULL: ones): a block whose coupling is known in closed form (engines/lowrank.h), joined to
 * the product's coordinates in E||u|| by E exp(-s u_i^2) = (1 + 2 s s2_i)^(-1/2)
 * exp(-s nu_i^2 / (1 + 2 s s2_i)). */
typedef struct {
  size_t n;
  const double *nu, *s2, *mult;
} ctr_product_gauss;

typedef struct {
  ctr_grid_params grid; /* per coordinate (d = 1); its coupling flag is ignored; error none */
  double quad_rel;      /* relative tolerance of the adaptive partition, 0 < quad_rel < 1 */
  int lipschitz;        /* 1: the exact L (targets/lip_exact.h) of every group */
  /* NULL, or a Gaussian block per input (0: N(0, I), 1: q_N) appended to the coupling u: it
   * enters l1 and sq only (w2, w1_lo and d stay the groups'). */
  const ctr_product_gauss *extra[2];
} ctr_product_params;

/* Defaults: the 1-D grid defaults without the ODE coupling, quad_rel = 1e-9, lipschitz = 1. */
void ctr_product_params_default(ctr_product_params *p);

typedef struct {
  double w2;    /* exact W2 of the product */
  double w1_lo; /* (sum_i W1_i^2)^(1/2) */
  double l1;    /* E||u||, u the coordinate-wise monotone coupling: W1 <= l1 */
  double sq;    /* E||u||^2 from the quadrature nodes (= w2^2 when every f_N^(i) is monotone) */
} ctr_product_input;

typedef struct {
  int64_t d;
  ctr_product_input gauss, qN; /* input N(0, I); input q_N (l1: E||f_N - Phi||) */
  double disc_max;  /* largest |refined - base| of the product's w2 and w1_lo (both inputs) */
  double node_err;  /* largest |sum of node weights u^2 - grid W2_i^2| / W2_i^2 over groups
                       whose f_N is monotone: the quadrature's error */
  double quad_err;  /* largest abserr of the norm integral */
  int quad_warn;    /* adaptive integrals that stopped at GSL_EROUND / GSL_EMAXITER */
  int monotone;     /* 1: every coordinate's f_N is non-decreasing on its grid */
  double L;         /* max over groups of the exact L (NAN if not requested) */
  double log_L;     /* its log, finite where L overflows double (point masses) */
  double L_x_norm;  /* |x| of L's maximiser (its coordinate only) */
  double data_scale; /* (sum_i Var X_0,i)^(1/2) */
} ctr_product_result;

/* Run n groups on schedule s. CTR_EINPUT for bad groups or parameters (an error model other
 * than none); CTR_ENUMERIC when a GSL routine or a value fails. */
ctr_status ctr_product_run(const ctr_product_params *p, const ctr_schedule *s, int n,
                           const ctr_product_coord *c, ctr_product_result *out, ctr_error *err);

/* A discrete law of u_i (nodes u with weights w summing to 1) shared by count coordinates. */
typedef struct {
  size_t n;
  const double *u, *w;
  int64_t count;
} ctr_product_law;

/* E||u|| for independent u_i by the s-integral above (substitution s = e^tau / E||u||^2,
 * gsl_integration_qagi, products in log space with log1p/expm1). *abserr: GSL's estimate. */
ctr_status ctr_product_norm_mean(int n, const ctr_product_law *laws, double *mean, double *abserr,
                                 ctr_error *err);
/* The same with a closed-form Gaussian block g (NULL: none) joined to the laws; n may be 0. */
ctr_status ctr_product_norm_mean_gauss(int n, const ctr_product_law *laws,
                                       const ctr_product_gauss *g, double *mean, double *abserr,
                                       ctr_error *err);

#endif
