/* analysis/scaling.c: groups, slopes, floors, d exponents, N* and the bound's constant (analysis/scaling.h).
 * Every fit is a GSL least-squares fit; intervals use t quantiles with the residual degrees
 * of freedom; the bootstrap resamples replicates (seeds) with a counter-based stream. */
#include "analysis/scaling.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_multifit.h>

#include "core/rng.h"
#include "analysis/scaling_floor.h"

void ctr_scaling_opts_default(ctr_scaling_opts *o) {
  memset(o, 0, sizeof *o);
  o->metric = "auto", o->bootstrap = 1000, o->seed = 1;
}

/* ---- which column is W --------------------------------------------------------------- */

/* The auto metric's three columns, found once by name (this runs once per row). */
static const ctr_field *auto_field(const ctr_point *r) {
  static const ctr_field *coupling, *w1_grid, *w1_gauss;
  if (!coupling) {
    coupling = ctr_point_field("coupling_l1_qN"), w1_grid = ctr_point_field("w1_hi_qN");
    w1_gauss = ctr_point_field("w1_hi_normal");
  }
  if (!strcmp(r->engine, "chain") || !strcmp(r->engine, "distill")) return coupling;
  return !strcmp(r->engine, "grid") ? w1_grid : w1_gauss;
}

double ctr_scaling_metric(const ctr_point *row, const char *metric) {
  const ctr_field *f =
      !metric || !strcmp(metric, "auto") ? auto_field(row) : ctr_point_field(metric);
  if (!f || f->kind != CTR_KIND_F64) return NAN;
  return *(const double *)((const char *)row + f->offset);
}

/* ---- grouping: every parameter column but N (and, for families, d and eps) ------------ */

enum { SKIP_D = 1, SKIP_EPS = 2 };

static int cmp_field(const ctr_point *a, const ctr_point *b, const ctr_field *f) {
  const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
  switch (f->kind) {
  case CTR_KIND_I64: {
    int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return (x > y) - (x < y);
  }
  case CTR_KIND_I32: {
    int32_t x = *(const int32_t *)pa, y = *(const int32_t *)pb;
    return (x > y) - (x < y);
  }
  case CTR_KIND_F64: {
    double x = *(const double *)pa, y = *(const double *)pb;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
  }
  case CTR_KIND_STR: return strncmp(pa, pb, f->size);
  }
  return 0;
}

/* The parameters are the columns from `target` to `chains` (core/point.h order) but N and path
 * (derived); d and eps are listed apart because families skip them. Found once, by name. */
static const ctr_field *param_fields[64], *field_d, *field_eps, *field_radius;
static size_t nparams;

static void find_params(void) {
  if (nparams) return;
  int in = 0;
  for (size_t i = 0; i < ctr_point_nfields && nparams < 64; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    if (!strcmp(f->name, "target")) in = 1;
    if (!in || !strcmp(f->name, "N") || !strcmp(f->name, "path")) continue;
    if (!strcmp(f->name, "d")) field_d = f;
    else if (!strcmp(f->name, "radius")) field_radius = f;
    else if (!strcmp(f->name, "eps")) field_eps = f;
    else param_fields[nparams++] = f;
    if (!strcmp(f->name, "chains")) break;
  }
}

/* A radius that grows like sqrt(d) is one family's radius at every d (compared as R / sqrt(d)). */
static int cmp_radius(const ctr_point *a, const ctr_point *b, int skip) {
  if (!(skip & SKIP_D) || !a->radius_growing || !b->radius_growing) return cmp_field(a, b, field_radius);
  double x = a->radius / sqrt(a->d), y = b->radius / sqrt(b->d);
  if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
  return (x > y) - (x < y);
}

static int cmp_params(const ctr_point *a, const ctr_point *b, int skip) {
  for (size_t i = 0; i < nparams; i++) {
    int c = cmp_field(a, b, param_fields[i]);
    if (c) return c;
  }
  int r = cmp_radius(a, b, skip);
  if (r) return r;
  int c = skip & SKIP_D ? 0 : cmp_field(a, b, field_d);
  return c || (skip & SKIP_EPS) ? c : cmp_field(a, b, field_eps);
}

int ctr_scaling_same_family(const ctr_point *a, const ctr_point *b, int skip_eps) {
  find_params();
  return !cmp_params(a, b, SKIP_D | (skip_eps ? SKIP_EPS : 0));
}

static int by_params_N_seed(const void *pa, const void *pb) {
  const ctr_point *a = *(const ctr_point *const *)pa, *b = *(const ctr_point *const *)pb;
  int c = cmp_params(a, b, SKIP_D | SKIP_EPS);
  if (!c) c = (a->eps > b->eps) - (a->eps < b->eps);
  if (!c) c = (a->d > b->d) - (a->d < b->d);
  if (!c) c = cmp_params(a, b, 0);
  if (!c) c = (a->N > b->N) - (a->N < b->N);
  if (!c) c = (a->seed > b->seed) - (a->seed < b->seed);
  return c;
}

static void family_label(const ctr_point *r, int skip, char *buf, size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s", r->target);
  if (r->K > 1 || !strcmp(r->target, "two_modes"))
    k += (size_t)snprintf(buf + k, n - k, " K=%d sigma=%g", r->K, r->sigma);
  if (!(skip & SKIP_D) && k < n) k += (size_t)snprintf(buf + k, n - k, " d=%d", r->d);
  if (k < n) k += (size_t)snprintf(buf + k, n - k, " %s %s", r->engine, r->error);
  if (!(skip & SKIP_EPS) && k < n) k += (size_t)snprintf(buf + k, n - k, " eps=%g", r->eps);
  if (strcmp(r->schedule, "paper") && k < n) snprintf(buf + k, n - k, " %s", r->schedule);
}

/* ---- one group ------------------------------------------------------------------------ */

static double tq(double df) { return df >= 1 ? gsl_cdf_tdist_Pinv(0.975, df) : NAN; }

static int in_range(const ctr_scaling_opts *o, double N) {
  return (o->n_lo <= 0 || N >= o->n_lo) && (o->n_hi <= 0 || N <= o->n_hi);
}

/* Means over replicates per distinct N, with 95% t-intervals. */
static ctr_status per_N(ctr_scaling_group *g, const ctr_point *const *r, const double *w,
                        size_t n, ctr_error *err) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) m += !i || r[i]->N != r[i - 1]->N;
  g->N = malloc(sizeof(double) * m), g->mean = malloc(sizeof(double) * m);
  g->lo = malloc(sizeof(double) * m), g->hi = malloc(sizeof(double) * m);
  g->reps = malloc(sizeof(int) * m), g->nN = m;
  g->local = malloc(sizeof(double) * m), g->bound_local = malloc(sizeof(double) * m);
  if (!g->N || !g->mean || !g->lo || !g->hi || !g->reps || !g->local || !g->bound_local)
    return ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t i = 0, k = 0; i < n; k++) {
    size_t j = i;
    double s = 0, ss = 0;
    while (j < n && r[j]->N == r[i]->N) s += w[j], j++;
    double mean = s / (double)(j - i);
    for (size_t q = i; q < j; q++) ss += (w[q] - mean) * (w[q] - mean);
    double half = j - i > 1 ? tq((double)(j - i - 1)) * sqrt(ss / (double)(j - i - 1) / (double)(j - i)) : NAN;
    g->N[k] = (double)r[i]->N, g->mean[k] = mean, g->reps[k] = (int)(j - i);
    g->lo[k] = mean - half, g->hi[k] = mean + half;
    i = j;
  }
  for (size_t k = 0; k + 1 < m; k++) {
    double l1 = log(g->N[k]), l2 = log(g->N[k + 1]);
    g->local[k] = log(g->mean[k + 1] / g->mean[k]) / (l2 - l1);
    g->bound_local[k] = -1 + 5 * (log(l2) - log(l1)) / (l2 - l1);
  }
  return CTR_OK;
}

typedef struct {
  int64_t seed;
  double n, sx, sy, sxx, sxy; /* OLS sums of (log N, log W) over the seed's rows in range */
} seed_sums;

static int by_seed(const void *a, const void *b) {
  int64_t x = ((const seed_sums *)a)->seed, y = ((const seed_sums *)b)->seed;
  return (x > y) - (x < y);
}

static double ols_slope(double n, double sx, double sy, double sxx, double sxy) {
  double den = n * sxx - sx * sx;
  return n >= 2 && den > 0 ? (n * sxy - sx * sy) / den : NAN;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Percentile interval of the slope when whole replicates (seeds) are resampled. */
static void bootstrap(ctr_scaling_group *g, const ctr_point *const *r, const double *w, size_t n,
                      const ctr_scaling_opts *o, size_t gi) {
  g->boot_lo = g->boot_hi = NAN;
  seed_sums *s = calloc(n ? n : 1, sizeof *s);
  double *b = malloc(sizeof(double) * (o->bootstrap > 0 ? (size_t)o->bootstrap : 1));
  size_t ns = 0;
  for (size_t i = 0; s && i < n; i++) s[i].seed = r[i]->seed;
  if (s) qsort(s, n, sizeof *s, by_seed);
  for (size_t i = 0; s && i < n; i++)
    if (!ns || s[ns - 1].seed != s[i].seed) s[ns++] = (seed_sums){s[i].seed, 0, 0, 0, 0, 0};
  g->replicates = ns;
  if (!s || !b || ns < 2 || o->bootstrap < 20) {
    free(s), free(b);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (!in_range(o, (double)r[i]->N)) continue;
    seed_sums key = {r[i]->seed, 0, 0, 0, 0, 0}, *t = bsearch(&key, s, ns, sizeof *s, by_seed);
    double x = log((double)r[i]->N), y = log(w[i]);
    t->n += 1, t->sx += x, t->sy += y, t->sxx += x * x, t->sxy += x * y;
  }
  ctr_rng rng;
  ctr_rng_init(&rng, o->seed, CTR_RNG_BOOTSTRAP, (uint64_t)gi, 0);
  size_t m = 0;
  for (int k = 0; k < o->bootstrap; k++) {
    double a[5] = {0};
    for (size_t q = 0; q < ns; q++) {
      const seed_sums *t = &s[(size_t)(ctr_rng_uniform(&rng) * (double)ns) % ns];
      a[0] += t->n, a[1] += t->sx, a[2] += t->sy, a[3] += t->sxx, a[4] += t->sxy;
    }
    double sl = ols_slope(a[0], a[1], a[2], a[3], a[4]);
    if (isfinite(sl)) b[m++] = sl;
  }
  qsort(b, m, sizeof *b, cmp_double);
  if (m >= 20) g->boot_lo = b[(size_t)floor(0.025 * (double)(m - 1))], g->boot_hi = b[(size_t)ceil(0.975 * (double)(m - 1))];
  free(s), free(b);
}

static ctr_status fit_group(ctr_scaling_group *g, const ctr_point *const *r, const double *w,
                            size_t n, const ctr_scaling_opts *o, size_t gi, ctr_error *err) {
  g->first = r[0], g->d = r[0]->d, g->eps = r[0]->eps;
  family_label(r[0], 0, g->label, sizeof g->label);
  family_label(r[0], SKIP_D | SKIP_EPS, g->family, sizeof g->family);
  ctr_status st = per_N(g, r, w, n, err);
  if (st) return st;
  double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
  if (!x || !y) return free(x), free(y), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (in_range(o, (double)r[i]->N)) x[m] = (double)r[i]->N, y[m++] = w[i];
  ctr_error quiet;
  g->skipped = g->nN < 2;
  g->slope.n = 0, g->slope.slope = g->slope.slope_lo = g->slope.slope_hi = NAN;
  if (!g->skipped && ctr_fit_loglog(x, y, m, &g->slope, &quiet)) g->slope.n = 0;
  free(x), free(y);
  bootstrap(g, r, w, n, o, gi);
  if (g->eps > 0) ctr_floor_fit_run(g->N, g->mean, g->nN, &g->floor);
  double d = g->d;
  g->ratio_max = 0;
  for (size_t k = 0; k < g->nN; k++) {
    double ln = log(g->N[k]), ex = fmax(g->mean[k] - g->eps, 0);
    g->ratio_max = fmax(g->ratio_max, ex * g->N[k] / (pow(d, 2.5) * pow(ln, 5)));
  }
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(r[i]->sum_D_l1)) continue;
    double se = isfinite(r[i]->sum_e_l1) ? r[i]->sum_e_l1 : 0;
    g->sums_checked++, g->sums_held += w[i] <= se + r[i]->sum_D_l1;
  }
  return CTR_OK;
}

/* ---- families ------------------------------------------------------------------------- */

/* Runs of groups equal under skip (groups are sorted so that families are contiguous). */
static size_t family_end(const ctr_scaling *s, size_t i, int skip) {
  size_t j = i + 1;
  while (j < s->ngroups && !cmp_params(s->groups[i].first, s->groups[j].first, skip)) j++;
  return j;
}

static ctr_status d_exponents(ctr_scaling *s, ctr_error *err) {
  size_t cap = 16;
  s->dexp = malloc(sizeof *s->dexp * cap);
  double *x = malloc(sizeof(double) * (s->ngroups + 1)), *y = malloc(sizeof(double) * (s->ngroups + 1));
  if (!s->dexp || !x || !y) return free(x), free(y), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t i = 0; i < s->ngroups;) {
    size_t j = family_end(s, i, SKIP_D);
    const ctr_scaling_group *g0 = &s->groups[i];
    for (size_t k = 0; j - i >= 2 && k < g0->nN; k++) { /* each N of the family's first d */
      size_t m = 0;
      for (size_t q = i; q < j; q++)
        for (size_t t = 0; t < s->groups[q].nN; t++)
          if (s->groups[q].N[t] == g0->N[k]) x[m] = s->groups[q].d, y[m++] = s->groups[q].mean[t];
      if (m < 2) continue;
      if (s->ndexp == cap) {
        ctr_d_exponent *p = realloc(s->dexp, sizeof *p * (cap *= 2));
        if (!p) return free(x), free(y), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
        s->dexp = p;
      }
      ctr_d_exponent *e = &s->dexp[s->ndexp];
      family_label(g0->first, SKIP_D, e->family, sizeof e->family);
      e->N = g0->N[k], e->n = m;
      ctr_error quiet;
      if (!ctr_fit_loglog(x, y, m, &e->fit, &quiet)) s->ndexp++;
    }
    i = j;
  }
  free(x), free(y);
  return CTR_OK;
}

/* First crossing of mean W <= 2 eps, interpolated in log-log. */
static double crossing(const ctr_scaling_group *g) {
  double target = 2 * g->eps;
  for (size_t k = 1; k < g->nN; k++)
    if (g->mean[k] <= target && g->mean[k - 1] > target) {
      double l1 = log(g->mean[k - 1]), l2 = log(g->mean[k]);
      double t = (log(target) - l1) / (l2 - l1);
      return exp(log(g->N[k - 1]) + t * (log(g->N[k]) - log(g->N[k - 1])));
    }
  return NAN;
}

static void nstar_fit(ctr_scaling *s, size_t a, size_t b, ctr_nstar_fit *f) {
  memset(f, 0, sizeof *f);
  snprintf(f->family, sizeof f->family, "%s", s->nstar[a].family);
  size_t n = 0;
  for (size_t i = a; i < b; i++) n += isfinite(s->nstar[i].nstar);
  f->n = n;
  if (n < 4) return;
  gsl_matrix *X = gsl_matrix_alloc(n, 3), *C = gsl_matrix_alloc(3, 3);
  gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc(3);
  gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, 3);
  double chisq;
  if (X && C && y && c && ws) {
    for (size_t i = a, k = 0; i < b; i++) {
      if (!isfinite(s->nstar[i].nstar)) continue;
      gsl_matrix_set(X, k, 0, 1), gsl_matrix_set(X, k, 1, log(s->nstar[i].d));
      gsl_matrix_set(X, k, 2, -log(s->nstar[i].eps)), gsl_vector_set(y, k++, log(s->nstar[i].nstar));
    }
    /* a rank-deficient design (one d or one eps) leaves a singular covariance: not ok */
    if (!gsl_multifit_linear(X, y, c, C, &chisq, ws) && gsl_matrix_get(C, 1, 1) > 0 &&
        gsl_matrix_get(C, 2, 2) > 0 && isfinite(gsl_matrix_get(C, 1, 1))) {
      double q = tq((double)n - 3); /* the covariance already carries chisq / (n - 3) */
      f->konst = gsl_vector_get(c, 0), f->alpha = gsl_vector_get(c, 1), f->beta = gsl_vector_get(c, 2);
      double ha = q * sqrt(gsl_matrix_get(C, 1, 1)), hb = q * sqrt(gsl_matrix_get(C, 2, 2));
      f->alpha_lo = f->alpha - ha, f->alpha_hi = f->alpha + ha;
      f->beta_lo = f->beta - hb, f->beta_hi = f->beta + hb;
      f->ok = n > 3;
    }
  }
  gsl_multifit_linear_free(ws);
  gsl_matrix_free(X), gsl_matrix_free(C), gsl_vector_free(y), gsl_vector_free(c);
}

static ctr_status nstar_all(ctr_scaling *s, ctr_error *err) {
  s->nstar = malloc(sizeof *s->nstar * (s->ngroups + 1));
  s->nfit = malloc(sizeof *s->nfit * (s->ngroups + 1));
  if (!s->nstar || !s->nfit) return ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t i = 0; i < s->ngroups;) {
    size_t j = family_end(s, i, SKIP_D | SKIP_EPS), a = s->nnstar;
    for (size_t q = i; q < j; q++) {
      const ctr_scaling_group *g = &s->groups[q];
      if (!(g->eps > 0)) continue;
      ctr_nstar *e = &s->nstar[s->nnstar++];
      family_label(g->first, SKIP_D | SKIP_EPS, e->family, sizeof e->family);
      e->d = g->d, e->eps = g->eps, e->nstar = crossing(g);
    }
    if (s->nnstar > a) nstar_fit(s, a, s->nnstar, &s->nfit[s->nnfit++]);
    i = j;
  }
  return CTR_OK;
}

static ctr_status constants(ctr_scaling *s, ctr_error *err) {
  s->consts = malloc(sizeof *s->consts * (s->ngroups + 1));
  if (!s->consts) return ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t i = 0; i < s->ngroups;) {
    size_t j = family_end(s, i, SKIP_D | SKIP_EPS);
    ctr_bound_constant *c = &s->consts[s->nconsts];
    family_label(s->groups[i].first, SKIP_D | SKIP_EPS, c->family, sizeof c->family);
    c->C = NAN, c->rows = c->held = 0;
    for (size_t q = i; q < j; q++)
      if (s->groups[q].eps == 0) c->C = isnan(c->C) ? s->groups[q].ratio_max : fmax(c->C, s->groups[q].ratio_max);
    for (size_t q = i; isfinite(c->C) && q < j; q++) {
      const ctr_scaling_group *g = &s->groups[q];
      for (size_t k = 0; k < g->nN; k++) {
        double ln = log(g->N[k]), shape = pow(g->d, 2.5) * pow(ln, 5) / g->N[k];
        c->rows++, c->held += g->mean[k] <= c->C * shape * (1 + 1e-12) + g->eps;
      }
    }
    s->nconsts += isfinite(c->C);
    i = j;
  }
  return CTR_OK;
}

/* ---- driver --------------------------------------------------------------------------- */

ctr_status ctr_scaling_run(const ctr_point *rows, size_t n, const ctr_scaling_opts *o,
                           ctr_scaling *s, ctr_error *err) {
  memset(s, 0, sizeof *s);
  const char *metric = o->metric ? o->metric : "auto";
  const ctr_field *f = ctr_point_field(metric);
  if (strcmp(metric, "auto") && (!f || f->kind != CTR_KIND_F64))
    return ctr_fail(err, CTR_EINPUT, "fit: '%s' is not a numeric column (see docs/results-format.md)",
                    metric);
  snprintf(s->metric, sizeof s->metric, "%s", metric);
  find_params();
  const ctr_point **r = malloc(sizeof *r * (n ? n : 1));
  double *w = malloc(sizeof(double) * (n ? n : 1));
  s->groups = calloc(n ? n : 1, sizeof *s->groups);
  if (!r || !w || !s->groups) return free(r), free(w), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    double v = ctr_scaling_metric(&rows[i], metric);
    if (rows[i].status == 0 && rows[i].N >= 2 && isfinite(v) && v > 0) r[m++] = &rows[i];
  }
  ctr_status st = m ? CTR_OK : ctr_fail(err, CTR_EINPUT, "fit: no usable rows (status 0 and a "
                                        "positive, finite %s)", metric);
  qsort(r, m, sizeof *r, by_params_N_seed);
  for (size_t i = 0; i < m; i++) w[i] = ctr_scaling_metric(r[i], metric);
  for (size_t i = 0; !st && i < m;) {
    size_t j = i + 1;
    while (j < m && !cmp_params(r[i], r[j], 0)) j++;
    st = fit_group(&s->groups[s->ngroups], r + i, w + i, j - i, o, s->ngroups, err);
    s->ngroups++;
    i = j;
  }
  if (!st) st = d_exponents(s, err);
  if (!st) st = nstar_all(s, err);
  if (!st) st = constants(s, err);
  free(r), free(w);
  if (st) ctr_scaling_free(s);
  return st;
}

void ctr_scaling_free(ctr_scaling *s) {
  for (size_t i = 0; s->groups && i < s->ngroups; i++) {
    ctr_scaling_group *g = &s->groups[i];
    free(g->N), free(g->mean), free(g->lo), free(g->hi), free(g->reps), free(g->local);
    free(g->bound_local);
  }
  free(s->groups), free(s->dexp), free(s->nstar), free(s->nfit), free(s->consts);
  memset(s, 0, sizeof *s);
}
