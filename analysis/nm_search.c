#include "analysis/nm_search.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

typedef struct {
  ctr_nm_fn fn;
  void *ctx;
  ctr_error *err;
  ctr_status st; /* first failure of fn: the search stops at the next check */
  int evals;
} wrap;

/* GSL's objective: counts evaluations and turns a failure into NaN, which the driver notices
 * through w->st before GSL's own status (nmsimplex2 refuses a non-finite value). */
static double wrapped(const gsl_vector *x, void *params) {
  wrap *w = params;
  double v = NAN;
  if (w->st) return NAN;
  w->evals++;
  ctr_status st = w->fn(x->data, &v, w->ctx, w->err);
  if (st) w->st = st;
  return st ? NAN : v;
}

static ctr_status check(const ctr_nm_params *p, ctr_error *err) {
  if (p->n < 1 || p->n > CTR_NM_NMAX)
    return ctr_fail(err, CTR_EINPUT, "Nelder-Mead: n = %d parameters (accepted: 1 to %d)", p->n,
                    CTR_NM_NMAX);
  if (p->starts < 1 || !p->x0)
    return ctr_fail(err, CTR_EINPUT, "Nelder-Mead: %d starts (accepted: at least 1)", p->starts);
  if (!(p->step > 0) || !isfinite(p->step) || !(p->size_tol > 0) || !isfinite(p->size_tol))
    return ctr_fail(err, CTR_EINPUT, "Nelder-Mead: step %g and size_tol %g (accepted: positive)",
                    p->step, p->size_tol);
  if (p->max_evals < p->n + 1 || p->max_iter < 1)
    return ctr_fail(err, CTR_EINPUT, "Nelder-Mead: max_evals = %d (accepted: at least n + 1 = "
                    "%d), max_iter = %d (accepted: at least 1)", p->max_evals, p->n + 1,
                    p->max_iter);
  return CTR_OK;
}

/* One start from x0; improves *out when it finds a lower value. */
static ctr_status one_start(const ctr_nm_params *p, int start, wrap *w, ctr_nm_observer obs,
                            void *obs_ctx, ctr_nm_result *out, ctr_error *err) {
  const int n = p->n;
  gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
  gsl_vector *x = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
  if (!m || !x || !step) {
    gsl_multimin_fminimizer_free(m), gsl_vector_free(x), gsl_vector_free(step);
    return ctr_fail(err, CTR_ENOMEM, "Nelder-Mead: out of memory");
  }
  memcpy(x->data, p->x0 + (size_t)start * n, sizeof(double) * n);
  gsl_vector_set_all(step, p->step);
  gsl_multimin_function f = {.f = wrapped, .n = (size_t)n, .params = w};
  int gs = gsl_multimin_fminimizer_set(m, &f, x, step);
  ctr_status st = w->st;
  if (!st && gs)
    st = ctr_fail(err, CTR_ENUMERIC, "Nelder-Mead start %d: the initial simplex failed (%s: a "
                  "non-finite objective)", start + 1, gsl_strerror(gs));
  double size = INFINITY;
  int iter = 0, done = 0;
  while (!st && !done && iter < p->max_iter && w->evals < p->max_evals) {
    gs = gsl_multimin_fminimizer_iterate(m);
    iter++;
    if ((st = w->st)) break;
    if (gs) {
      st = ctr_fail(err, CTR_ENUMERIC, "Nelder-Mead start %d, iteration %d: %s", start + 1, iter,
                    gsl_strerror(gs));
      break;
    }
    size = gsl_multimin_fminimizer_size(m);
    done = gsl_multimin_test_size(size, p->size_tol) == GSL_SUCCESS;
    if (obs) obs(start, iter, w->evals, m->x->data, m->fval, size, obs_ctx);
  }
  if (!st) {
    out->converged += done;
    if (obs) obs(start, -1, w->evals, m->x->data, m->fval, size, obs_ctx);
    if (!(m->fval >= out->f)) { /* also replaces the initial +inf */
      memcpy(out->x, m->x->data, sizeof(double) * n);
      out->f = m->fval, out->start = start;
    }
  }
  gsl_multimin_fminimizer_free(m), gsl_vector_free(x), gsl_vector_free(step);
  return st;
}

ctr_status ctr_nm_minimise(const ctr_nm_params *p, ctr_nm_fn fn, void *ctx, ctr_nm_observer obs,
                           void *obs_ctx, ctr_nm_result *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  out->f = INFINITY, out->start = -1;
  ctr_status st = check(p, err);
  wrap w = {.fn = fn, .ctx = ctx, .err = err};
  /* a start needs its n + 1 initial points and a few iterations to mean anything */
  for (int s = 0; !st && s < p->starts && w.evals + p->n + 1 <= p->max_evals; s++) {
    out->starts_run++;
    st = one_start(p, s, &w, obs, obs_ctx, out, err);
  }
  out->evals = w.evals;
  return st;
}
