/* engines/grid.c: ideal CT on a 1-D or 2-D grid (theory.md §2 and §5), see engines/grid.h.
 * This file holds the public entry points (parameters, checks, the result, evaluation of the
 * stored f_N) and the Gauss-Hermite rule both dimensions use; the recursion and metrics are in
 * engines/grid_1d.c and engines/grid_2d.c, the splines in engines/grid_spline.c. */
#include "engines/grid_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_integration.h>

#include "engines/grid_spline.h"

#define GRID_G_MAX 10000001 /* 80 MB per array */
#define GRID_Q_MAX 200
#define GRID_G2_MAX 2049    /* d = 2 refined level: 2049^2 x 8 doubles = 269 MB per array */

/* Physicists' Gauss-Hermite rule turned into E over zeta ~ N(0, 1) (theory.md §5). */
ctr_status ctr_grid_hermite(int Q, double *xi, double *om, ctr_error *err) {
  gsl_integration_fixed_workspace *hw =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, (size_t)Q, 0.0, 1.0, 0.0, 0.0);
  if (!hw) return ctr_fail(err, CTR_ENUMERIC, "grid: Gauss-Hermite rule of order %d failed", Q);
  const double *x = gsl_integration_fixed_nodes(hw), *wt = gsl_integration_fixed_weights(hw);
  for (int j = 0; j < Q; j++) xi[j] = M_SQRT2 * x[j], om[j] = wt[j] / sqrt(M_PI);
  gsl_integration_fixed_free(hw);
  return CTR_OK;
}

void ctr_grid_params_default(ctr_grid_params *p) {
  memset(p, 0, sizeof *p);
  p->G = 2001, p->Q = 20, p->width = 8, p->refine = 1, p->coupling = 1;
  p->quad_rel = 1e-9, p->sort_n = 65536;
  p->error.kind = CTR_ERR_NONE, p->error.eps = 0, p->seed = 1;
  p->cub_rel = 1e-6, p->cub_max = 2000;
}

void ctr_grid_params_default_d(ctr_grid_params *p, int d) {
  ctr_grid_params_default(p);
  if (d == 2) p->G = 201, p->Q = 10;
}

static ctr_status check_params(const ctr_grid_params *p, const ctr_mixture *m, ctr_error *err) {
  if (m->d != 1 && m->d != 2)
    return ctr_fail(err, CTR_EINPUT, "grid engine: d = %d is not supported (accepted: d = 1, 2; "
                    "use the chain engine in higher dimension)", m->d);
  int gmax = ((m->d == 1 ? GRID_G_MAX : GRID_G2_MAX) + 1) / 2;
  if (p->G < 5 || p->G > gmax)
    return ctr_fail(err, CTR_EINPUT, "grid engine: G = %d is out of range for d = %d (accepted: "
                    "5 <= G <= %d)", p->G, m->d, gmax);
  if (m->d == 2 && (!(p->cub_rel > 0 && p->cub_rel < 1) || p->cub_max < 16 || p->cub_max > 1000000))
    return ctr_fail(err, CTR_EINPUT, "grid engine: cub_rel = %g, cub_max = %d (accepted: "
                    "0 < cub_rel < 1, 16 <= cub_max <= 1e6)", p->cub_rel, p->cub_max);
  if (p->Q < 1 || p->Q > GRID_Q_MAX / 2)
    return ctr_fail(err, CTR_EINPUT, "grid engine: Q = %d Hermite nodes is out of range "
                    "(accepted: 1 <= Q <= %d)", p->Q, GRID_Q_MAX / 2);
  if (!(p->width > 0 && p->width <= 40) || !(p->quad_rel > 0 && p->quad_rel < 1) ||
      p->sort_n < 100)
    return ctr_fail(err, CTR_EINPUT, "grid engine: width = %g, quad_rel = %g, sort_n = %d "
                    "(accepted: 0 < width <= 40, 0 < quad_rel < 1, sort_n >= 100)",
                    p->width, p->quad_rel, p->sort_n);
  ctr_status st = ctr_errmodel_check(&p->error, err);
  if (st) return st;
  if (p->error.kind != CTR_ERR_NONE && p->error.kind != CTR_ERR_FIT_BIAS)
    return ctr_fail(err, CTR_EINPUT, "grid engine: error model '%s' is not supported "
                    "(accepted: none, fit-bias)", ctr_errmodel_name(p->error.kind));
  return CTR_OK;
}

void ctr_grid_result_free(ctr_grid_result *r) {
  if (!r) return;
  free(r->f), free(r->M);
  free(r);
}

void ctr_grid_eval2(const ctr_grid_result *r, const double *x, double *y) {
  ctr_grid_spline2 S = {.n = r->G, .c = r->M};
  double lo[2] = {r->lo, r->lo2}, hi[2] = {r->hi, r->hi2};
  ctr_grid_spline2_grid(&S, lo, hi);
  ctr_grid_spline2_eval(&S, x[0], x[1], y);
}

double ctr_grid_eval(const ctr_grid_result *r, double x) {
  ctr_grid_spline sp = {.n = r->G, .f = r->f, .M = r->M};
  ctr_grid_spline_grid(&sp, r->lo, r->hi);
  double h = sp.h;
  sp.slope_lo = (r->f[1] - r->f[0]) / h - h * r->M[1] / 6.0;
  sp.slope_hi = (r->f[r->G - 1] - r->f[r->G - 2]) / h + h * r->M[r->G - 2] / 6.0;
  return ctr_grid_spline_eval(&sp, x);
}

static void metrics_nan(ctr_grid_metrics *g) {
  g->w1_gauss = g->w2_gauss = g->w1_qN = g->w2_qN = g->coupling = g->coupling_sq = NAN;
}

static ctr_status result_alloc(const ctr_grid_params *p, const ctr_schedule *s, int d,
                               ctr_grid_result **out, ctr_error *err) {
  ctr_grid_result *r = calloc(1, sizeof *r);
  size_t G = (size_t)p->G, nf = d == 1 ? G : G * G * 2, nm = d == 1 ? G : G * G * CTR_GRID_NODE;
  if (r) r->f = ctr_dalloc(nf), r->M = ctr_dalloc(nm);
  if (!r || !r->f || !r->M) {
    ctr_grid_result_free(r);
    return ctr_fail(err, CTR_ENOMEM, "grid engine: out of memory (G = %d, d = %d)", p->G, d);
  }
  r->d = d, r->G = p->G, r->Q = p->Q, r->lo2 = r->hi2 = NAN;
  r->a1 = s->a[1], r->s1 = s->s[1], r->aN = s->a[s->N], r->sN = s->s[s->N];
  metrics_nan(&r->fine), metrics_nan(&r->disc);
  if (d == 2) metrics_nan(&r->base);
  r->disc_max = NAN;
  *out = r;
  return CTR_OK;
}

ctr_status ctr_grid_run(const ctr_grid_params *p, const ctr_schedule *s, const ctr_mixture *m,
                        ctr_grid_result **out, ctr_error *err) {
  *out = NULL;
  ctr_status st = check_params(p, m, err);
  ctr_grid_result *r = NULL;
  if (!st) st = result_alloc(p, s, m->d, &r, err);
  if (st) return st;
  st = m->d == 2 ? ctr_grid_run_2d(p, s, m, r, err) : ctr_grid_run_1d(p, s, m, r, err);
  if (st) ctr_grid_result_free(r);
  else *out = r;
  return st;
}
