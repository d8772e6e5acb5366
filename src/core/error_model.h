/* core/error_model.h: the error models of theory.md §6, all affine so that every law stays
 * Gaussian.
 *
 *   fit-*   : f_t = f*_t + e_t. The user's eps is the paper's total sum_t eps_t, spread
 *             evenly: eps_t = eps / (N - 1), with eps_t the RMS size (E_{q_t}||e_t||^2)^(1/2).
 *             fit-bias   e_t(x) = eps_t u                      (u a random unit vector)
 *             fit-scale  e_t(x) = k_t (x - a_t mu)             (commutes with Sigma)
 *             fit-matrix e_t(x) = k_t R (x - a_t mu)           (R random symmetric, does not
 *                                                               commute: full-matrix path)
 *   score-* : the teacher's denoiser is D_t + delta_t, with per-step RMS size eps in
 *             denoiser units (a wrong data law; what distillation sees):
 *             score-bias  delta_t(x) = eps u
 *             score-scale delta_t(x) = r_t (x - a_t mu)
 * k_t and r_t are set from the closed form E_{q_t}||x - a_t mu||^2 = a_t^2 tr Sigma + d s_t^2. */
#ifndef CTR_CORE_ERROR_MODEL_H
#define CTR_CORE_ERROR_MODEL_H

#include <stdint.h>

#include "core/common.h"

typedef enum {
  CTR_ERR_NONE,
  CTR_ERR_FIT_BIAS,
  CTR_ERR_FIT_SCALE,
  CTR_ERR_FIT_MATRIX,
  CTR_ERR_SCORE_BIAS,
  CTR_ERR_SCORE_SCALE
} ctr_errmodel_kind;

typedef struct {
  ctr_errmodel_kind kind;
  double eps; /* >= 0, finite; 0 with any kind is the same as none */
} ctr_errmodel;

ctr_status ctr_errmodel_parse(const char *name, ctr_errmodel_kind *kind, ctr_error *err);
const char *ctr_errmodel_name(ctr_errmodel_kind kind);
ctr_status ctr_errmodel_check(const ctr_errmodel *e, ctr_error *err);

/* 1 for kinds that shift the mean (need the direction u), 1 for fit kinds. */
int ctr_errmodel_is_bias(ctr_errmodel_kind kind);
int ctr_errmodel_is_fit(ctr_errmodel_kind kind);

/* The unit direction u of bias errors, drawn in original coordinates from (seed, d): the same
 * for every N and every engine. */
void ctr_errmodel_direction(uint64_t seed, int d, double *u);

#endif
