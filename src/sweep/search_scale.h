/* sweep/search_scale.h: the scale-mixture family of `ctrate search` (theory.md §9.16):
 * X_0 ~ sum_k w_k N(0, v_k I_d), K components, all means 0, on the exact radial engine
 * (engines/radial.h). Its objective is the d-exponent of W / data_scale at fixed N: the
 * least-squares slope of ln(W / data_scale) on ln d over a few dimensions (two: the secant).
 *
 * Bounded region (the constraint that keeps L bounded until the radial engine has exact L):
 * every variance in [v_min, v_max] and every weight >= w_min. Parameters z (2K - 1 reals,
 * unconstrained, for Nelder-Mead), mapped so that the bounds are reached at finite z:
 *   v_k = v_min (v_max / v_min)^((1 + sin z_{K-1+k}) / 2),                         k = 0..K-1;
 *   b_j = (1 + sin z_j) / 2 (j = 0..K-2), stick-breaking u_0 = b_0, u_j = b_j prod_{i<j}(1 - b_i),
 *   u_{K-1} = prod_{i<K-1}(1 - b_i); w_k = w_min + (1 - K w_min) u_k.
 * The objective is computed exactly as `ctrate run --engine radial --target mixture_file`
 * computes the W of the file that ctr_scale_write writes (same weights after the mixture's own
 * normalisation, same engine defaults), so that file reproduces it. */
#ifndef CTR_SWEEP_SEARCH_SCALE_H
#define CTR_SWEEP_SEARCH_SCALE_H

#include <stdint.h>
#include <stdio.h>

#include "core/common.h"
#include "core/schedule.h"

#define CTR_SCALE_KMAX 16
#define CTR_SCALE_DIMS_MAX 8

typedef enum { CTR_SCALE_W1 = 1, CTR_SCALE_W2 = 2 } ctr_scale_metric;

/* The searchable families: scale_mixture on the radial engine (this file), product_bimodal on
 * the product engine (sweep/search_product.h). */
typedef enum { CTR_SEARCH_SCALE = 0, CTR_SEARCH_PRODUCT = 1 } ctr_search_kind;

/* An infeasible point (log10 L at the largest d above max_log10_L) gets the objective
 * CTR_SEARCH_INFEASIBLE + its excess: worse than every feasible -exponent (|exponent| < 100),
 * ordered by the violation, so the simplex moves back into the feasible set. */
#define CTR_SEARCH_INFEASIBLE 100.0

typedef struct {
  ctr_search_kind family;   /* CTR_SEARCH_SCALE (default) or CTR_SEARCH_PRODUCT */
  int K;                    /* components, 1..CTR_SCALE_KMAX (product: 2 per coordinate) */
  int ndims;                /* 2..CTR_SCALE_DIMS_MAX */
  int64_t dims[CTR_SCALE_DIMS_MAX]; /* increasing, 1..1e6 */
  double v_min, v_max;      /* 0 < v_min <= v_max <= 1e6 */
  double w_min;             /* 0 <= w_min <= 1/K */
  double m_min, m_max;      /* product: half-separation m in [m_min, m_max], 0 <= m_min <= m_max */
  double max_log10_L;       /* constraint: exact log10 L at the largest d <= this (INFINITY:
                               none); an infeasible point is not evaluated further */
  ctr_scale_metric metric;  /* W1 or W2 of f_N(N(0, I)) against X_1 */
  ctr_schedule_params schedule; /* N, kind, c0, c1 ... */
  int grid_G, grid_Q;       /* radial engine sizes (0: its defaults) */
} ctr_scale_family;

/* Scale family, K = 2, dims 16, 64, 256, v in [1/16, 1] (variance ratio <= 16), w_min = 0.05,
 * m in [0, 2] (product), no L constraint, W1, the paper schedule with N = 100. */
void ctr_scale_family_default(ctr_scale_family *f);

/* CTR_EINPUT naming the value and the accepted range. */
ctr_status ctr_scale_family_check(const ctr_scale_family *f, ctr_error *err);

/* Number of parameters z: 2K - 1 (scale), 2 (product). */
int ctr_scale_nparams(const ctr_scale_family *f);

/* z -> weights w (K, summing to 1 within rounding, each >= w_min), variances v (K) and the
 * product's half-separation *m (0 for the scale family). */
void ctr_scale_decode(const ctr_scale_family *f, const double *z, double *w, double *v,
                      double *m);

/* Deterministic starts (rows of n = 2K - 1): start 0 is z = 0 (equal stick fractions, every
 * variance at the geometric middle); start j > 0 spreads the variances over the range by a
 * Kronecker sequence (golden-ratio multiples), so different starts order them differently. */
void ctr_scale_starts(const ctr_scale_family *f, int starts, double *z0);

typedef struct {
  double W[CTR_SCALE_DIMS_MAX];     /* the chosen metric at each d */
  double scale[CTR_SCALE_DIMS_MAX]; /* data scale (d sum_k w_k v_k)^(1/2) */
  double log10_L[CTR_SCALE_DIMS_MAX]; /* exact log10 L (theory.md §9.15), NaN unless computed by
                                        ctr_scale_lipschitz (not part of the objective) */
  double disc[CTR_SCALE_DIMS_MAX];  /* the engine's refinement change */
  double exponent;                  /* LS slope of ln(W / scale) on ln d (NAN if infeasible) */
  int feasible;                     /* 1 unless log10_L at the largest d > max_log10_L */
  double excess;                    /* log10_L - max_log10_L at the largest d when infeasible */
  double secant_last;               /* slope between the two largest d */
  int sorted;                       /* some W came from sorted quantiles (accurate to O(1/M)) */
} ctr_scale_value;

/* Evaluate the family at (w, v, m): one engine run per d. With a finite max_log10_L the exact L
 * at the largest d comes first (radial: targets/lip_radial.h; product: the engine's own); when
 * it exceeds the bound, no W is computed (feasible = 0, exponent NAN). */
ctr_status ctr_scale_eval(const ctr_scale_family *f, const double *w, const double *v, double m,
                          ctr_scale_value *out, ctr_error *err);

/* The value Nelder-Mead minimises: -exponent, or CTR_SEARCH_INFEASIBLE + excess. */
double ctr_scale_objective(const ctr_scale_value *v);

/* The exact L at each d into out->log10_L, for the reported target (radial: as costly as a
 * run per d; product: one 1-D computation, the same at every d). */
ctr_status ctr_scale_lipschitz(const ctr_scale_family *f, const double *w, const double *v,
                               double m, ctr_scale_value *out, ctr_error *err);

/* The mixture file of (w, v) in dimension d (format of targets/mixture.h, values %.17g so they
 * read back bit-identical), with a header of comments: HEADER (may be NULL) and the command
 * that runs it; for the product family the command alone (sweep/search_product.h). Written
 * whole to a temporary beside PATH, then renamed over it. */
ctr_status ctr_scale_write(const ctr_scale_family *f, const double *w, const double *v, double m,
                           int64_t d, const char *header, const char *path, ctr_error *err);

/* Write PATH whole through a temporary beside it, renamed over PATH once closed without error:
 * HEADER (may be NULL), then body(out, ctx). The writer of ctr_scale_write and
 * ctr_prodfam_write (sweep/search_product.h). */
ctr_status ctr_scale_write_with(const char *path, const char *header,
                                void (*body)(FILE *out, const void *ctx), const void *ctx,
                                ctr_error *err);

/* The written command's schedule and grid flags (" --c0 X --c1 Y", " --grid-points G",
 * " --hermite Q" where they apply) and its newline. */
void ctr_scale_write_flags(FILE *out, const ctr_scale_family *f);

#endif
