/* simulate/point_spec.c: a point's spec: defaults, the target name, every check that needs no
 * built target, the target as a mixture, the theorem's shape, and the row's parameter columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engines/lowrank_plane_sd.h"
#include "simulate/point_engines.h"


void ctr_point_spec_default(ctr_point_spec *spec) {
  memset(spec, 0, sizeof *spec);
  ctr_target_params_default(&spec->target);
  ctr_mixture_params_default(&spec->mixture);
  ctr_schedule_params_default(&spec->schedule);
  ctr_affine_params_default(&spec->engine);
  ctr_learned_params_default(&spec->learned);
  spec->points = 1000, spec->chains = 4, spec->lip_points = 32, spec->sample_n = 1000;
  spec->plane_cells = -1; /* not given: the lowrank engine's default */
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
    return CTR_OK; /* the target's structure is checked on the built mixture
                      (ctr_point_run_radial, ctr_point_run_lowrank) */
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
ctr_lfeat_params ctr_point_lfeat_params(const ctr_point_spec *spec) {
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
    ctr_lfeat_params lp = ctr_point_lfeat_params(spec);
    return ctr_lfeat_check(&lp, spec->target.d, err);
  }
  return ctr_learned_check(&spec->learned, spec->target.d, err);
}

ctr_status ctr_point_spec_check(const ctr_point_spec *spec, ctr_error *err) {
  int pc = spec->plane_cells; /* -1: not given; the CLI parses the same range (param_grid.c) */
  if (pc < -1 || (pc > 0 && pc < CTR_PLANE_CELLS_MIN) || pc > CTR_PLANE_CELLS_MAX)
    return ctr_fail(err, CTR_EINPUT, "--plane-cells %d is out of range (accepted: 0 (off) or "
                    "an integer in %d to %d)", pc, CTR_PLANE_CELLS_MIN, CTR_PLANE_CELLS_MAX);
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

void ctr_point_fill_params(const ctr_point_spec *spec, int64_t id, ctr_point *row) {
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
