#include "targets/lip_lower.h"
#include "targets/lip_span.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_odeiv2.h>

/* ---------------- Jacobian-vector products ---------------- */

ctr_status ctr_mixture_jvp(const ctr_mixture *m, double a, double s, const double *x, int nv,
                           const double *V, double *D, double *GV, double *work, ctr_error *err) {
  int d = m->d, K = m->K;
  for (int k = 0; k < K; k++)
    if (m->kind[k] == CTR_COV_FULL)
      return ctr_fail(err, CTR_EINPUT, "mixture jvp: component %d has a full covariance "
                      "(accepted: isotropic or diagonal components)", k);
  double *w = work + ctr_mixture_work_len(m), *e = w + K;
  ctr_status st = ctr_mixture_posterior(m, a, s, x, D, NULL, w, work, err);
  if (st) return st;
  memset(GV, 0, sizeof(double) * (size_t)nv * d);
  double as2 = a / s / s, a2 = a * a, s2 = s * s;
  for (int k = 0; k < K; k++) {
    if (!(w[k] > 0)) continue;
    const double *mu = m->mu + (size_t)k * d, *l = m->lam + m->lam_off[k];
    int iso = m->kind[k] == CTR_COV_ISO;
    for (int i = 0; i < d; i++) { /* e = m_k - D, m_k = mu + a l / (a^2 l + s^2) (x - a mu) */
      double li = l[iso ? 0 : i];
      e[i] = mu[i] + a * li / (a2 * li + s2) * (x[i] - a * mu[i]) - D[i];
    }
    for (int j = 0; j < nv; j++) { /* (a/s^2) (C_k v + e (e . v)), (a/s^2) C_k = a l/(a^2 l+s^2) */
      const double *v = V + (size_t)j * d;
      double *g = GV + (size_t)j * d, dot = 0;
      for (int i = 0; i < d; i++) dot += e[i] * v[i];
      double cdot = w[k] * as2 * dot;
      for (int i = 0; i < d; i++) {
        double li = l[iso ? 0 : i];
        g[i] += w[k] * a * li / (a2 * li + s2) * v[i] + cdot * e[i];
      }
    }
  }
  return CTR_OK;
}

typedef struct {
  const ctr_mixture *m;
  int nv;
  double sign; /* +1: J V (dv/du = A v); -1: the adjoint M^T V (dv/du = -A v), see flow_vec */
  double *D, *GV, *work;
  ctr_status st;
  ctr_error err;
} jvp_sys;

/* In u = log tan(phi/2) as targets/flow_map.c: dx/du = a x - D, dv/du = a v - gradD v. */
static int jvp_rhs(double u, const double y[], double f[], void *params) {
  jvp_sys *js = params;
  int d = js->m->d;
  double a = 0.0 - tanh(u), s = 1.0 / cosh(u);
  ctr_status st = ctr_mixture_jvp(js->m, a, s, y, js->nv, y + d, js->D, js->GV, js->work,
                                  &js->err);
  if (st) {
    if (!js->st) js->st = st;
    return GSL_EBADFUNC;
  }
  for (int i = 0; i < d; i++) f[i] = a * y[i] - js->D[i];
  for (size_t i = 0; i < (size_t)js->nv * d; i++) f[d + i] = js->sign * (a * y[d + i] - js->GV[i]);
  for (size_t i = 0; i < (size_t)(js->nv + 1) * d; i++)
    if (!isfinite(f[i])) {
      if (!js->st) js->st = ctr_fail(&js->err, CTR_ENUMERIC, "flow jvp: not finite at a = %g", a);
      return GSL_EBADFUNC;
    }
  return GSL_SUCCESS;
}

/* Rescale the tangent vectors when their largest entry leaves [1e-100, 1e100]. */
#define LIP_RESCALE 1e100

static double noise_u(double a, double s) { return a < 0.5 ? -atanh(a) : log(s / (1.0 + a)); }

/* The tangent vectors are linear in their initial values, so they may be rescaled at will: L is
 * astronomically large on sharp mixtures (sphere, K = 8, sigma 0.1: ~1e80 at d = 4, beyond the
 * double range for d >= 16) and unscaled vectors overflow. After every step whose largest
 * |entry| leaves [1 / above, above], the vectors are multiplied by an exact power of two 2^-e
 * and e is added to *e2 (true vectors = stored * 2^e2). Until the first rescale the steps are
 * exactly those of an unscaled integration. */
static int evolve_scaled(gsl_odeiv2_driver *drv, double *u, double u1, double *state, size_t d,
                         size_t nvd, double above, long *e2) {
  double sign = drv->h > 0 ? 1.0 : -1.0;
  unsigned long n = 0;
  while (sign * (u1 - *u) > 0) {
    int gs = gsl_odeiv2_evolve_apply(drv->e, drv->c, drv->s, drv->sys, u, u1, &drv->h, state);
    if (gs != GSL_SUCCESS) return gs;
    if (drv->nmax > 0 && n++ == drv->nmax) return GSL_EMAXITER;
    double mx = 0;
    for (size_t i = 0; i < nvd; i++) mx = fmax(mx, fabs(state[d + i]));
    if (!(mx > 0) || !isfinite(mx) || (mx <= above && mx >= 1.0 / above)) continue;
    int e = ilogb(mx);
    for (size_t i = 0; i < nvd; i++) state[d + i] = ldexp(state[d + i], -e);
    *e2 += e;
    gsl_odeiv2_evolve_reset(drv->e), gsl_odeiv2_step_reset(drv->s); /* y jumped */
  }
  return GSL_SUCCESS;
}

/* x and nv vectors integrated jointly over span. sign = +1: the variational equation, JV = J V.
 * sign = -1 with span going UP (level 1 -> N) from y: M(u) = d x(u_1) / d x(u) satisfies
 * dM/du = -M A(u) (A = a I - gradD symmetric), so the vectors v = M^T V obey dv/du = -A v and
 * arrive as J_{N->1}(x_N)^T V at x_N = Phi_{1->N}(y): the downward Jacobian at the exact
 * preimage of y, which no double-precision x_N could locate (lip_lower.h). JV is returned
 * scaled: the true products are JV 2^e2 (evolve_scaled; above = INFINITY: never rescaled). */
static ctr_status flow_vec(const ctr_mixture *m, const ctr_flow_span *span,
                           const ctr_flow_tol *tol, const double *x, int nv, const double *V,
                           double sign, double above, double *y, double *JV, long *e2,
                           ctr_error *err) {
  int d = m->d;
  size_t dim = (size_t)(nv + 1) * d;
  jvp_sys js = {.m = m, .nv = nv, .sign = sign};
  double *state = ctr_dalloc(dim);
  js.D = ctr_dalloc(d), js.GV = ctr_dalloc((size_t)nv * d + 1);
  js.work = ctr_dalloc(ctr_mixture_work_len(m) + m->K + d);
  double u0 = noise_u(span->a_from, span->s_from), u1 = noise_u(span->a_to, span->s_to);
  gsl_odeiv2_system sys = {jvp_rhs, NULL, dim, &js};
  gsl_odeiv2_driver *drv = state && js.D && js.GV && js.work
      ? gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, u1 < u0 ? -1e-3 : 1e-3,
                                      tol->abs_tol, tol->rel_tol)
      : NULL;
  ctr_status st = CTR_OK;
  *e2 = 0;
  if (!drv) st = ctr_fail(err, CTR_ENOMEM, "flow jvp: out of memory (state %zu)", dim);
  if (!st) {
    gsl_odeiv2_driver_set_nmax(drv, tol->max_steps ? tol->max_steps : 1000000UL);
    memcpy(state, x, sizeof(double) * d), memcpy(state + d, V, sizeof(double) * (dim - d));
    int gs = evolve_scaled(drv, &u0, u1, state, (size_t)d, dim - d, above, e2);
    if (js.st) st = js.st, *err = js.err;
    else if (gs != GSL_SUCCESS)
      st = ctr_fail(err, CTR_ENUMERIC, "flow jvp: ODE solver failed: %s", gsl_strerror(gs));
  }
  if (!st) memcpy(y, state, sizeof(double) * d), memcpy(JV, state + d, sizeof(double) * (dim - d));
  if (drv) gsl_odeiv2_driver_free(drv);
  free(state), free(js.D), free(js.GV), free(js.work);
  return st;
}

ctr_status ctr_flow_jvp(const ctr_mixture *m, const ctr_flow_span *span, const ctr_flow_tol *tol,
                        const double *x, int nv, const double *V, double *y, double *JV,
                        ctr_error *err) {
  long e2 = 0;
  ctr_status st = flow_vec(m, span, tol, x, nv, V, 1.0, LIP_RESCALE, y, JV, &e2, err);
  for (size_t i = 0; !st && e2 && i < (size_t)nv * m->d; i++) JV[i] = ldexp(JV[i], (int)e2);
  return st;
}

/* ---------------- the multi-start search ---------------- */

#define LIP_MAX_PAIRS 256
#define LIP_REFINE 3
#define LIP_NM_ITERS 60
/* The search runs at the default tolerance 1e-12. Measured (sphere K = 8, sigma 0.1, d = 64,
 * N = 400): 1e-9 halved the time, but the simplex then wandered elsewhere on this steep
 * landscape and the bound found dropped 30x. */

typedef struct {
  const ctr_mixture *m;
  ctr_flow_span span;
  ctr_flow_tol tol;
  int r;               /* dim V */
  ctr_lip_span *ls;    /* structured: the flow reduced to V (targets/lip_span.h) */
  double *x;           /* scratch */
  const double *x0;    /* refinement origin */
  ctr_flow_jac *jac;   /* fallback: full Jacobian */
  ctr_flow_span up;    /* level 1 -> N, for the fallback's midpoint preimages */
  int upward;          /* the point given is y at level 1 (adjoint), else x at level N */
  double step;         /* simplex step: half the narrowest level-1 mode */
  double run_best, run_xn; /* best log norm seen by the simplex and |x| there */
  double above;        /* rescale threshold of the tangent vectors (LIP_RESCALE) */
  unsigned long steps; /* ODE steps of the structured evaluations */
  double *pbest;       /* the point (x or y) of the best norm so far, and its mode */
  int pbest_up;
  ctr_status st;
  ctr_error err;
} lip_ctx;

/* log ||J(x)||_2: ||J||_2 = max(||J_r||_2, beta) of the reduced flow (structured,
 * targets/lip_span.h; finite in log for any L) or the full Jacobian's norm; the point p is x at
 * level N, or (c->upward) y at level 1 with x = Phi_{1->N}(y). *xn = |x|. */
static ctr_status opnorm_at(lip_ctx *c, const double *p, double *lnrm, double *xn,
                            ctr_error *err) {
  if (c->jac) {
    int d = c->m->d;
    double x2 = 0;
    ctr_denoiser den = ctr_mixture_denoiser(c->m);
    ctr_status st = ctr_flow_jacobian(&den, &c->span, &c->tol, p, 0, c->jac, err);
    for (int i = 0; i < d; i++) x2 += p[i] * p[i];
    if (!st) *lnrm = log(c->jac->opnorm), *xn = sqrt(x2);
    if (!st && !(c->jac->opnorm > 0 && isfinite(c->jac->opnorm)))
      st = ctr_fail(err, CTR_ENUMERIC, "Lipschitz: Jacobian norm %g", c->jac->opnorm);
    return st;
  }
  return ctr_lip_span_log_norm(c->ls, &c->span, &c->tol, p, c->upward, c->above, lnrm, xn,
                               &c->steps, err);
}

/* The point x0 + Q c. */
static const double *shifted(lip_ctx *c, const gsl_vector *cv) {
  int d = c->m->d;
  memcpy(c->x, c->x0, sizeof(double) * d);
  for (int j = 0; j < c->r; j++)
    for (int i = 0; i < d; i++) c->x[i] += gsl_vector_get(cv, j) * c->ls->Q[(size_t)j * d + i];
  return c->x;
}

/* Every value computed is an actual ||J(x)||_2 at an actual x: the best of them is kept. */
static double neg_log_norm(const gsl_vector *cv, void *p) {
  lip_ctx *c = p;
  double lnrm = 0, xn = 0;
  ctr_error e;
  if (opnorm_at(c, shifted(c, cv), &lnrm, &xn, &e)) return 1e300;
  if (lnrm > c->run_best) {
    c->run_best = lnrm, c->run_xn = xn, c->pbest_up = c->upward;
    memcpy(c->pbest, c->x, sizeof(double) * c->m->d);
  }
  return -lnrm;
}

/* Nelder-Mead in the r coordinates of V from p0 (x or y by c->upward); raises *best (a log). */
static ctr_status refine(lip_ctx *c, const double *p0, double *best, double *best_xn) {
  int r = c->r;
  gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, r);
  gsl_vector *c0 = gsl_vector_calloc(r), *step = gsl_vector_alloc(r);
  ctr_status st = CTR_OK;
  if (s && c0 && step) {
    gsl_vector_set_all(step, c->upward ? c->step : 0.05);
    c->x0 = p0, c->run_best = *best;
    gsl_multimin_function f = {neg_log_norm, (size_t)r, c};
    if (gsl_multimin_fminimizer_set(s, &f, c0, step) == GSL_SUCCESS)
      for (int it = 0; it < LIP_NM_ITERS; it++)
        if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS ||
            gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-10) == GSL_SUCCESS)
          break;
    if (c->run_best > *best) *best = c->run_best, *best_xn = c->run_xn;
  } else
    st = ctr_fail(&c->err, CTR_ENOMEM, "Lipschitz: out of memory (simplex)");
  if (s) gsl_multimin_fminimizer_free(s);
  if (c0) gsl_vector_free(c0);
  if (step) gsl_vector_free(step);
  return st;
}

static void ctx_free(lip_ctx *c) {
  free(c->x), free(c->pbest);
  ctr_lip_span_free(c->ls);
  ctr_flow_jac_free(c->jac);
}

static ctr_status ctx_init(lip_ctx *c, const ctr_mixture *m, const ctr_schedule *s,
                           int tangent, ctr_error *err) {
  int d = m->d;
  memset(c, 0, sizeof *c);
  c->m = m, c->above = LIP_RESCALE;
  ctr_flow_tol_default(&c->tol);
  ctr_status st = ctr_flow_span_steps(s, s->N, 1, &c->span, err);
  if (!st) st = ctr_flow_span_steps(s, 1, s->N, &c->up, err);
  if (st) return st;
  c->step = 0.5 * sqrt(s->a[1] * s->a[1] * m->lam[m->lam_off[0]] + s->s[1] * s->s[1]);
  c->x = ctr_dalloc(d), c->pbest = ctr_dalloc(d);
  if (!c->x || !c->pbest) return ctr_fail(err, CTR_ENOMEM, "Lipschitz: out of memory at d = %d", d);
  if (!ctr_lip_span_applies(m)) return ctr_flow_jac_alloc(d, &c->jac, err);
  st = ctr_lip_span_alloc(m, &c->ls, err);
  if (!st) c->r = c->ls->r, c->ls->tangent = (ctr_lip_tangent)tangent;
  return st;
}

/* Starting points: the n samples (x at level N), then for every pair of modes the midpoint
 * y = a_1 (mu_j + mu_k) / 2 at level 1: evaluated from y by the adjoint (structured), else
 * mapped to its preimage x = Phi_{1->N}(y) (fallback). mode[i] = 1 marks a y. */
static ctr_status make_starts(lip_ctx *c, const ctr_schedule *s, size_t n, const double *xs,
                              double **out, int **mode, size_t *count, ctr_error *err) {
  const ctr_mixture *m = c->m;
  int d = m->d, K = m->K;
  size_t np = (size_t)K * (K - 1) / 2;
  if (np > LIP_MAX_PAIRS) np = LIP_MAX_PAIRS;
  double *st = ctr_dalloc((n + np) * d);
  int *md = calloc(n + np, sizeof *md);
  if (!st || !md) {
    free(st), free(md);
    return ctr_fail(err, CTR_ENOMEM, "Lipschitz: out of memory (starts)");
  }
  memcpy(st, xs, sizeof(double) * n * d);
  ctr_denoiser den = ctr_mixture_denoiser(m);
  size_t q = n;
  for (int j = 0; j < K && q < n + np; j++)
    for (int k = j + 1; k < K && q < n + np; k++) {
      double *x = st + q * d;
      for (int i = 0; i < d; i++)
        x[i] = s->a[1] * 0.5 * (m->mu[(size_t)j * d + i] + m->mu[(size_t)k * d + i]);
      ctr_error e2;
      if (!c->jac) md[q++] = 1;
      else if (!ctr_flow_map(&den, &c->up, &c->tol, x, x, NULL, &e2)) q++; /* skip failures */
    }
  *out = st, *mode = md, *count = q;
  return CTR_OK;
}

/* The indices of the (at most) LIP_REFINE largest finite lnrm, best first; returns how many. */
static int best_starts(const double *lnrm, size_t ns, size_t *ib) {
  int nb = 0;
  for (size_t i = 0; i < ns; i++) {
    if (!isfinite(lnrm[i])) continue; /* a start that failed numerically */
    int r = nb < LIP_REFINE ? nb++ : LIP_REFINE;
    while (r > 0 && lnrm[ib[r - 1]] < lnrm[i]) {
      if (r < LIP_REFINE) ib[r] = ib[r - 1];
      r--;
    }
    if (r < LIP_REFINE) ib[r] = i;
  }
  return nb;
}

/* The maximiser again at halved tolerances: keep the smaller value (a failure keeps best). */
static void recheck(lip_ctx *c, double *best, double *norm_err) {
  double half = *best, xn;
  ctr_error e;
  c->upward = c->pbest_up, c->tol.abs_tol *= 0.5, c->tol.rel_tol *= 0.5;
  if (opnorm_at(c, c->pbest, &half, &xn, &e)) {
    *norm_err = NAN;
    return;
  }
  *norm_err = exp(fmax(half, *best) + log(-expm1(-fabs(half - *best))));
  *best = fmin(*best, half);
}

/* A start that fails numerically (ODE, SVD) is skipped and counted: the bound over the others
 * is still a lower bound. Other failures (memory) end the search. */
ctr_status ctr_lip_lower_compute(const ctr_mixture *m, const ctr_schedule *s, size_t n,
                                 const double *xs, ctr_lip_lower *out, ctr_error *err) {
  return ctr_lip_lower_compute_tangent(m, s, n, xs, CTR_LIP_TANGENT_PAIR, out, err);
}

ctr_status ctr_lip_lower_compute_tangent(const ctr_mixture *m, const ctr_schedule *s, size_t n,
                                         const double *xs, int tangent, ctr_lip_lower *out,
                                         ctr_error *err) {
  memset(out, 0, sizeof *out);
  lip_ctx c;
  double *starts = NULL, *lnrm = NULL, best = -INFINITY, best_xn = 0, xn;
  int *mode = NULL, failed = 0;
  size_t ns = 0, ib[LIP_REFINE] = {0};
  ctr_status st = ctx_init(&c, m, s, tangent, err);
  if (!st) st = make_starts(&c, s, n, xs, &starts, &mode, &ns, err);
  if (!st && !(lnrm = ctr_dalloc(ns))) st = ctr_fail(err, CTR_ENOMEM, "Lipschitz: out of memory");
  for (size_t i = 0; !st && i < ns; i++) {
    c.upward = mode[i];
    st = opnorm_at(&c, starts + i * m->d, &lnrm[i], &xn, err);
    if (st == CTR_ENUMERIC) st = CTR_OK, lnrm[i] = -INFINITY, failed++;
    else if (!st && lnrm[i] > best) {
      best = lnrm[i], best_xn = xn, c.pbest_up = mode[i];
      memcpy(c.pbest, starts + i * m->d, sizeof(double) * m->d);
    }
  }
  int nb = st ? 0 : best_starts(lnrm, ns, ib);
  for (int r = 0; !st && !c.jac && c.r > 0 && r < nb; r++) {
    c.upward = mode[ib[r]];
    st = refine(&c, starts + ib[r] * m->d, &best, &best_xn);
  }
  out->norm_err = NAN;
  if (!st && nb > 0) recheck(&c, &best, &out->norm_err);
  if (!st) {
    out->log_norm = nb > 0 ? best : NAN, out->norm = exp(out->log_norm);
    out->log_L = nb > 0 ? fmax(0.0, best) : NAN, out->L = exp(out->log_L);
    out->x_norm = nb > 0 ? best_xn : NAN;
    out->structured = c.jac == NULL, out->starts = (int)ns, out->failed = failed;
    out->steps = c.steps;
  }
  ctx_free(&c), free(starts), free(lnrm), free(mode);
  return st;
}

ctr_status ctr_lip_lower_log_norm_at(const ctr_mixture *m, const ctr_schedule *s,
                                     const double *p, int upward, double above, int tangent,
                                     double *log_norm, ctr_error *err) {
  lip_ctx c;
  double xn;
  ctr_status st = ctx_init(&c, m, s, tangent, err);
  c.upward = upward, c.above = above;
  if (!st) st = opnorm_at(&c, p, log_norm, &xn, err);
  ctx_free(&c);
  return st;
}

ctr_status ctr_lip_lower_norm_at(const ctr_mixture *m, const ctr_schedule *s, const double *x,
                                 double *norm, ctr_error *err) {
  double l = 0;
  ctr_status st = ctr_lip_lower_log_norm_at(m, s, x, 0, LIP_RESCALE, CTR_LIP_TANGENT_PAIR,
                                           &l, err);
  if (!st) *norm = exp(l);
  return st;
}
