#include "targets/lip_span.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_odeiv2.h>

#include "targets/lip_lower.h"

int ctr_lip_span_applies(const ctr_mixture *m) {
  for (int k = 0; k < m->K; k++)
    if (m->kind[k] != CTR_COV_ISO || m->lam[m->lam_off[k]] != m->lam[m->lam_off[0]]) return 0;
  return 1;
}

/* Gram-Schmidt (twice) of v against the first n rows of Q; appends it if it is not in their
 * span (relative norm 1e-10). Returns 1 if appended. */
static int gs_append(double *Q, int n, int d, const double *v) {
  double *q = Q + (size_t)n * d, n0 = 0, n1 = 0;
  memcpy(q, v, sizeof(double) * d);
  for (int i = 0; i < d; i++) n0 += v[i] * v[i];
  for (int pass = 0; pass < 2; pass++)
    for (int j = 0; j < n; j++) {
      double dot = 0;
      for (int i = 0; i < d; i++) dot += Q[(size_t)j * d + i] * q[i];
      for (int i = 0; i < d; i++) q[i] -= dot * Q[(size_t)j * d + i];
    }
  for (int i = 0; i < d; i++) n1 += q[i] * q[i];
  if (!(n1 > 1e-20 * n0) || n1 == 0) return 0;
  for (int i = 0; i < d; i++) q[i] /= sqrt(n1);
  return 1;
}

/* c = Q x (length r). */
static void project(const ctr_lip_span *ls, const double *x, double *c) {
  for (int j = 0; j < ls->r; j++) {
    const double *q = ls->Q + (size_t)j * ls->d;
    double dot = 0;
    for (int i = 0; i < ls->d; i++) dot += q[i] * x[i];
    c[j] = dot;
  }
}

void ctr_lip_span_free(ctr_lip_span *ls) {
  if (!ls) return;
  free(ls->Q), free(ls->p), ctr_mixture_free(ls->mr), free(ls);
}

ctr_status ctr_lip_span_alloc(const ctr_mixture *m, ctr_lip_span **out, ctr_error *err) {
  *out = NULL;
  if (!ctr_lip_span_applies(m))
    return ctr_fail(err, CTR_EINPUT, "Lipschitz span: the components do not share one "
                    "isotropic width");
  int d = m->d, K = m->K, rmax = K - 1 < d ? K - 1 : d;
  ctr_lip_span *ls = calloc(1, sizeof *ls);
  double *v = ctr_dalloc(d), *mu = NULL;
  ctr_status st = CTR_OK;
  if (ls) ls->Q = ctr_dalloc((size_t)(rmax > 0 ? rmax : 1) * d), ls->p = ctr_dalloc(d);
  if (!ls || !v || !ls->Q || !ls->p) st = ctr_fail(err, CTR_ENOMEM, "Lipschitz span: out of "
                                                   "memory at d = %d", d);
  if (!st) {
    ls->d = d, ls->lam = m->lam[m->lam_off[0]];
    for (int k = 1; k < K && ls->r < rmax; k++) {
      for (int i = 0; i < d; i++) v[i] = m->mu[(size_t)k * d + i] - m->mu[i];
      ls->r += gs_append(ls->Q, ls->r, d, v);
    }
    project(ls, m->mu, v); /* p = mu_1 - Q^T Q mu_1 */
    memcpy(ls->p, m->mu, sizeof(double) * d);
    for (int j = 0; j < ls->r; j++)
      for (int i = 0; i < d; i++) ls->p[i] -= v[j] * ls->Q[(size_t)j * d + i];
  }
  if (!st && ls->r > 0) {
    int r = ls->r;
    ctr_mixture_cov *cov = calloc(K, sizeof *cov);
    mu = ctr_dalloc((size_t)K * r);
    if (!cov || !mu) st = ctr_fail(err, CTR_ENOMEM, "Lipschitz span: out of memory (K = %d)", K);
    for (int k = 0; !st && k < K; k++) {
      project(ls, m->mu + (size_t)k * d, mu + (size_t)k * r);
      cov[k] = (ctr_mixture_cov){CTR_COV_ISO, &ls->lam};
    }
    if (!st) st = ctr_mixture_alloc(K, r, m->weight, mu, cov, &ls->mr, err);
    free(cov);
  }
  free(v), free(mu);
  if (st) ctr_lip_span_free(ls);
  else *out = ls;
  return st;
}

double ctr_lip_span_log_beta(const ctr_lip_span *ls, const ctr_flow_span *sp) {
  double lam = ls->lam;
  return 0.5 * (log(sp->a_to * sp->a_to * lam + sp->s_to * sp->s_to) -
                log(sp->a_from * sp->a_from * lam + sp->s_from * sp->s_from));
}

/* ---------------- the reduced ODE ---------------- */

typedef struct {
  const ctr_mixture *m; /* the reduced mixture, dimension r */
  double sign;          /* +1: J V; -1: the adjoint (lip_span.h) */
  int normalised;       /* state (c, W, g) with V = e^g W (theory.md §9.19), else (c, V) */
  double *D, *GV, *work;
  ctr_status st;
  ctr_error err;
} span_sys;

/* In u = log tan(phi/2) as targets/flow_map.c: dc/du = a c - D_r(c), dv/du = +-(a v - gradD v). */
static int span_rhs(double u, const double y[], double f[], void *params) {
  span_sys *ss = params;
  int r = ss->m->d;
  double a = 0.0 - tanh(u), s = 1.0 / cosh(u);
  ctr_status st = ctr_mixture_jvp(ss->m, a, s, y, r, y + r, ss->D, ss->GV, ss->work, &ss->err);
  if (st) {
    if (!ss->st) ss->st = st;
    return GSL_EBADFUNC;
  }
  for (int i = 0; i < r; i++) f[i] = a * y[i] - ss->D[i];
  for (int i = 0; i < r * r; i++) f[r + i] = ss->sign * (a * y[r + i] - ss->GV[i]);
  int dim = r * (r + 1);
  if (ss->normalised) { /* W' = sA W - mu W, g' = mu, mu = <W, sA W> / <W, W> (§9.19) */
    double num = 0, den = 0;
    for (int i = 0; i < r * r; i++) num += y[r + i] * f[r + i], den += y[r + i] * y[r + i];
    double mu = num / den;
    for (int i = 0; i < r * r; i++) f[r + i] -= mu * y[r + i];
    f[dim++] = mu;
  }
  for (int i = 0; i < dim; i++)
    if (!isfinite(f[i])) {
      if (!ss->st) ss->st = ctr_fail(&ss->err, CTR_ENUMERIC, "Lipschitz span: not finite at "
                                     "a = %g", a);
      return GSL_EBADFUNC;
    }
  return GSL_SUCCESS;
}

/* Step control on Euclidean norms (lip_span.h): the trajectory's error against
 * abs + rel |c|, the tangent vectors' (Frobenius) against abs + rel ||V||_F; the step update is
 * GSL's standard one (control.c: safety 0.9, factors within [0.2, 5]). */
typedef struct {
  double abs, rel;
  size_t r, nvr; /* [0, r): trajectory; [r, nvr): tangent vectors; [nvr, dim): held absolutely */
} norm_ctl;

static void *nc_alloc(void) { return calloc(1, sizeof(norm_ctl)); }

static int nc_init(void *state, double eps_abs, double eps_rel, double a_y, double a_dydt) {
  norm_ctl *c = state;
  (void)a_y, (void)a_dydt;
  c->abs = eps_abs, c->rel = eps_rel;
  return GSL_SUCCESS;
}

static int nc_hadjust(void *state, size_t dim, unsigned int ord, const double y[],
                      const double yerr[], const double yp[], double *h) {
  const norm_ctl *c = state;
  double ex = 0, nx = 0, ev = 0, nv = 0;
  (void)yp;
  size_t nvr = c->nvr;
  for (size_t i = 0; i < dim && i < nvr; i++) {
    if (i < c->r) ex += yerr[i] * yerr[i], nx += y[i] * y[i];
    else ev += yerr[i] * yerr[i], nv += y[i] * y[i];
  }
  double rmax = fmax(sqrt(ex) / (c->abs + c->rel * sqrt(nx)),
                     sqrt(ev) / (c->abs + c->rel * sqrt(nv)));
  /* g (§9.19) or the pair's log-growths (§9.21): an absolute error there is the relative error
   * of the tangent vectors */
  for (size_t i = nvr; i < dim; i++) rmax = fmax(rmax, fabs(yerr[i]) / (c->abs + c->rel));
  if (!(rmax <= DBL_MAX)) rmax = DBL_MAX; /* NaN error: shrink */
  if (rmax > 1.1) {
    double f = 0.9 / pow(rmax, 1.0 / ord);
    *h *= f < 0.2 ? 0.2 : f;
    return GSL_ODEIV_HADJ_DEC;
  }
  if (rmax < 0.5) {
    double f = 0.9 / pow(fmax(rmax, DBL_MIN), 1.0 / (ord + 1.0));
    *h *= f > 5.0 ? 5.0 : f < 1.0 ? 1.0 : f;
    return GSL_ODEIV_HADJ_INC;
  }
  return GSL_ODEIV_HADJ_NIL;
}

/* Only implicit steppers ask for a per-component level; rk8pd does not. */
static int nc_errlevel(void *state, const double y, const double dydt, const double h,
                       const size_t ind, double *errlev) {
  const norm_ctl *c = state;
  (void)dydt, (void)h, (void)ind;
  *errlev = c->abs + c->rel * fabs(y);
  return GSL_SUCCESS;
}

static int nc_set_driver(void *state, const gsl_odeiv2_driver *d) {
  (void)state, (void)d;
  return GSL_SUCCESS;
}

static const gsl_odeiv2_control_type norm_control = {
    "norm", nc_alloc, nc_init, nc_hadjust, nc_errlevel, nc_set_driver, free};

static double noise_u(double a, double s) { return a < 0.5 ? -atanh(a) : log(s / (1.0 + a)); }

/* ---------------- the pair phase (theory.md §9.21) ---------------- */

/* A component whose posterior weight is below e^PAIR_LOG_NEG times the larger of the pair's is
 * dropped: it changes the field and the growth rates by < e^-80 (~1e-35) relative. */
#define PAIR_LOG_NEG (-80.0)

typedef struct {
  const ctr_mixture *m; /* the reduced mixture (dimension r) */
  double lam;           /* the shared variance */
  int j, k;             /* the two components that carry the posterior */
  double *e, delta2;    /* e = (m_j - m_k) / |m_j - m_k| (0 if equal), delta2 = |m_j - m_k|^2 */
  int left;             /* a third component stopped being negligible */
} pair_sys;

/* log pi_l - |c - a m_l|^2 / (2 S), the log posterior weight up to a constant. */
static double pair_logw(const ctr_mixture *m, int l, double a, double S, const double *c) {
  const double *ml = m->mu + (size_t)l * m->d;
  double q = 0;
  for (int i = 0; i < m->d; i++) q += (c[i] - a * ml[i]) * (c[i] - a * ml[i]);
  return m->log_weight[l] - 0.5 * q / S;
}

/* The two largest posterior weights at (u, c), if every other one is negligible (return 1). */
static int pair_find(const ctr_mixture *m, double lam, double u, const double *c, int *j,
                     int *k) {
  double a = 0.0 - tanh(u), s = 1.0 / cosh(u), S = a * a * lam + s * s;
  double l1 = -INFINITY, l2 = -INFINITY, l3 = -INFINITY;
  *j = 0, *k = 1;
  for (int l = 0; l < m->K; l++) {
    double v = pair_logw(m, l, a, S, c);
    if (v > l1) l3 = l2, l2 = l1, *k = *j, l1 = v, *j = l;
    else if (v > l2) l3 = l2, l2 = v, *k = l;
    else if (v > l3) l3 = v;
  }
  return m->K >= 2 && *j != *k && isfinite(l1) && !(l3 - l1 > PAIR_LOG_NEG);
}

/* y = (c, G_perp, G_e): dc/du = a c - D(c) with D of the pair alone; G_perp' = alpha,
 * G_e' = alpha - gamma (§9.21: A = alpha I - gamma e e^T). */
static int pair_rhs(double u, const double y[], double f[], void *params) {
  pair_sys *ps = params;
  const ctr_mixture *m = ps->m;
  int r = m->d;
  double a = 0.0 - tanh(u), s = 1.0 / cosh(u), S = a * a * ps->lam + s * s;
  double lj = pair_logw(m, ps->j, a, S, y), lk = pair_logw(m, ps->k, a, S, y);
  for (int l = 0; l < m->K; l++)
    if (l != ps->j && l != ps->k && pair_logw(m, l, a, S, y) - fmax(lj, lk) > PAIR_LOG_NEG) {
      ps->left = 1;
      return GSL_EBADFUNC;
    }
  double wj = 1.0 / (1.0 + exp(lk - lj)), wk = 1.0 / (1.0 + exp(lj - lk));
  const double *mj = m->mu + (size_t)ps->j * r, *mk = m->mu + (size_t)ps->k * r;
  double al = a * ps->lam / S, s2 = s * s / S;
  for (int i = 0; i < r; i++) f[i] = a * y[i] - (al * y[i] + s2 * (wj * mj[i] + wk * mk[i]));
  double alpha = a - al, gamma = a * s2 / S * wj * wk * ps->delta2;
  f[r] = alpha, f[r + 1] = alpha - gamma;
  for (int i = 0; i < r + 2; i++)
    if (!isfinite(f[i])) return GSL_EBADFUNC;
  return GSL_SUCCESS;
}

/* From (*u, c = y[0..r)) while only a pair of components carries the posterior: the reduced
 * trajectory with the two log-growths, then the normalised state (c, W, g) of §9.19 written into
 * y (V = e^g W = e^{sg G_perp} (I - e e^T) + e^{sg G_e} e e^T). Nothing is done (*u unchanged)
 * when the start has three or more non-negligible components. *n += the steps taken. */
static ctr_status pair_phase(const ctr_lip_span *ls, const ctr_flow_tol *tol, double sg,
                             double *u, double u1, double *y, unsigned long nmax,
                             unsigned long *n, ctr_error *err) {
  const ctr_mixture *m = ls->mr;
  int r = m->d;
  pair_sys ps = {.m = m, .lam = ls->lam};
  if (!pair_find(m, ls->lam, *u, y, &ps.j, &ps.k)) return CTR_OK;
  size_t dim = (size_t)r + 2;
  double *yp = ctr_dalloc(2 * dim), *y0 = yp ? yp + dim : NULL, dir = u1 < *u ? -1.0 : 1.0;
  ps.e = ctr_dalloc(r);
  gsl_odeiv2_system sys = {pair_rhs, NULL, dim, &ps};
  gsl_odeiv2_driver *drv = yp && ps.e
      ? gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, dir * 1e-3, tol->abs_tol,
                                      tol->rel_tol)
      : NULL;
  gsl_odeiv2_control *ctl = drv ? gsl_odeiv2_control_alloc(&norm_control) : NULL;
  ctr_status st = ctl ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "Lipschitz pair: out of memory");
  if (!st) {
    ((norm_ctl *)ctl->state)->r = (size_t)r, ((norm_ctl *)ctl->state)->nvr = (size_t)r;
    gsl_odeiv2_control_init(ctl, tol->abs_tol, tol->rel_tol, 1.0, 0.0);
    gsl_odeiv2_control_free(drv->c), drv->c = ctl, ctl = NULL;
    gsl_odeiv2_control_set_driver(drv->c, drv);
    const double *mj = m->mu + (size_t)ps.j * r, *mk = m->mu + (size_t)ps.k * r;
    for (int i = 0; i < r; i++) ps.e[i] = mj[i] - mk[i], ps.delta2 += ps.e[i] * ps.e[i];
    for (int i = 0; i < r && ps.delta2 > 0; i++) ps.e[i] /= sqrt(ps.delta2);
    memcpy(yp, y, sizeof(double) * r), yp[r] = yp[r + 1] = 0;
  }
  unsigned long k = 0;
  while (!st && dir * (u1 - *u) > 0) {
    double u0 = *u;
    memcpy(y0, yp, sizeof(double) * dim);
    int gs = gsl_odeiv2_evolve_apply(drv->e, drv->c, drv->s, drv->sys, u, u1, &drv->h, yp);
    if (gs == GSL_EBADFUNC && ps.left) { /* back to the last step's end: the full system */
      *u = u0, memcpy(yp, y0, sizeof(double) * dim);
      break;
    }
    if (gs != GSL_SUCCESS || k++ == nmax)
      st = ctr_fail(err, CTR_ENUMERIC, "Lipschitz pair: ODE solver failed after %lu steps: %s",
                    k, gs == GSL_SUCCESS ? "too many steps" : gsl_strerror(gs));
  }
  if (!st) { /* V = e^g W with g the larger log-growth */
    double gp = sg * yp[r], ge = sg * yp[r + 1], g = fmax(gp, ge);
    double fp = exp(gp - g), fe = exp(ge - g);
    memcpy(y, yp, sizeof(double) * r);
    for (int i = 0; i < r; i++)
      for (int l = 0; l < r; l++)
        y[r + (size_t)i * r + l] = fp * ((i == l) - ps.e[i] * ps.e[l]) + fe * ps.e[i] * ps.e[l];
    y[(size_t)r * (r + 1)] = g;
  }
  *n += k;
  if (ctl) gsl_odeiv2_control_free(ctl);
  if (drv) gsl_odeiv2_driver_free(drv);
  free(yp), free(ps.e);
  return st;
}

ctr_status ctr_lip_span_flow(const ctr_lip_span *ls, const ctr_flow_span *span,
                             const ctr_flow_tol *tol, const double *c, double sign, double above,
                             double *c_to, double *V, long *e2, unsigned long *steps,
                             ctr_error *err) {
  int pair = ls->tangent == CTR_LIP_TANGENT_PAIR;
  int r = ls->r, normalised = ls->tangent == CTR_LIP_TANGENT_NORMALISED || pair;
  size_t dim = (size_t)r * (r + 1) + (size_t)normalised, nvr = (size_t)r * r;
  span_sys ss = {.m = ls->mr, .sign = sign, .normalised = normalised};
  double *y = ctr_dalloc(dim);
  ss.D = ctr_dalloc(r), ss.GV = ctr_dalloc(nvr);
  ss.work = ls->mr ? ctr_dalloc(ctr_mixture_work_len(ls->mr) + ls->mr->K + r) : NULL;
  double u = noise_u(span->a_from, span->s_from), u1 = noise_u(span->a_to, span->s_to);
  double dir = u1 < u ? -1.0 : 1.0;
  gsl_odeiv2_system sys = {span_rhs, NULL, dim, &ss};
  gsl_odeiv2_driver *drv = y && ss.D && ss.GV && ss.work
      ? gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, dir * 1e-3, tol->abs_tol,
                                      tol->rel_tol)
      : NULL;
  gsl_odeiv2_control *ctl = drv ? gsl_odeiv2_control_alloc(&norm_control) : NULL;
  ctr_status st = CTR_OK;
  unsigned long n = 0, nmax = tol->max_steps ? tol->max_steps : 1000000UL;
  *e2 = 0;
  if (!ctl) st = ctr_fail(err, CTR_ENOMEM, "Lipschitz span: out of memory (r = %d)", r);
  if (!st) { /* the driver's standard control replaced by the norm control */
    ((norm_ctl *)ctl->state)->r = (size_t)r, ((norm_ctl *)ctl->state)->nvr = (size_t)r * (r + 1);
    gsl_odeiv2_control_init(ctl, tol->abs_tol, tol->rel_tol, 1.0, 0.0);
    gsl_odeiv2_control_free(drv->c), drv->c = ctl, ctl = NULL;
    gsl_odeiv2_control_set_driver(drv->c, drv);
    memcpy(y, c, sizeof(double) * r);
    for (int j = 0; j < r; j++) y[r + (size_t)j * r + j] = 1.0;
  }
  int gs = GSL_SUCCESS;
  if (!st && pair) st = pair_phase(ls, tol, sign, &u, u1, y, nmax, &n, err);
  while (!st && gs == GSL_SUCCESS && dir * (u1 - u) > 0) {
    gs = gsl_odeiv2_evolve_apply(drv->e, drv->c, drv->s, drv->sys, &u, u1, &drv->h, y);
    if (gs == GSL_SUCCESS && n++ == nmax) gs = GSL_EMAXITER;
    if (normalised) continue; /* W stays of norm ~sqrt(r): nothing to rescale */
    double mx = 0;
    for (size_t i = 0; i < nvr; i++) mx = fmax(mx, fabs(y[r + i]));
    if (gs != GSL_SUCCESS || !(mx > 0) || !isfinite(mx) || (mx <= above && mx >= 1.0 / above))
      continue;
    int e = ilogb(mx); /* exact power of two: the vectors are linear in their start */
    for (size_t i = 0; i < nvr; i++) y[r + i] = ldexp(y[r + i], -e);
    *e2 += e;
    gsl_odeiv2_evolve_reset(drv->e), gsl_odeiv2_step_reset(drv->s); /* y jumped */
  }
  if (!st && ss.st) st = ss.st, *err = ss.err;
  else if (!st && gs != GSL_SUCCESS)
    st = ctr_fail(err, CTR_ENUMERIC, "Lipschitz span: ODE solver failed after %lu steps: %s", n,
                  gsl_strerror(gs));
  if (!st) memcpy(c_to, y, sizeof(double) * r), memcpy(V, y + r, sizeof(double) * nvr);
  if (!st && normalised) { /* V = e^g W = 2^e2 (W e^(g - e2 ln 2)), the factor in [1, 2) */
    double g = y[dim - 1];
    *e2 = (long)floor(g / M_LN2);
    double f = exp(g - (double)*e2 * M_LN2);
    for (size_t i = 0; i < nvr; i++) V[i] *= f;
  }
  if (steps) *steps = n;
  if (ctl) gsl_odeiv2_control_free(ctl);
  if (drv) gsl_odeiv2_driver_free(drv);
  free(y), free(ss.D), free(ss.GV), free(ss.work);
  return st;
}

int ctr_lip_span_pair_at(const ctr_lip_span *ls, double a, double s, const double *x) {
  int j, k, r = ls->r;
  double *c = ctr_dalloc((size_t)r + 1);
  if (!c || r < 1) {
    free(c);
    return 0;
  }
  project(ls, x, c);
  int on = pair_find(ls->mr, ls->lam, noise_u(a, s), c, &j, &k);
  free(c);
  return on;
}

/* sigma_max of the r x r matrix V (rows or columns: the same singular values), in log, with V
 * first brought to largest entry in [1, 2) so that the SVD sees no overflow. */
static ctr_status log_sigma_max(int r, double *V, long e2, double *out, ctr_error *err) {
  double mx = 0;
  for (int i = 0; i < r * r; i++) mx = fmax(mx, fabs(V[i]));
  if (!(mx > 0) || !isfinite(mx))
    return ctr_fail(err, CTR_ENUMERIC, "Lipschitz: Jacobian products %g", mx);
  int e = ilogb(mx);
  gsl_matrix *A = gsl_matrix_alloc(r, r), *W = gsl_matrix_alloc(r, r);
  gsl_vector *S = gsl_vector_alloc(r), *wk = gsl_vector_alloc(r);
  ctr_status st = CTR_OK;
  if (!A || !W || !S || !wk) st = ctr_fail(err, CTR_ENOMEM, "Lipschitz: out of memory (SVD)");
  for (int i = 0; !st && i < r * r; i++) A->data[(i / r) * A->tda + i % r] = ldexp(V[i], -e);
  int gs = st ? GSL_SUCCESS : gsl_linalg_SV_decomp(A, W, S, wk);
  if (!st && gs != GSL_SUCCESS)
    st = ctr_fail(err, CTR_ENUMERIC, "Lipschitz: SVD failed: %s", gsl_strerror(gs));
  if (!st) *out = log(gsl_vector_max(S)) + (double)(e2 + e) * M_LN2;
  if (A) gsl_matrix_free(A);
  if (W) gsl_matrix_free(W);
  if (S) gsl_vector_free(S);
  if (wk) gsl_vector_free(wk);
  return st;
}

ctr_status ctr_lip_span_log_norm(const ctr_lip_span *ls, const ctr_flow_span *down,
                                 const ctr_flow_tol *tol, const double *p, int upward,
                                 double above, double *log_norm, double *xn,
                                 unsigned long *steps, ctr_error *err) {
  int d = ls->d, r = ls->r;
  unsigned long n = 0;
  ctr_flow_span up = {down->a_to, down->s_to, down->a_from, down->s_from};
  double *c = ctr_dalloc((size_t)r + 1), *c_to = ctr_dalloc((size_t)r + 1);
  double *V = ctr_dalloc((size_t)r * r + 1), lb = ctr_lip_span_log_beta(ls, down);
  double lnr = -INFINITY, x2 = 0;
  long e2 = 0;
  ctr_status st = c && c_to && V ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "Lipschitz: out of memory");
  if (!st) project(ls, p, c);
  if (!st && r > 0)
    st = ctr_lip_span_flow(ls, upward ? &up : down, tol, c, upward ? -1.0 : 1.0, above, c_to, V,
                           &e2, &n, err);
  if (steps) *steps += n;
  if (!st && r > 0) st = log_sigma_max(r, V, e2, &lnr, err);
  if (!st) {
    *log_norm = r < d ? fmax(lnr, lb) : lnr;
    if (!upward)
      for (int i = 0; i < d; i++) x2 += p[i] * p[i];
    else { /* x = Q^T c_N + a_N p + (1 / beta) (y_perp - a_1 p), y_perp = y - Q^T c */
      double ib = exp(-lb);
      for (int j = 0; j < r; j++) x2 += c_to[j] * c_to[j];
      for (int i = 0; i < d && r < d; i++) {
        double yp = p[i];
        for (int j = 0; j < r; j++) yp -= c[j] * ls->Q[(size_t)j * d + i];
        double xp = down->a_from * ls->p[i] + ib * (yp - down->a_to * ls->p[i]);
        x2 += xp * xp;
      }
    }
    *xn = sqrt(x2);
    if (!isfinite(*log_norm)) st = ctr_fail(err, CTR_ENUMERIC, "Lipschitz: norm not finite");
  }
  free(c), free(c_to), free(V);
  return st;
}

ctr_status ctr_lip_span_jacobian(const ctr_lip_span *ls, const ctr_flow_span *span,
                                 const ctr_flow_tol *tol, const double *x, double *y, double *J,
                                 ctr_error *err) {
  int d = ls->d, r = ls->r;
  double *c = ctr_dalloc((size_t)r + 1), *c_to = ctr_dalloc((size_t)r + 1);
  double *V = ctr_dalloc((size_t)r * r + 1), *QtJ = ctr_dalloc((size_t)d * (r + 1));
  double beta = exp(ctr_lip_span_log_beta(ls, span));
  long e2 = 0;
  ctr_status st = c && c_to && V && QtJ ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "out of memory");
  if (!st) project(ls, x, c);
  if (!st && r > 0)
    st = ctr_lip_span_flow(ls, span, tol, c, 1.0, INFINITY, c_to, V, &e2, NULL, err);
  for (int i = 0; !st && e2 && i < r * r; i++) V[i] = ldexp(V[i], (int)e2);
  if (!st) {
    for (int i = 0; i < d; i++) { /* QtJ = Q^T J_r (d x r); J_r[k][l] = V[l*r + k] */
      for (int l = 0; l < r; l++) {
        double s = 0;
        for (int k = 0; k < r; k++) s += ls->Q[(size_t)k * d + i] * V[(size_t)l * r + k];
        QtJ[(size_t)i * r + l] = s;
      }
    }
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double s = i == j ? beta : 0;
        for (int l = 0; l < r; l++) {
          s += QtJ[(size_t)i * r + l] * ls->Q[(size_t)l * d + j];
          s -= beta * ls->Q[(size_t)l * d + i] * ls->Q[(size_t)l * d + j];
        }
        J[(size_t)i * d + j] = s;
      }
    for (int i = 0; i < d; i++) { /* y = Q^T c_to + a_to p + beta (x_perp - a_from p) */
      double xp = x[i], v = 0;
      for (int j = 0; j < r; j++)
        xp -= c[j] * ls->Q[(size_t)j * d + i], v += c_to[j] * ls->Q[(size_t)j * d + i];
      y[i] = v + span->a_to * ls->p[i] + beta * (xp - span->a_from * ls->p[i]);
    }
  }
  free(c), free(c_to), free(V), free(QtJ);
  return st;
}
