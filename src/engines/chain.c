#include "engines/chain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engines/chain_lowrank.h"
#include "targets/flow_map.h"
#include "core/parfor.h"
#include "core/rng.h"
#include "core/rng_vec.h"


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
  double *tflow;         /* per point: seconds in the flow map */
  /* low-rank path (theory.md §9.4), or lr = NULL: the chain in r dims, the rest closed form */
  const ctr_chain_lowrank *lr;
  ctr_denoiser rden; /* the reduced mixture's denoiser (r > 0) */
  double *ur, *up;   /* u = Q ur + up */
} chain_ctx;

/* Per-thread scratch; the r-sized arrays (xr ...) only on the low-rank path. */
typedef struct {
  double *x, *phi, *phierr, *y, *x0, *sum, *work;
  double *xr, *yr, *x0r, *q, *phir, *phirerr, *xp, *rwork;
} chain_ws;

static void ws_free(void *p) {
  chain_ws *w = p;
  if (!w) return;
  free(w->x), free(w->phi), free(w->phierr), free(w->y), free(w->x0), free(w->sum), free(w->work);
  free(w->xr), free(w->yr), free(w->x0r), free(w->q), free(w->phir), free(w->phirerr);
  free(w->xp), free(w->rwork);
  free(w);
}

static void *ws_alloc(void *ctx) {
  const chain_ctx *c = ctx;
  const ctr_mixture *m = c->m;
  int d = m->d;
  chain_ws *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->x = ctr_dalloc(d), w->phi = ctr_dalloc(d), w->phierr = ctr_dalloc(d), w->y = ctr_dalloc(d);
  w->x0 = ctr_dalloc(d), w->sum = ctr_dalloc(d), w->work = ctr_dalloc(ctr_mixture_work_len(m));
  int ok = w->x && w->phi && w->phierr && w->y && w->x0 && w->sum && w->work;
  if (ok && c->lr) {
    size_t r = (size_t)c->lr->r + 1; /* + 1: no zero-sized allocations when r = 0 */
    w->xr = ctr_dalloc(r), w->yr = ctr_dalloc(r), w->x0r = ctr_dalloc(r), w->q = ctr_dalloc(r);
    w->phir = ctr_dalloc(r), w->phirerr = ctr_dalloc(r), w->xp = ctr_dalloc(d);
    w->rwork = ctr_dalloc(ctr_chain_lowrank_work_len(c->lr));
    ok = w->xr && w->yr && w->x0r && w->q && w->phir && w->phirerr && w->xp && w->rwork;
  }
  if (ok) return w;
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

/* The same chain on the low-rank path (chain_lowrank.h): the in-span part step by step in r
 * dims, then d normals from the same stream for the complement's closed form, into w->y. */
static ctr_status run_chain_lr(const chain_ctx *c, int i, int j, chain_ws *w, ctr_error *err) {
  const ctr_schedule *s = c->s;
  const ctr_chain_lowrank *lr = c->lr;
  int r = lr->r;
  double eta_s = c->p->error.kind == CTR_ERR_SCORE_BIAS ? c->p->error.eps : 0;
  ctr_rng rng;
  ctr_rng_init(&rng, c->p->seed, CTR_RNG_CHAIN_STEP, (uint64_t)i, (uint64_t)j);
  memcpy(w->yr, w->xr, sizeof(double) * r);
  for (int64_t t = s->N; r > 0 && t >= 2; t--) {
    ctr_status st = ctr_chain_lowrank_draw(lr, s->a[t], s->s[t], w->yr, &rng, w->x0r, w->rwork,
                                           err);
    if (st) return st;
    double ratio = s->s[t - 1] / s->s[t], ct = ctr_schedule_c(s, t);
    for (int k = 0; k < r; k++)
      w->yr[k] = ratio * w->yr[k] + ct * (w->x0r[k] + (c->u ? eta_s * c->ur[k] : 0));
  }
  if (!lr->ident) /* the complement's zeta (x0 is free here); no complement when Q = I */
    ctr_rng_normals_vec(&rng, (size_t)c->m->d, w->x0);
  ctr_chain_lowrank_join(lr, w->yr, lr->A, w->xp, eta_s * lr->B_u, c->u ? c->up : NULL, lr->B,
                         w->x0, w->q, w->y);
  if (c->u && c->p->error.kind == CTR_ERR_FIT_BIAS)
    for (int k = 0; k < c->m->d; k++) w->y[k] += c->p->error.eps * c->u[k];
  return CTR_OK;
}

/* Phi(x) on the low-rank path: Q Phi_r(Q^T x) + phi x_perp; the error estimate is the 2-norm
 * of the reduced one (it bounds every coordinate of Q err). Leaves Q^T x and x_perp in w. */
static ctr_status flow_lr(const chain_ctx *c, chain_ws *w, ctr_error *err) {
  const ctr_chain_lowrank *lr = c->lr;
  ctr_chain_lowrank_split(lr, w->x, w->xr, w->xp);
  double e2 = 0;
  if (lr->r > 0) {
    ctr_status st = ctr_flow_map(&c->rden, &c->span, &c->tol, w->xr, w->phir, w->phirerr, err);
    if (st) return st;
    for (int k = 0; k < lr->r; k++) e2 += w->phirerr[k] * w->phirerr[k];
  }
  ctr_chain_lowrank_join(lr, w->phir, lr->phi, w->xp, 0, NULL, 0, NULL, w->q, w->phi);
  for (int k = 0; k < c->m->d; k++) w->phierr[k] = sqrt(e2);
  return CTR_OK;
}

/* CPU time of the calling thread (benchmarks: robust to other jobs on a shared machine). */
static double thread_cpu_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) return 0;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Point i: Phi(x), M chains, the pair U-statistic and the conservative L1 term. */
static ctr_status one_point(void *ctx, size_t ip, void *wp, ctr_error *err) {
  const chain_ctx *c = ctx;
  chain_ws *w = wp;
  int i = (int)ip, d = c->m->d, M = c->p->chains;
  ctr_status st = start_point(c, i, w, err);
  double t0 = thread_cpu_seconds();
  if (!st && c->lr) st = flow_lr(c, w, err);
  else if (!st) st = ctr_flow_map(&c->den, &c->span, &c->tol, w->x, w->phi, w->phierr, err);
  c->tflow[i] = thread_cpu_seconds() - t0;
  double sumsq = 0;
  memset(w->sum, 0, sizeof(double) * d);
  for (int j = 0; !st && j < M; j++) {
    st = c->lr ? run_chain_lr(c, i, j, w, err) : run_chain(c, i, j, w, err);
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
  c.tflow = ctr_dalloc(p->points);
  if (ctr_errmodel_is_bias(p->error.kind)) c.u = ctr_dalloc(m->d);
  if (!st && (!c.U || !c.L1 || !c.ferr || !c.tflow || (ctr_errmodel_is_bias(p->error.kind) && !c.u)))
    st = ctr_fail(err, CTR_ENOMEM, "chain: out of memory for %d points", p->points);
  if (!st && c.u) ctr_errmodel_direction(p->seed, m->d, c.u);
  ctr_chain_lowrank *lr = NULL;
  if (!st && !p->full_space) st = ctr_chain_lowrank_alloc(m, s, &lr, err);
  if (!st && lr) {
    c.lr = lr;
    if (lr->red) c.rden = ctr_mixture_denoiser(lr->red);
    if (c.u) {
      c.ur = ctr_dalloc((size_t)lr->r + 1), c.up = ctr_dalloc(m->d);
      if (!c.ur || !c.up) st = ctr_fail(err, CTR_ENOMEM, "chain: out of memory at d = %d", m->d);
      else ctr_chain_lowrank_split(lr, c.u, c.ur, c.up);
    }
  }
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
    for (int i = 0; i < p->points; i++) out->flow_seconds += c.tflow[i];
  }
  free(c.U), free(c.L1), free(c.ferr), free(c.u), free(c.ur), free(c.up), free(c.tflow);
  ctr_chain_lowrank_free(lr);
  return st;
}
