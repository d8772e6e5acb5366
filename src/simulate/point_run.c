/* simulate/point_run.c: one point from its spec to its row: the checks, the schedule, then the
 * engine family (the Gaussian closed forms here, the others in point_engines.h's files). */
#include <math.h>

#include <omp.h>

#include "metrics/gaussian_metrics.h"
#include "simulate/point_engines.h"

static void fill_affine(const ctr_affine_result *r, const ctr_gauss_metrics *m, ctr_point *row) {
  CTR_SET_STR(row->path, r->full ? "full" : r->interp ? "cheb" : "diag");
  row->abar_N = r->abar_N, row->lipschitz = m->lipschitz;
  row->w2_normal = m->normal.w2, row->w1_lo_normal = m->normal.w1_lo;
  row->w1_hi_normal = m->normal.w1_hi;
  row->w2_qN = m->qN.w2, row->w1_lo_qN = m->qN.w1_lo, row->w1_hi_qN = m->qN.w1_hi;
  row->coupling_l1_normal = m->normal.coupling_l1, row->coupling_rms_normal = m->normal.coupling_rms;
  row->coupling_l1_qN = m->qN.coupling_l1, row->coupling_rms_qN = m->qN.coupling_rms;
  row->coupling_l1_se_qN = 0, row->coupling_sq_se_qN = 0, row->coupling_rms_se_qN = 0;
  row->coupling_rms_se_normal = 0;
  row->coupling_sq_qN = m->qN.coupling_rms * m->qN.coupling_rms;
  CTR_SET_STR(row->bracket_source, "exact Gaussian laws (theory.md §4)");
  row->sum_e_l1 = r->sum_e_l1, row->sum_e_rms = r->sum_e_rms;
  row->sum_D_l1 = r->sum_D_l1, row->sum_D_rms = r->sum_D_rms;
  row->sums_exact = r->sums_exact, row->shrink_max = m->shrink_max;
  row->bound_shape = ctr_bound_shape(m->lipschitz, row->d, row->N);
  row->log10_lipschitz = log10(m->lipschitz);
  CTR_SET_STR(row->lipschitz_kind, "exact");
  row->w1_hi_se_normal = 0, row->coupling_l1_se_normal = 0, row->coupling_sq_se_normal = 0;
  row->coupling_sq_normal = m->normal.coupling_rms * m->normal.coupling_rms;
}

static ctr_status run_affine(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                             ctr_error *err) {
  ctr_target *tg = NULL;
  ctr_affine_result *r = NULL;
  ctr_gauss_metrics m;
  ctr_affine_params ep = spec->engine;
  ep.seed = spec->target.seed;
  ctr_status st = ctr_target_alloc(&spec->target, &tg, err);
  if (!st) st = ctr_affine_run(&ep, s, tg, &r, err);
  if (!st) st = ctr_gauss_metrics_compute(r, tg, &m, err);
  if (!st) fill_affine(r, &m, row);
  if (!st) row->data_scale = sqrt(tg->trace);
  ctr_affine_result_free(r), ctr_target_free(tg);
  return st;
}

/* The engine family: every check has passed and the schedule is built. */
static ctr_status run_engine(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                             ctr_error *err) {
  ctr_engine_kind e = spec->engine.engine;
  if (e == CTR_ENGINE_LEARNED) return ctr_point_run_learned(spec, s, row, err);
  if (ctr_engine_is_affine(e)) return run_affine(spec, s, row, err);
  if (e == CTR_ENGINE_PRODUCT) return ctr_point_run_product(spec, s, row, err);
  if (e == CTR_ENGINE_RADIAL) return ctr_point_run_radial(spec, s, row, err);
  if (e == CTR_ENGINE_LOWRANK) return ctr_point_run_lowrank(spec, s, row, err);
  return ctr_point_run_mixture(spec, s, row, err); /* grid, chain, distill */
}

ctr_status ctr_point_run(const ctr_point_spec *spec, int64_t point_id, ctr_point *row,
                         ctr_error *err) {
  double t0 = omp_get_wtime();
  ctr_point_fill_params(spec, point_id, row);
  ctr_schedule *s = NULL;
  ctr_status st = ctr_point_spec_check(spec, err);
  if (!st) st = ctr_schedule_alloc(&spec->schedule, &s, err);
  if (!st) st = run_engine(spec, s, row, err);
  row->status = (int32_t)st;
  if (st) CTR_SET_STR(row->message, err->msg);
  row->wall_time = omp_get_wtime() - t0;
  ctr_schedule_free(s);
  return st;
}
