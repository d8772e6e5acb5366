#include "core/error_model.h"

#include <math.h>
#include <string.h>

#include "core/rng.h"

static const char *const names[] = {"none",       "fit-bias",   "fit-scale",
                                    "fit-matrix", "score-bias", "score-scale"};

const char *ctr_errmodel_name(ctr_errmodel_kind kind) { return names[kind]; }

ctr_status ctr_errmodel_parse(const char *name, ctr_errmodel_kind *kind, ctr_error *err) {
  int k = ctr_name_index(names, 6, name);
  if (k >= 0) {
    *kind = (ctr_errmodel_kind)k;
    return CTR_OK;
  }
  return ctr_fail(err, CTR_EINPUT,
                  "error model '%s' is unknown (accepted: none, fit-bias, fit-scale, fit-matrix, "
                  "score-bias, score-scale)",
                  name);
}

ctr_status ctr_errmodel_check(const ctr_errmodel *e, ctr_error *err) {
  if (!isfinite(e->eps) || e->eps < 0)
    return ctr_fail(err, CTR_EINPUT, "error size eps = %g is invalid (accepted: finite, >= 0)",
                    e->eps);
  return CTR_OK;
}

int ctr_errmodel_is_bias(ctr_errmodel_kind kind) {
  return kind == CTR_ERR_FIT_BIAS || kind == CTR_ERR_SCORE_BIAS;
}

int ctr_errmodel_is_fit(ctr_errmodel_kind kind) {
  return kind == CTR_ERR_FIT_BIAS || kind == CTR_ERR_FIT_SCALE || kind == CTR_ERR_FIT_MATRIX;
}

void ctr_errmodel_direction(uint64_t seed, int d, double *u) {
  ctr_rng r;
  ctr_rng_init(&r, seed, CTR_RNG_ERRDIR, (uint64_t)d, 0);
  ctr_rng_normals(&r, (size_t)d, u);
  double n2 = 0;
  for (int i = 0; i < d; i++) n2 += u[i] * u[i];
  for (int i = 0; i < d; i++) u[i] /= sqrt(n2);
}
