/* analysis/scaling_lip.c: the exponent of L (issue 14 point 3, theory.md §9.17). Within an
 * L-family (groups equal in every parameter but sigma, the width that drives L at fixed
 * separation or the scale ratio), the slope of log W on log L at each fixed N, and the regression
 * log N* = a log L + b log(1/eps) + c, beside the bound's L^3 (analysis/scaling.h). L is the
 * rows' log10_lipschitz, finite where L itself overflows; only rows whose lipschitz_kind is
 * exact or lower take part (a lower bound makes the slope one on a lower bound of L). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_multifit.h>

#include "analysis/scaling_internal.h"

enum { NLEVELS = 6 };

static int kind_ok(const ctr_scaling_group *g) {
  return !strcmp(g->lipschitz_kind, "exact") || !strcmp(g->lipschitz_kind, "lower");
}

/* exact if every group's L is exact, lower if every one is lower, else mixed */
static void join_kind(char *acc, size_t n, const char *k) {
  if (!acc[0]) snprintf(acc, n, "%s", k);
  else if (strcmp(acc, k)) snprintf(acc, n, "mixed");
}

/* log10 L of group g at N (log-log interpolation between its N; NaN outside or unknown). */
static double log10_L_at(const ctr_scaling_group *g, double N) {
  for (size_t k = 0; k < g->nN; k++) {
    if (g->N[k] == N) return g->log10_L[k];
    if (k + 1 < g->nN && g->N[k] < N && N < g->N[k + 1]) {
      double t = log(N / g->N[k]) / log(g->N[k + 1] / g->N[k]);
      return g->log10_L[k] + t * (g->log10_L[k + 1] - g->log10_L[k]);
    }
  }
  return NAN;
}

/* N at which the mean W of g first falls to level (log-log interpolation); NaN if never. */
static double crossing(const ctr_scaling_group *g, double level) {
  for (size_t k = 1; k < g->nN; k++)
    if (g->mean[k] <= level && g->mean[k - 1] > level) {
      double l1 = log(g->mean[k - 1]), l2 = log(g->mean[k]), t = (log(level) - l1) / (l2 - l1);
      return exp(log(g->N[k - 1]) + t * (log(g->N[k]) - log(g->N[k - 1])));
    }
  return NAN;
}

/* Slope of log W on log L at every N that >= 2 members of distinct L share. */
static ctr_status fixed_N(ctr_scaling *s, const size_t *mem, size_t nm, size_t *cap,
                          ctr_error *err) {
  const ctr_scaling_group *g0 = &s->groups[mem[0]];
  double *x = malloc(sizeof(double) * nm * 3), *y = x + nm, *e = y + nm;
  if (!x) return ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  for (size_t k = 0; k < g0->nN; k++) {
    size_t m = 0;
    int sampled = 0;
    double lo = INFINITY, hi = -INFINITY;
    char kind[8] = "";
    for (size_t q = 0; q < nm; q++) {
      const ctr_scaling_group *g = &s->groups[mem[q]];
      for (size_t t = 0; t < g->nN; t++)
        if (g->N[t] == g0->N[k] && isfinite(g->log10_L[t])) {
          x[m] = g->log10_L[t] * M_LN10, y[m] = log(g->mean[t]), e[m] = g->se[t] / g->mean[t];
          lo = fmin(lo, g->log10_L[t]), hi = fmax(hi, g->log10_L[t]), m++;
          sampled |= g->spread, join_kind(kind, sizeof kind, g->lipschitz_kind);
        }
    }
    if (m < 2 || !(hi > lo)) continue; /* one L: no slope */
    if (s->nlexp == *cap) {
      ctr_l_exponent *p = realloc(s->lexp, sizeof *p * (*cap = 2 * *cap + 8));
      if (!p) return free(x), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
      s->lexp = p;
    }
    ctr_l_exponent *le = &s->lexp[s->nlexp];
    ctr_error quiet;
    if (ctr_fit_line_w(x, y, e, m, &le->fit, &quiet)) continue;
    ctr_scaling_family_label(g0->first, SKIP_SIGMA, s->varying, le->family, sizeof le->family);
    le->N = g0->N[k], le->n = m, le->log10_L_min = lo, le->log10_L_max = hi;
    snprintf(le->interval, sizeof le->interval, "%s", le->fit.weighted || sampled ? "ci95" : "curvature");
    snprintf(le->lipschitz_kind, sizeof le->lipschitz_kind, "%s", kind);
    s->nlexp++;
  }
  free(x);
  return CTR_OK;
}

typedef struct {
  double lnL, lneps, lnN, N;
} crossing_pt;

/* Least squares lnN = c + a lnL (+ b ln(1/eps) when has_b) with 95% t half-widths. */
static int regress(const crossing_pt *p, size_t n, int has_b, ctr_l_nstar *f) {
  size_t k = has_b ? 3 : 2;
  if (n <= k) return 0;
  gsl_matrix *X = gsl_matrix_alloc(n, k), *C = gsl_matrix_alloc(k, k);
  gsl_vector *y = gsl_vector_alloc(n), *c = gsl_vector_alloc(k);
  gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, k);
  double chisq;
  int ok = 0;
  if (X && C && y && c && ws) {
    for (size_t i = 0; i < n; i++) {
      gsl_matrix_set(X, i, 0, 1), gsl_matrix_set(X, i, 1, p[i].lnL), gsl_vector_set(y, i, p[i].lnN);
      if (has_b) gsl_matrix_set(X, i, 2, p[i].lneps);
    }
    /* a rank-deficient design (one L, or one eps with b) leaves a singular covariance */
    if (!gsl_multifit_linear(X, y, c, C, &chisq, ws) && gsl_matrix_get(C, 1, 1) > 0 &&
        isfinite(gsl_matrix_get(C, 1, 1)) && (!has_b || gsl_matrix_get(C, 2, 2) > 0)) {
      double q = gsl_cdf_tdist_Pinv(0.975, (double)(n - k)); /* C carries chisq / (n - k) */
      double ha = q * sqrt(gsl_matrix_get(C, 1, 1));
      f->konst = gsl_vector_get(c, 0), f->a = gsl_vector_get(c, 1);
      f->a_lo = f->a - ha, f->a_hi = f->a + ha;
      if (has_b) {
        double hb = q * sqrt(gsl_matrix_get(C, 2, 2));
        f->b = gsl_vector_get(c, 2), f->b_lo = f->b - hb, f->b_hi = f->b + hb;
      }
      ok = 1;
    }
  }
  gsl_multifit_linear_free(ws);
  gsl_matrix_free(X), gsl_matrix_free(C), gsl_vector_free(y), gsl_vector_free(c);
  return ok;
}

/* N*(L, eps) of one L-family from the crossings of its members (injected eps > 0, or levels on
 * the error-free curves); appended to s->lnstar when there are crossings at >= 2 L. */
static void nstar_L(ctr_scaling *s, const size_t *mem, size_t nm, int injected) {
  crossing_pt *p = malloc(sizeof *p * (nm * NLEVELS + 1));
  double *Lseen = malloc(sizeof(double) * (nm + 1));
  if (!p || !Lseen) {
    free(p), free(Lseen);
    return;
  }
  double levels[NLEVELS], top = INFINITY, bottom = -INFINITY;
  if (!injected) { /* levels inside the range that every member's curve spans */
    for (size_t q = 0; q < nm; q++) {
      const ctr_scaling_group *g = &s->groups[mem[q]];
      double a = INFINITY, b = -INFINITY;
      for (size_t k = 0; k < g->nN; k++) a = fmin(a, g->mean[k]), b = fmax(b, g->mean[k]);
      top = fmin(top, b), bottom = fmax(bottom, a);
    }
    if (!(top > bottom)) {
      free(p), free(Lseen);
      return;
    }
    for (int j = 0; j < NLEVELS; j++) levels[j] = exp(log(bottom) + (j + 1.0) / (NLEVELS + 1) * log(top / bottom));
  }
  size_t n = 0, nL = 0;
  int sampled = 0;
  ctr_l_nstar f;
  memset(&f, 0, sizeof f);
  f.nstar_min = INFINITY, f.nstar_max = -INFINITY;
  double slog = 0, eps_first = NAN;
  int eps_vary = 0;
  for (size_t q = 0; q < nm; q++) {
    const ctr_scaling_group *g = &s->groups[mem[q]];
    int any = 0;
    for (int j = 0; j < (injected ? 1 : NLEVELS); j++) {
      double eps = injected ? g->eps : levels[j], Ns = crossing(g, injected ? 2 * eps : eps);
      double lL = log10_L_at(g, Ns);
      if (!isfinite(Ns) || !isfinite(lL)) continue;
      p[n++] = (crossing_pt){lL * M_LN10, -log(eps), log(Ns), Ns};
      f.nstar_min = fmin(f.nstar_min, Ns), f.nstar_max = fmax(f.nstar_max, Ns), slog += log(Ns);
      if (isnan(eps_first)) eps_first = eps;
      else eps_vary |= eps != eps_first;
      any = 1;
    }
    if (!any) continue;
    sampled |= g->spread || !isnan(g->se[0]), join_kind(f.lipschitz_kind, sizeof f.lipschitz_kind, g->lipschitz_kind);
    double lL = p[n - 1].lnL; /* distinct widths with crossings, counted by L */
    int seen = 0;
    for (size_t i = 0; i < nL; i++) seen |= Lseen[i] == lL;
    if (!seen) Lseen[nL++] = lL;
  }
  f.widths = nL, f.n = n, f.has_b = eps_vary;
  f.a = f.a_lo = f.a_hi = f.b = f.b_lo = f.b_hi = f.konst = NAN;
  if (nL >= 2) f.ok = regress(p, n, f.has_b, &f);
  if (nL >= 2 && !f.ok && f.has_b) f.has_b = 0, f.ok = regress(p, n, 0, &f); /* eps collinear with L */
  double l = n ? slog / (double)n : NAN;
  f.bound_b = l > 5 ? 1 / (1 - 5 / l) : NAN, f.bound_a = 3 * f.bound_b;
  if (n && nL >= 2) {
    ctr_scaling_family_label(s->groups[mem[0]].first, SKIP_SIGMA | SKIP_EPS, s->varying, f.family,
                             sizeof f.family);
    snprintf(f.source, sizeof f.source, "%s", injected ? "injected" : "levels");
    snprintf(f.interval, sizeof f.interval, "%s", sampled ? "ci95" : "curvature");
    s->lnstar[s->nlnstar++] = f;
  }
  free(p), free(Lseen);
}

ctr_status ctr_scaling_lip(ctr_scaling *s, ctr_error *err) {
  size_t n = s->ngroups, cap = 0;
  size_t *mem = malloc(sizeof *mem * (n + 1));
  char *done = calloc(n + 1, 1);
  s->lnstar = malloc(sizeof *s->lnstar * (2 * n + 1));
  if (!mem || !done || !s->lnstar)
    return free(mem), free(done), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  ctr_status st = CTR_OK;
  /* pass 0: error-free members, the W slope and the level crossings; pass 1: injected eps */
  for (int pass = 0; !st && pass < 2; pass++) {
    memset(done, 0, n + 1);
    for (size_t i = 0; !st && i < n; i++) {
      const ctr_scaling_group *gi = &s->groups[i];
      if (done[i] || gi->skipped || !kind_ok(gi) || (pass == 0) != (gi->eps == 0)) continue;
      size_t nm = 0;
      int skip = SKIP_SIGMA | (pass ? SKIP_EPS : 0);
      for (size_t j = i; j < n; j++) {
        const ctr_scaling_group *gj = &s->groups[j];
        if (done[j] || gj->skipped || !kind_ok(gj) || (pass == 0) != (gj->eps == 0)) continue;
        if (!ctr_scaling_cmp(gi->first, gj->first, skip)) mem[nm++] = j, done[j] = 1;
      }
      if (nm < 2) continue;
      if (pass == 0) st = fixed_N(s, mem, nm, &cap, err);
      if (!st) nstar_L(s, mem, nm, pass == 1);
    }
  }
  free(mem), free(done);
  return st;
}
