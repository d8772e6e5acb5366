/* analysis/scaling_verdict.c: the bound's empirical constant C(N) with a held-out check, where
 * the bound is vacuous (C shape above the data scale), and N* in two conventions beside the
 * bound's own exponents (analysis/scaling.h; theory.md §8 and §9). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_multifit.h>

#include "core/rng.h"
#include "analysis/scaling_internal.h"

/* The largest step beta at N decides: the paper schedule's is c1 ln N / N, the linear one's
 * beta_max 1000 / N; the cosine schedule's top beta does not shrink with N. 0.05 keeps every
 * step small enough that the per-step bias is in its leading-order (asymptotic) form. */
static int asymptotic_at(const ctr_point *r, double N) {
  double top = NAN;
  if (!strcmp(r->schedule, "paper")) top = r->c1 * log(N) / N;
  else if (!strcmp(r->schedule, "linear")) top = fmax(r->beta_min, r->beta_max) * 1000 / N;
  return top <= 0.05;
}

int ctr_scaling_asymptotic(const ctr_point *r) { return asymptotic_at(r, (double)r->N); }

/* ---- the constant --------------------------------------------------------------------- */

typedef struct {
  const ctr_scaling_group *g;
  size_t k;
} point_ref;

static double ratio(const point_ref *p) { return p->g->mean[p->k] / p->g->shape[p->k]; }

/* C(N) over the family's error-free groups [i, j), appended to s->cN; its trend over the
 * asymptotic N (slope of log C on log N). */
static void c_of_N(ctr_scaling *s, size_t i, size_t j, ctr_bound_constant *c) {
  size_t a = s->ncN;
  for (size_t q = i; q < j; q++) {
    const ctr_scaling_group *g = &s->groups[q];
    for (size_t k = 0; g->eps == 0 && k < g->nN; k++) {
      size_t e = a;
      while (e < s->ncN && s->cN[e].N != g->N[k]) e++;
      double r = g->mean[k] / g->shape[k];
      if (!isfinite(g->shape[k])) continue; /* L^3 beyond double: C = W / inf = 0 says nothing */
      if (e == s->ncN) {
        ctr_c_of_N *t = &s->cN[s->ncN++];
        snprintf(t->family, sizeof t->family, "%s", c->family);
        t->N = g->N[k], t->C = r, t->d_at = g->d, t->asymptotic = asymptotic_at(g->first, g->N[k]);
      } else if (r > s->cN[e].C) s->cN[e].C = r, s->cN[e].d_at = g->d;
    }
  }
  double x[512], y[512];
  size_t m = 0;
  c->n_asym = NAN;
  for (size_t e = a; e < s->ncN; e++)
    if (s->cN[e].asymptotic) {
      if (m < 512) x[m] = s->cN[e].N, y[m++] = s->cN[e].C;
      c->n_asym = isnan(c->n_asym) ? s->cN[e].N : fmin(c->n_asym, s->cN[e].N);
    }
  ctr_loglog_fit f;
  ctr_error quiet;
  c->trend = c->trend_lo = c->trend_hi = NAN, c->n_trend = m;
  if (m >= 2 && !ctr_fit_loglog(x, y, m, &f, &quiet))
    c->trend = f.slope, c->trend_lo = f.slope_lo, c->trend_hi = f.slope_hi;
}

/* C from a random half of the points (fixed seed), checked on the other half. */
static void held_out(point_ref *p, size_t n, size_t fam, ctr_bound_constant *c) {
  ctr_rng rng;
  ctr_rng_init(&rng, 1, CTR_RNG_BOOTSTRAP, (uint64_t)fam, 1); /* b = 1: not the bootstrap's */
  for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
    size_t k = (size_t)(ctr_rng_uniform(&rng) * (double)i) % i;
    point_ref t = p[i - 1];
    p[i - 1] = p[k], p[k] = t;
  }
  size_t half = (n + 1) / 2;
  c->C_train = NAN, c->test_n = c->test_exceed = 0;
  for (size_t i = 0; i < half; i++)
    if (p[i].g->eps == 0 && isfinite(p[i].g->shape[p[i].k]))
      c->C_train = isnan(c->C_train) ? ratio(&p[i]) : fmax(c->C_train, ratio(&p[i]));
  for (size_t i = half; isfinite(c->C_train) && i < n; i++) {
    const ctr_scaling_group *g = p[i].g;
    c->test_n++;
    c->test_exceed += g->mean[p[i].k] > c->C_train * g->shape[p[i].k] * (1 + 1e-12) + g->eps;
  }
}

/* Vacuous points (C shape > data scale) and from which N on the bound says something. */
static void vacuous(ctr_scaling *s, size_t i, size_t j, ctr_bound_constant *c) {
  c->vacuous = c->points = 0, c->useful_from = -INFINITY;
  for (size_t q = i; q < j; q++) {
    ctr_scaling_group *g = &s->groups[q];
    g->useful_from = NAN;
    int known = 1;
    for (size_t k = 0; k < g->nN; k++) {
      if (!(g->scale[k] > 0)) {
        g->vacuous[k] = -1, known = 0;
        continue;
      }
      g->vacuous[k] = isinf(g->shape[k]) || c->C * g->shape[k] > g->scale[k]; /* inf: vacuous */
      c->points++, c->vacuous += g->vacuous[k] == 1;
    }
    for (size_t k = g->nN; known && k > 0 && g->vacuous[k - 1] == 0; k--) g->useful_from = g->N[k - 1];
    if (g->eps == 0) c->useful_from = isnan(g->useful_from) ? NAN : fmax(c->useful_from, g->useful_from);
  }
  if (c->useful_from == -INFINITY) c->useful_from = NAN;
}

static void lipschitz_kind(const ctr_scaling *s, size_t i, size_t j, ctr_bound_constant *c) {
  const char *k = NULL;
  for (size_t q = i; q < j; q++) {
    const char *t = s->groups[q].first->lipschitz_kind[0] ? s->groups[q].first->lipschitz_kind : "unknown";
    k = !k || !strcmp(k, t) ? t : "mixed";
  }
  snprintf(c->lipschitz_kind, sizeof c->lipschitz_kind, "%s", k ? k : "unknown");
}

static ctr_status family_constant(ctr_scaling *s, size_t i, size_t j, point_ref *p) {
  ctr_bound_constant *c = &s->consts[s->nconsts];
  memset(c, 0, sizeof *c);
  ctr_scaling_family_label(s->groups[i].first, SKIP_D | SKIP_EPS, s->varying, c->family, sizeof c->family);
  c_of_N(s, i, j, c);
  c->C = NAN;
  for (int pass = 1; pass >= 0 && isnan(c->C); pass--) /* asymptotic N first, else every N */
    for (size_t e = 0; e < s->ncN; e++)
      if (!strcmp(s->cN[e].family, c->family) && (!pass || s->cN[e].asymptotic))
        c->C = isnan(c->C) ? s->cN[e].C : fmax(c->C, s->cN[e].C), c->asymptotic = pass;
  if (isnan(c->C)) return CTR_OK; /* no error-free group: no constant */
  size_t n = 0;
  for (size_t q = i; q < j; q++)
    for (size_t k = 0; k < s->groups[q].nN; k++) {
      const ctr_scaling_group *g = &s->groups[q];
      if (!c->asymptotic || asymptotic_at(g->first, g->N[k])) p[n++] = (point_ref){g, k};
      else c->pre_n++, c->pre_exceed += g->mean[k] > c->C * g->shape[k] * (1 + 1e-12) + g->eps;
    }
  held_out(p, n, s->nconsts, c);
  vacuous(s, i, j, c);
  lipschitz_kind(s, i, j, c);
  s->nconsts++;
  return CTR_OK;
}

ctr_status ctr_scaling_constants(ctr_scaling *s, ctr_error *err) {
  size_t total = 0;
  for (size_t q = 0; q < s->ngroups; q++) total += s->groups[q].nN;
  s->consts = malloc(sizeof *s->consts * (s->ngroups + 1));
  s->cN = malloc(sizeof *s->cN * (total + 1));
  point_ref *p = malloc(sizeof *p * (total + 1));
  if (!s->consts || !s->cN || !p) return free(p), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t i = 0; i < s->ngroups;) {
    size_t j = ctr_scaling_family_end(s, i, SKIP_D | SKIP_EPS);
    family_constant(s, i, j, p);
    i = j;
  }
  free(p);
  return CTR_OK;
}

/* ---- N* ------------------------------------------------------------------------------- */

static double tq(double df) { return df >= 1 ? gsl_cdf_tdist_Pinv(0.975, df) : NAN; }

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

/* y = const + alpha log d + beta log(1/eps) over the finite N*; y = log N* (ln = 0) or
 * log(Ns / ln Ns) (ln = 1). 1 when both exponents are identified. */
static int nstar_regress(const ctr_nstar *v, size_t n, int ln, double out[7]) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) m += isfinite(v[i].nstar);
  if (m < 4) return 0;
  gsl_matrix *X = gsl_matrix_alloc(m, 3), *C = gsl_matrix_alloc(3, 3);
  gsl_vector *y = gsl_vector_alloc(m), *c = gsl_vector_alloc(3);
  gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(m, 3);
  double chisq;
  int ok = 0;
  if (X && C && y && c && ws) {
    for (size_t i = 0, k = 0; i < n; i++) {
      if (!isfinite(v[i].nstar)) continue;
      double ly = log(v[i].nstar) - (ln ? log(log(v[i].nstar)) : 0);
      gsl_matrix_set(X, k, 0, 1), gsl_matrix_set(X, k, 1, log(v[i].d));
      gsl_matrix_set(X, k, 2, -log(v[i].eps)), gsl_vector_set(y, k++, ly);
    }
    /* a rank-deficient design (one d or one eps) leaves a singular covariance: not ok */
    if (!gsl_multifit_linear(X, y, c, C, &chisq, ws) && gsl_matrix_get(C, 1, 1) > 0 &&
        gsl_matrix_get(C, 2, 2) > 0 && isfinite(gsl_matrix_get(C, 1, 1))) {
      double q = tq((double)m - 3); /* the covariance already carries chisq / (m - 3) */
      double ha = q * sqrt(gsl_matrix_get(C, 1, 1)), hb = q * sqrt(gsl_matrix_get(C, 2, 2));
      out[0] = gsl_vector_get(c, 0), out[1] = gsl_vector_get(c, 1), out[2] = out[1] - ha;
      out[3] = out[1] + ha, out[4] = gsl_vector_get(c, 2), out[5] = out[4] - hb, out[6] = out[4] + hb;
      ok = 1;
    }
  }
  gsl_multifit_linear_free(ws);
  gsl_matrix_free(X), gsl_matrix_free(C), gsl_vector_free(y), gsl_vector_free(c);
  return ok;
}

static void nstar_fit(const ctr_nstar *v, size_t n, ctr_nstar_fit *f) {
  memset(f, 0, sizeof *f);
  snprintf(f->family, sizeof f->family, "%s", v[0].family);
  double a[7], b[7], slog = 0;
  f->nstar_min = INFINITY, f->nstar_max = -INFINITY;
  f->bound_beta_lo = INFINITY, f->bound_beta_hi = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(v[i].nstar)) continue;
    f->n++, f->nstar_min = fmin(f->nstar_min, v[i].nstar), f->nstar_max = fmax(f->nstar_max, v[i].nstar);
    slog += log(v[i].nstar);
    if (isfinite(v[i].bound_beta))
      f->bound_beta_lo = fmin(f->bound_beta_lo, v[i].bound_beta), f->bound_beta_hi = fmax(f->bound_beta_hi, v[i].bound_beta);
  }
  /* at the geometric mean of the N*: an average of 1/(1 - 5/ln N*) would be dominated by
   * any N* near e^5, where the bound's shape turns */
  double l = f->n ? slog / (double)f->n : NAN;
  f->bound_beta = l > 5 ? 1 / (1 - 5 / l) : NAN, f->bound_beta_ln = l > 5 ? (1 - 1 / l) / (1 - 5 / l) : NAN;
  if (!(f->bound_beta_lo <= f->bound_beta_hi)) f->bound_beta_lo = f->bound_beta_hi = NAN;
  f->bound_alpha = 2.5 * f->bound_beta, f->bound_alpha_ln = 2.5 * f->bound_beta_ln;
  f->ok = nstar_regress(v, n, 0, a) && nstar_regress(v, n, 1, b);
  if (!f->ok) return;
  f->konst = a[0], f->alpha = a[1], f->alpha_lo = a[2], f->alpha_hi = a[3];
  f->beta = a[4], f->beta_lo = a[5], f->beta_hi = a[6];
  f->alpha_ln = b[1], f->alpha_ln_lo = b[2], f->alpha_ln_hi = b[3];
  f->beta_ln = b[4], f->beta_ln_lo = b[5], f->beta_ln_hi = b[6];
}

ctr_status ctr_scaling_nstar(ctr_scaling *s, ctr_error *err) {
  s->nstar = malloc(sizeof *s->nstar * (s->ngroups + 1));
  s->nfit = malloc(sizeof *s->nfit * (s->ngroups + 1));
  if (!s->nstar || !s->nfit) return ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t i = 0; i < s->ngroups;) {
    size_t j = ctr_scaling_family_end(s, i, SKIP_D | SKIP_EPS), a = s->nnstar;
    int sampled = 0;
    for (size_t q = i; q < j; q++) {
      const ctr_scaling_group *g = &s->groups[q];
      sampled |= !strcmp(g->interval, "ci95");
      if (!(g->eps > 0)) continue;
      ctr_nstar *e = &s->nstar[s->nnstar++];
      ctr_scaling_family_label(g->first, SKIP_D | SKIP_EPS, s->varying, e->family, sizeof e->family);
      e->d = g->d, e->eps = g->eps, e->nstar = crossing(g);
      e->bound_beta = log(e->nstar) > 5 ? 1 / (1 - 5 / log(e->nstar)) : NAN;
      e->asymptotic = isfinite(e->nstar) && asymptotic_at(g->first, e->nstar);
    }
    if (s->nnstar > a) {
      ctr_nstar_fit *f = &s->nfit[s->nnfit++];
      nstar_fit(s->nstar + a, s->nnstar - a, f);
      snprintf(f->interval, sizeof f->interval, "%s", sampled ? "ci95" : "curvature");
    }
    i = j;
  }
  return CTR_OK;
}
