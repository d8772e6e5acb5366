/* engines/lowrank.c: exact ideal CT on mixtures whose means span a line, as the product of the
 * span's 1-D problem and the Gaussian complement (engines/lowrank.h, theory.md §9.13). */
#include "engines/lowrank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "engines/affine.h"
#include "engines/chain_lowrank.h"
#include "engines/lowrank_plane.h"
#include "targets/gaussian.h"
#include "wasserstein/gaussian.h"

void ctr_lowrank_params_default(ctr_lowrank_params *p) {
  memset(p, 0, sizeof *p);
  ctr_product_params_default(&p->prod);
  ctr_grid_params_default_d(&p->grid2, 2);
  p->lip_n = 64, p->plane_cells = 100, p->seed = 1;
}

/* The variance of component k if its covariance is v I (iso, or diagonal with equal entries),
 * else NAN. */
static double iso_var(const ctr_mixture *m, int k) {
  const double *l = m->lam + m->lam_off[k];
  if (m->kind[k] == CTR_COV_ISO) return l[0];
  if (m->kind[k] == CTR_COV_FULL) return NAN;
  for (int i = 1; i < m->d; i++)
    if (l[i] != l[0]) return NAN;
  return l[0];
}

int ctr_lowrank_applies(const ctr_mixture *m, ctr_error *err) {
  double v0 = iso_var(m, 0);
  for (int k = 0; k < m->K; k++) {
    double v = iso_var(m, k);
    if (!(v == v0)) {
      ctr_fail(err, CTR_EINPUT, "engine lowrank needs one shared isotropic width: component %d "
               "has %s (accepted: every component N(mu_k, sigma^2 I) with the same sigma)", k,
               isnan(v) ? "a non-isotropic covariance" : "a different variance");
      return 0;
    }
  }
  return 1;
}

/* ---------------------------------------------------------------- the complement */

typedef struct {
  int n;                    /* d - k */
  ctr_affine_laws L[2];     /* per input: 0 N(0, I), 1 q_N */
  ctr_w1_bracket b[2];
  double w2[2], L_flow;
  double *buf;
  ctr_product_gauss g[2];   /* the coupling blocks handed to the product engine */
} compl_out;

/* The affine engine on N(c, sigma^2 I_n) (|c| = c_norm) and both inputs' laws against X_1. */
static ctr_status complement(const ctr_lowrank_params *p, const ctr_schedule *s, int n,
                             double sigma2, double c_norm, compl_out *o, ctr_error *err) {
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.kind = CTR_TARGET_ISOTROPIC, tp.d = n, tp.lambda = sigma2, tp.mean_norm = c_norm;
  tp.seed = p->seed;
  ctr_affine_params ap;
  ctr_affine_params_default(&ap);
  ap.seed = p->seed;
  ctr_target *tg = NULL;
  ctr_affine_result *r = NULL;
  o->n = n;
  ctr_status st = ctr_target_alloc(&tp, &tg, err);
  if (!st) st = ctr_affine_run(&ap, s, tg, &r, err);
  if (!st && !(o->buf = ctr_dalloc((size_t)12 * n)))
    st = ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory at d = %d", n);
  for (int in = 0; in < 2 && !st; in++) {
    double *b = o->buf + (size_t)6 * n * in;
    ctr_affine_laws *L = o->L + in;
    *L = (ctr_affine_laws){0, b, b + n, b + 2 * n, b + 3 * n, b + 4 * n, b + 5 * n};
    ctr_affine_diag_laws(r, tg, in, L);
    ctr_diag_pair pr = {(size_t)L->n, L->dm, L->sd, L->dsd, L->mult};
    o->w2[in] = ctr_w2_diag(&pr);
    st = ctr_w1_bracket_diag(&pr, o->b + in, err);
    /* N(0, I): the pair's W2-optimal coupling u = dm + dsd Z (a coupling with X_1's block);
     * q_N: u = f_N - Phi (the same law when f_N is increasing, cnu = dm, cs2 = dsd^2) */
    if (in == 0)
      for (int i = 0; i < L->n; i++) L->cnu[i] = L->dm[i], L->cs2[i] = L->dsd[i] * L->dsd[i];
    o->g[in] = (ctr_product_gauss){(size_t)L->n, L->cnu, L->cs2, L->mult};
  }
  o->L_flow = 1;
  for (int j = 0; !st && j < tg->ndistinct; j++) o->L_flow = fmax(o->L_flow, r->G[j]);
  ctr_affine_result_free(r), ctr_target_free(tg);
  return st;
}

/* k = 0: the affine engine's laws are the whole answer. */
static ctr_status complement_only(const compl_out *c, ctr_lowrank_result *out, ctr_error *err) {
  for (int in = 0; in < 2; in++) {
    ctr_lowrank_input *r = in == 0 ? &out->gauss : &out->qN;
    const ctr_product_gauss *g = c->g + in;
    r->w2 = r->w2_compl = c->w2[in], r->w2_span = 0;
    r->w1_lo = c->b[in].lo, r->w1_hi = c->b[in].hi;
    r->sq = 0;
    for (size_t i = 0; i < g->n; i++) r->sq += g->mult[i] * (g->nu[i] * g->nu[i] + g->s2[i]);
    ctr_status st = ctr_gauss_norm_mean(g->n, g->nu, g->s2, g->mult, &r->l1, err);
    if (st) return st;
  }
  out->L = out->L_compl, out->log_L = log(out->L_compl), out->L_x_norm = NAN, out->monotone = 1;
  out->L_exact = 1;
  return CTR_OK;
}

/* ---------------------------------------------------------------- the span */

/* The span's 1-D mixture: means q^T mu_j, the shared variance, the mixture's weights. */
static ctr_status span_run(const ctr_lowrank_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, const double *q, double sigma2,
                           const compl_out *c, ctr_product_result *pr, ctr_error *err) {
  double *mu = ctr_dalloc((size_t)m->K), *var = ctr_dalloc((size_t)m->K);
  if (!mu || !var) {
    free(mu), free(var);
    return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  }
  for (int j = 0; j < m->K; j++)
    mu[j] = cblas_ddot(m->d, q, 1, m->mu + (size_t)j * m->d, 1), var[j] = sigma2;
  ctr_product_coord pc = {m->K, m->weight, mu, var, 1};
  ctr_product_params pp = p->prod;
  pp.extra[0] = c && c->n > 0 ? c->g : NULL, pp.extra[1] = c && c->n > 0 ? c->g + 1 : NULL;
  ctr_status st = ctr_product_run(&pp, s, 1, &pc, pr, err);
  free(mu), free(var);
  return st;
}

static void join(const ctr_product_result *pr, const compl_out *c, ctr_lowrank_result *out) {
  for (int in = 0; in < 2; in++) {
    ctr_lowrank_input *r = in == 0 ? &out->gauss : &out->qN;
    const ctr_product_input *s = in == 0 ? &pr->gauss : &pr->qN;
    double w2c = c->n > 0 ? c->w2[in] : 0, loc = c->n > 0 ? c->b[in].lo : 0;
    r->w2_span = s->w2, r->w2_compl = w2c;
    r->w2 = hypot(s->w2, w2c), r->w1_lo = hypot(s->w1_lo, loc);
    r->l1 = s->l1, r->sq = s->sq; /* the complement block is inside (extra) */
    r->w1_hi = fmin(r->l1, r->w2);
  }
  out->L_exact = 1;
  out->disc_max = pr->disc_max, out->node_err = pr->node_err, out->quad_warn = pr->quad_warn;
  out->monotone = pr->monotone, out->L_span = pr->L;
  out->L = fmax(pr->L, out->L_compl);
  out->log_L = fmax(pr->log_L, log(out->L_compl));
  out->L_x_norm = pr->L >= out->L_compl ? pr->L_x_norm : NAN;
}

/* ---------------------------------------------------------------- the plane (k = 2) */

/* The plane's block (engines/lowrank_plane.h) joined to the complement (theory.md §9.18): W2^2
 * of the product is the sum of the blocks' W2^2, so a bracket on the plane's W2 gives one on the
 * whole; W1 >= hypot(|mean difference|, the complement's lower bound) and W1 <= W2's upper end. */
static ctr_status plane_run(const ctr_lowrank_params *p, const ctr_schedule *s,
                            const ctr_mixture *m, const double *q, double sigma2,
                            const compl_out *c, ctr_lowrank_result *out, ctr_error *err) {
  double *mu = ctr_dalloc((size_t)2 * m->K);
  if (!mu) return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  for (int j = 0; j < m->K; j++) /* Q^T mu_j, Q (d x 2) row-major */
    for (int a = 0; a < 2; a++)
      mu[2 * j + a] = cblas_ddot(m->d, q + a, 2, m->mu + (size_t)j * m->d, 1);
  ctr_plane_result pr;
  ctr_status st = ctr_lowrank_plane(&p->grid2, s, m->K, m->weight, mu, sigma2,
                                    p->prod.lipschitz ? p->lip_n : 0, p->seed, p->plane_cells,
                                    &pr, err);
  free(mu);
  if (st) return st;
  for (int in = 0; in < 2; in++) {
    ctr_lowrank_input *r = in == 0 ? &out->gauss : &out->qN;
    const ctr_plane_input *b = pr.in + in;
    double w2c = c->n > 0 ? c->w2[in] : 0, loc = c->n > 0 ? c->b[in].lo : 0, sqc = 0;
    const ctr_product_gauss *g = c->g + in;
    for (size_t i = 0; c->n > 0 && i < g->n; i++)
      sqc += (g->mult ? g->mult[i] : 1.0) * (g->nu[i] * g->nu[i] + g->s2[i]);
    r->w2 = hypot(b->w2, w2c), r->w2_span = isnan(b->w2) ? b->w2_hi : b->w2, r->w2_compl = w2c;
    r->w2_lo = hypot(b->w2_lo, w2c), r->w2_hi = hypot(b->w2_hi, w2c);
    r->w1_lo = hypot(b->w1_lo, loc), r->w1_hi = r->w2_hi;
    r->sq = b->sq + sqc; /* E||u_span||^2 + E||u_compl||^2: independent blocks */
    r->l1 = c->n > 0 ? NAN : b->l1; /* the joint norm needs the law of ||u_span||: d = 2 only */
    if (c->n == 0 && in == 1) r->w1_hi = fmin(r->w1_hi, b->l1);
  }
  out->disc_max = pr.disc;
  for (int in = 0; in < 2; in++) /* the extrapolation's change, carried to the whole */
    if (isfinite(pr.in[in].w2_err)) out->disc_max = fmax(out->disc_max, pr.in[in].w2_err);
  out->node_err = 0, out->quad_warn = pr.quad_warn, out->monotone = -1;
  out->L_span = pr.L, out->L = fmax(pr.L, out->L_compl), out->L_exact = 0;
  out->log_L = fmax(pr.log_L, log(out->L_compl));
  out->L_x_norm = pr.L >= out->L_compl ? pr.L_x_norm : NAN;
  out->kr_err = pr.kr_err;
  out->data_scale = sqrt(pr.var + (m->d - 2) * sigma2);
  return CTR_OK;
}

/* ---------------------------------------------------------------- the engine */

/* The span of mu_j - mu_1: basis *q (d x k) and k; the SVD costs min^2 max of (K - 1, d). */
static ctr_status span_basis(const ctr_mixture *m, double **q, int *k, ctr_error *err) {
  int K = m->K, d = m->d;
  *q = NULL, *k = 0;
  if (K == 1) return CTR_OK;
  double lo = fmin(K - 1.0, d), hi = fmax(K - 1.0, d);
  if (lo * lo * hi > 2e8)
    return ctr_fail(err, CTR_EINPUT, "engine lowrank: K = %d components in d = %d are too many "
                    "to find the span of the means (accepted: min(K-1, d)^2 max(K-1, d) <= 2e8)",
                    K, d);
  double *v = ctr_dalloc((size_t)(K - 1) * d);
  if (!v) return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  for (int j = 1; j < K; j++)
    for (int i = 0; i < d; i++) v[(size_t)(j - 1) * d + i] = m->mu[(size_t)j * d + i] - m->mu[i];
  ctr_status st = ctr_chain_lowrank_basis(d, K - 1, v, q, k, err);
  free(v);
  if (!st && *k > 2) {
    free(*q), *q = NULL;
    return ctr_fail(err, CTR_EINPUT, "engine lowrank: the means span k = %d dimensions (accepted: "
                    "k <= 2, means on a line or in a plane, e.g. two_modes, simplex --K 3; chain "
                    "takes any span)", *k);
  }
  return st;
}

ctr_status ctr_lowrank_run(const ctr_lowrank_params *p, const ctr_schedule *s,
                           const ctr_mixture *m, ctr_lowrank_result *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  out->d = m->d;
  if (!ctr_lowrank_applies(m, err)) return CTR_EINPUT;
  double *q = NULL;
  ctr_status st = span_basis(m, &q, &out->k, err);
  if (st) return st;
  int d = m->d, n = d - out->k;
  double sigma2 = iso_var(m, 0), c2 = 0, t[2] = {0, 0};
  for (int a = 0; a < out->k; a++) t[a] = cblas_ddot(d, q + a, out->k, m->mu, 1);
  for (int i = 0; i < d; i++) { /* c = mu_1 - Q Q^T mu_1 */
    double ci = m->mu[i];
    for (int a = 0; a < out->k; a++) ci -= t[a] * q[(size_t)i * out->k + a];
    c2 += ci * ci;
  }
  out->sigma2 = sigma2, out->c_norm = sqrt(c2);
  compl_out c = {0};
  out->L_compl = 1;
  if (n > 0) st = complement(p, s, n, sigma2, out->c_norm, &c, err);
  if (!st) out->L_compl = n > 0 ? c.L_flow : 1;
  ctr_product_result pr;
  if (!st && out->k == 0) st = complement_only(&c, out, err);
  else if (!st && out->k == 2) st = plane_run(p, s, m, q, sigma2, &c, out, err);
  else if (!st) st = span_run(p, s, m, q, sigma2, &c, &pr, err);
  if (!st && out->k == 1) join(&pr, &c, out);
  double var_span = !st && out->k == 1 ? pr.data_scale * pr.data_scale : 0;
  if (out->k < 2) {
    out->data_scale = sqrt(var_span + n * sigma2);
    out->gauss.w2_lo = out->gauss.w2_hi = out->gauss.w2;
    out->qN.w2_lo = out->qN.w2_hi = out->qN.w2;
  }
  if (!p->prod.lipschitz) out->L = out->log_L = out->L_span = NAN;
  free(q), free(c.buf);
  return st;
}
