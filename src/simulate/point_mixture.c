/* simulate/point_mixture.c: engines grid, chain and distill on a mixture target (a Gaussian as
 * one component): the coupling columns of both inputs, the input mismatch, and L (exact or a
 * certified lower bound), which the 1-D learned rows share. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engines/chain.h"
#include "engines/distill.h"
#include "engines/grid.h"
#include "targets/input_mismatch.h"
#include "targets/lip_exact.h"
#include "targets/lip_lower.h"
#include "metrics/sampled_metrics.h"
#include "core/rng.h"
#include "simulate/point_engines.h"

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

void ctr_point_set_lipschitz(ctr_point *row, double log_L, double x_norm, const char *kind) {
  row->log10_lipschitz = log_L / M_LN10, row->lipschitz = exp(log_L); /* inf beyond the range */
  row->lipschitz_at_norm = x_norm;
  CTR_SET_STR(row->lipschitz_kind, kind);
}

/* L: exact for coordinate-wise targets (targets/lip_exact.h), else a certified lower bound, in
 * log (L overflows double on sharp mixtures). A failure of the search never fails the point:
 * lipschitz = NaN, kind "failed", the reason in message; starts that failed numerically are
 * noted in message as well (the bound over the others stands). */
void ctr_point_fill_lipschitz(const ctr_point_spec *spec, const ctr_schedule *s,
                              const ctr_mixture *m, ctr_point *row) {
  ctr_lip_exact ex;
  ctr_lip_lower lo = {0};
  ctr_error err;
  char msg[sizeof row->message];
  ctr_status st = ctr_lip_exact_compute(m, s, &ex, &err);
  if (!st && ex.exact) {
    ctr_point_set_lipschitz(row, ex.log_L, ex.x_norm, "exact");
    return;
  }
  if (!st) st = mixture_lipschitz(spec, s, m, &lo, &err);
  if (st || lo.failed == lo.starts) {
    ctr_point_set_lipschitz(row, NAN, NAN, "failed");
    if (st) snprintf(msg, sizeof msg, "L: %.150s", err.msg);
    else snprintf(msg, sizeof msg, "L: all %d starts failed numerically", lo.starts);
    CTR_SET_STR(row->message, msg);
    return;
  }
  ctr_point_set_lipschitz(row, lo.log_L, lo.x_norm, "lower");
  if (lo.failed > 0) {
    snprintf(msg, sizeof msg, "L: %d of %d starts failed numerically", lo.failed, lo.starts);
    CTR_SET_STR(row->message, msg);
  }
}

ctr_status ctr_point_run_mixture(const ctr_point_spec *spec, const ctr_schedule *s,
                                 ctr_point *row, ctr_error *err) {
  ctr_mixture *m = NULL;
  ctr_input_mismatch mm;
  ctr_status st = ctr_point_spec_mixture(spec, &m, err);
  if (!st) st = ctr_input_mismatch_compute(m, s->a[s->N], s->a[1], s->s[1], &mm, err);
  if (!st) row->input_mismatch_hi = mm.bound, row->data_scale = ctr_mixture_data_scale(m);
  if (!st && spec->engine.engine == CTR_ENGINE_GRID) st = run_grid(spec, s, m, row, err);
  else if (!st && spec->engine.engine == CTR_ENGINE_CHAIN) st = run_chain_rows(spec, s, m, row, err);
  else if (!st) st = run_distill_rows(spec, s, m, row, err);
  if (!st) ctr_point_fill_lipschitz(spec, s, m, row);
  if (!st) {
    row->K = m->K, row->abar_N = ctr_schedule_abar_N(s);
    row->bound_shape = ctr_bound_shape_log(row->log10_lipschitz * M_LN10, row->d, row->N);
  }
  ctr_mixture_free(m);
  return st;
}
