/* simulate/point_lowrank.c: the lowrank engine's row (engines/lowrank.h, theory.md §9.13): exact
 * W2 and a W1 bracket for both inputs, the exact L, the data scale. */
#include <math.h>
#include <stdio.h>

#include "engines/lowrank.h"
#include "simulate/point_engines.h"

ctr_status ctr_point_run_lowrank(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err) {
  ctr_mixture *m = NULL;
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p);
  p.seed = spec->target.seed;
  if (spec->grid_G) p.prod.grid.G = spec->grid_G;
  if (spec->grid_Q) p.prod.grid.Q = spec->grid_Q;
  if (spec->grid_G) p.grid2.G = spec->grid_G; /* one target, one k: the flags size its grid */
  if (spec->grid_Q) p.grid2.Q = spec->grid_Q;
  if (spec->plane_cells >= 0) p.plane_cells = spec->plane_cells; /* 0: off; -1: engine default */
  ctr_lowrank_result r;
  ctr_status st = ctr_point_spec_mixture(spec, &m, err);
  if (!st) st = ctr_lowrank_run(&p, s, m, &r, err);
  if (!st) {
    row->w2_normal = r.gauss.w2, row->w1_lo_normal = r.gauss.w1_lo;
    row->w1_hi_normal = r.gauss.w1_hi, row->w1_hi_se_normal = 0;
    row->w2_qN = r.qN.w2, row->w1_lo_qN = r.qN.w1_lo, row->w1_hi_qN = r.qN.w1_hi;
    row->w2_lo_normal = r.gauss.w2_lo, row->w2_hi_normal = r.gauss.w2_hi;
    row->w2_lo_qN = r.qN.w2_lo, row->w2_hi_qN = r.qN.w2_hi;
    row->coupling_l1_qN = r.qN.l1, row->coupling_sq_qN = r.qN.sq;
    row->coupling_rms_qN = sqrt(r.qN.sq);
    row->coupling_l1_se_qN = row->coupling_sq_se_qN = row->coupling_rms_se_qN = 0;
    /* as the product engine: node_err is relative in E u^2, half of it times W2 in distance */
    row->disc_err = r.k == 2 ? r.disc_max
                             : fmax(r.disc_max, 0.5 * r.node_err * fmax(r.gauss.w2, r.qN.w2));
    char b[sizeof row->bracket_source];
    if (r.k == 2) snprintf(b, sizeof b, "lowrank k=2: hi semi-discrete W2, lo mean");
    else snprintf(b, sizeof b, "lowrank k=%d: lo block hypot, hi E||u||", r.k);
    CTR_SET_STR(row->bracket_source, b);
    row->lipschitz = r.L, row->lipschitz_at_norm = r.L_x_norm;
    row->log10_lipschitz = r.log_L / M_LN10; /* finite where L overflows (point masses) */
    CTR_SET_STR(row->lipschitz_kind, r.L_exact ? "exact" : "lower");
    row->data_scale = r.data_scale, row->abar_N = ctr_schedule_abar_N(s), row->K = m->K;
    row->bound_shape = ctr_bound_shape_log(r.log_L, row->d, row->N);
  }
  ctr_mixture_free(m);
  return st;
}
