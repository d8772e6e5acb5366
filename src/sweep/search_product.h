/* sweep/search_product.h: the product family of `ctrate search` (theory.md §9.16), used through
 * sweep/search_scale.h (family CTR_SEARCH_PRODUCT): every coordinate independently
 * 0.5 N(-m, sigma^2) + 0.5 N(m, sigma^2) (the product_bimodal preset) on the product engine.
 * Parameters z (2 reals): m = m_min + (m_max - m_min)(1 + sin z_0)/2, sigma geometric in
 * [sqrt(v_min), sqrt(v_max)] by (1 + sin z_1)/2, variance sigma * sigma. */
#ifndef CTR_SWEEP_SEARCH_PRODUCT_H
#define CTR_SWEEP_SEARCH_PRODUCT_H

#include <stdint.h>

#include "core/common.h"
#include "core/schedule.h"
#include "sweep/search_scale.h"

/* z -> weights (1/2, 1/2), variances (sigma^2, sigma^2) and m. */
void ctr_prodfam_decode(const ctr_scale_family *f, const double *z, double *w, double *v,
                        double *m);

typedef struct {
  double w1;      /* min(E||u||, W2): the product engine's W1 upper bound (w1_hi_normal) */
  double w2;      /* exact W2 (w2_normal) */
  double scale;   /* data scale (d (m^2 + sigma^2))^(1/2) */
  double log10_L; /* exact, independent of d (NAN unless lipschitz) */
  double disc;    /* the row's disc_err */
} ctr_prodfam_point;

/* One product run in dimension d (lipschitz: also the exact L). */
ctr_status ctr_prodfam_eval_d(const ctr_scale_family *f, const ctr_schedule *s, double m,
                              double var, int64_t d, int lipschitz, ctr_prodfam_point *out,
                              ctr_error *err);

/* The command that reproduces the point in dimension d, with HEADER (may be NULL) before it;
 * written whole to a temporary beside PATH, then renamed over it. */
ctr_status ctr_prodfam_write(const ctr_scale_family *f, double m, double var, int64_t d,
                             const char *header, const char *path, ctr_error *err);

#endif
