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
#include "analysis/scaling_internal.h"

void ctr_scaling_opts_default(ctr_scaling_opts *o) {
  memset(o, 0, sizeof *o);
  o->metric = "auto", o->bootstrap = 1000, o->seed = 1;
}

/* ---- which column is W --------------------------------------------------------------- */

/* The theorem bounds W1(f_N(N(0, I)), X_1): every engine reports an upper bound on it (the
 * grid exactly, chain and distill a certified one), so that is the default for all. */
const char *ctr_scaling_auto_metric(const char *engine) {
  (void)engine;
  return "w1_hi_normal";
}

static const ctr_field *auto_field(const ctr_point *r) {
  static const ctr_field *w1;
  if (!w1) w1 = ctr_point_field(ctr_scaling_auto_metric(r->engine));
  return w1;
}

const ctr_field *ctr_scaling_se_field(const char *metric) {
  if (!metric || !strcmp(metric, "auto")) metric = "w1_hi_normal";
  static const char *const suffix[] = {"_normal", "_qN"};
  size_t n = strlen(metric);
  for (int i = 0; i < 2; i++) {
    size_t k = strlen(suffix[i]);
    if (n <= k || strcmp(metric + n - k, suffix[i])) continue;
    char name[96];
    snprintf(name, sizeof name, "%.*s_se%s", (int)(n - k), metric, suffix[i]);
    const ctr_field *f = ctr_point_field(name);
    return f && f->kind == CTR_KIND_F64 ? f : NULL;
  }
  return NULL;
}

void ctr_scaling_metric_label(const char *metric, char *what, size_t nwhat, char *input,
                              size_t ninput) {
  static const char *const tab[][2] = {
      {"w1_hi", "W1 upper bound"}, {"w1_lo", "W1 lower bound"}, {"w2", "W2 (exact)"},
      {"coupling_l1", "coupling E||f_N - Phi||"},
      {"coupling_rms", "coupling (E||f_N - Phi||^2)^(1/2) (RMS)"},
      {"coupling_sq", "squared coupling E||f_N - Phi||^2 (unbiased)"},
      {"w1_sample", "sampled W1 (n samples)"}, {"sliced_w1", "sliced W1 (samples)"},
      {"maxsliced_w1", "max-sliced W1 (samples)"}, {"gelbrich_w2", "Gelbrich bound <= W2"}};
  if (!metric || !strcmp(metric, "auto")) metric = "w1_hi_normal";
  snprintf(what, nwhat, "%s", metric);
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    size_t k = strlen(tab[i][0]);
    if (!strncmp(metric, tab[i][0], k) && metric[k] == '_') snprintf(what, nwhat, "%s", tab[i][1]);
  }
  size_t n = strlen(metric);
  const char *in = n > 7 && !strcmp(metric + n - 7, "_normal") ? "N(0, I)"
                   : n > 3 && !strcmp(metric + n - 3, "_qN")   ? "q_N"
                                                               : "";
  snprintf(input, ninput, "%s", in);
}


double ctr_scaling_metric(const ctr_point *row, const char *metric) {
  const ctr_field *f =
      !metric || !strcmp(metric, "auto") ? auto_field(row) : ctr_point_field(metric);
  if (!f || f->kind != CTR_KIND_F64) return NAN;
  return *(const double *)((const char *)row + f->offset);
}

/* ---- grouping: every parameter column but N (and, for families, d and eps) ------------ */

/* The parameters are the columns from `target` to `chains` (core/point.h order) but N and path
 * (derived); d and eps are listed apart because families skip them. Found once, by name. */
static const ctr_field *param_fields[64], *field_d, *field_eps, *field_radius, *field_K, *field_sigma;
static size_t nparams, nbase; /* param_fields[nbase..nparams): the learned engine's */

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
    if (!strcmp(f->name, "K")) field_K = f;
    if (!strcmp(f->name, "sigma")) field_sigma = f;
    if (!strcmp(f->name, "chains")) break;
  }
  /* the learned engine's parameters sit after the metrics in core/point.h: a sweep over
   * train_n or the class must not pool its rows as replicates of one group */
  nbase = nparams;
  static const char *const learned[] = {"train_n", "sample_mode", "train_sampler", "ridge", "degree", "features",
                                        "n_features", "bandwidth", "rbf_width", "centres"};
  for (size_t i = 0; i < sizeof learned / sizeof learned[0] && nparams < 63; i++) {
    const ctr_field *f = ctr_point_field(learned[i]);
    if (f) param_fields[nparams++] = f;
  }
}

/* A radius that grows like sqrt(d) is one family's radius at every d (compared as R / sqrt(d)). */
static int cmp_radius(const ctr_point *a, const ctr_point *b, int skip) {
  if (!(skip & SKIP_D) || !a->radius_growing || !b->radius_growing) return ctr_point_field_cmp(a, b, field_radius);
  double x = a->radius / sqrt(a->d), y = b->radius / sqrt(b->d);
  if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
  return (x > y) - (x < y);
}

/* K of a preset whose component count follows d (simplex_full d + 1, the _kd clouds K d, the
 * _d2 clouds K d^2), compared across d as the per-d parameter: one family at every d. */
static double k_per_d(const ctr_point *r) {
  size_t n = strlen(r->target);
  if (!strcmp(r->target, "simplex_full")) return 0;
  if (n > 3 && !strcmp(r->target + n - 3, "_kd")) return (double)r->K / r->d;
  if (n > 3 && !strcmp(r->target + n - 3, "_d2")) return (double)r->K / ((double)r->d * r->d);
  return r->K;
}

static int cmp_params(const ctr_point *a, const ctr_point *b, int skip) {
  for (size_t i = 0; i < nparams; i++) {
    if (param_fields[i] == field_K && (skip & SKIP_D)) {
      double x = k_per_d(a), y = k_per_d(b);
      if (x != y) return (x > y) - (x < y);
      continue;
    }
    if (param_fields[i] == field_sigma && (skip & SKIP_SIGMA)) continue;
    int c = ctr_point_field_cmp(a, b, param_fields[i]);
    if (c) return c;
  }
  int r = cmp_radius(a, b, skip);
  if (r) return r;
  int c = skip & SKIP_D ? 0 : ctr_point_field_cmp(a, b, field_d);
  return c || (skip & SKIP_EPS) ? c : ctr_point_field_cmp(a, b, field_eps);
}

int ctr_scaling_cmp(const ctr_point *a, const ctr_point *b, int skip) {
  find_params();
  return cmp_params(a, b, skip);
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

/* Columns every label names already (below), so `varying` never adds them. */
static int named_in_label(const ctr_field *f) {
  static const char *const named[] = {"target", "K", "sigma", "engine", "error", "schedule"};
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (!strcmp(f->name, named[i])) return 1;
  return 0;
}

/* Bit i: param_fields[i] differs among rows of one target (a column that only differs with
 * the target, lambda for isotropic against geometric, says nothing the target does not); bit
 * 63: the radius does. R is sorted by parameters, target first: each target is one run. */
static unsigned long long varying_params(const ctr_point *const *r, size_t m) {
  unsigned long long mask = 0;
  for (size_t i = 1, i0 = 0, l0 = SIZE_MAX; i < m; i++) {
    if (strcmp(r[i0]->target, r[i]->target)) i0 = i, l0 = SIZE_MAX;
    for (size_t k = 0; k < nbase; k++)
      if (!named_in_label(param_fields[k]) && ctr_point_field_cmp(r[i0], r[i], param_fields[k])) mask |= 1ull << k;
    /* the learned columns: among learned rows only (other engines leave them empty) */
    if (strcmp(r[i]->engine, "learned")) continue;
    if (l0 == SIZE_MAX) l0 = i;
    for (size_t k = nbase; k < nparams; k++)
      if (ctr_point_field_cmp(r[l0], r[i], param_fields[k])) mask |= 1ull << k;
    if (ctr_point_field_cmp(r[i0], r[i], field_radius)) mask |= 1ull << 63;
  }
  return mask;
}

static size_t add_field(char *buf, size_t n, const ctr_point *r, const ctr_field *f) {
  const char *p = (const char *)r + f->offset;
  switch (f->kind) {
  case CTR_KIND_I64: return (size_t)snprintf(buf, n, " %s=%lld", f->name, (long long)*(const int64_t *)p);
  case CTR_KIND_I32: /* points, chains = 0: the engine has none (grid, distill's chains) */
    if (!*(const int32_t *)p && (!strcmp(f->name, "points") || !strcmp(f->name, "chains"))) return 0;
    return (size_t)snprintf(buf, n, " %s=%d", f->name, (int)*(const int32_t *)p);
  case CTR_KIND_F64: /* NaN: not a parameter of this row's target */
    return isnan(*(const double *)p) ? 0 : (size_t)snprintf(buf, n, " %s=%g", f->name, *(const double *)p);
  case CTR_KIND_STR: return (size_t)snprintf(buf, n, " %s=%.*s", f->name, (int)f->size, p);
  }
  return 0;
}

void ctr_scaling_family_label(const ctr_point *r, int skip, unsigned long long varying, char *buf,
                              size_t n) {
  size_t k = (size_t)snprintf(buf, n, "%s", r->target);
  if (r->K > 1 || !strcmp(r->target, "two_modes")) {
    double kd = k_per_d(r), kn = r->target[strlen(r->target) - 1] == '2' ? 2 : 1;
    if (!(skip & SKIP_D) || kd == r->K) k += (size_t)snprintf(buf + k, n - k, " K=%d", r->K);
    else if (kd == 0) k += (size_t)snprintf(buf + k, n - k, " K=d+1"); /* simplex_full */
    else k += (size_t)snprintf(buf + k, n - k, " K=%gd%s", kd, kn == 2 ? "^2" : "");
    if (!(skip & SKIP_SIGMA) && k < n) k += (size_t)snprintf(buf + k, n - k, " sigma=%g", r->sigma);
  }
  if (!(skip & SKIP_D) && k < n) k += (size_t)snprintf(buf + k, n - k, " d=%d", r->d);
  if (k < n) k += (size_t)snprintf(buf + k, n - k, " %s %s", r->engine, r->error);
  if (!(skip & SKIP_EPS) && k < n) k += (size_t)snprintf(buf + k, n - k, " eps=%g", r->eps);
  if (strcmp(r->schedule, "paper") && k < n) k += (size_t)snprintf(buf + k, n - k, " %s", r->schedule);
  for (size_t i = 0; i < nparams && k < n; i++)
    if (varying >> i & 1 && (i < nbase || !strcmp(r->engine, "learned")))
      k += add_field(buf + k, n - k, r, param_fields[i]);
  /* a growing radius is one family's radius at every d: named only where d is */
  if (varying >> 63 & 1 && k < n && (!(skip & SKIP_D) || !r->radius_growing))
    add_field(buf + k, n - k, r, field_radius);
}

/* ---- one group ------------------------------------------------------------------------ */

static double tq(double df) { return df >= 1 ? gsl_cdf_tdist_Pinv(0.975, df) : NAN; }

static int in_range(const ctr_scaling_opts *o, double N) {
  return (o->n_lo <= 0 || N >= o->n_lo) && (o->n_hi <= 0 || N <= o->n_hi);
}

/* The bound's shape of a row: its bound_shape column, else L^3 d^(5/2) ln^5 N / N with the
 * row's lipschitz (1 when unknown), so that files without the column still get one. +inf when
 * L^3 exceeds the double range (bound vacuous): kept, not replaced by the L = 1 shape. */
static double row_shape(const ctr_point *r) {
  if (r->bound_shape > 0 && !isnan(r->bound_shape)) return r->bound_shape;
  if (r->lipschitz == INFINITY) return INFINITY;
  double L = r->lipschitz > 0 && isfinite(r->lipschitz) ? r->lipschitz : 1, lg = log((double)r->N);
  return L * L * L * pow(r->d, 2.5) * pow(lg, 5) / (double)r->N;
}

static ctr_status alloc_N(ctr_scaling_group *g, size_t m, ctr_error *err) {
  double **d[] = {&g->N, &g->mean, &g->lo, &g->hi, &g->se, &g->scale, &g->shape, &g->local,
                  &g->bound_local, &g->log10_L};
  int bad = 0;
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) bad |= !(*d[i] = malloc(sizeof(double) * m));
  g->reps = malloc(sizeof(int) * m), g->vacuous = malloc(sizeof(int) * m), g->nN = m;
  return bad || !g->reps || !g->vacuous ? ctr_fail(err, CTR_ENOMEM, "fit: out of memory") : CTR_OK;
}

/* Means over replicates per distinct N, with 95% t-intervals; the mean's standard error from
 * the rows' (sqrt(sum se^2) / n, NaN if any row has none), data scale and shape averaged. */
static ctr_status per_N(ctr_scaling_group *g, const ctr_point *const *r, const double *w,
                        const double *se, size_t n, ctr_error *err) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) m += !i || r[i]->N != r[i - 1]->N;
  ctr_status st = alloc_N(g, m, err);
  if (st) return st;
  if (!strcmp(r[0]->engine, "learned")) {
    g->eps_meas = malloc(sizeof(double) * m), g->epsF_meas = malloc(sizeof(double) * m);
    if (!g->eps_meas || !g->epsF_meas) return ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  }
  for (size_t i = 0, k = 0; i < n; k++) {
    size_t j = i;
    double s = 0, ss = 0, v = 0, sc = 0, sh = 0, lg = 0;
    while (j < n && r[j]->N == r[i]->N) {
      s += w[j], v += se[j] * se[j], sc += r[j]->data_scale, sh += row_shape(r[j]);
      lg += r[j]->log10_lipschitz; /* NaN or inf in any row: the mean is not finite */
      j++;
    }
    double c = (double)(j - i), mean = s / c;
    for (size_t q = i; q < j; q++) ss += (w[q] - mean) * (w[q] - mean);
    double half = j - i > 1 ? tq(c - 1) * sqrt(ss / (c - 1) / c) : NAN;
    g->N[k] = (double)r[i]->N, g->mean[k] = mean, g->reps[k] = (int)(j - i);
    g->lo[k] = mean - half, g->hi[k] = mean + half;
    g->se[k] = sqrt(v) / c, g->scale[k] = sc > 0 ? sc / c : NAN, g->shape[k] = sh / c;
    g->log10_L[k] = isfinite(lg) ? lg / c : NAN;
    g->vacuous[k] = -1;
    if (ss > 0) g->spread = 1;
    if (g->eps_meas) { /* engine learned: the measured terms, averaged like W */
      double e = 0, f = 0;
      for (size_t q = i; q < j; q++) e += r[q]->eps_learned, f += r[q]->eps_F;
      g->eps_meas[k] = e / c, g->epsF_meas[k] = f / c;
    }
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
                            const double *se, size_t n, const ctr_scaling_opts *o, size_t gi,
                            unsigned long long varying, ctr_error *err) {
  g->first = r[0], g->d = r[0]->d, g->eps = r[0]->eps, g->useful_from = NAN;
  snprintf(g->lipschitz_kind, sizeof g->lipschitz_kind, "%.7s", r[0]->lipschitz_kind);
  for (size_t i = 1; i < n; i++)
    if (strcmp(r[i]->lipschitz_kind, r[0]->lipschitz_kind)) snprintf(g->lipschitz_kind, sizeof g->lipschitz_kind, "mixed");
  ctr_scaling_family_label(r[0], 0, varying, g->label, sizeof g->label);
  ctr_scaling_family_label(r[0], SKIP_D | SKIP_EPS, varying, g->family, sizeof g->family);
  ctr_status st = per_N(g, r, w, se, n, err);
  if (st) return st;
  double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
  double *e = malloc(sizeof(double) * n);
  if (!x || !y || !e) return free(x), free(y), free(e), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (in_range(o, (double)r[i]->N)) x[m] = (double)r[i]->N, y[m] = w[i], e[m++] = se[i];
  ctr_error quiet;
  g->skipped = g->nN < 2;
  g->slope.n = 0, g->slope.weighted = 0, g->slope.slope = g->slope.slope_lo = g->slope.slope_hi = NAN;
  if (!g->skipped && ctr_fit_loglog_w(x, y, e, m, &g->slope, &quiet)) g->slope.n = 0;
  free(x), free(y), free(e);
  bootstrap(g, r, w, n, o, gi);
  /* sampling error only when there is some: Monte Carlo weights or a spread over replicates */
  snprintf(g->interval, sizeof g->interval, "%s", g->slope.weighted || g->spread ? "ci95" : "curvature");
  if (g->eps > 0) ctr_floor_fit_run(g->N, g->mean, g->nN, &g->floor);
  g->ratio_max = 0;
  for (size_t k = 0; k < g->nN; k++)
    g->ratio_max = fmax(g->ratio_max, fmax(g->mean[k] - g->eps, 0) / g->shape[k]);
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(r[i]->sum_D_l1)) continue;
    double s = isfinite(r[i]->sum_e_l1) ? r[i]->sum_e_l1 : 0;
    g->sums_checked++, g->sums_held += w[i] <= s + r[i]->sum_D_l1;
  }
  return CTR_OK;
}

/* ---- families ------------------------------------------------------------------------- */

/* Runs of groups equal under skip (groups are sorted so that families are contiguous). */
size_t ctr_scaling_family_end(const ctr_scaling *s, size_t i, int skip) {
  size_t j = i + 1;
  while (j < s->ngroups && !cmp_params(s->groups[i].first, s->groups[j].first, skip)) j++;
  return j;
}

/* One d exponent at one N over points x (d), y (mean W), e (its standard error), c (data
 * scale), v (vacuous flag): raw, the data scale's own, and W / data scale. */
static int d_exponent_at(ctr_d_exponent *de, double *x, double *y, double *e, double *c,
                         const int *v, size_t m, int spread) {
  ctr_error quiet;
  if (ctr_fit_loglog_w(x, y, e, m, &de->fit, &quiet)) return 0;
  de->n = m, de->vacuous = 0;
  size_t known = 0;
  for (size_t i = 0; i < m; i++) known += c[i] > 0, de->vacuous += v[i] == 1;
  memset(&de->scale_fit, 0, sizeof de->scale_fit), memset(&de->rel_fit, 0, sizeof de->rel_fit);
  de->scale_fit.slope = de->rel_fit.slope = NAN;
  de->scale_fit.slope_lo = de->scale_fit.slope_hi = de->rel_fit.slope_lo = de->rel_fit.slope_hi = NAN;
  if (known == m) {
    if (ctr_fit_loglog(x, c, m, &de->scale_fit, &quiet)) de->scale_fit.n = 0;
    for (size_t i = 0; i < m; i++) y[i] /= c[i], e[i] /= c[i];
    if (ctr_fit_loglog_w(x, y, e, m, &de->rel_fit, &quiet)) de->rel_fit.n = 0;
  }
  snprintf(de->interval, sizeof de->interval, "%s", de->fit.weighted || spread ? "ci95" : "curvature");
  return 1;
}

static ctr_status d_exponents(ctr_scaling *s, ctr_error *err) {
  size_t cap = 16, ng = s->ngroups + 1;
  s->dexp = malloc(sizeof *s->dexp * cap);
  double *x = malloc(sizeof(double) * ng), *y = malloc(sizeof(double) * ng);
  double *e = malloc(sizeof(double) * ng), *c = malloc(sizeof(double) * ng);
  int *v = malloc(sizeof(int) * ng);
  ctr_status st = !s->dexp || !x || !y || !e || !c || !v ? ctr_fail(err, CTR_ENOMEM, "fit: out of memory") : CTR_OK;
  for (size_t i = 0; !st && i < s->ngroups;) {
    size_t j = ctr_scaling_family_end(s, i, SKIP_D);
    const ctr_scaling_group *g0 = &s->groups[i];
    for (size_t k = 0; !st && j - i >= 2 && k < g0->nN; k++) { /* each N of the family's first d */
      size_t m = 0;
      int spread = 0;
      for (size_t q = i; q < j; q++)
        for (size_t t = 0; t < s->groups[q].nN; t++)
          if (s->groups[q].N[t] == g0->N[k]) {
            const ctr_scaling_group *g = &s->groups[q];
            x[m] = g->d, y[m] = g->mean[t], e[m] = g->se[t], c[m] = g->scale[t], v[m++] = g->vacuous[t];
            spread |= g->spread;
          }
      if (m < 2) continue;
      if (s->ndexp == cap) {
        ctr_d_exponent *p = realloc(s->dexp, sizeof *p * (cap *= 2));
        if (!p) {
          st = ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
          break;
        }
        s->dexp = p;
      }
      ctr_d_exponent *de = &s->dexp[s->ndexp];
      ctr_scaling_family_label(g0->first, SKIP_D, s->varying, de->family, sizeof de->family);
      de->N = g0->N[k];
      s->ndexp += d_exponent_at(de, x, y, e, c, v, m, spread);
    }
    i = j;
  }
  free(x), free(y), free(e), free(c), free(v);
  return st;
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
  if (!strcmp(metric, "auto")) metric = "w1_hi_normal"; /* every engine's (see auto_field) */
  snprintf(s->metric, sizeof s->metric, "%s", metric);
  const ctr_field *sef = ctr_scaling_se_field(metric);
  snprintf(s->se_metric, sizeof s->se_metric, "%s", sef ? sef->name : "");
  find_params();
  const ctr_point **r = malloc(sizeof *r * (n ? n : 1));
  double *w = malloc(sizeof(double) * (n ? n : 1)), *se = malloc(sizeof(double) * (n ? n : 1));
  s->groups = calloc(n ? n : 1, sizeof *s->groups);
  if (!r || !w || !se || !s->groups)
    return free(r), free(w), free(se), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    double v = ctr_scaling_metric(&rows[i], metric);
    if (rows[i].status == 0 && rows[i].N >= 2 && isfinite(v) && v > 0) r[m++] = &rows[i];
  }
  ctr_status st = m ? CTR_OK : ctr_fail(err, CTR_EINPUT, "fit: no usable rows (status 0 and a "
                                        "positive, finite %s; another column: --metric)", metric);
  qsort(r, m, sizeof *r, by_params_N_seed);
  for (size_t i = 0; i < m; i++) {
    w[i] = ctr_scaling_metric(r[i], metric);
    se[i] = sef ? *(const double *)((const char *)r[i] + sef->offset) : NAN;
    if (!(se[i] > 0 && isfinite(se[i]))) se[i] = NAN; /* 0: exact, a deterministic row */
    s->rows_se += !isnan(se[i]);
  }
  s->rows_used = m;
  s->varying = varying_params(r, m);
  for (size_t i = 0; !st && i < m;) {
    size_t j = i + 1;
    while (j < m && !cmp_params(r[i], r[j], 0)) j++;
    st = fit_group(&s->groups[s->ngroups], r + i, w + i, se + i, j - i, o, s->ngroups, s->varying, err);
    s->ngroups++;
    i = j;
  }
  if (!st) st = ctr_scaling_constants(s, err); /* marks vacuous points, used by the d exponents */
  if (!st) st = d_exponents(s, err);
  if (!st) st = ctr_scaling_nstar(s, err);
  if (!st) st = ctr_scaling_lip(s, err);
  if (!st) ctr_scaling_learned(s, o);
  free(r), free(w), free(se);
  if (st) ctr_scaling_free(s);
  return st;
}

void ctr_scaling_free(ctr_scaling *s) {
  for (size_t i = 0; s->groups && i < s->ngroups; i++) {
    ctr_scaling_group *g = &s->groups[i];
    free(g->N), free(g->mean), free(g->lo), free(g->hi), free(g->reps), free(g->local);
    free(g->bound_local), free(g->se), free(g->scale), free(g->shape), free(g->vacuous);
    free(g->log10_L);
    free(g->eps_meas), free(g->epsF_meas);
  }
  free(s->groups), free(s->dexp), free(s->nstar), free(s->nfit), free(s->consts), free(s->cN);
  free(s->lexp), free(s->lnstar);
  memset(s, 0, sizeof *s);
}
