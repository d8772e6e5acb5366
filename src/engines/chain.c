#include "engines/chain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "targets/flow_map.h"
#include "core/parfor.h"
#include "core/rng.h"


void ctr_chain_params_default(ctr_chain_params *p) {
  memset(p, 0, sizeof *p);
  p->points = 1000;
  p->chains = 4;
  p->seed = 1;
}

typedef struct {
  const ctr_chain_params *p;
  const ctr_schedule *s;
  const ctr_mixture *m;
  ctr_denoiser den;
  ctr_flow_span span;
  ctr_flow_tol tol;
  double *u;   /* bias direction, or NULL */
  double *U, *L1, *ferr; /* per point: U-statistic, ||mean - Phi||, flow error */
} chain_ctx;

/* Per-thread scratch. */
typedef struct {
  double *x, *phi, *phierr, *y, *x0, *sum, *work;
} chain_ws;

static void ws_free(void *p) {
  chain_ws *w = p;
  if (!w) return;
  free(w->x), free(w->phi), free(w->phierr), free(w->y), free(w->x0), free(w->sum), free(w->work);
  free(w);
}

static void *ws_alloc(void *ctx) {
  const ctr_mixture *m = ((const chain_ctx *)ctx)->m;
  int d = m->d;
  chain_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->x = ctr_dalloc(d), w->phi = ctr_dalloc(d), w->phierr = ctr_dalloc(d), w->y = ctr_dalloc(d);
  w->x0 = ctr_dalloc(d), w->sum = ctr_dalloc(d), w->work = ctr_dalloc(ctr_mixture_work_len(m));
  if (w->x && w->phi && w->phierr && w->y && w->x0 && w->sum && w->work) return w;
  ws_free(w);
  return NULL;
}

/* x ~ q_N: a_N X_0 + s_N Z; or x ~ N(0, I). */
static ctr_status start_point(const chain_ctx *c, int i, chain_ws *w, ctr_error *err) {
  ctr_rng r;
  int nrm = c->p->normal_input;
  ctr_rng_init(&r, c->p->seed, nrm ? CTR_RNG_CHAIN_START_NORMAL : CTR_RNG_CHAIN_START,
               (uint64_t)c->m->d, (uint64_t)i);
  if (nrm) return ctr_rng_normals(&r, (size_t)c->m->d, w->x), CTR_OK;
  return ctr_mixture_sample_noised(c->m, c->s->a[c->s->N], c->s->s[c->s->N], &r, 1, w->x, err);
}

/* One chain Y_N = x -> Y_1 (theory.md §5), into w->y. */
static ctr_status run_chain(const chain_ctx *c, int i, int j, chain_ws *w, ctr_error *err) {
  const ctr_schedule *s = c->s;
  int d = c->m->d;
  double eta_s = c->p->error.kind == CTR_ERR_SCORE_BIAS ? c->p->error.eps : 0;
  ctr_rng r;
  ctr_rng_init(&r, c->p->seed, CTR_RNG_CHAIN_STEP, (uint64_t)i, (uint64_t)j);
  memcpy(w->y, w->x, sizeof(double) * d);
  for (int64_t t = s->N; t >= 2; t--) {
    ctr_status st =
        ctr_mixture_posterior_sample(c->m, s->a[t], s->s[t], w->y, &r, w->x0, w->work, err);
    if (st) return st;
    double ratio = s->s[t - 1] / s->s[t], ct = ctr_schedule_c(s, t);
    for (int k = 0; k < d; k++)
      w->y[k] = ratio * w->y[k] + ct * (w->x0[k] + (c->u ? eta_s * c->u[k] : 0));
  }
  if (c->u && c->p->error.kind == CTR_ERR_FIT_BIAS) /* sum_t e_t = eps u */
    for (int k = 0; k < d; k++) w->y[k] += c->p->error.eps * c->u[k];
  return CTR_OK;
}

/* Point i: Phi(x), M chains, the pair U-statistic and the conservative L1 term. */
static ctr_status one_point(void *ctx, size_t ip, void *wp, ctr_error *err) {
  const chain_ctx *c = ctx;
  chain_ws *w = wp;
  int i = (int)ip, d = c->m->d, M = c->p->chains;
  ctr_status st = start_point(c, i, w, err);
  if (!st) st = ctr_flow_map(&c->den, &c->span, &c->tol, w->x, w->phi, w->phierr, err);
  double sumsq = 0;
  memset(w->sum, 0, sizeof(double) * d);
  for (int j = 0; !st && j < M; j++) {
    st = run_chain(c, i, j, w, err);
    for (int k = 0; !st && k < d; k++) {
      double dev = w->y[k] - w->phi[k];
      w->sum[k] += dev, sumsq += dev * dev;
    }
  }
  if (st) return st;
  double s2 = 0, fe = 0;
  for (int k = 0; k < d; k++) s2 += w->sum[k] * w->sum[k], fe = fmax(fe, w->phierr[k]);
  c->U[i] = (s2 - sumsq) / ((double)M * (M - 1)); /* sum over ordered pairs a != b */
  c->L1[i] = sqrt(s2) / M;
  c->ferr[i] = fe;
  return CTR_OK;
}

static ctr_status check(const ctr_chain_params *p, ctr_error *err) {
  if (p->points < 2 || p->points > 100000000)
    return ctr_fail(err, CTR_EINPUT, "chain points = %d out of range (accepted: 2 to 1e8)",
                    p->points);
  if (p->chains < 2 || p->chains > 1000000)
    return ctr_fail(err, CTR_EINPUT, "chains per point = %d out of range (accepted: 2 to 1e6)",
                    p->chains);
  ctr_status st = ctr_errmodel_check(&p->error, err);
  ctr_errmodel_kind k = p->error.kind;
  if (!st && k != CTR_ERR_NONE && k != CTR_ERR_FIT_BIAS && k != CTR_ERR_SCORE_BIAS)
    return ctr_fail(err, CTR_EINPUT, "engine chain: error %s is not supported (accepted: none, "
                    "fit-bias, score-bias)", ctr_errmodel_name(k));
  return st;
}

ctr_status ctr_chain_run(const ctr_chain_params *p, const ctr_schedule *s, const ctr_mixture *m,
                         ctr_chain_result *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  ctr_status st = check(p, err);
  if (st) return st;
  chain_ctx c = {.p = p, .s = s, .m = m, .den = ctr_mixture_denoiser(m)};
  ctr_flow_tol_default(&c.tol);
  st = ctr_flow_span_steps(s, s->N, 1, &c.span, err);
  c.U = ctr_dalloc(p->points), c.L1 = ctr_dalloc(p->points), c.ferr = ctr_dalloc(p->points);
  if (ctr_errmodel_is_bias(p->error.kind)) c.u = ctr_dalloc(m->d);
  if (!st && (!c.U || !c.L1 || !c.ferr || (ctr_errmodel_is_bias(p->error.kind) && !c.u)))
    st = ctr_fail(err, CTR_ENOMEM, "chain: out of memory for %d points", p->points);
  if (!st && c.u) ctr_errmodel_direction(p->seed, m->d, c.u);
  ctr_parfor job = {&c, ws_alloc, ws_free, one_point};
  if (!st) st = ctr_parfor_run(&job, (size_t)p->points, err);
  if (!st) {
    ctr_mean_se(c.U, (size_t)p->points, &out->sq, &out->sq_se);
    ctr_mean_se(c.L1, (size_t)p->points, &out->l1, &out->l1_se);
    out->w2_hi = sqrt(fmax(0.0, out->sq + 1.96 * out->sq_se));
    out->rms = sqrt(fmax(0.0, out->sq));
    out->rms_se = out->rms > 0 ? out->sq_se / (2 * out->rms) : sqrt(out->sq_se);
    out->w1_hi = out->l1 + 1.96 * out->l1_se;
    for (int i = 0; i < p->points; i++) out->flow_err = fmax(out->flow_err, c.ferr[i]);
  }
  free(c.U), free(c.L1), free(c.ferr), free(c.u);
  return st;
}
