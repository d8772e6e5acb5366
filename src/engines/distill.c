#include "engines/distill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "targets/flow_map.h"
#include "core/rng.h"
#include "core/parfor.h"


void ctr_distill_params_default(ctr_distill_params *p) {
  memset(p, 0, sizeof *p);
  p->points = 1000;
  p->seed = 1;
}

/* y = Psi_2 o ... o Psi_N (x) + sum_t e_t; work: ctr_mixture_work_len + 2d doubles. */
static ctr_status ddim(const ctr_distill_params *p, const ctr_schedule *s, const ctr_mixture *m,
                       const double *u, const double *x, double *y, double *work,
                       ctr_error *err) {
  int d = m->d;
  double *D = work + ctr_mixture_work_len(m);
  double eta_s = p->error.kind == CTR_ERR_SCORE_BIAS ? p->error.eps : 0;
  memmove(y, x, sizeof(double) * d);
  for (int64_t t = s->N; t >= 2; t--) {
    ctr_status st = ctr_mixture_posterior(m, s->a[t], s->s[t], y, D, NULL, NULL, work, err);
    if (st) return st;
    double ratio = s->s[t - 1] / s->s[t], ct = ctr_schedule_c(s, t);
    for (int k = 0; k < d; k++) y[k] = ratio * y[k] + ct * (D[k] + (u ? eta_s * u[k] : 0));
  }
  if (u && p->error.kind == CTR_ERR_FIT_BIAS)
    for (int k = 0; k < d; k++) y[k] += p->error.eps * u[k];
  return CTR_OK;
}

static ctr_status check(const ctr_distill_params *p, ctr_error *err) {
  if (p->points < 2 || p->points > 100000000)
    return ctr_fail(err, CTR_EINPUT, "distill points = %d out of range (accepted: 2 to 1e8)",
                    p->points);
  ctr_errmodel_kind k = p->error.kind;
  ctr_status st = ctr_errmodel_check(&p->error, err);
  if (!st && k != CTR_ERR_NONE && k != CTR_ERR_FIT_BIAS && k != CTR_ERR_SCORE_BIAS)
    return ctr_fail(err, CTR_EINPUT, "engine distill: error %s is not supported (accepted: "
                    "none, fit-bias, score-bias)", ctr_errmodel_name(k));
  return st;
}

typedef struct {
  const ctr_distill_params *p;
  const ctr_schedule *s;
  const ctr_mixture *m;
  ctr_denoiser den;
  ctr_flow_span span;
  ctr_flow_tol tol;
  double *u;
  double *L1, *SQ, *ferr; /* per point */
} distill_ctx;

typedef struct {
  double *x, *y, *phi, *phierr, *work;
} distill_ws;

static void ws_free(void *p) {
  distill_ws *w = p;
  if (!w) return;
  free(w->x), free(w->y), free(w->phi), free(w->phierr), free(w->work);
  free(w);
}

static void *ws_alloc(void *ctx) {
  const ctr_mixture *m = ((const distill_ctx *)ctx)->m;
  int d = m->d;
  distill_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->x = ctr_dalloc(d), w->y = ctr_dalloc(d), w->phi = ctr_dalloc(d), w->phierr = ctr_dalloc(d);
  w->work = ctr_dalloc(ctr_mixture_work_len(m) + 2 * (size_t)d);
  if (w->x && w->y && w->phi && w->phierr && w->work) return w;
  ws_free(w);
  return NULL;
}

static ctr_status one_point(void *ctx, size_t i, void *wp, ctr_error *err) {
  const distill_ctx *c = ctx;
  distill_ws *w = wp;
  int d = c->m->d;
  ctr_rng r;
  int nrm = c->p->normal_input;
  ctr_rng_init(&r, c->p->seed, nrm ? CTR_RNG_DISTILL_START_NORMAL : CTR_RNG_DISTILL_START,
               (uint64_t)d, (uint64_t)i);
  ctr_status st = CTR_OK;
  if (nrm) ctr_rng_normals(&r, (size_t)d, w->x);
  else st = ctr_mixture_sample_noised(c->m, c->s->a[c->s->N], c->s->s[c->s->N], &r, 1, w->x, err);
  if (!st) st = ctr_flow_map(&c->den, &c->span, &c->tol, w->x, w->phi, w->phierr, err);
  if (!st) st = ddim(c->p, c->s, c->m, c->u, w->x, w->y, w->work, err);
  if (st) return st;
  double sq = 0, fe = 0;
  for (int k = 0; k < d; k++) {
    double dev = w->y[k] - w->phi[k];
    sq += dev * dev, fe = fmax(fe, w->phierr[k]);
  }
  c->L1[i] = sqrt(sq), c->SQ[i] = sq, c->ferr[i] = fe;
  return CTR_OK;
}

ctr_status ctr_distill_run(const ctr_distill_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_distill_result *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  ctr_status st = check(p, err);
  if (st) return st;
  size_t n = (size_t)p->points;
  distill_ctx c = {.p = p, .s = s, .m = m, .den = ctr_mixture_denoiser(m)};
  ctr_flow_tol_default(&c.tol);
  st = ctr_flow_span_steps(s, s->N, 1, &c.span, err);
  c.L1 = ctr_dalloc(n), c.SQ = ctr_dalloc(n), c.ferr = ctr_dalloc(n);
  int bias = ctr_errmodel_is_bias(p->error.kind);
  if (bias) c.u = ctr_dalloc(m->d);
  if (!st && (!c.L1 || !c.SQ || !c.ferr || (bias && !c.u)))
    st = ctr_fail(err, CTR_ENOMEM, "distill: out of memory for %zu points", n);
  if (!st && c.u) ctr_errmodel_direction(p->seed, m->d, c.u);
  ctr_parfor job = {&c, ws_alloc, ws_free, one_point};
  if (!st) st = ctr_parfor_run(&job, n, err);
  if (!st) {
    ctr_mean_se(c.L1, n, &out->l1, &out->l1_se);
    ctr_mean_se(c.SQ, n, &out->sq, &out->sq_se);
    out->w1_hi = out->l1 + 1.96 * out->l1_se;
    out->w2_hi = sqrt(out->sq + 1.96 * out->sq_se);
    for (size_t i = 0; i < n; i++) out->flow_err = fmax(out->flow_err, c.ferr[i]);
  }
  free(c.L1), free(c.SQ), free(c.ferr), free(c.u);
  return st;
}

ctr_status ctr_distill_map(const ctr_distill_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, size_t n, const double *x, double *y,
                           ctr_error *err) {
  ctr_status st = check(p, err);
  int d = m->d;
  double *work = ctr_dalloc(ctr_mixture_work_len(m) + 2 * (size_t)d), *u = ctr_dalloc(d);
  if (!st && (!work || !u)) st = ctr_fail(err, CTR_ENOMEM, "distill: out of memory");
  if (!st) ctr_errmodel_direction(p->seed, d, u);
  for (size_t i = 0; !st && i < n; i++)
    st = ddim(p, s, m, u, x + i * d, y + i * d, work, err);
  free(work), free(u);
  return st;
}
