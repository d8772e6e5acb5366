/* simulate/point_learned.c: engine learned, whose errors eps and eps_F are measured (theory.md
 * §13): the affine class on Gaussian targets, the polynomial and feature classes in d = 1, 2. */
#include <math.h>

#include "engines/grid.h"
#include "engines/learned_features2.h"
#include "engines/learned_poly.h"
#include "targets/input_mismatch.h" /* ctr_mixture_data_scale */
#include "simulate/point_engines.h"

/* engine learned (engines/learned.h): measured eps, eps_F = 0 for the affine class. */
static ctr_status run_learned(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                              ctr_error *err) {
  ctr_target *tg = NULL;
  ctr_learned_result *r = NULL;
  ctr_learned_params lp = spec->learned;
  lp.seed = spec->target.seed;
  ctr_status st = ctr_target_alloc(&spec->target, &tg, err);
  if (!st) st = ctr_learned_run(&lp, s, tg, &r, err);
  if (!st) {
    row->w2_normal = r->w2_normal, row->w1_lo_normal = r->w1_lo_normal;
    row->w1_hi_normal = r->w1_hi_normal;
    row->w2_qN = r->w2_qN, row->w1_lo_qN = r->w1_lo_qN, row->w1_hi_qN = r->w1_hi_qN;
    row->eps_learned = r->eps_sum, row->eps_learned_max = r->eps_max, row->eps_F = 0;
    row->lipschitz = r->lipschitz, row->bound_shape = ctr_bound_shape(r->lipschitz, row->d, row->N);
    CTR_SET_STR(row->lipschitz_kind, "exact");
    row->abar_N = ctr_schedule_abar_N(s), row->data_scale = sqrt(tg->trace), row->K = 1;
    CTR_SET_STR(row->path, "full");
    CTR_SET_STR(row->bracket_source, "exact Gaussian laws (theory.md §13.2)");
  }
  ctr_learned_result_free(r), ctr_target_free(tg);
  return st;
}
/* The 1-D learned rows (polynomial and feature classes): W1 for the N(0, 1) input by the
 * quantile rule (its error in disc_err), measured eps and eps_F, the exact L and the shape. */
static void fill_learned_1d(const ctr_point_spec *spec, const ctr_schedule *s, const ctr_mixture *m,
                            double w1, double disc, double eps, double eps_max, double eps_F,
                            ctr_point *row) {
  row->w1_lo_normal = row->w1_hi_normal = w1, row->disc_err = disc;
  row->eps_learned = eps, row->eps_learned_max = eps_max, row->eps_F = eps_F;
  row->abar_N = ctr_schedule_abar_N(s), row->K = m->K, row->data_scale = ctr_mixture_data_scale(m);
  CTR_SET_STR(row->bracket_source, "1-D quantile rule M = 20000, up to disc_err");
  ctr_point_fill_lipschitz(spec, s, m, row);
  row->bound_shape = ctr_bound_shape_log(row->log10_lipschitz * M_LN10, row->d, row->N);
}

/* engine learned with the polynomial class (theory.md §13.3). */
static ctr_status run_lpoly(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                            ctr_error *err) {
  ctr_mixture *m = NULL;
  ctr_lpoly_result *r = NULL;
  ctr_lpoly_params lp = {spec->learned.degree, spec->learned};
  lp.base.seed = spec->target.seed;
  double w1, disc;
  ctr_status st = ctr_point_spec_mixture(spec, &m, err);
  if (!st) st = ctr_lpoly_run(&lp, s, m, &r, err);
  if (!st) st = ctr_lpoly_w1_normal(s, m, r, 20000, &w1, &disc, err);
  if (!st) fill_learned_1d(spec, s, m, w1, disc, r->eps_sum, r->eps_max, r->epsF_sum, row);
  ctr_lpoly_result_free(r), ctr_mixture_free(m);
  return st;
}

static double lfeat_map(const void *ctx, double x) {
  return ctr_lfeat_eval(&((const ctr_lfeat_result *)ctx)->f, x);
}

static void lfeat2_map(const void *ctx, const double *x, double *y) { ctr_lfeat2_eval(ctx, x, y); }

/* d = 2 (theory.md §13.6): measured eps, eps_F; the output's W1 for the q_N input bounded by
 * the coupling to the exact flow map, by the grid engine's cubature (the same quantity and
 * columns as the grid rows in d = 2; disc_err carries the cubature's error estimate). */
static ctr_status run_lfeat2(const ctr_point_spec *spec, const ctr_schedule *s, const ctr_mixture *m,
                             ctr_point *row, ctr_error *err) {
  ctr_lfeat2_result *r = NULL;
  ctr_lfeat_params lp = ctr_point_lfeat_params(spec);
  ctr_coupling2 c;
  ctr_status st = ctr_lfeat2_run(&lp, s, m, &r, err);
  if (!st) st = ctr_grid_coupling2(s, m, lfeat2_map, &r->f, 1e-3, 2000, &c, err);
  if (!st) {
    row->eps_learned = r->eps_sum, row->eps_learned_max = r->eps_max, row->eps_F = r->epsF_sum;
    row->coupling_l1_qN = c.l1, row->coupling_sq_qN = c.sq, row->coupling_rms_qN = sqrt(c.sq);
    row->coupling_l1_se_qN = row->coupling_sq_se_qN = row->coupling_rms_se_qN = 0;
    row->w1_lo_qN = 0, row->w1_hi_qN = c.l1, row->disc_err = c.l1_err, row->flow_err = c.flow_err;
    if (c.warn) CTR_SET_STR(row->message, "coupling cubature stopped at 2000 rectangles");
    CTR_SET_STR(row->bracket_source, "hi: coupling by cubature (error in disc_err); lo: 0");
    row->abar_N = ctr_schedule_abar_N(s), row->K = m->K, row->data_scale = ctr_mixture_data_scale(m);
    ctr_point_fill_lipschitz(spec, s, m, row);
    row->bound_shape = ctr_bound_shape_log(row->log10_lipschitz * M_LN10, row->d, row->N);
  }
  ctr_lfeat2_result_free(r);
  return st;
}

/* engine learned with random Fourier features or radial basis functions (theory.md §13.4). */
static ctr_status run_lfeat(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                            ctr_error *err) {
  ctr_mixture *m = NULL;
  ctr_lfeat_result *r = NULL;
  ctr_lfeat_params lp = ctr_point_lfeat_params(spec);
  double w1, disc;
  ctr_status st = ctr_point_spec_mixture(spec, &m, err);
  if (!st && m->d == 2) {
    st = run_lfeat2(spec, s, m, row, err);
    ctr_mixture_free(m);
    return st;
  }
  if (!st) st = ctr_lfeat_run(&lp, s, m, &r, err);
  if (!st) st = ctr_learned_w1_1d(s, m, lfeat_map, r, 20000, &w1, &disc, err);
  if (!st) fill_learned_1d(spec, s, m, w1, disc, r->eps_sum, r->eps_max, r->epsF_sum, row);
  ctr_lfeat_result_free(r), ctr_mixture_free(m);
  return st;
}

ctr_status ctr_point_run_learned(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err) {
  if (spec->learned.degree >= 2) return run_lpoly(spec, s, row, err);
  if (spec->learned.features != CTR_LFEAT_AFFINE) return run_lfeat(spec, s, row, err);
  return run_learned(spec, s, row, err);
}
