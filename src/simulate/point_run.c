#include "simulate/point_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "engines/chain.h"
#include "engines/distill.h"
#include "engines/grid.h"
#include "engines/learned_features.h"
#include "engines/learned_features2.h"
#include "engines/learned_poly.h"
#include "engines/product.h"
#include "engines/radial.h"
#include "targets/flow_map.h"
#include "targets/input_mismatch.h"
#include "targets/lip_exact.h"
#include "targets/lip_radial.h"
#include "targets/lip_lower.h"
#include "metrics/gaussian_metrics.h"
#include "metrics/sampled_metrics.h"
#include "core/rng.h"


void ctr_point_spec_default(ctr_point_spec *spec) {
  memset(spec, 0, sizeof *spec);
  ctr_target_params_default(&spec->target);
  ctr_mixture_params_default(&spec->mixture);
  ctr_schedule_params_default(&spec->schedule);
  ctr_affine_params_default(&spec->engine);
  ctr_learned_params_default(&spec->learned);
  spec->points = 1000, spec->chains = 4, spec->lip_points = 32, spec->sample_n = 1000;
}

ctr_status ctr_point_spec_target(ctr_point_spec *spec, const char *name, ctr_error *err) {
  ctr_error quiet;
  if (!ctr_target_kind_parse(name, &spec->target.kind, &quiet)) return spec->is_mixture = 0, CTR_OK;
  if (!ctr_mixture_preset_parse(name, &spec->mixture.kind, &quiet)) return spec->is_mixture = 1, CTR_OK;
  return ctr_fail(err, CTR_EINPUT,
                  "target '%s' is unknown (accepted: isotropic, geometric, power, diagonal, file; "
                  "two_modes, simplex, sphere, cloud_ball, cloud_sphere, mixture_file, product_bimodal, "
                  "scale_mixture, simplex_full, aniso_modes, scale_tail, cloud_ball_kd, cloud_sphere_kd, "
                  "cloud_ball_d2, cloud_sphere_d2, scale_pair)",
                  name);
}

/* The product engine: targets whose coordinates are independent, no injected error. */
static ctr_status check_product(const ctr_point_spec *spec, ctr_error *err) {
  ctr_mixture_preset k = spec->mixture.kind;
  if (!spec->is_mixture || (k != CTR_MIXTURE_PRODUCT_BIMODAL && k != CTR_MIXTURE_TWO_MODES))
    return ctr_fail(err, CTR_EINPUT, "engine product needs a product target (accepted: "
                    "product_bimodal, two_modes)");
  if (spec->engine.error.kind != CTR_ERR_NONE)
    return ctr_fail(err, CTR_EINPUT, "engine product with error %s: not supported (accepted: "
                    "none)", ctr_errmodel_name(spec->engine.error.kind));
  if (spec->target.d < 1 || spec->target.d > CTR_MIXTURE_DMAX)
    return ctr_fail(err, CTR_EINPUT, "engine product: d = %d is out of range (accepted: 1 to %d)",
                    spec->target.d, CTR_MIXTURE_DMAX);
  return CTR_OK;
}

/* What the mixture engines implement (engines/chain.h, engines/distill.h). */
static ctr_status check_mixture_engine(const ctr_point_spec *spec, ctr_error *err) {
  ctr_errmodel_kind k = spec->engine.error.kind;
  const char *e = ctr_engine_name(spec->engine.engine);
  int grid = spec->engine.engine == CTR_ENGINE_GRID;
  if (k != CTR_ERR_NONE && k != CTR_ERR_FIT_BIAS && (grid || k != CTR_ERR_SCORE_BIAS))
    return ctr_fail(err, CTR_EINPUT, "engine %s with error %s: not supported (accepted: none, "
                    "fit-bias%s)", e, ctr_errmodel_name(k), grid ? "" : ", score-bias");
  if (spec->engine.engine == CTR_ENGINE_PRODUCT)
    return check_product(spec, err);
  if (spec->engine.engine == CTR_ENGINE_RADIAL || spec->engine.engine == CTR_ENGINE_LOWRANK) {
    if (k != CTR_ERR_NONE)
      return ctr_fail(err, CTR_EINPUT, "engine %s with error %s: not supported (accepted: "
                      "none)", e, ctr_errmodel_name(k));
    return CTR_OK; /* the target's structure is checked on the built mixture (run_radial,
                      ctr_point_run_lowrank) */
  }
  if (grid && spec->target.d > 2)
    return ctr_fail(err, CTR_EINPUT, "engine grid with d = %d: not supported (accepted: d = 1 "
                    "or 2; chain and distill take any d)", spec->target.d);
  if (spec->points < 2 || spec->points > 100000000)
    return ctr_fail(err, CTR_EINPUT, "--points %d is out of range (accepted: 2 to 1e8)",
                    spec->points);
  if (spec->engine.engine == CTR_ENGINE_CHAIN && (spec->chains < 2 || spec->chains > 1000000))
    return ctr_fail(err, CTR_EINPUT, "--chains %d is out of range (accepted: 2 to 1e6)",
                    spec->chains);
  if (spec->sample_n < 0 || spec->sample_n == 1 || spec->sample_n > 20000)
    return ctr_fail(err, CTR_EINPUT, "--sample-n %d is out of range (accepted: 0 or 2 to 20000)",
                    spec->sample_n);
  if (spec->lip_points < 1 || spec->lip_points > 1000000)
    return ctr_fail(err, CTR_EINPUT, "--lip-points %d is out of range (accepted: 1 to 1e6)",
                    spec->lip_points);
  return CTR_OK;
}

/* The feature class of a learned spec (engines/learned_features.h). */
static ctr_lfeat_params lfeat_params(const ctr_point_spec *spec) {
  ctr_lfeat_params p;
  p.kind = (ctr_lfeat_kind)spec->learned.features, p.M = spec->learned.n_features;
  p.bandwidth = spec->learned.bandwidth, p.width = spec->learned.width;
  p.centres = (ctr_lfeat_centres)spec->learned.centres, p.base = spec->learned;
  p.base.seed = spec->target.seed;
  return p;
}

/* engine learned: Gaussian targets (affine class), or d = 1 with a polynomial or feature class
 * (any target as a mixture); no injected error (its errors are measured). */
static ctr_status check_learned(const ctr_point_spec *spec, ctr_error *err) {
  int feat = spec->learned.features != CTR_LFEAT_AFFINE;
  if (feat && spec->learned.degree >= 2)
    return ctr_fail(err, CTR_EINPUT, "engine learned: --degree %d and --features %s are two "
                    "classes (accepted: one of them)", spec->learned.degree,
                    ctr_lfeat_kind_name((ctr_lfeat_kind)spec->learned.features));
  if (spec->learned.degree >= 2 && spec->target.d != 1)
    return ctr_fail(err, CTR_EINPUT, "engine learned with --degree %d: the polynomial class runs "
                    "in d = 1 only (got d = %d; accepted: --degree 0 for the affine class in any d)",
                    spec->learned.degree, spec->target.d);
  if (spec->learned.sampler == CTR_LEARNED_MOMENTS && (feat || spec->learned.degree >= 2))
    return ctr_fail(err, CTR_EINPUT, "engine learned: --train-sampler moments needs the affine "
                    "class (the fit of a nonlinear class depends on more than the pairs' mean and "
                    "covariance; accepted: --train-sampler samples)");
  if (spec->is_mixture && spec->learned.degree < 2 && !feat)
    return ctr_fail(err, CTR_EINPUT, "engine learned needs a Gaussian target, not %s (accepted: "
                    "isotropic, geometric, power, diagonal, file; mixtures in d = 1 with --degree "
                    "2..12, in d = 1, 2 with --features rff|rbf)",
                    ctr_mixture_preset_name(spec->mixture.kind));
  if (spec->engine.error.kind != CTR_ERR_NONE)
    return ctr_fail(err, CTR_EINPUT, "engine learned with error %s: its errors are measured, "
                    "not injected (accepted: error none)", ctr_errmodel_name(spec->engine.error.kind));
  if (feat) {
    ctr_lfeat_params lp = lfeat_params(spec);
    return ctr_lfeat_check(&lp, spec->target.d, err);
  }
  return ctr_learned_check(&spec->learned, spec->target.d, err);
}

ctr_status ctr_point_spec_check(const ctr_point_spec *spec, ctr_error *err) {
  ctr_status st = ctr_schedule_check(&spec->schedule, err);
  if (!st) st = ctr_errmodel_check(&spec->engine.error, err);
  if (st) return st;
  if (spec->engine.engine == CTR_ENGINE_LEARNED) return check_learned(spec, err);
  int affine = ctr_engine_is_affine(spec->engine.engine);
  if (affine && spec->is_mixture)
    return ctr_fail(err, CTR_EINPUT, "engine %s needs a Gaussian target, not %s (accepted for "
                    "mixtures: chain, distill)", ctr_engine_name(spec->engine.engine),
                    ctr_mixture_preset_name(spec->mixture.kind));
  if (!affine) return check_mixture_engine(spec, err);
  int full = spec->engine.force_full || spec->engine.error.kind == CTR_ERR_FIT_MATRIX;
  if (spec->engine.engine == CTR_ENGINE_CD && full)
    return ctr_fail(err, CTR_EINPUT,
                    "engine cd with %s: cd composes DDIM steps on the commuting path only "
                    "(accepted with cd: errors none, fit-bias, fit-scale, score-bias, score-scale, "
                    "without --full)",
                    spec->engine.force_full ? "--full" : "error fit-matrix");
  return CTR_OK;
}

/* A Gaussian target as a one-component mixture: diagonal, or full when rotated. */
static ctr_status gaussian_as_mixture(const ctr_target *t, ctr_mixture **out, ctr_error *err) {
  int d = t->d;
  double w = 1, *S = t->Q ? ctr_dalloc((size_t)d * d) : NULL;
  if (t->Q && !S) return ctr_fail(err, CTR_ENOMEM, "target: out of memory at d = %d", d);
  if (S) ctr_target_covariance(t, S);
  ctr_mixture_cov cov = {S ? CTR_COV_FULL : CTR_COV_DIAG, S ? S : t->lambda};
  ctr_status st = ctr_mixture_alloc(1, d, &w, t->mu, &cov, out, err);
  free(S);
  return st;
}

ctr_status ctr_point_spec_mixture(const ctr_point_spec *spec, ctr_mixture **out, ctr_error *err) {
  *out = NULL;
  if (spec->is_mixture) {
    ctr_mixture_params mp = spec->mixture;
    mp.d = spec->target.d, mp.seed = spec->target.seed;
    /* the product engine never builds the 2^d modes: check (m, sigma) on one coordinate */
    if (spec->engine.engine == CTR_ENGINE_PRODUCT && mp.kind == CTR_MIXTURE_PRODUCT_BIMODAL)
      mp.d = 1;
    return ctr_mixture_from_params(&mp, out, err);
  }
  ctr_target *t = NULL;
  ctr_status st = ctr_target_alloc(&spec->target, &t, err);
  if (!st) st = gaussian_as_mixture(t, out, err);
  ctr_target_free(t);
  return st;
}

/* In log: L may exceed the double range (then the shape is +inf, the bound vacuous). */
double ctr_bound_shape_log(double log_L, int d, int64_t N) {
  double lg = log((double)N);
  return exp(3 * log_L + 2.5 * log((double)d) + 5 * log(lg) - lg);
}

double ctr_bound_shape(double L, int d, int64_t N) { return ctr_bound_shape_log(log(L), d, N); }

static void fill_target(const ctr_point_spec *spec, ctr_point *row) {
  const ctr_target_params *tp = &spec->target;
  const ctr_mixture_params *mp = &spec->mixture;
  row->d = tp->d;
  CTR_SET_STR(row->cov_source, spec->cov_source);
  if (spec->is_mixture) {
    CTR_SET_STR(row->target, ctr_mixture_preset_name(mp->kind));
    row->sigma = mp->sigma;
    if (mp->kind == CTR_MIXTURE_TWO_MODES || mp->kind == CTR_MIXTURE_PRODUCT_BIMODAL)
      row->mode_m = mp->m, row->K = 2; /* product_bimodal: 2 per coordinate, 2^d in all */
    else if (mp->kind == CTR_MIXTURE_FILE) row->K = mp->K; /* d, K, sigma: the file's (sweep layer) */
    else if (mp->kind == CTR_MIXTURE_ANISO) row->mode_m = mp->m, row->K = 2;
    else if (mp->kind == CTR_MIXTURE_SCALE_PAIR) /* m: the first shell's weight, R the second's sd */
      row->mode_m = mp->m, row->K = 2, row->radius = mp->radius;
    else {
      ctr_mixture_params q = *mp;
      q.d = tp->d;
      row->K = ctr_mixture_preset_K(&q); /* simplex_full d + 1, the _kd clouds K d */
      if (mp->kind != CTR_MIXTURE_SCALE && mp->kind != CTR_MIXTURE_SCALE_TAIL) { /* concentric */
        row->radius = mp->radius * (mp->radius_growing ? sqrt((double)tp->d) : 1.0);
        row->radius_growing = mp->radius_growing;
      }
    }
    if (mp->kind == CTR_MIXTURE_CLOUD_BALL || mp->kind == CTR_MIXTURE_CLOUD_SPHERE ||
        mp->kind == CTR_MIXTURE_CLOUD_BALL_KD || mp->kind == CTR_MIXTURE_CLOUD_SPHERE_KD ||
        mp->kind == CTR_MIXTURE_CLOUD_BALL_D2 || mp->kind == CTR_MIXTURE_CLOUD_SPHERE_D2)
      row->sigma = 0;
    return;
  }
  CTR_SET_STR(row->target, ctr_target_kind_name(tp->kind));
  row->K = 1;
  if (tp->kind == CTR_TARGET_ISOTROPIC) row->lambda = tp->lambda;
  if (tp->kind == CTR_TARGET_GEOMETRIC || tp->kind == CTR_TARGET_POWER)
    row->lambda_min = tp->lambda_min, row->lambda_max = tp->lambda_max;
  row->rotate = tp->rotate, row->mean_norm = tp->mean_norm;
}

static void fill_params(const ctr_point_spec *spec, int64_t id, ctr_point *row) {
  const ctr_schedule_params *sp = &spec->schedule;
  ctr_point_clear(row);
  row->point_id = id, row->seed = (int64_t)spec->target.seed;
  row->replicate = spec->replicate;
  fill_target(spec, row);
  row->N = sp->N;
  CTR_SET_STR(row->schedule, ctr_schedule_kind_name(sp->kind));
  if (sp->kind == CTR_SCHED_PAPER) row->c0 = sp->c0, row->c1 = sp->c1;
  if (sp->kind == CTR_SCHED_LINEAR) row->beta_min = sp->beta_min, row->beta_max = sp->beta_max;
  if (sp->kind == CTR_SCHED_COSINE) row->cosine_s = sp->cosine_s;
  if (sp->kind == CTR_SCHED_KARRAS || sp->kind == CTR_SCHED_CURRICULUM)
    row->rho = sp->rho, row->sigma_min = sp->sigma_min, row->sigma_max = sp->sigma_max;
  if (sp->kind == CTR_SCHED_CURRICULUM) /* the grid is the last stage's: theory.md §13.5 */
    row->curriculum_n0 = sp->curriculum_n0, row->curriculum_stages = ctr_schedule_curriculum_stages(sp);
  CTR_SET_STR(row->engine, ctr_engine_name(spec->engine.engine));
  CTR_SET_STR(row->error, ctr_errmodel_name(spec->engine.error.kind));
  row->eps = spec->engine.error.eps;
  if (spec->engine.engine == CTR_ENGINE_CHAIN || spec->engine.engine == CTR_ENGINE_DISTILL)
    row->points = spec->points;
  if (spec->engine.engine == CTR_ENGINE_CHAIN) row->chains = spec->chains;
  if (spec->engine.engine == CTR_ENGINE_LEARNED) {
    row->train_n = spec->learned.train_n, row->ridge = spec->learned.ridge;
    row->degree = spec->learned.degree;
    CTR_SET_STR(row->sample_mode, ctr_learned_mode_name(spec->learned.mode));
    CTR_SET_STR(row->train_sampler, ctr_learned_sampler_name(spec->learned.sampler));
    CTR_SET_STR(row->features, ctr_lfeat_kind_name((ctr_lfeat_kind)spec->learned.features));
    if (spec->learned.degree >= 2) CTR_SET_STR(row->features, "poly");
    if (spec->learned.features != CTR_LFEAT_AFFINE) {
      row->n_features = spec->learned.n_features;
      if (spec->learned.features == CTR_LFEAT_RFF) row->bandwidth = spec->learned.bandwidth;
      if (spec->learned.features == CTR_LFEAT_RBF) {
        row->rbf_width = spec->learned.width;
        CTR_SET_STR(row->centres, ctr_lfeat_centres_name((ctr_lfeat_centres)spec->learned.centres));
      }
    }
  }
}

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

static void fill_lipschitz(const ctr_point_spec *spec, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_point *row);

/* The 1-D learned rows (polynomial and feature classes): W1 for the N(0, 1) input by the
 * quantile rule (its error in disc_err), measured eps and eps_F, the exact L and the shape. */
static void fill_learned_1d(const ctr_point_spec *spec, const ctr_schedule *s, const ctr_mixture *m,
                            double w1, double disc, double eps, double eps_max, double eps_F,
                            ctr_point *row) {
  row->w1_lo_normal = row->w1_hi_normal = w1, row->disc_err = disc;
  row->eps_learned = eps, row->eps_learned_max = eps_max, row->eps_F = eps_F;
  row->abar_N = ctr_schedule_abar_N(s), row->K = m->K, row->data_scale = ctr_mixture_data_scale(m);
  CTR_SET_STR(row->bracket_source, "1-D quantile rule M = 20000, up to disc_err");
  fill_lipschitz(spec, s, m, row);
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
  ctr_lfeat_params lp = lfeat_params(spec);
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
    fill_lipschitz(spec, s, m, row);
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
  ctr_lfeat_params lp = lfeat_params(spec);
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

/* Certified lower bound on L (targets/lip_lower.h) from lip_points sampled starts x ~ q_N (the
 * same stream as before) plus the mode-midpoint preimages, refined. */
static ctr_status mixture_lipschitz(const ctr_point_spec *spec, const ctr_schedule *s,
                                    const ctr_mixture *m, ctr_lip_lower *lo, ctr_error *err) {
  size_t n = (size_t)spec->lip_points;
  double *xs = ctr_dalloc(n * (size_t)m->d);
  if (!xs) return ctr_fail(err, CTR_ENOMEM, "Lipschitz: out of memory");
  ctr_rng r;
  ctr_rng_init(&r, spec->target.seed, CTR_RNG_LIPSCHITZ, (uint64_t)m->d, 0);
  ctr_status st = ctr_mixture_sample_noised(m, s->a[s->N], s->s[s->N], &r, n, xs, err);
  if (!st) st = ctr_lip_lower_compute(m, s, n, xs, lo, err);
  free(xs);
  return st;
}

/* grid: exact CT up to disc_err. d = 1: W1 and W2 for both inputs from quantile functions;
 * d = 2: the coupling E||f_N - Phi|| (an upper bound on W1 of the q_N input) by cubature. */
static ctr_status run_grid(const ctr_point_spec *spec, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_point *row, ctr_error *err) {
  ctr_grid_params p;
  ctr_grid_params_default_d(&p, m->d);
  p.error = spec->engine.error, p.seed = spec->target.seed;
  if (spec->grid_G) p.G = spec->grid_G;
  if (spec->grid_Q) p.Q = spec->grid_Q;
  ctr_grid_result *r = NULL;
  ctr_status st = ctr_grid_run(&p, s, m, &r, err);
  if (st) return st;
  const ctr_grid_metrics *b = &r->base;
  row->coupling_l1_qN = b->coupling, row->coupling_sq_qN = b->coupling_sq;
  row->coupling_rms_qN = sqrt(b->coupling_sq);
  row->coupling_l1_se_qN = row->coupling_sq_se_qN = row->coupling_rms_se_qN = 0;
  row->disc_err = r->disc_max, row->flow_err = r->flow_err;
  if (m->d == 1) {
    row->w2_normal = b->w2_gauss, row->w1_lo_normal = row->w1_hi_normal = b->w1_gauss;
    row->w1_hi_se_normal = 0;
    row->w2_qN = b->w2_qN, row->w1_lo_qN = row->w1_hi_qN = b->w1_qN;
    CTR_SET_STR(row->bracket_source, "exact 1-D quantile integrals, up to disc_err");
  } else {
    row->w1_lo_qN = 0, row->w1_hi_qN = b->coupling;
    CTR_SET_STR(row->bracket_source, "hi: coupling by cubature, up to disc_err; lo: 0");
  }
  ctr_grid_result_free(r);
  return CTR_OK;
}

/* The theorem's input: w1_hi_normal = (coupling of the N(0, I) input) + input_mismatch_hi,
 * a bound on W1(f_N(N(0,I)), X_1) (theory.md 9): chain uses sqrt of the unbiased U-statistic
 * (W1 <= W2 <= RMS coupling), distill its exact-per-point L1 mean (W1 <= E||f_N - Phi||). */
static void fill_normal_hi(ctr_point *row, double c, double c_se) {
  row->w1_hi_normal = c + row->input_mismatch_hi, row->w1_hi_se_normal = c_se;
  row->w1_lo_normal = 0;
}

static ctr_status run_chain_rows(const ctr_point_spec *spec, const ctr_schedule *s,
                                 const ctr_mixture *m, ctr_point *row, ctr_error *err) {
  ctr_chain_params p = {spec->points, spec->chains, spec->target.seed, spec->engine.error, 0, 0};
  ctr_chain_result r, z;
  ctr_status st = ctr_chain_run(&p, s, m, &r, err);
  if (st) return st;
  row->coupling_l1_qN = r.l1, row->coupling_l1_se_qN = r.l1_se, row->w1_hi_qN = r.w1_hi;
  row->coupling_sq_qN = r.sq, row->coupling_sq_se_qN = r.sq_se, row->flow_err = r.flow_err;
  row->coupling_rms_qN = r.rms, row->coupling_rms_se_qN = r.rms_se, row->w1_lo_qN = 0;
  CTR_SET_STR(row->bracket_source, "qN hi: 95% UCL of chain L1 (Jensen); normal hi: RMS + "
              "mismatch; lo: 0");
  p.normal_input = 1;
  st = ctr_chain_run(&p, s, m, &z, err);
  if (st) return st;
  row->coupling_l1_normal = z.l1, row->coupling_l1_se_normal = z.l1_se;
  row->coupling_sq_normal = z.sq, row->coupling_sq_se_normal = z.sq_se;
  row->coupling_rms_normal = z.rms, row->coupling_rms_se_normal = z.rms_se;
  row->flow_err = fmax(row->flow_err, z.flow_err);
  fill_normal_hi(row, z.rms, z.rms_se);
  return CTR_OK;
}

static void fill_distill(const ctr_distill_result *r, int normal, ctr_point *row) {
  double rms = sqrt(r->sq), rms_se = rms > 0 ? r->sq_se / (2 * rms) : 0;
  if (normal) {
    row->coupling_l1_normal = r->l1, row->coupling_l1_se_normal = r->l1_se;
    row->coupling_sq_normal = r->sq, row->coupling_sq_se_normal = r->sq_se;
    row->coupling_rms_normal = rms, row->coupling_rms_se_normal = rms_se;
    fill_normal_hi(row, r->l1, r->l1_se);
  } else {
    row->coupling_l1_qN = r->l1, row->coupling_l1_se_qN = r->l1_se, row->w1_hi_qN = r->w1_hi;
    row->coupling_sq_qN = r->sq, row->coupling_sq_se_qN = r->sq_se;
    row->coupling_rms_qN = rms, row->coupling_rms_se_qN = rms_se;
  }
  row->flow_err = fmax(isnan(row->flow_err) ? 0 : row->flow_err, r->flow_err);
  row->w1_lo_qN = 0;
}

static ctr_status run_distill_rows(const ctr_point_spec *spec, const ctr_schedule *s,
                                   const ctr_mixture *m, ctr_point *row, ctr_error *err) {
  ctr_distill_params p = {spec->points, spec->target.seed, spec->engine.error, 0};
  ctr_distill_result r;
  ctr_status st = ctr_distill_run(&p, s, m, &r, err);
  if (!st) fill_distill(&r, 0, row);
  p.normal_input = 1;
  if (!st) st = ctr_distill_run(&p, s, m, &r, err);
  if (!st) fill_distill(&r, 1, row);
  CTR_SET_STR(row->bracket_source, "qN hi: 95% UCL of E||f_N - Phi||; normal hi: L1 + "
              "mismatch; lo: 0");
  row->sample_n = spec->sample_n;
  ctr_sampled_w w;
  p.normal_input = 0;
  if (!st && spec->sample_n > 0) st = ctr_sampled_w_distill(&p, s, m, spec->sample_n, &w, err);
  if (!st && spec->sample_n > 0) {
    row->w1_sample_normal = w.w1, row->w1_floor = w.floor, row->assign_optimal = w.optimal;
    row->sliced_w1_normal = w.sliced, row->maxsliced_w1_normal = w.maxsliced;
    row->gelbrich_w2_normal = w.gelbrich;
  }
  return st;
}

static void set_lipschitz(ctr_point *row, double log_L, double x_norm, const char *kind) {
  row->log10_lipschitz = log_L / M_LN10, row->lipschitz = exp(log_L); /* inf beyond the range */
  row->lipschitz_at_norm = x_norm;
  CTR_SET_STR(row->lipschitz_kind, kind);
}

/* L: exact for coordinate-wise targets (targets/lip_exact.h), else a certified lower bound, in
 * log (L overflows double on sharp mixtures). A failure of the search never fails the point:
 * lipschitz = NaN, kind "failed", the reason in message; starts that failed numerically are
 * noted in message as well (the bound over the others stands). */
static void fill_lipschitz(const ctr_point_spec *spec, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_point *row) {
  ctr_lip_exact ex;
  ctr_lip_lower lo = {0};
  ctr_error err;
  char msg[sizeof row->message];
  ctr_status st = ctr_lip_exact_compute(m, s, &ex, &err);
  if (!st && ex.exact) {
    set_lipschitz(row, ex.log_L, ex.x_norm, "exact");
    return;
  }
  if (!st) st = mixture_lipschitz(spec, s, m, &lo, &err);
  if (st || lo.failed == lo.starts) {
    set_lipschitz(row, NAN, NAN, "failed");
    if (st) snprintf(msg, sizeof msg, "L: %.150s", err.msg);
    else snprintf(msg, sizeof msg, "L: all %d starts failed numerically", lo.starts);
    CTR_SET_STR(row->message, msg);
    return;
  }
  set_lipschitz(row, lo.log_L, lo.x_norm, "lower");
  if (lo.failed > 0) {
    snprintf(msg, sizeof msg, "L: %d of %d starts failed numerically", lo.failed, lo.starts);
    CTR_SET_STR(row->message, msg);
  }
}

/* product: the coordinate laws of the target (two_modes: one bimodal coordinate and d - 1
 * Gaussian ones), exact W2, W1 bracket and L (engines/product.h, theory.md §9.10). */
static ctr_status run_product(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                              ctr_error *err) {
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

static ctr_status run_radial(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                             ctr_error *err) {
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
      set_lipschitz(row, ex.log_L, ex.x_norm, "exact");
    } else {
      char msg[sizeof row->message];
      set_lipschitz(row, NAN, NAN, "failed");
      snprintf(msg, sizeof msg, "L: %.150s", lerr.msg);
      CTR_SET_STR(row->message, msg);
    }
    row->bound_shape = ctr_bound_shape_log(row->log10_lipschitz * M_LN10, row->d, row->N);
  }
  ctr_radial_result_free(r), ctr_mixture_free(m), free(v);
  return st;
}

static ctr_status run_mixture(const ctr_point_spec *spec, const ctr_schedule *s, ctr_point *row,
                              ctr_error *err) {
  ctr_mixture *m = NULL;
  ctr_input_mismatch mm;
  ctr_status st = ctr_point_spec_mixture(spec, &m, err);
  if (!st) st = ctr_input_mismatch_compute(m, s->a[s->N], s->a[1], s->s[1], &mm, err);
  if (!st) row->input_mismatch_hi = mm.bound, row->data_scale = ctr_mixture_data_scale(m);
  if (!st && spec->engine.engine == CTR_ENGINE_GRID) st = run_grid(spec, s, m, row, err);
  else if (!st && spec->engine.engine == CTR_ENGINE_CHAIN) st = run_chain_rows(spec, s, m, row, err);
  else if (!st) st = run_distill_rows(spec, s, m, row, err);
  if (!st) fill_lipschitz(spec, s, m, row);
  if (!st) {
    row->K = m->K, row->abar_N = ctr_schedule_abar_N(s);
    row->bound_shape = ctr_bound_shape_log(row->log10_lipschitz * M_LN10, row->d, row->N);
  }
  ctr_mixture_free(m);
  return st;
}

ctr_status ctr_point_run(const ctr_point_spec *spec, int64_t point_id, ctr_point *row,
                         ctr_error *err) {
  double t0 = omp_get_wtime();
  fill_params(spec, point_id, row);
  ctr_schedule *s = NULL;
  ctr_status st = ctr_point_spec_check(spec, err);
  if (!st) st = ctr_schedule_alloc(&spec->schedule, &s, err);
  int poly = spec->engine.engine == CTR_ENGINE_LEARNED && spec->learned.degree >= 2;
  int feat = spec->engine.engine == CTR_ENGINE_LEARNED && spec->learned.features != CTR_LFEAT_AFFINE;
  if (!st && poly) st = run_lpoly(spec, s, row, err);
  else if (!st && feat) st = run_lfeat(spec, s, row, err);
  else if (!st && spec->engine.engine == CTR_ENGINE_LEARNED) st = run_learned(spec, s, row, err);
  else if (!st && ctr_engine_is_affine(spec->engine.engine)) st = run_affine(spec, s, row, err);
  else if (!st && spec->engine.engine == CTR_ENGINE_PRODUCT) st = run_product(spec, s, row, err);
  else if (!st && spec->engine.engine == CTR_ENGINE_RADIAL) st = run_radial(spec, s, row, err);
  else if (!st && spec->engine.engine == CTR_ENGINE_LOWRANK)
    st = ctr_point_run_lowrank(spec, s, row, err);
  else if (!st) st = run_mixture(spec, s, row, err);
  row->status = (int32_t)st;
  if (st) CTR_SET_STR(row->message, err->msg);
  row->wall_time = omp_get_wtime() - t0;
  ctr_schedule_free(s);
  return st;
}
