/* engines/lowrank_plane.c: the plane block of the lowrank engine (engines/lowrank_plane.h,
 * theory.md §9.18): the 2-D grid's g_N, the Gelbrich lower bounds, the ODE coupling (q_N) and
 * the Knothe-Rosenblatt coupling (N(0, I)) as upper bounds. */
#include "engines/lowrank_plane.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>

#include "core/rng.h"
#include "targets/lip_lower.h"
#include "targets/mixture.h"

#define KR_HALF 9.0    /* N(0, 1) outside [-9, 9]: 2e-19 of the mass */
#define KR_LIMIT 1000
#define KR_REL 1e-7    /* both nested integrals: an upper bound needs no more digits */
#define MOM_Q 48       /* Gauss-Hermite nodes per axis for the moments; MOM_Q2 the check */
#define MOM_Q2 32
#define LOG_TINY -700.0

/* ---------------------------------------------------------------- 1-D mixture quantile */

typedef struct {
  int K;
  const double *w, *m; /* weights (may be unnormalised: only ratios matter), means */
  double sd;
  double z;            /* target level as a standard normal quantile */
} q1_ctx;

/* F(y) - Phi(z) on the smaller tail: lower tails for z <= 0, upper for z > 0 (with the sign
 * flipped so that the function increases in y either way). */
static double q1_fn(double y, void *vp) {
  const q1_ctx *c = vp;
  double f = 0, tot = 0;
  for (int k = 0; k < c->K; k++) {
    double t = (y - c->m[k]) / c->sd;
    f += c->w[k] * (c->z <= 0 ? gsl_cdf_ugaussian_P(t) : -gsl_cdf_ugaussian_Q(t));
    tot += c->w[k];
  }
  return c->z <= 0 ? f / tot - gsl_cdf_ugaussian_P(c->z) : f / tot + gsl_cdf_ugaussian_Q(c->z);
}

/* The quantile at Phi(z): bracketed by the components' own quantiles m_k + sd z (the mixture
 * CDF is a convex combination of theirs), then Brent. */
static ctr_status q1_solve(q1_ctx *c, gsl_root_fsolver *rs, double *y, ctr_error *err) {
  double lo = INFINITY, hi = -INFINITY;
  for (int k = 0; k < c->K; k++)
    if (c->w[k] > 0) lo = fmin(lo, c->m[k] + c->sd * c->z), hi = fmax(hi, c->m[k] + c->sd * c->z);
  if (!(hi - lo > 1e-14 * (fabs(lo) + fabs(hi) + c->sd))) return *y = 0.5 * (lo + hi), CTR_OK;
  double flo = q1_fn(lo, c), fhi = q1_fn(hi, c);
  if (flo >= 0) return *y = lo, CTR_OK; /* rounding at the ends */
  if (fhi <= 0) return *y = hi, CTR_OK;
  gsl_function F = {q1_fn, c};
  gsl_root_fsolver_set(rs, &F, lo, hi);
  for (int it = 0; it < 200; it++) {
    if (gsl_root_fsolver_iterate(rs)) break;
    double a = gsl_root_fsolver_x_lower(rs), b = gsl_root_fsolver_x_upper(rs);
    if (gsl_root_test_interval(a, b, 1e-10 * c->sd, 0) == GSL_SUCCESS) { /* u^2 to ~1e-10 */
      *y = gsl_root_fsolver_root(rs);
      return CTR_OK;
    }
  }
  return ctr_fail(err, CTR_ENUMERIC, "lowrank (plane): quantile at z = %g did not converge", c->z);
}

/* ---------------------------------------------------------------- Knothe-Rosenblatt coupling */

typedef struct {
  const ctr_grid_result *r;
  int K;
  const double *w;
  double *m1, *m2, *cw; /* X_1 block: first and second coordinates of the means; cond. weights */
  double sd;            /* sqrt(a_1^2 sigma^2 + s_1^2) */
  double z1, y1;        /* the outer point and T_1(z_1) */
  gsl_root_fsolver *rs;
  gsl_integration_workspace *wi;
  ctr_status st;
  ctr_error *err;
  int warn;
  double abserr;
} kr_ctx;

static double kr_inner(double z2, void *vp) {
  kr_ctx *c = vp;
  if (c->st) return 0;
  q1_ctx q = {c->K, c->cw, c->m2, c->sd, z2};
  double y2 = 0, x[2] = {c->z1, z2}, g[2];
  c->st = q1_solve(&q, c->rs, &y2, c->err);
  ctr_grid_eval2(c->r, x, g);
  double u0 = g[0] - c->y1, u1 = g[1] - y2;
  return (u0 * u0 + u1 * u1) * exp(-0.5 * z2 * z2) / sqrt(2 * M_PI);
}

static double kr_outer(double z1, void *vp) {
  kr_ctx *c = vp;
  if (c->st) return 0;
  q1_ctx q = {c->K, c->w, c->m1, c->sd, z1};
  c->z1 = z1;
  if ((c->st = q1_solve(&q, c->rs, &c->y1, c->err))) return 0;
  /* the conditional law of the second coordinate given y1: weights w_k N(y1; m1_k, sd^2) */
  double lmax = -INFINITY;
  for (int k = 0; k < c->K; k++) {
    double t = (c->y1 - c->m1[k]) / c->sd;
    c->cw[k] = c->w[k] > 0 ? log(c->w[k]) - 0.5 * t * t : -INFINITY;
    lmax = fmax(lmax, c->cw[k]);
  }
  for (int k = 0; k < c->K; k++) c->cw[k] = c->cw[k] - lmax < LOG_TINY ? 0 : exp(c->cw[k] - lmax);
  gsl_function F = {kr_inner, c};
  double v, e;
  int rc = gsl_integration_qag(&F, -KR_HALF, KR_HALF, 0, KR_REL, KR_LIMIT, GSL_INTEG_GAUSS15,
                               c->wi, &v, &e);
  if (rc == GSL_EROUND || rc == GSL_EMAXITER) c->warn++;
  else if (rc && !c->st) c->st = ctr_fail(c->err, CTR_ENUMERIC, "lowrank (plane): inner KR "
                                          "integral failed (%s)", gsl_strerror(rc));
  double phi = exp(-0.5 * z1 * z1) / sqrt(2 * M_PI);
  c->abserr = fmax(c->abserr, e);
  return phi * v;
}

static ctr_status kr_coupling(const ctr_grid_result *r, const ctr_schedule *s, int K,
                              const double *w, const double *mu, double sigma2, double *sq,
                              double *abserr, int *warn, ctr_error *err) {
  kr_ctx c = {r, K, w, NULL, NULL, NULL, 0, 0, 0, NULL, NULL, CTR_OK, err, 0, 0};
  double *buf = ctr_dalloc((size_t)3 * K);
  gsl_integration_workspace *wo = gsl_integration_workspace_alloc(KR_LIMIT);
  c.wi = gsl_integration_workspace_alloc(KR_LIMIT);
  c.rs = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  ctr_status st = CTR_OK;
  if (!buf || !wo || !c.wi || !c.rs) st = ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  if (!st) {
    double a1 = s->a[1], s1 = s->s[1];
    c.m1 = buf, c.m2 = buf + K, c.cw = buf + 2 * K, c.sd = sqrt(a1 * a1 * sigma2 + s1 * s1);
    for (int k = 0; k < K; k++) c.m1[k] = a1 * mu[2 * k], c.m2[k] = a1 * mu[2 * k + 1];
    gsl_function F = {kr_outer, &c};
    double v, e;
    int rc = gsl_integration_qag(&F, -KR_HALF, KR_HALF, 0, KR_REL, KR_LIMIT, GSL_INTEG_GAUSS15,
                                 wo, &v, &e);
    st = c.st;
    if (rc == GSL_EROUND || rc == GSL_EMAXITER) c.warn++;
    else if (rc && !st) st = ctr_fail(err, CTR_ENUMERIC, "lowrank (plane): KR integral failed "
                                      "(%s)", gsl_strerror(rc));
    *sq = v, *abserr = e + 2 * KR_HALF * c.abserr, *warn += c.warn;
  }
  free(buf), gsl_integration_workspace_free(wo), gsl_integration_workspace_free(c.wi);
  if (c.rs) gsl_root_fsolver_free(c.rs);
  return st;
}

/* ---------------------------------------------------------------- moments and Gelbrich */

/* Mean (2) and second moments [xx, xy, yy] of g_N(X) for X ~ sum_k w_k N(a mu_k, v I), by a
 * Q x Q Gauss-Hermite rule per component. */
static ctr_status out_moments(const ctr_grid_result *r, int K, const double *w, const double *mu,
                              double a, double v, int Q, double *mean, double *M2,
                              ctr_error *err) {
  gsl_integration_fixed_workspace *fw =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, (size_t)Q, 0, 1, 0, 0);
  if (!fw) return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  const double *xn = gsl_integration_fixed_nodes(fw), *wn = gsl_integration_fixed_weights(fw);
  double sd = sqrt(v);
  mean[0] = mean[1] = M2[0] = M2[1] = M2[2] = 0;
  for (int k = 0; k < K; k++)
    for (int i = 0; i < Q; i++)
      for (int j = 0; j < Q; j++) {
        double wt = w[k] * wn[i] * wn[j] / M_PI, g[2];
        double x[2] = {a * mu[2 * k] + sd * M_SQRT2 * xn[i], a * mu[2 * k + 1] + sd * M_SQRT2 * xn[j]};
        ctr_grid_eval2(r, x, g);
        mean[0] += wt * g[0], mean[1] += wt * g[1];
        M2[0] += wt * g[0] * g[0], M2[1] += wt * g[0] * g[1], M2[2] += wt * g[1] * g[1];
      }
  gsl_integration_fixed_free(fw);
  return CTR_OK;
}

/* Gelbrich: W2^2 >= |m_A - m_B|^2 + tr A + tr B - 2 tr (A^(1/2) B A^(1/2))^(1/2); for 2 x 2
 * symmetric PSD matrices tr sqrt(M) = (tr M + 2 sqrt(det M))^(1/2), with tr(A^(1/2) B A^(1/2)) =
 * tr(AB) and det = det A det B. Covariances as [xx, xy, yy]. */
static double gelbrich(const double *ma, const double *A, const double *mb, const double *B) {
  double dm = (ma[0] - mb[0]) * (ma[0] - mb[0]) + (ma[1] - mb[1]) * (ma[1] - mb[1]);
  double trAB = A[0] * B[0] + 2 * A[1] * B[1] + A[2] * B[2];
  double det = fmax(A[0] * A[2] - A[1] * A[1], 0) * fmax(B[0] * B[2] - B[1] * B[1], 0);
  double cross = sqrt(fmax(trAB + 2 * sqrt(det), 0));
  return sqrt(fmax(dm + A[0] + A[2] + B[0] + B[2] - 2 * cross, 0));
}

/* Both bounds from the moments of input `in` at rule size Q. */
static ctr_status lower_bounds(const ctr_grid_result *r, const ctr_schedule *s, int K,
                               const double *w, const double *mu, double sigma2, int in, int Q,
                               double *w2_lo, double *w1_lo, ctr_error *err) {
  double one = 1, zero[2] = {0, 0}, mean[2] = {0, 0}, M2[3] = {0, 0, 0}, A[3], mb[2] = {0, 0};
  double B[3] = {0, 0, 0};
  double aN = s->a[s->N], sN = s->s[s->N], a1 = s->a[1], s1 = s->s[1];
  ctr_status st = in == 0 ? out_moments(r, 1, &one, zero, 0, 1, Q, mean, M2, err)
                          : out_moments(r, K, w, mu, aN, aN * aN * sigma2 + sN * sN, Q, mean, M2,
                                        err);
  if (st) return st;
  A[0] = M2[0] - mean[0] * mean[0], A[1] = M2[1] - mean[0] * mean[1];
  A[2] = M2[2] - mean[1] * mean[1];
  for (int k = 0; k < K; k++) { /* X_1's block: sum_k w_k N(a_1 mu_k, (a_1^2 sigma^2 + s_1^2) I) */
    double x = a1 * mu[2 * k], y = a1 * mu[2 * k + 1];
    mb[0] += w[k] * x, mb[1] += w[k] * y;
    B[0] += w[k] * x * x, B[1] += w[k] * x * y, B[2] += w[k] * y * y;
  }
  double v1 = a1 * a1 * sigma2 + s1 * s1;
  B[0] += v1 - mb[0] * mb[0], B[1] -= mb[0] * mb[1], B[2] += v1 - mb[1] * mb[1];
  *w2_lo = gelbrich(mean, A, mb, B);
  *w1_lo = hypot(mean[0] - mb[0], mean[1] - mb[1]);
  return CTR_OK;
}

/* ---------------------------------------------------------------- the block */

static ctr_status plane_lip(const ctr_mixture *m, const ctr_schedule *s, int n, uint64_t seed,
                            ctr_plane_result *o, ctr_error *err) {
  double *xs = ctr_dalloc((size_t)2 * n);
  if (!xs) return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  ctr_rng r;
  ctr_rng_init(&r, seed, CTR_RNG_LIPSCHITZ, 2, 0);
  ctr_lip_lower lo;
  ctr_status st = ctr_mixture_sample_noised(m, s->a[s->N], s->s[s->N], &r, (size_t)n, xs, err);
  if (!st) st = ctr_lip_lower_compute(m, s, (size_t)n, xs, &lo, err);
  if (!st) o->L = lo.L, o->log_L = lo.log_L, o->L_x_norm = lo.x_norm;
  free(xs);
  return st;
}

/* The semi-discrete bracket and estimate per input (theory.md §9.23), joined to the others. The
 * estimate is reported only when the solver's mass error (relative, floored at 1e-2 / n) is at
 * most SD_EST_MASS: where Newton stops short of the optimum (as it did on clustered outputs
 * before theory.md §9.22's fix) the bounds still hold but the dual is no estimate of W2^2. */
#define SD_EST_MASS 1e-6
static ctr_status plane_sd(const ctr_grid_result *r, int K, const double *w, const double *mu,
                           double sigma2, int cells, ctr_plane_result *out, ctr_error *err) {
  double *c = ctr_dalloc((size_t)6 * K);
  if (!c) return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  double *cq = c + 2 * K, *c1 = c + 4 * K;
  for (int k = 0; k < 2 * K; k++) cq[k] = r->aN * mu[k], c1[k] = r->a1 * mu[k];
  double one = 1, zero2[2] = {0, 0};
  ctr_sd_gmix nu = {K, w, c1, r->a1 * r->a1 * sigma2 + r->s1 * r->s1};
  ctr_sd_gmix ins[2] = {{1, &one, zero2, 1.0}, {K, w, cq, r->aN * r->aN * sigma2 + r->sN * r->sN}};
  ctr_status st = CTR_OK;
  for (int in = 0; in < 2 && !st; in++) {
    ctr_plane_input *q = out->in + in;
    st = ctr_plane_sd_w2(r, ins + in, &nu, cells, &q->sd, err);
    if (st) break;
    q->w2_lo = fmax(q->w2_lo, sqrt(fmax(q->sd.lo2, 0)));
    if (q->sd.hi2 < q->w2_hi * q->w2_hi) q->w2_hi = sqrt(q->sd.hi2);
    /* the bounds hold at any weights; the estimate needs the solver at its optimum */
    if (q->sd.unconverged && q->sd.mass_err > SD_EST_MASS) continue;
    double a = sqrt(fmax(q->sd.est2, 0)), b = sqrt(fmax(q->sd.est2 + q->sd.est_err, 0));
    q->w2 = fmin(fmax(a, q->w2_lo), q->w2_hi), q->w2_err = fabs(b - a);
  }
  free(c);
  return st;
}

ctr_status ctr_lowrank_plane(const ctr_grid_params *gp, const ctr_schedule *s, int K,
                             const double *w, const double *mu, double sigma2, int lip_n,
                             uint64_t seed, int sd_cells, ctr_plane_result *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  out->in[0].w2 = out->in[1].w2 = out->in[0].w2_err = out->in[1].w2_err = NAN;
  out->L = out->log_L = out->L_x_norm = NAN;
  ctr_mixture_cov *cov = malloc(sizeof *cov * (size_t)K);
  if (!cov) return ctr_fail(err, CTR_ENOMEM, "lowrank: out of memory");
  for (int k = 0; k < K; k++) cov[k] = (ctr_mixture_cov){CTR_COV_ISO, &sigma2};
  ctr_mixture *m = NULL;
  ctr_grid_result *r = NULL;
  ctr_grid_params p = *gp;
  p.refine = 1, p.coupling = 1;
  ctr_status st = ctr_mixture_alloc(K, 2, w, mu, cov, &m, err);
  free(cov);
  if (!st) st = ctr_grid_run(&p, s, m, &r, err);
  if (!st) {
    out->quad_warn = r->quad_warn;
    out->disc = r->disc_max;
    ctr_plane_input *q = out->in + 1;
    q->sq = r->base.coupling_sq, q->w2_hi = sqrt(q->sq), q->l1 = r->base.coupling;
    out->in[0].l1 = NAN;
  }
  for (int in = 0; in < 2 && !st; in++) { /* Gelbrich at two rule sizes: the change is an error */
    double lo2, lo1, chk2, chk1;
    st = lower_bounds(r, s, K, m->weight, mu, sigma2, in, MOM_Q, &lo2, &lo1, err);
    if (!st) st = lower_bounds(r, s, K, m->weight, mu, sigma2, in, MOM_Q2, &chk2, &chk1, err);
    if (st) break;
    out->in[in].w2_lo = lo2, out->in[in].w1_lo = lo1;
    out->disc = fmax(out->disc, fmax(fabs(lo2 - chk2), fabs(lo1 - chk1)));
  }
  if (!st) {
    double sq = NAN, e = NAN;
    st = kr_coupling(r, s, K, m->weight, mu, sigma2, &sq, &e, &out->quad_warn, err);
    out->in[0].sq = sq, out->in[0].w2_hi = sqrt(sq), out->kr_err = e;
  }
  if (!st) { /* the block's variance */
    double mb[2] = {0, 0}, t = 0;
    for (int k = 0; k < K; k++)
      for (int i = 0; i < 2; i++) mb[i] += m->weight[k] * mu[2 * k + i];
    for (int k = 0; k < K; k++)
      for (int i = 0; i < 2; i++) t += m->weight[k] * (mu[2 * k + i] - mb[i]) * (mu[2 * k + i] - mb[i]);
    out->var = t + 2 * sigma2;
  }
  if (!st && sd_cells > 0) st = plane_sd(r, K, m->weight, mu, sigma2, sd_cells, out, err);
  if (!st && lip_n > 0) st = plane_lip(m, s, lip_n, seed, out, err);
  ctr_grid_result_free(r), ctr_mixture_free(m);
  return st;
}
