/* analysis/nm_search.h: multi-start minimisation of a deterministic function of n real
 * parameters by GSL's Nelder-Mead simplex (gsl_multimin_fminimizer_nmsimplex2), for
 * `ctrate search` (theory.md §9.16). The function is a callback, so this module knows nothing
 * of targets or engines; every start runs until its simplex is smaller than size_tol or the
 * shared evaluation budget is spent, and the best point over all starts is returned.
 *
 * Nelder-Mead needs no derivatives and converges on a deterministic objective (an exact engine);
 * it finds a local minimum per start, hence the several starts. Bounds are the caller's: map a
 * bounded parameter from an unconstrained one (e.g. lo + (hi - lo)(1 + sin z) / 2, which reaches
 * its bounds at finite z, so a minimum on a bound is found with a shrinking simplex). */
#ifndef CTR_ANALYSIS_NM_SEARCH_H
#define CTR_ANALYSIS_NM_SEARCH_H

#include "core/common.h"

/* *value = f(z) (z: n doubles). A failure status stops the search and is returned by it. */
typedef ctr_status (*ctr_nm_fn)(const double *z, double *value, void *ctx, ctr_error *err);

/* Called after every simplex iteration and once at the end of each start (iter = -1):
 * the start's best point so far, its value, the simplex size and the evaluations used so far
 * (all starts). May be NULL. */
typedef void (*ctr_nm_observer)(int start, int iter, int evals, const double *z, double f,
                                double size, void *ctx);

typedef struct {
  int n;            /* parameters, 1 <= n <= CTR_NM_NMAX */
  int starts;       /* starts, >= 1: rows of x0 */
  const double *x0; /* starts x n, row-major */
  double step;      /* initial simplex: x0 + step e_i, > 0 */
  double size_tol;  /* a start ends when gsl_multimin_fminimizer_size < size_tol, > 0 */
  int max_evals;    /* evaluation budget over all starts (exceeded by at most n + 1: a
                       shrink step evaluates n points, the initial simplex n + 1), >= n + 1 */
  int max_iter;     /* iterations per start, >= 1 */
} ctr_nm_params;

#define CTR_NM_NMAX 64

typedef struct {
  double x[CTR_NM_NMAX]; /* best point over all starts */
  double f;              /* its value */
  int start;             /* the start that found it */
  int evals;             /* evaluations used */
  int converged;         /* starts that ended by size_tol (not by the budget or max_iter) */
  int starts_run;        /* starts begun (fewer than params.starts when the budget ran out) */
} ctr_nm_result;

/* CTR_EINPUT for bad params; the objective's status when it fails; CTR_ENUMERIC when GSL
 * fails (a NaN or infinite value, no progress possible) with the start and iteration. */
ctr_status ctr_nm_minimise(const ctr_nm_params *p, ctr_nm_fn fn, void *ctx, ctr_nm_observer obs,
                           void *obs_ctx, ctr_nm_result *out, ctr_error *err);

#endif
