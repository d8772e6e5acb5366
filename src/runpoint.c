#include "runpoint.h"

#include <math.h>
#include <string.h>

#include <omp.h>

#include "metrics_gauss.h"

void ctr_point_spec_default(ctr_point_spec *spec) {
  memset(spec, 0, sizeof *spec);
  ctr_target_params_default(&spec->target);
  ctr_schedule_params_default(&spec->schedule);
  ctr_affine_params_default(&spec->engine);
}

ctr_status ctr_point_spec_check(const ctr_point_spec *spec, ctr_error *err) {
  ctr_status st = ctr_schedule_check(&spec->schedule, err);
  if (!st) st = ctr_errmodel_check(&spec->engine.error, err);
  int full = spec->engine.force_full || spec->engine.error.kind == CTR_ERR_FIT_MATRIX;
  if (!st && spec->engine.engine == CTR_ENGINE_CD && full)
    st = ctr_fail(err, CTR_EINPUT,
                  "engine cd with %s: cd composes DDIM steps on the commuting path only "
                  "(accepted with cd: errors none, fit-bias, fit-scale, score-bias, score-scale, "
                  "without --full)",
                  spec->engine.force_full ? "--full" : "error fit-matrix");
  return st;
}

double ctr_bound_shape(double L, int d, int64_t N) {
  double lg = log((double)N);
  return L * L * L * pow((double)d, 2.5) * pow(lg, 5) / (double)N;
}

static void fill_params(const ctr_point_spec *spec, int64_t id, ctr_point *row) {
  const ctr_target_params *tp = &spec->target;
  const ctr_schedule_params *sp = &spec->schedule;
  ctr_point_clear(row);
  row->point_id = id, row->seed = (int64_t)tp->seed;
  CTR_SET_STR(row->target, ctr_target_kind_name(tp->kind));
  row->d = tp->d, row->N = sp->N;
  if (tp->kind == CTR_TARGET_ISOTROPIC) row->lambda = tp->lambda;
  if (tp->kind == CTR_TARGET_GEOMETRIC || tp->kind == CTR_TARGET_POWER)
    row->lambda_min = tp->lambda_min, row->lambda_max = tp->lambda_max;
  CTR_SET_STR(row->cov_source, spec->cov_source);
  row->rotate = tp->rotate, row->mean_norm = tp->mean_norm;
  CTR_SET_STR(row->schedule, ctr_schedule_kind_name(sp->kind));
  if (sp->kind == CTR_SCHED_PAPER) row->c0 = sp->c0, row->c1 = sp->c1;
  if (sp->kind == CTR_SCHED_LINEAR) row->beta_min = sp->beta_min, row->beta_max = sp->beta_max;
  if (sp->kind == CTR_SCHED_COSINE) row->cosine_s = sp->cosine_s;
  CTR_SET_STR(row->engine, ctr_engine_name(spec->engine.engine));
  CTR_SET_STR(row->error, ctr_errmodel_name(spec->engine.error.kind));
  row->eps = spec->engine.error.eps;
}

static void fill_metrics(const ctr_affine_result *r, const ctr_gauss_metrics *m, ctr_point *row) {
  CTR_SET_STR(row->path, r->full ? "full" : "diag");
  row->abar_N = r->abar_N, row->lipschitz = m->lipschitz;
  row->w2_normal = m->normal.w2, row->w1_lo_normal = m->normal.w1_lo;
  row->w1_hi_normal = m->normal.w1_hi;
  row->w2_qN = m->qN.w2, row->w1_lo_qN = m->qN.w1_lo, row->w1_hi_qN = m->qN.w1_hi;
  row->coupling_l1_normal = m->normal.coupling_l1, row->coupling_rms_normal = m->normal.coupling_rms;
  row->coupling_l1_qN = m->qN.coupling_l1, row->coupling_rms_qN = m->qN.coupling_rms;
  row->sum_e_l1 = r->sum_e_l1, row->sum_e_rms = r->sum_e_rms;
  row->sum_D_l1 = r->sum_D_l1, row->sum_D_rms = r->sum_D_rms;
  row->sums_exact = r->sums_exact, row->shrink_max = m->shrink_max;
  row->bound_shape = ctr_bound_shape(m->lipschitz, row->d, row->N);
}

ctr_status ctr_point_run(const ctr_point_spec *spec, int64_t point_id, ctr_point *row,
                         ctr_error *err) {
  double t0 = omp_get_wtime();
  fill_params(spec, point_id, row);
  ctr_schedule *s = NULL;
  ctr_target *tg = NULL;
  ctr_affine_result *r = NULL;
  ctr_gauss_metrics m;
  ctr_affine_params ep = spec->engine;
  ep.seed = spec->target.seed;
  ctr_status st = ctr_point_spec_check(spec, err);
  if (!st) st = ctr_schedule_alloc(&spec->schedule, &s, err);
  if (!st) st = ctr_target_alloc(&spec->target, &tg, err);
  if (!st) st = ctr_affine_run(&ep, s, tg, &r, err);
  if (!st) st = ctr_gauss_metrics_compute(r, tg, &m, err);
  if (!st) fill_metrics(r, &m, row);
  row->status = (int32_t)st;
  if (st) CTR_SET_STR(row->message, err->msg);
  row->wall_time = omp_get_wtime() - t0;
  ctr_affine_result_free(r), ctr_target_free(tg), ctr_schedule_free(s);
  return st;
}
