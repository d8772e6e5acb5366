/* engines/product.c: exact ideal CT on product targets (engines/product.h, theory.md §9.10):
 * one 1-D grid run per distinct coordinate law, quadrature nodes of the coordinate-wise
 * coupling for both inputs, and the norm integral that turns them into E||u||. */
#include "engines/product.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "engines/product_cache.h"
#include "targets/lip_exact.h"
#include "targets/mixture.h"

#define PART_LIMIT 1000 /* subintervals of the adaptive partition */
#define GL_NODES 16     /* Gauss-Legendre nodes per subinterval */
#define NORM_TAU_LO 80.0
#define NORM_TAU_HI 80.0
#define GAUSS_HALF 9.0  /* N(0, 1) input integrated over [-9, 9]: outside 2e-19 of the mass */

void ctr_product_params_default(ctr_product_params *p) {
  memset(p, 0, sizeof *p);
  ctr_grid_params_default_d(&p->grid, 1);
  p->grid.coupling = 0; /* the coupling comes from the exact 1-D transport here */
  p->quad_rel = 1e-9, p->lipschitz = 1;
}

/* ---------------------------------------------------------------- the norm integral */

typedef struct {
  int n;
  const ctr_product_law *L;
  const ctr_product_gauss *g; /* NULL: none */
  double sigma2; /* sum_i E u_i^2: s = e^tau / sigma2 puts the integrand's bulk near tau = 0 */
} norm_ctx;

/* (1 - prod_i E exp(-s u_i^2)) e^(-tau/2), with 1 - E exp(-s u^2) = E(-expm1(-s u^2)) and the
 * product as exp(sum count log1p(-A)), so neither small s nor d = 1e4 factors lose digits. */
static double norm_integrand(double tau, void *vp) {
  const norm_ctx *c = vp;
  double s = exp(tau) / c->sigma2, logP = 0;
  for (int g = 0; g < c->n; g++) {
    const ctr_product_law *L = c->L + g;
    double A = 0;
    for (size_t j = 0; j < L->n; j++) A -= L->w[j] * expm1(-s * L->u[j] * L->u[j]);
    logP += (double)L->count * log1p(-fmin(A, 1.0));
  }
  for (size_t i = 0; c->g && i < c->g->n; i++) { /* log E exp(-s u_i^2), u_i Gaussian */
    double q = 2 * s * c->g->s2[i];
    logP += (c->g->mult ? c->g->mult[i] : 1.0) *
            (-0.5 * log1p(q) - s * c->g->nu[i] * c->g->nu[i] / (1 + q));
  }
  return -expm1(logP) * exp(-0.5 * tau);
}

ctr_status ctr_product_norm_mean(int n, const ctr_product_law *laws, double *mean, double *abserr,
                                 ctr_error *err) {
  return ctr_product_norm_mean_gauss(n, laws, NULL, mean, abserr, err);
}

ctr_status ctr_product_norm_mean_gauss(int n, const ctr_product_law *laws,
                                       const ctr_product_gauss *g, double *mean, double *abserr,
                                       ctr_error *err) {
  double sigma2 = 0;
  for (int l = 0; l < n; l++) {
    if (laws[l].count < 1 || laws[l].n < 1)
      return ctr_fail(err, CTR_EINPUT, "product: law %d has count %lld and %zu nodes (accepted: "
                      ">= 1 each)", l, (long long)laws[l].count, laws[l].n);
    for (size_t j = 0; j < laws[l].n; j++)
      sigma2 += (double)laws[l].count * laws[l].w[j] * laws[l].u[j] * laws[l].u[j];
  }
  for (size_t i = 0; g && i < g->n; i++) {
    if (!(g->s2[i] >= 0) || (g->mult && !(g->mult[i] >= 0)))
      return ctr_fail(err, CTR_EINPUT, "product: Gaussian coordinate %zu has variance %g "
                      "(accepted: >= 0)", i, g->s2[i]);
    sigma2 += (g->mult ? g->mult[i] : 1.0) * (g->nu[i] * g->nu[i] + g->s2[i]);
  }
  *mean = 0, *abserr = 0;
  if (sigma2 == 0) return CTR_OK; /* u = 0 almost surely */
  if (!isfinite(sigma2)) return ctr_fail(err, CTR_ENUMERIC, "product: E||u||^2 is not finite");
  norm_ctx c = {n, laws, g, sigma2};
  gsl_function f = {norm_integrand, &c};
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(PART_LIMIT);
  if (!w) return ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  /* tau in [-80, 80], and both tails in closed form: below, 1 - prod = e^tau (1 + O(e^tau)),
   * so the integrand is ~e^(tau/2) and its tail twice its value at -80; above, 1 - prod is
   * at its limit (1 unless u has an atom at 0) and the integrand ~e^(-tau/2). */
  double v, e;
  int rc = gsl_integration_qag(&f, -NORM_TAU_LO, NORM_TAU_HI, 0, 1e-12, PART_LIMIT,
                               GSL_INTEG_GAUSS61, w, &v, &e);
  gsl_integration_workspace_free(w);
  if (rc && rc != GSL_EROUND)
    return ctr_fail(err, CTR_ENUMERIC, "product: norm integral failed (%s)", gsl_strerror(rc));
  v += 2 * (norm_integrand(-NORM_TAU_LO, &c) + norm_integrand(NORM_TAU_HI, &c));
  double k = sqrt(sigma2) / (2 * sqrt(M_PI));
  *mean = k * v, *abserr = k * e;
  return CTR_OK;
}

/* ---------------------------------------------------------------- coupling nodes */

typedef struct {
  const ctr_grid_result *r;
  ctr_mix1d m1;
  ctr_flow_span span; /* input level -> level 1 */
  int gauss;          /* 1: input N(0, 1), else q_N at (aN, sN) */
  const double *w;    /* the law's weights (q_N density) */
  double aN, sN;
  ctr_status st;
  ctr_error *err;
} u_ctx;

static double u_at(u_ctx *c, double x) {
  double y = 0;
  ctr_status st = ctr_lip1d_transport(&c->m1, &c->span, x, &y, c->err);
  if (st && !c->st) c->st = st;
  return ctr_grid_eval(c->r, x) - y;
}

static double density(const u_ctx *c, double x) {
  if (c->gauss) return gsl_ran_ugaussian_pdf(x);
  double p = 0;
  for (int k = 0; k < c->m1.K; k++)
    p += c->w[k] * gsl_ran_gaussian_pdf(x - c->aN * c->m1.mu[k],
                                        sqrt(c->aN * c->aN * c->m1.var[k] + c->sN * c->sN));
  return p;
}

static double part_integrand(double x, void *vp) {
  u_ctx *c = vp;
  double u = u_at(c, x);
  return (fabs(u) + u * u) * density(c, x);
}

/* Nodes (u, weight) of the input law for one coordinate: the adaptive partition of
 * int (|u| + u^2) p, 16 Gauss-Legendre nodes on each of its subintervals, weights
 * normalised to sum 1. *nodes_u / *nodes_w are allocated here. */
static ctr_status coupling_nodes(u_ctx *c, double lo, double hi, double rel, double **nu,
                                 double **nw, size_t *nn, int *warn, ctr_error *err) {
  *nu = *nw = NULL;
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(PART_LIMIT);
  gsl_integration_glfixed_table *gl = gsl_integration_glfixed_table_alloc(GL_NODES);
  if (!ws || !gl) {
    gsl_integration_workspace_free(ws), gsl_integration_glfixed_table_free(gl);
    return ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  }
  gsl_function f = {part_integrand, c};
  double v, e;
  int rc = gsl_integration_qag(&f, lo, hi, 0, rel, PART_LIMIT, GSL_INTEG_GAUSS21, ws, &v, &e);
  ctr_status st = c->st;
  if (rc == GSL_EROUND || rc == GSL_EMAXITER) (*warn)++;
  else if (rc && !st) st = ctr_fail(err, CTR_ENUMERIC, "product: partition failed (%s)",
                                    gsl_strerror(rc));
  size_t n = ws->size * GL_NODES;
  if (!st) *nu = ctr_dalloc(n), *nw = ctr_dalloc(n);
  if (!st && (!*nu || !*nw)) st = ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  double tot = 0;
  for (size_t i = 0; !st && i < ws->size; i++)
    for (size_t j = 0; j < GL_NODES; j++) {
      double x, wt;
      gsl_integration_glfixed_point(ws->alist[i], ws->blist[i], j, &x, &wt, gl);
      (*nu)[i * GL_NODES + j] = u_at(c, x), (*nw)[i * GL_NODES + j] = wt * density(c, x);
      tot += (*nw)[i * GL_NODES + j];
    }
  if (!st) st = c->st;
  for (size_t i = 0; !st && i < n; i++) (*nw)[i] /= tot;
  gsl_integration_workspace_free(ws), gsl_integration_glfixed_table_free(gl);
  if (st) free(*nu), free(*nw), *nu = *nw = NULL;
  *nn = st ? 0 : n;
  return st;
}

/* ---------------------------------------------------------------- one group */

/* one group's result (engines/product_cache.h): nodes for inputs 0 = N(0, 1), 1 = q_N */
typedef ctr_product_group group_out;

static ctr_status check_coord(int g, const ctr_product_coord *c, ctr_error *err) {
  if (c->K < 1 || c->K > 1000 || c->count < 1 || c->count > CTR_MIXTURE_DMAX)
    return ctr_fail(err, CTR_EINPUT, "product: coordinate law %d has K = %d, count = %lld "
                    "(accepted: 1 <= K <= 1000, 1 <= count <= %d)", g, c->K, (long long)c->count,
                    CTR_MIXTURE_DMAX);
  return CTR_OK;
}

static double coord_var(const ctr_product_coord *c) {
  double m1 = 0, m2 = 0;
  for (int k = 0; k < c->K; k++)
    m1 += c->w[k] * c->mu[k], m2 += c->w[k] * (c->mu[k] * c->mu[k] + c->var[k]);
  return fmax(m2 - m1 * m1, 0);
}

static ctr_status group_nodes(const ctr_product_params *p, const ctr_schedule *s,
                              const ctr_product_coord *pc, const ctr_mixture *m,
                              const ctr_grid_result *r, group_out *o, int *warn, ctr_error *err) {
  ctr_mix1d m1 = {m->K, m->log_weight, pc->mu, pc->var};
  ctr_status st = CTR_OK;
  for (int in = 0; in < 2 && !st; in++) {
    u_ctx c = {r, m1, {0, 1, s->a[1], s->s[1]}, in == 0, m->weight, s->a[s->N], s->s[s->N],
               CTR_OK, err};
    if (in == 1) st = ctr_flow_span_steps(s, s->N, 1, &c.span, err);
    double lo = in == 0 ? -GAUSS_HALF : r->lo, hi = in == 0 ? GAUSS_HALF : r->hi;
    if (!st) st = coupling_nodes(&c, lo, hi, p->quad_rel, &o->u[in], &o->w[in], &o->n[in], warn,
                                 err);
    o->sq[in] = 0;
    for (size_t j = 0; !st && j < o->n[in]; j++) o->sq[in] += o->w[in][j] * o->u[in][j] * o->u[in][j];
  }
  return st;
}

static ctr_status compute_group(const ctr_product_params *p, const ctr_schedule *s,
                                const ctr_product_coord *c, group_out *o, int *warn,
                                ctr_error *err) {
  ctr_mixture_cov *cov = malloc(sizeof *cov * (size_t)c->K);
  if (!cov) return ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  for (int k = 0; k < c->K; k++) cov[k] = (ctr_mixture_cov){CTR_COV_ISO, c->var + k};
  ctr_mixture *m = NULL;
  ctr_grid_result *r = NULL;
  ctr_grid_params gp = p->grid;
  gp.coupling = 0;
  ctr_status st = ctr_mixture_alloc(c->K, 1, c->w, c->mu, cov, &m, err);
  free(cov);
  if (!st) st = ctr_grid_run(&gp, s, m, &r, err);
  if (!st) o->base = r->base, o->fine = r->fine, o->monotone = r->monotone == 1;
  if (!st) st = group_nodes(p, s, c, m, r, o, warn, err);
  o->L = o->logL = o->L_x = NAN, o->var = coord_var(c);
  ctr_lip_exact ex;
  if (!st && p->lipschitz) st = ctr_lip_exact_compute(m, s, &ex, err);
  if (!st && p->lipschitz) o->L = ex.L, o->logL = ex.log_L, o->L_x = ex.x_norm;
  ctr_grid_result_free(r), ctr_mixture_free(m);
  return st;
}

/* The group from the memo when an earlier point of this process computed the same law under
 * the same schedule and parameters (engines/product_cache.h: bit-identical), else computed. */
static ctr_status run_group(const ctr_product_params *p, const ctr_schedule *s,
                            const ctr_product_coord *c, group_out *o, int *warn, ctr_error *err) {
  ctr_product_key key = {c->K, c->w, c->mu, c->var, s, &p->grid, p->quad_rel, p->lipschitz};
  ctr_product_slot *slot = NULL;
  int hit = 0;
  if (ctr_product_cache_get(&key, o, &hit, &slot))
    return ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  if (hit) return *warn += o->warn, CTR_OK;
  o->warn = 0;
  ctr_status st = compute_group(p, s, c, o, &o->warn, err);
  *warn += o->warn;
  if (st) ctr_product_cache_drop(slot);
  else ctr_product_cache_put(slot, o);
  return st;
}

/* ---------------------------------------------------------------- the product */

static void sum_metrics(int n, const ctr_product_coord *c, const group_out *o, int fine,
                        ctr_product_input *g, ctr_product_input *q) {
  double a[4] = {0, 0, 0, 0};
  for (int i = 0; i < n; i++) {
    const ctr_grid_metrics *m = fine ? &o[i].fine : &o[i].base;
    double k = (double)c[i].count;
    a[0] += k * m->w2_gauss * m->w2_gauss, a[1] += k * m->w1_gauss * m->w1_gauss;
    a[2] += k * m->w2_qN * m->w2_qN, a[3] += k * m->w1_qN * m->w1_qN;
  }
  g->w2 = sqrt(a[0]), g->w1_lo = sqrt(a[1]), q->w2 = sqrt(a[2]), q->w1_lo = sqrt(a[3]);
}

static ctr_status combine(const ctr_product_params *p, int n, const ctr_product_coord *c,
                          group_out *o, ctr_product_result *out, ctr_error *err) {
  ctr_product_input fg, fq;
  sum_metrics(n, c, o, 0, &out->gauss, &out->qN);
  out->disc_max = NAN;
  if (p->grid.refine) {
    sum_metrics(n, c, o, 1, &fg, &fq);
    out->disc_max = fmax(fmax(fabs(fg.w2 - out->gauss.w2), fabs(fg.w1_lo - out->gauss.w1_lo)),
                         fmax(fabs(fq.w2 - out->qN.w2), fabs(fq.w1_lo - out->qN.w1_lo)));
  }
  ctr_product_law *laws = malloc(sizeof *laws * (size_t)n);
  if (!laws) return ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  ctr_status st = CTR_OK;
  for (int in = 0; in < 2 && !st; in++) {
    ctr_product_input *r = in == 0 ? &out->gauss : &out->qN;
    r->sq = 0;
    for (int i = 0; i < n; i++) {
      laws[i] = (ctr_product_law){o[i].n[in], o[i].u[in], o[i].w[in], c[i].count};
      r->sq += (double)c[i].count * o[i].sq[in];
      double w2 = in == 0 ? o[i].base.w2_gauss : o[i].base.w2_qN;
      if (o[i].monotone && w2 > 0)
        out->node_err = fmax(out->node_err, fabs(o[i].sq[in] - w2 * w2) / (w2 * w2));
    }
    const ctr_product_gauss *g = p->extra[in];
    for (size_t i = 0; g && i < g->n; i++)
      r->sq += (g->mult ? g->mult[i] : 1.0) * (g->nu[i] * g->nu[i] + g->s2[i]);
    double e;
    st = ctr_product_norm_mean_gauss(n, laws, g, &r->l1, &e, err);
    out->quad_err = fmax(out->quad_err, e);
  }
  free(laws);
  return st;
}

ctr_status ctr_product_run(const ctr_product_params *p, const ctr_schedule *s, int n,
                           const ctr_product_coord *c, ctr_product_result *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  if (n < 1 || n > 1000)
    return ctr_fail(err, CTR_EINPUT, "product: %d coordinate laws (accepted: 1 to 1000)", n);
  if (p->grid.error.kind != CTR_ERR_NONE)
    return ctr_fail(err, CTR_EINPUT, "product engine: error model '%s' is not supported "
                    "(accepted: none)", ctr_errmodel_name(p->grid.error.kind));
  if (!(p->quad_rel > 0 && p->quad_rel < 1))
    return ctr_fail(err, CTR_EINPUT, "product: quad_rel = %g (accepted: 0 < quad_rel < 1)",
                    p->quad_rel);
  ctr_status st = CTR_OK;
  for (int g = 0; g < n && !st; g++) st = check_coord(g, c + g, err);
  group_out *o = st ? NULL : calloc((size_t)n, sizeof *o);
  if (!st && !o) st = ctr_fail(err, CTR_ENOMEM, "product: out of memory");
  double var = 0;
  out->L = p->lipschitz ? 1 : NAN, out->log_L = p->lipschitz ? 0 : NAN, out->monotone = 1;
  for (int g = 0; g < n && !st; g++) {
    st = run_group(p, s, c + g, o + g, &out->quad_warn, err);
    out->d += c[g].count, var += (double)c[g].count * o[g].var;
    out->monotone &= o[g].monotone;
    if (!st && p->lipschitz && o[g].logL >= out->log_L)
      out->L = o[g].L, out->log_L = o[g].logL, out->L_x_norm = o[g].L_x;
  }
  out->data_scale = sqrt(var);
  if (!st) st = combine(p, n, c, o, out, err);
  for (int g = 0; o && g < n; g++) ctr_product_group_free(o + g);
  free(o);
  return st;
}
