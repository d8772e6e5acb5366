#include "cli/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/fit.h"

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

/* Total order on doubles with every NaN equal (sigma is NaN for Gaussian rows). */
static int cmp_num(double x, double y) {
  if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
  return (x > y) - (x < y);
}

static int same_group(const ctr_point *a, const ctr_point *b) {
  return a->d == b->d && !cmp_num(a->sigma, b->sigma) && a->K == b->K && strcmp(a->target, b->target) == 0 && strcmp(a->engine, b->engine) == 0 &&
         strcmp(a->error, b->error) == 0 && a->eps == b->eps &&
         strcmp(a->schedule, b->schedule) == 0;
}

static int by_group_then_N(const void *pa, const void *pb) {
  const ctr_point *a = *(const ctr_point *const *)pa, *b = *(const ctr_point *const *)pb;
  int c = strcmp(a->engine, b->engine);
  if (!c) c = strcmp(a->error, b->error);
  if (!c) c = (a->eps > b->eps) - (a->eps < b->eps);
  if (!c) c = (a->K > b->K) - (a->K < b->K);
  if (!c) c = cmp_num(a->sigma, b->sigma);
  if (!c) c = (a->d > b->d) - (a->d < b->d);
  if (!c) c = (a->N > b->N) - (a->N < b->N);
  if (!c) c = (a->point_id > b->point_id) - (a->point_id < b->point_id);
  return c;
}

static void print_slope(FILE *out, const char *what, const ctr_loglog_fit *f) {
  if (f->n < 2) fprintf(out, "  slope %-8s n/a (fewer than 2 positive points)\n", what);
  else if (f->n < 3) fprintf(out, "  slope %-8s %+.4f (2 points: no CI)\n", what, f->slope);
  else
    fprintf(out, "  slope %-8s %+.4f  95%% CI [%+.4f, %+.4f]  (%zu points)\n", what, f->slope,
            f->slope_lo, f->slope_hi, f->n);
}

static int is_affine_row(const ctr_point *r) {
  return !strcmp(r->engine, "ct") || !strcmp(r->engine, "cd");
}

/* Mixture engines: the coupling estimate with its standard error, the 95% upper bound,
 * distill's sampled W1 and its same-law floor, the empirical Lipschitz constant. */
static void report_sampled(FILE *out, const ctr_point *const *g, size_t n) {
  fprintf(out, "  %10s %12s %10s %12s %7s %12s %12s %12s %8s %s\n", "N", "E|f-Phi|q_N", "+- se",
          "W1 hi (95%)", "local", "E|f-Phi|^2", "sampled W1", "floor", "L", "status");
  double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
  for (size_t i = 0; i < n; i++) {
    const ctr_point *r = g[i];
    /* local slope of W1 hi between successive N (math.md 8) */
    double local = i ? log(r->w1_hi_qN / g[i - 1]->w1_hi_qN) / log((double)r->N / g[i - 1]->N)
                     : NAN;
    fprintf(out, "  %10lld %12.5g %10.2g %12.5g %7.3f %12.5g %12.5g %12.5g %8.4g %s\n",
            (long long)r->N, r->coupling_l1_qN, r->coupling_l1_se_qN, r->w1_hi_qN, local,
            r->coupling_sq_qN, r->w1_sample_normal, r->w1_floor, r->lipschitz,
            r->status ? r->message : "ok");
    if (x && y) x[i] = (double)r->N, y[i] = r->coupling_l1_qN;
  }
  ctr_loglog_fit f;
  ctr_error err;
  if (x && y && n >= 2 && !ctr_fit_loglog(x, y, n, &f, &err))
    print_slope(out, "E|f-Phi|", &f);
  free(x), free(y);
}

static void report_group(FILE *out, const ctr_point *const *g, size_t n) {
  const ctr_point *h = g[0];
  char mix[64] = "";
  if (h->K > 1) snprintf(mix, sizeof mix, " (K = %d, sigma = %g)", h->K, h->sigma);
  fprintf(out, "\n%s target%s, d = %d, engine %s, error %s, eps %g, schedule %s%s\n", h->target,
          mix, h->d, h->engine, h->error, h->eps, h->schedule,
          h->eps == 0 && strcmp(h->error, "none") ? " (eps 0: no error)" : "");
  if (!is_affine_row(h)) {
    report_sampled(out, g, n);
    return;
  }
  fprintf(out, "  %10s %12s %12s %12s %12s %12s %12s %s\n", "N", "W2(N(0,I))", "W1 lo",
          "W1 hi", "W2(q_N)", "E|f-Phi|q_N", "sum E|D_t|", "status");
  double *x = malloc(sizeof(double) * n), *y2 = malloc(sizeof(double) * n),
         *y1 = malloc(sizeof(double) * n), *yl = malloc(sizeof(double) * n);
  for (size_t i = 0; i < n; i++) {
    const ctr_point *r = g[i];
    fprintf(out, "  %10lld %12.5g %12.5g %12.5g %12.5g %12.5g %12.5g %s\n", (long long)r->N,
            r->w2_normal, r->w1_lo_normal, r->w1_hi_normal, r->w2_qN, r->coupling_l1_qN,
            r->sum_D_l1, r->status ? r->message : "ok");
    if (x && y1 && y2 && yl)
      x[i] = (double)r->N, y2[i] = r->w2_normal, y1[i] = r->w1_hi_normal,
      yl[i] = r->w2_normal / log((double)r->N);
  }
  ctr_loglog_fit f2, f1, fl;
  ctr_error err;
  if (x && y1 && y2 && yl && n >= 2) {
    ctr_fit_loglog(x, y2, n, &f2, &err);
    ctr_fit_loglog(x, y1, n, &f1, &err);
    ctr_fit_loglog(x, yl, n, &fl, &err);
    print_slope(out, "W2", &f2);
    print_slope(out, "W1 hi", &f1);
    print_slope(out, "W2/lnN", &fl);
    double Ngm = sqrt(x[0] * x[n - 1]);
    fprintf(out, "  bound's local slope -1 + 5/ln N: %+.4f at N = %.3g (geometric mid-range)\n",
            ctr_bound_local_slope(Ngm), Ngm);
  }
  free(x), free(y1), free(y2), free(yl);
}

void ctr_report_rates(FILE *out, const ctr_point *rows, size_t n) {
  const ctr_point **p = malloc(sizeof *p * (n ? n : 1));
  if (!p) return;
  for (size_t i = 0; i < n; i++) p[i] = &rows[i];
  qsort(p, n, sizeof *p, by_group_then_N);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && same_group(p[i], p[j])) j++;
    report_group(out, p + i, j - i);
    i = j;
  }
  free(p);
}
