/* simulate/point_exact.c: engines product and radial, exact W1 and W2 for mixtures whose
 * structure reduces them to one dimension (independent coordinates, rotation invariance). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engines/product.h"
#include "engines/radial.h"
#include "targets/lip_exact.h"
#include "targets/lip_radial.h"
#include "simulate/point_engines.h"

/* product: the coordinate laws of the target (two_modes: one bimodal coordinate and d - 1
 * Gaussian ones), exact W2, W1 bracket and L (engines/product.h, theory.md §9.10). */
ctr_status ctr_point_run_product(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err) {
  const ctr_mixture_params *mp = &spec->mixture;
  int d = spec->target.d, bimodal_all = mp->kind == CTR_MIXTURE_PRODUCT_BIMODAL;
  double var = mp->sigma * mp->sigma, w[2] = {0.5, 0.5}, mu[2] = {-mp->m, mp->m}, v[2] = {var, var};
  double w0 = 1, mu0 = 0;
  ctr_product_coord c[2] = {{2, w, mu, v, bimodal_all ? d : 1}, {1, &w0, &mu0, v, d - 1}};
  ctr_product_params p;
  ctr_product_params_default(&p);
  if (spec->grid_G) p.grid.G = spec->grid_G;
  if (spec->grid_Q) p.grid.Q = spec->grid_Q;
  ctr_product_result r;
  ctr_status st = ctr_product_run(&p, s, bimodal_all || d == 1 ? 1 : 2, c, &r, err);
  if (st) return st;
  row->w2_normal = r.gauss.w2, row->w1_lo_normal = r.gauss.w1_lo;
  row->w1_hi_normal = fmin(r.gauss.l1, r.gauss.w2), row->w1_hi_se_normal = 0;
  row->w2_qN = r.qN.w2, row->w1_lo_qN = r.qN.w1_lo, row->w1_hi_qN = fmin(r.qN.l1, r.qN.w2);
  row->coupling_l1_qN = r.qN.l1, row->coupling_sq_qN = r.qN.sq;
  row->coupling_rms_qN = sqrt(r.qN.sq);
  row->coupling_l1_se_qN = row->coupling_sq_se_qN = row->coupling_rms_se_qN = 0;
  /* node_err is relative in E u^2: in distance units half of it times W2 */
  row->disc_err = fmax(r.disc_max, 0.5 * r.node_err * fmax(r.gauss.w2, r.qN.w2));
  CTR_SET_STR(row->bracket_source, "product: lo sqrt(sum W1_i^2), hi E||u||");
  row->lipschitz = r.L, row->lipschitz_at_norm = r.L_x_norm;
  row->log10_lipschitz = r.log_L / M_LN10; /* was left NaN; finite where L overflows */
  CTR_SET_STR(row->lipschitz_kind, "exact");
  row->data_scale = r.data_scale, row->abar_N = ctr_schedule_abar_N(s);
  row->bound_shape = ctr_bound_shape_log(r.log_L, row->d, row->N);
  return CTR_OK;
}

/* radial: rotation-invariant targets, every component mean 0 and covariance v_k I (theory.md
 * §9.12); exact W1 and W2 of both inputs from the radial laws (engines/radial.h). */
static ctr_status radial_components(const ctr_mixture *m, double *v, ctr_error *err) {
  for (int k = 0; k < m->K; k++) {
    const double *mu = m->mu + (size_t)k * m->d, *l = m->lam + m->lam_off[k];
    int iso = m->kind[k] == CTR_COV_ISO, bad = m->kind[k] == CTR_COV_FULL, at = -1;
    for (int i = 0; i < m->d && at < 0; i++)
      if (mu[i] != 0) at = i;
    for (int i = 1; !iso && !bad && i < m->d; i++) bad = l[i] != l[0];
    if (at >= 0 || bad)
      return ctr_fail(err, CTR_EINPUT, "engine radial needs a rotation-invariant target: component "
                      "%d has %s (accepted: every component with mean 0 and covariance v I, e.g. "
                      "scale_mixture, isotropic, or such a mixture file)", k,
                      at >= 0 ? "a nonzero mean" : "a non-isotropic covariance");
    v[k] = l[0];
  }
  return CTR_OK;
}

ctr_status ctr_point_run_radial(const ctr_point_spec *spec, const ctr_schedule *s,
                                ctr_point *row, ctr_error *err) {
  ctr_mixture *m = NULL;
  ctr_radial_result *r = NULL;
  ctr_status st = ctr_point_spec_mixture(spec, &m, err);
  double *v = st ? NULL : ctr_dalloc((size_t)m->K);
  if (!st && !v) st = ctr_fail(err, CTR_ENOMEM, "radial: out of memory");
  if (!st) st = radial_components(m, v, err);
  ctr_radial_params p;
  ctr_radial_params_default(&p);
  if (spec->grid_G) p.G = spec->grid_G;
  if (spec->grid_Q) p.Q = spec->grid_Q;
  if (!st) st = ctr_radial_run(&p, s, m->K, m->weight, v, m->d, &r, err);
  if (!st) {
    row->w2_normal = r->gauss.w2, row->w1_lo_normal = row->w1_hi_normal = r->gauss.w1;
    row->w1_hi_se_normal = 0;
    row->w2_qN = r->qN.w2, row->w1_lo_qN = row->w1_hi_qN = r->qN.w1;
    if (r->monotone) { /* Phi and f_N are both radial with monotone radius maps (§9.12) */
      row->coupling_l1_qN = r->qN.w1, row->coupling_sq_qN = r->qN.w2 * r->qN.w2;
      row->coupling_rms_qN = r->qN.w2;
      row->coupling_l1_se_qN = row->coupling_sq_se_qN = row->coupling_rms_se_qN = 0;
    }
    if (r->sorted)
      CTR_SET_STR(row->message, r->monotone ? "radial: a W integral failed; sorted quantiles used"
                                            : "radial: g_N not monotone on the grid; sorted "
                                              "quantiles used");
    row->disc_err = r->disc_max;
    CTR_SET_STR(row->bracket_source, "radial laws: exact W1, W2 up to disc_err");
    row->data_scale = r->data_scale, row->abar_N = ctr_schedule_abar_N(s), row->K = m->K;
  }
  if (!st) { /* exact L (targets/lip_radial.h); a failure of L never fails the point */
    ctr_lip_exact ex;
    ctr_error lerr;
    if (ctr_lip_radial_compute(m->K, m->weight, v, m->d, s, &ex, &lerr) == CTR_OK) {
      ctr_point_set_lipschitz(row, ex.log_L, ex.x_norm, "exact");
    } else {
      char msg[sizeof row->message];
      ctr_point_set_lipschitz(row, NAN, NAN, "failed");
      snprintf(msg, sizeof msg, "L: %.150s", lerr.msg);
      CTR_SET_STR(row->message, msg);
    }
    row->bound_shape = ctr_bound_shape_log(row->log10_lipschitz * M_LN10, row->d, row->N);
  }
  ctr_radial_result_free(r), ctr_mixture_free(m), free(v);
  return st;
}
