#include "cli/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fit.h"
#include "analysis/scaling.h"

void ctr_report_value(const ctr_point *row, const ctr_field *f, char *buf, size_t size,
                      int exact) {
  const char *p = (const char *)row + f->offset;
  switch (f->kind) {
  case CTR_KIND_I64: snprintf(buf, size, "%lld", (long long)*(const int64_t *)p); break;
  case CTR_KIND_I32: snprintf(buf, size, "%d", (int)*(const int32_t *)p); break;
  case CTR_KIND_F64: snprintf(buf, size, exact ? "%.17g" : "%.6g", *(const double *)p); break;
  case CTR_KIND_STR: snprintf(buf, size, "%.*s", (int)f->size, p); break;
  }
}

void ctr_report_point(FILE *out, const ctr_point *row) {
  char buf[256];
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    ctr_report_value(row, f, buf, sizeof buf, 0);
    fprintf(out, "%-20s %-14s # %s\n", f->name, buf, f->doc);
  }
}

/* ---- rate tables: one per group (every parameter but N, seed and replicate), one line per
 * N with the mean over replicates +- its standard error ---------------------------------- */

/* The parameter columns: `target` to `chains` (core/point.h order) but N and path, as in
 * analysis/scaling.c, so a table is one of fit's groups. */
static int is_param(const ctr_field *f, int *in) {
  if (!strcmp(f->name, "target")) *in = 1;
  int yes = *in && strcmp(f->name, "N") && strcmp(f->name, "path");
  if (!strcmp(f->name, "chains")) *in = 0;
  return yes;
}


static int cmp_group(const ctr_point *a, const ctr_point *b) {
  int in = 0;
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    int c = is_param(f, &in) ? ctr_point_field_cmp(a, b, f) : 0;
    if (c) return c;
  }
  return 0;
}

static int by_group_then_N(const void *pa, const void *pb) {
  const ctr_point *a = *(const ctr_point *const *)pa, *b = *(const ctr_point *const *)pb;
  int c = cmp_group(a, b);
  if (!c) c = (a->N > b->N) - (a->N < b->N);
  if (!c) c = (a->point_id > b->point_id) - (a->point_id < b->point_id);
  return c;
}

typedef struct {
  const char *title, *name, *se_name; /* column, and its Monte Carlo SE column (or NULL) */
} column;

static const column affine_cols[] = {{"W2(N(0,I))", "w2_normal", NULL}, {"W1 lo", "w1_lo_normal", NULL},
                                     {"W1 hi", "w1_hi_normal", NULL},   {"W2(q_N)", "w2_qN", NULL},
                                     {"E|f-Phi|q_N", "coupling_l1_qN", NULL}, {"sum E|D_t|", "sum_D_l1", NULL}};
static const column sampled_cols[] = {
    {"E|f-Phi|q_N", "coupling_l1_qN", "coupling_l1_se_qN"}, {"W1 hi (95%)", "w1_hi_qN", NULL},
    {"E|f-Phi|^2", "coupling_sq_qN", "coupling_sq_se_qN"},  {"sampled W1", "w1_sample_normal", NULL},
    {"floor", "w1_floor", NULL},                             {"L", "lipschitz", NULL}};
#define NCOLS 6

static double value(const ctr_point *r, const char *name) {
  const ctr_field *f = name ? ctr_point_field(name) : NULL;
  return f && f->kind == CTR_KIND_F64 ? *(const double *)((const char *)r + f->offset) : NAN;
}

/* Mean and standard error of column c over the ok rows g[0..n): the spread over replicates
 * when there are several, else the row's own Monte Carlo SE (NaN: exact or unknown). */
static void mean_se(const ctr_point *const *g, size_t n, const column *c, double *mean, double *se) {
  double s = 0, s2 = 0, e = NAN;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    double v = value(g[i], c->name);
    if (g[i]->status || !isfinite(v)) continue;
    s += v, s2 += v * v, k++, e = value(g[i], c->se_name);
  }
  *mean = k ? s / (double)k : NAN;
  *se = k > 1 ? sqrt(fmax(s2 - s * s / (double)k, 0) / (double)(k - 1) / (double)k) : (e > 0 ? e : NAN);
}

static void print_cell(FILE *out, double m, double se, int with_se) {
  char b[48];
  if (!with_se) snprintf(b, sizeof b, "%.5g", m);
  else if (!(se > 0)) snprintf(b, sizeof b, "%.5g", m); /* exact, or one replicate */
  else snprintf(b, sizeof b, "%.5g±%.2g", m, se);
  fprintf(out, " %*s", with_se ? 21 : 12, b); /* ± is 2 bytes: one column wider */
}

static void report_group(FILE *out, const ctr_point *const *g, size_t n, const char *label) {
  const column *cols = !strcmp(g[0]->engine, "ct") || !strcmp(g[0]->engine, "cd") ? affine_cols : sampled_cols;
  int shown[NCOLS] = {0}, with_se[NCOLS] = {0}, reps = 0;
  for (size_t i = 0, j; i < n; i = j) { /* which columns have a value, an SE; replicates */
    for (j = i + 1; j < n && g[j]->N == g[i]->N; j++) continue;
    reps |= j - i > 1;
    for (int c = 0; c < NCOLS; c++) {
      double m, se;
      mean_se(g + i, j - i, &cols[c], &m, &se);
      shown[c] |= !isnan(m), with_se[c] |= !isnan(se);
    }
  }
  fprintf(out, "\n%s\n  %10s", label, "N");
  if (reps) fprintf(out, " %4s", "reps");
  for (int c = 0; c < NCOLS; c++)
    if (shown[c]) fprintf(out, " %*s", with_se[c] ? 20 : 12, cols[c].title);
  fprintf(out, " status\n");
  for (size_t i = 0, j; i < n; i = j) {
    size_t failed = 0, first_bad = i;
    for (j = i; j < n && g[j]->N == g[i]->N; j++)
      if (g[j]->status && !failed++) first_bad = j;
    fprintf(out, "  %10lld", (long long)g[i]->N);
    if (reps) fprintf(out, " %4zu", j - i);
    for (int c = 0; c < NCOLS; c++) {
      double m, se;
      mean_se(g + i, j - i, &cols[c], &m, &se);
      if (shown[c]) print_cell(out, m, se, with_se[c]);
    }
    if (!failed) fprintf(out, " ok\n");
    else if (j - i == 1) fprintf(out, " %s\n", g[first_bad]->message);
    else fprintf(out, " %zu failed: %s\n", failed, g[first_bad]->message);
  }
}

/* fit's label of the group whose rows include r (it names every varying parameter). */
static const char *label_of(const ctr_scaling *s, const ctr_point *r, char *buf, size_t size) {
  for (size_t i = 0; i < s->ngroups; i++)
    if (!cmp_group(s->groups[i].first, r)) return s->groups[i].label;
  snprintf(buf, size, "%s d=%d %s %s eps=%g (every point failed)", r->target, r->d, r->engine,
           r->error, r->eps);
  return buf;
}

/* The bound's shape ln^5 N / N: its log-log secant between N1 and N2. */
static double bound_secant(double n1, double n2) {
  return -1 + 5 * (log(log(n2)) - log(log(n1))) / log(n2 / n1);
}

static void summary(FILE *out, const ctr_scaling *s) {
  fprintf(out, "\nSummary: slope of ln %s on ln N per group, with the bound's secant "
               "-1 + 5 (ln ln N2 - ln ln N1) / ln(N2/N1) over the same N (ctrate fit: the rest)\n",
          s->metric);
  for (size_t i = 0; i < s->ngroups; i++) {
    const ctr_scaling_group *g = &s->groups[i];
    fprintf(out, "  %-48s N %g..%g", g->label, g->N[0], g->N[g->nN - 1]);
    if (g->replicates > 1) fprintf(out, " x%zu", g->replicates);
    if (g->skipped || g->slope.n < 2) fprintf(out, ": one N, no slope\n");
    else if (isnan(g->slope.slope_lo))
      fprintf(out, ": slope %+.3f; bound %+.3f\n", g->slope.slope, bound_secant(g->N[0], g->N[g->nN - 1]));
    else
      fprintf(out, ": slope %+.3f [%+.3f, %+.3f] %s; bound %+.3f\n", g->slope.slope, g->slope.slope_lo,
              g->slope.slope_hi, strcmp(g->interval, "ci95") ? "curvature" : "95% CI",
              bound_secant(g->N[0], g->N[g->nN - 1]));
  }
}

void ctr_report_rates(FILE *out, const ctr_point *rows, size_t n) {
  const ctr_point **p = malloc(sizeof *p * (n ? n : 1));
  if (!p) return;
  for (size_t i = 0; i < n; i++) p[i] = &rows[i];
  qsort(p, n, sizeof *p, by_group_then_N);
  ctr_scaling s;
  ctr_scaling_opts o;
  ctr_error err;
  ctr_scaling_opts_default(&o);
  o.bootstrap = 0;
  int fitted = !ctr_scaling_run(rows, n, &o, &s, &err);
  if (!fitted) memset(&s, 0, sizeof s);
  char buf[240];
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && !cmp_group(p[i], p[j])) j++;
    report_group(out, p + i, j - i, label_of(&s, p[i], buf, sizeof buf));
    i = j;
  }
  if (fitted) summary(out, &s), ctr_scaling_free(&s);
  free(p);
}
