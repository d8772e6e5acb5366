#include "targets/flow_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_vector.h>

#define FLOW_MAX_STEPS 1000000UL
#define FLOW_UNIT_TOL 1e-10 /* accepted |a^2 + s^2 - 1| of a noise level */

/* ---------------- the ODE in u = log tan(phi/2) (targets/flow_map.h, theory.md §5) ---------------- */

/* u of a noise level. tan(phi/2) = s / (1 + a) has no cancellation for a >= 0, but near
 * phi = pi/2 (a_N ~ 1e-5) log(s/(1+a)) is -a + O(a^2) formed from two O(1) numbers; there
 * u = -atanh(a) keeps a's relative digits. The two agree where they switch. */
static double noise_u(double a, double s) { return a < 0.5 ? -atanh(a) : log(s / (1.0 + a)); }

typedef struct {
  const ctr_denoiser *den;
  int d, jac;    /* jac: the state carries J (d x d, row-major) after x */
  double *D, *G; /* denoiser scratch, allocated once per call (G only when jac) */
  ctr_status st; /* first failure inside the right-hand side, reported after the driver stops */
  ctr_error err;
} flow_sys;

static int rhs_fail(flow_sys *fs, ctr_status st) {
  if (fs->st == CTR_OK) fs->st = st;
  return GSL_EBADFUNC; /* makes gsl_odeiv2_driver_apply stop at once instead of retrying */
}

/* dJ/du = (a I - gradD) J (theory.md §5, variational equation, in u): fJ = a J - G J. */
static int jac_rhs(flow_sys *fs, double a, const double *J, double *fJ) {
  size_t d = (size_t)fs->d;
  for (size_t k = 0; k < d * d; k++)
    if (!isfinite(fs->G[k]))
      return rhs_fail(fs, ctr_fail(&fs->err, CTR_ENUMERIC,
                                   "flow: denoiser gradient is not finite at a = %.17g", a));
  memcpy(fJ, J, d * d * sizeof *fJ);
  gsl_matrix_const_view Gv = gsl_matrix_const_view_array(fs->G, d, d);
  gsl_matrix_const_view Jv = gsl_matrix_const_view_array(J, d, d);
  gsl_matrix_view Fv = gsl_matrix_view_array(fJ, d, d);
  int st = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, -1.0, &Gv.matrix, &Jv.matrix, a, &Fv.matrix);
  if (st != GSL_SUCCESS)
    return rhs_fail(fs, ctr_fail(&fs->err, CTR_ENUMERIC, "flow: gsl_blas_dgemm failed: %s",
                                 gsl_strerror(st)));
  return GSL_SUCCESS;
}

/* dx/du = a x - D(x): theory.md §5's (cos(phi) x - D)/sin(phi) times dphi/du = sin(phi). */
static int flow_rhs(double u, const double y[], double f[], void *params) {
  flow_sys *fs = params;
  double a = 0.0 - tanh(u), s = 1.0 / cosh(u); /* 0.0 - : a = +0 at u = 0, never -0 */
  ctr_status st = fs->den->eval(fs->den->ctx, a, s, y, fs->D, fs->jac ? fs->G : NULL, &fs->err);
  if (st) return rhs_fail(fs, st);
  for (int i = 0; i < fs->d; i++) {
    f[i] = a * y[i] - fs->D[i];
    if (!isfinite(f[i]))
      return rhs_fail(fs, ctr_fail(&fs->err, CTR_ENUMERIC,
                                   "flow: denoiser output %d is not finite at a = %.17g, "
                                   "s = %.17g (x_%d = %g)",
                                   i, a, s, i, y[i]));
  }
  return fs->jac ? jac_rhs(fs, a, y + fs->d, f + fs->d) : GSL_SUCCESS;
}

/* ---------------- argument checks ---------------- */

static ctr_status check_level(double a, double s, const char *which, ctr_error *err) {
  if (!isfinite(a) || !isfinite(s) || a < 0 || s <= 0 || fabs(a * a + s * s - 1) > FLOW_UNIT_TOL)
    return ctr_fail(err, CTR_EINPUT,
                    "flow: noise level %s (a, s) = (%.17g, %.17g) is invalid (accepted: a >= 0, "
                    "s > 0, a^2 + s^2 = 1 to %g)",
                    which, a, s, FLOW_UNIT_TOL);
  return CTR_OK;
}

static ctr_status check_args(const ctr_denoiser *den, const ctr_flow_span *sp,
                             const ctr_flow_tol *tol, ctr_error *err) {
  if (!den || !den->eval || den->d < 1)
    return ctr_fail(err, CTR_EINPUT, "flow: denoiser is missing or has d = %d (accepted: d >= 1)",
                    den ? den->d : 0);
  ctr_status st = check_level(sp->a_from, sp->s_from, "from", err);
  if (st) return st;
  st = check_level(sp->a_to, sp->s_to, "to", err);
  if (st) return st;
  /* halving must stay meaningful: below ~1e-15 relative the control cannot be met in doubles */
  if (!(tol->abs_tol >= 0) || !(tol->rel_tol >= 0) || !(tol->abs_tol < 1) ||
      !(tol->rel_tol < 1) || tol->abs_tol + tol->rel_tol < 1e-15)
    return ctr_fail(err, CTR_EINPUT,
                    "flow: tolerances abs = %g, rel = %g are invalid (accepted: both in [0, 1), "
                    "abs + rel >= 1e-15, e.g. 1e-12)",
                    tol->abs_tol, tol->rel_tol);
  return CTR_OK;
}

/* ---------------- per-call workspace ---------------- */

typedef struct {
  flow_sys fs;
  gsl_odeiv2_system sys;
  gsl_odeiv2_driver *drv;
  double u_from, u_to, h0, abs_tol, rel_tol;
  size_t dim;
  double *state, *half; /* one run, the halved-tolerance run */
  gsl_matrix *A, *Q;    /* SVD scratch (jac only) */
  gsl_vector *S;
} flow_ws;

static void ws_free(flow_ws *w) {
  if (!w) return;
  if (w->drv) gsl_odeiv2_driver_free(w->drv);
  if (w->A) gsl_matrix_free(w->A);
  if (w->Q) gsl_matrix_free(w->Q);
  if (w->S) gsl_vector_free(w->S);
  free(w->fs.D), free(w->fs.G), free(w->state), free(w->half);
  free(w);
}

static ctr_status ws_buffers(flow_ws *w, size_t d) {
  w->fs.D = ctr_dalloc(d);
  w->state = ctr_dalloc(w->dim);
  w->half = ctr_dalloc(w->dim);
  if (!w->fs.D || !w->state || !w->half) return CTR_ENOMEM;
  if (!w->fs.jac) return CTR_OK;
  w->fs.G = ctr_dalloc(d * d);
  w->A = gsl_matrix_alloc(d, d);
  w->Q = gsl_matrix_alloc(d, d);
  w->S = gsl_vector_alloc(d);
  return w->fs.G && w->A && w->Q && w->S ? CTR_OK : CTR_ENOMEM;
}

/* Everything a trajectory needs, allocated once so that the right-hand side never allocates. */
static ctr_status ws_alloc(const ctr_denoiser *den, const ctr_flow_span *sp,
                           const ctr_flow_tol *tol, int jac, flow_ws **out, ctr_error *err) {
  *out = NULL;
  ctr_status st = check_args(den, sp, tol, err);
  if (st) return st;
  size_t d = (size_t)den->d;
  flow_ws *w = calloc(1, sizeof *w);
  if (!w) return ctr_fail(err, CTR_ENOMEM, "flow: out of memory (workspace)");
  w->fs.den = den, w->fs.d = den->d, w->fs.jac = jac;
  w->dim = d + (jac ? d * d : 0);
  w->u_from = noise_u(sp->a_from, sp->s_from), w->u_to = noise_u(sp->a_to, sp->s_to);
  w->h0 = w->u_to < w->u_from ? -1e-3 : 1e-3; /* the controller grows it within a few steps */
  w->abs_tol = tol->abs_tol, w->rel_tol = tol->rel_tol;
  w->sys = (gsl_odeiv2_system){flow_rhs, NULL, w->dim, &w->fs};
  if (ws_buffers(w, d) == CTR_OK)
    w->drv = gsl_odeiv2_driver_alloc_y_new(&w->sys, gsl_odeiv2_step_rk8pd, w->h0, w->abs_tol,
                                           w->rel_tol);
  if (!w->drv) {
    ws_free(w);
    return ctr_fail(err, CTR_ENOMEM, "flow: out of memory (ODE state of size %zu)",
                    d + (jac ? d * d : 0));
  }
  int gs = gsl_odeiv2_driver_set_nmax(w->drv, tol->max_steps ? tol->max_steps : FLOW_MAX_STEPS);
  if (gs != GSL_SUCCESS) {
    ws_free(w);
    return ctr_fail(err, CTR_ENUMERIC, "flow: gsl_odeiv2_driver_set_nmax: %s", gsl_strerror(gs));
  }
  *out = w;
  return CTR_OK;
}

/* One integration from u_from to u_to with the tolerances times scale, starting at x (J = I). */
static ctr_status ws_run(flow_ws *w, const double *x, double scale, double *y, ctr_error *err) {
  int d = w->fs.d;
  int gs = gsl_odeiv2_control_init(w->drv->c, scale * w->abs_tol, scale * w->rel_tol, 1.0, 0.0);
  if (gs == GSL_SUCCESS) gs = gsl_odeiv2_driver_reset_hstart(w->drv, w->h0);
  if (gs != GSL_SUCCESS)
    return ctr_fail(err, CTR_ENUMERIC, "flow: resetting the ODE driver failed: %s",
                    gsl_strerror(gs));
  memcpy(y, x, (size_t)d * sizeof *y);
  if (w->fs.jac) {
    memset(y + d, 0, (size_t)d * (size_t)d * sizeof *y);
    for (int i = 0; i < d; i++) y[d + i * d + i] = 1.0;
  }
  w->fs.st = CTR_OK;
  double u = w->u_from;
  gs = gsl_odeiv2_driver_apply(w->drv, &u, w->u_to, y);
  if (w->fs.st) {
    if (err) *err = w->fs.err;
    return w->fs.st;
  }
  if (gs != GSL_SUCCESS)
    return ctr_fail(err, CTR_ENUMERIC,
                    "flow: ODE solver stopped at phi = %.6g of [%.6g -> %.6g] after %lu steps: %s "
                    "(tolerances abs %g, rel %g)",
                    2 * atan(exp(u)), 2 * atan(exp(w->u_from)), 2 * atan(exp(w->u_to)),
                    w->drv->n, gsl_strerror(gs), scale * w->abs_tol, scale * w->rel_tol);
  return CTR_OK;
}

/* The run at the given tolerances into w->state and, when estimate, the run at halved ones
 * into w->half (the result then); the difference is the error estimate (targets/flow_map.h). */
static ctr_status ws_run_pair(flow_ws *w, const double *x, int estimate, ctr_error *err) {
  ctr_status st = ws_run(w, x, 1.0, w->state, err);
  if (st || !estimate) return st;
  return ws_run(w, x, 0.5, w->half, err);
}

/* ---------------- public: spans and the flow map ---------------- */

void ctr_flow_tol_default(ctr_flow_tol *tol) {
  tol->abs_tol = 1e-12;
  tol->rel_tol = 1e-12;
  tol->max_steps = 0;
}

ctr_status ctr_flow_span_steps(const ctr_schedule *s, int64_t t, int64_t k, ctr_flow_span *span,
                               ctr_error *err) {
  if (t < 1 || t > s->N || k < 1 || k > s->N)
    return ctr_fail(err, CTR_EINPUT,
                    "flow: steps t = %lld, k = %lld are out of range (accepted: 1..N = %lld)",
                    (long long)t, (long long)k, (long long)s->N);
  span->a_from = s->a[t], span->s_from = s->s[t];
  span->a_to = s->a[k], span->s_to = s->s[k];
  return CTR_OK;
}

ctr_status ctr_flow_map(const ctr_denoiser *den, const ctr_flow_span *span,
                        const ctr_flow_tol *tol, const double *x, double *y, double *y_err,
                        ctr_error *err) {
  flow_ws *w = NULL;
  ctr_status st = ws_alloc(den, span, tol, 0, &w, err);
  if (st) return st;
  st = ws_run_pair(w, x, y_err != NULL, err);
  if (st == CTR_OK) {
    memcpy(y, y_err ? w->half : w->state, (size_t)den->d * sizeof *y);
    for (int i = 0; y_err && i < den->d; i++) y_err[i] = fabs(w->half[i] - w->state[i]);
  }
  ws_free(w);
  return st;
}

/* ---------------- Jacobian, operator norm, Lipschitz ---------------- */

ctr_status ctr_flow_jac_alloc(int d, ctr_flow_jac **out, ctr_error *err) {
  *out = NULL;
  if (d < 1) return ctr_fail(err, CTR_EINPUT, "flow: d = %d is invalid (accepted: d >= 1)", d);
  ctr_flow_jac *j = calloc(1, sizeof *j);
  size_t n = (size_t)d;
  if (j) {
    j->d = d;
    j->y = ctr_dalloc(n), j->J = ctr_dalloc(n * n);
    j->y_err = ctr_dalloc(n), j->J_err = ctr_dalloc(n * n);
  }
  if (!j || !j->y || !j->J || !j->y_err || !j->J_err) {
    ctr_flow_jac_free(j);
    return ctr_fail(err, CTR_ENOMEM, "flow: out of memory (Jacobian of dimension %d)", d);
  }
  *out = j;
  return CTR_OK;
}

void ctr_flow_jac_free(ctr_flow_jac *j) {
  if (!j) return;
  free(j->y), free(j->J), free(j->y_err), free(j->J_err);
  free(j);
}

/* ||J||_2 = largest singular value. One-sided Jacobi SVD: relative accuracy on the singular
 * values, and d is small (the state is already d^2). */
static ctr_status opnorm(flow_ws *w, const double *J, double *out, ctr_error *err) {
  size_t d = (size_t)w->fs.d;
  gsl_matrix_const_view Jv = gsl_matrix_const_view_array(J, d, d);
  int gs = gsl_matrix_memcpy(w->A, &Jv.matrix);
  if (gs == GSL_SUCCESS) gs = gsl_linalg_SV_decomp_jacobi(w->A, w->Q, w->S);
  if (gs != GSL_SUCCESS)
    return ctr_fail(err, CTR_ENUMERIC, "flow: SVD of the %zu x %zu Jacobian failed: %s", d, d,
                    gsl_strerror(gs));
  *out = gsl_vector_max(w->S); /* singular values are >= 0, sorted, but do not rely on it */
  return isfinite(*out) ? CTR_OK
                        : ctr_fail(err, CTR_ENUMERIC, "flow: Jacobian norm is not finite");
}

/* Copy the run(s) of w into jac, with norms and (when estimated) differences. */
static ctr_status jac_fill(flow_ws *w, int estimate, ctr_flow_jac *jac, ctr_error *err) {
  size_t d = (size_t)jac->d, dim = d + d * d;
  const double *fine = estimate ? w->half : w->state;
  memcpy(jac->y, fine, d * sizeof *fine);
  memcpy(jac->J, fine + d, d * d * sizeof *fine);
  jac->steps = w->drv->n;
  jac->estimated = estimate != 0;
  ctr_status st = opnorm(w, jac->J, &jac->opnorm, err);
  double coarse = jac->opnorm;
  if (st == CTR_OK && estimate) st = opnorm(w, w->state + d, &coarse, err);
  jac->opnorm_err = fabs(jac->opnorm - coarse);
  for (size_t k = 0; k < dim; k++) {
    double e = estimate ? fabs(w->half[k] - w->state[k]) : 0.0;
    if (k < d) jac->y_err[k] = e;
    else jac->J_err[k - d] = e;
  }
  return st;
}

ctr_status ctr_flow_jacobian(const ctr_denoiser *den, const ctr_flow_span *span,
                             const ctr_flow_tol *tol, const double *x, int estimate,
                             ctr_flow_jac *jac, ctr_error *err) {
  if (!jac || !den || jac->d != den->d)
    return ctr_fail(err, CTR_EINPUT,
                    "flow: Jacobian buffer of dimension %d does not match the denoiser's %d",
                    jac ? jac->d : 0, den ? den->d : 0);
  flow_ws *w = NULL;
  ctr_status st = ws_alloc(den, span, tol, 1, &w, err);
  if (st) return st;
  st = ws_run_pair(w, x, estimate, err);
  if (st == CTR_OK) st = jac_fill(w, estimate, jac, err);
  ws_free(w);
  return st;
}

/* One workspace for all n points (the driver is reset, not reallocated); the argmax is then
 * rerun at halved tolerances for the error estimate of the maximum. */
ctr_status ctr_flow_lipschitz(const ctr_denoiser *den, const ctr_flow_span *span,
                              const ctr_flow_tol *tol, size_t n, const double *xs,
                              ctr_flow_lip *out, ctr_error *err) {
  if (n < 1) return ctr_fail(err, CTR_EINPUT, "flow: n = 0 points (accepted: n >= 1)");
  flow_ws *w = NULL;
  ctr_status st = ws_alloc(den, span, tol, 1, &w, err);
  if (st) return st;
  size_t d = (size_t)den->d;
  out->max_norm = -1, out->argmax = 0, out->max_norm_err = 0;
  for (size_t i = 0; i < n && st == CTR_OK; i++) {
    double nrm = 0;
    st = ws_run(w, xs + i * d, 1.0, w->state, err);
    if (st == CTR_OK) st = opnorm(w, w->state + d, &nrm, err);
    if (st == CTR_OK && nrm > out->max_norm) out->max_norm = nrm, out->argmax = i;
  }
  if (st == CTR_OK) st = ws_run_pair(w, xs + out->argmax * d, 1, err);
  double fine = 0, coarse = 0;
  if (st == CTR_OK) st = opnorm(w, w->half + d, &fine, err);
  if (st == CTR_OK) st = opnorm(w, w->state + d, &coarse, err);
  if (st == CTR_OK) {
    out->max_norm = fine; /* the halved run is the more accurate one */
    out->max_norm_err = fabs(fine - coarse);
    out->L = fmax(1.0, fine);
  }
  ws_free(w);
  return st;
}
