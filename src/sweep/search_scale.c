/* sweep/search_scale.c: the families of `ctrate search` (sweep/search_scale.h, theory.md
 * §9.16): the scale mixture on the radial engine here, the product family dispatched to
 * sweep/search_product.c; the objective, the L constraint and the written files. */
#include "sweep/search_scale.h"

#include "sweep/search_product.h"
#include "targets/lip_radial.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engines/radial.h"
#include "store/safe_output.h"
#include "targets/mixture.h"

void ctr_scale_family_default(ctr_scale_family *f) {
  memset(f, 0, sizeof *f);
  f->K = 2, f->ndims = 3;
  f->dims[0] = 16, f->dims[1] = 64, f->dims[2] = 256;
  f->v_min = 1.0 / 16, f->v_max = 1.0, f->w_min = 0.05;
  f->m_min = 0, f->m_max = 2, f->max_log10_L = INFINITY;
  f->metric = CTR_SCALE_W1;
  ctr_schedule_params_default(&f->schedule);
  f->schedule.N = 100;
}

ctr_status ctr_scale_family_check(const ctr_scale_family *f, ctr_error *err) {
  if (f->K < 1 || f->K > CTR_SCALE_KMAX)
    return ctr_fail(err, CTR_EINPUT, "--K %d is out of range (accepted: 1 to %d)", f->K,
                    CTR_SCALE_KMAX);
  if (f->ndims < 2 || f->ndims > CTR_SCALE_DIMS_MAX)
    return ctr_fail(err, CTR_EINPUT, "--d gives %d dimensions (accepted: 2 to %d, increasing)",
                    f->ndims, CTR_SCALE_DIMS_MAX);
  for (int i = 0; i < f->ndims; i++)
    if (f->dims[i] < 1 || f->dims[i] > 1000000 || (i && f->dims[i] <= f->dims[i - 1]))
      return ctr_fail(err, CTR_EINPUT, "--d: %lld is out of place (accepted: increasing "
                      "dimensions in 1 to 1e6)", (long long)f->dims[i]);
  if (!(f->v_min > 0) || !(f->v_max >= f->v_min) || !(f->v_max <= 1e6))
    return ctr_fail(err, CTR_EINPUT, "variance range [%g, %g] is invalid (accepted: 0 < "
                    "--v-min <= --v-max <= 1e6)", f->v_min, f->v_max);
  if (!(f->w_min >= 0) || !(f->w_min * f->K <= 1))
    return ctr_fail(err, CTR_EINPUT, "--w-min %g is out of range (accepted: 0 to 1/K = %g)",
                    f->w_min, 1.0 / f->K);
  if (!(f->m_min >= 0) || !(f->m_max >= f->m_min) || !(f->m_max <= 1e3))
    return ctr_fail(err, CTR_EINPUT, "range [%g, %g] of m is invalid (accepted: 0 <= --m-min <= "
                    "--m-max <= 1e3)", f->m_min, f->m_max);
  if (isnan(f->max_log10_L) || f->max_log10_L < 0)
    return ctr_fail(err, CTR_EINPUT, "--max-log10-L %g is out of range (accepted: >= 0; L >= 1 "
                    "always)", f->max_log10_L);
  if (f->family == CTR_SEARCH_PRODUCT && f->K != 2)
    return ctr_fail(err, CTR_EINPUT, "--K %d: the product family has K = 2 per coordinate "
                    "(accepted: 2)", f->K);
  if (f->metric != CTR_SCALE_W1 && f->metric != CTR_SCALE_W2)
    return ctr_fail(err, CTR_EINPUT, "metric %d is unknown (accepted: w1, w2)", (int)f->metric);
  return ctr_schedule_check(&f->schedule, err);
}

int ctr_scale_nparams(const ctr_scale_family *f) {
  return f->family == CTR_SEARCH_PRODUCT ? 2 : 2 * f->K - 1;
}

/* (1 + sin z) / 2 in [0, 1]: a bound is reached at finite z, where the objective is smooth in z
 * with zero slope, so a maximum on a bound is an ordinary interior maximum for Nelder-Mead. */
static double unit(double z) { return 0.5 * (1 + sin(z)); }

void ctr_scale_decode(const ctr_scale_family *f, const double *z, double *w, double *v,
                      double *m) {
  if (f->family == CTR_SEARCH_PRODUCT) {
    ctr_prodfam_decode(f, z, w, v, m);
    return;
  }
  *m = 0;
  const int K = f->K;
  double rest = 1, span = log(f->v_max / f->v_min);
  for (int k = 0; k + 1 < K; k++) {
    double b = unit(z[k]);
    w[k] = f->w_min + (1 - K * f->w_min) * rest * b;
    rest *= 1 - b;
  }
  w[K - 1] = f->w_min + (1 - K * f->w_min) * rest;
  /* v_min exp(span u): exactly v_min at u = 0 and for v_min = v_max (a Gaussian); u = 1 is
   * set to v_max, since exp(ln v_max - ln v_min) v_min may differ from it in the last bit */
  for (int k = 0; k < K; k++) {
    double u = unit(z[K - 1 + k]);
    v[k] = u >= 1 ? f->v_max : fmin(f->v_min * exp(span * u), f->v_max);
  }
}

void ctr_scale_starts(const ctr_scale_family *f, int starts, double *z0) {
  const int n = ctr_scale_nparams(f);
  const double phi = 0.6180339887498949; /* golden ratio - 1 */
  for (int j = 0; j < starts; j++)
    for (int i = 0; i < n; i++) {
      /* u in (0, 1): component i's coordinate of the j-th point of a Kronecker sequence with
       * irrational steps phi (i + 1) mod 1; z = asin(2u - 1) places it at u of the range */
      double u = j ? fmod(0.5 + j * fmod(phi * (i + 1), 1.0), 1.0) : 0.5;
      z0[(size_t)j * n + i] = asin(2 * u - 1);
    }
}

/* The weights as the radial engine sees them in `ctrate run`: mixture_alloc renormalises by
 * their sum, so the search passes its weights through the same allocation. */
static ctr_status engine_weights(const ctr_scale_family *f, const double *w, const double *v,
                                 double *wn, ctr_error *err) {
  double mu[CTR_SCALE_KMAX] = {0};
  ctr_mixture_cov cov[CTR_SCALE_KMAX];
  for (int k = 0; k < f->K; k++) cov[k] = (ctr_mixture_cov){CTR_COV_ISO, v + k};
  ctr_mixture *m = NULL;
  ctr_status st = ctr_mixture_alloc(f->K, 1, w, mu, cov, &m, err);
  if (!st) memcpy(wn, m->weight, sizeof(double) * f->K);
  ctr_mixture_free(m);
  return st;
}

/* One engine run in dimension index i: W of the chosen metric, data scale, disc_err. */
static ctr_status eval_d(const ctr_scale_family *f, const ctr_schedule *s, const double *wn,
                         const double *v, double m, int i, ctr_scale_value *out, ctr_error *err) {
  if (f->family == CTR_SEARCH_PRODUCT) {
    ctr_prodfam_point pt;
    ctr_status st = ctr_prodfam_eval_d(f, s, m, v[0], f->dims[i], 0, &pt, err);
    if (st) return st;
    out->W[i] = f->metric == CTR_SCALE_W1 ? pt.w1 : pt.w2;
    out->scale[i] = pt.scale, out->disc[i] = pt.disc;
    return CTR_OK;
  }
  ctr_radial_params p;
  ctr_radial_params_default(&p); /* as simulate/point_exact.c's ctr_point_run_radial */
  if (f->grid_G) p.G = f->grid_G;
  if (f->grid_Q) p.Q = f->grid_Q;
  ctr_radial_result *r = NULL;
  ctr_status st = ctr_radial_run(&p, s, f->K, wn, v, f->dims[i], &r, err);
  if (st) return st;
  out->W[i] = f->metric == CTR_SCALE_W1 ? r->gauss.w1 : r->gauss.w2;
  out->scale[i] = r->data_scale, out->disc[i] = r->disc_max;
  out->sorted |= r->sorted;
  ctr_radial_result_free(r);
  return CTR_OK;
}

/* The exact log10 L in dimension index i. */
static ctr_status log10_L_d(const ctr_scale_family *f, const ctr_schedule *s, const double *wn,
                            const double *v, double m, int i, double *out, ctr_error *err) {
  if (f->family == CTR_SEARCH_PRODUCT) {
    ctr_prodfam_point pt;
    ctr_status st = ctr_prodfam_eval_d(f, s, m, v[0], f->dims[i], 1, &pt, err);
    if (!st) *out = pt.log10_L;
    return st;
  }
  ctr_lip_exact ex;
  ctr_status st = ctr_lip_radial_compute(f->K, wn, v, f->dims[i], s, &ex, err);
  if (!st) *out = ex.log_L / M_LN10;
  return st;
}

ctr_status ctr_scale_eval(const ctr_scale_family *f, const double *w, const double *v, double m,
                          ctr_scale_value *out, ctr_error *err) {
  memset(out, 0, sizeof *out);
  out->feasible = 1;
  for (int i = 0; i < CTR_SCALE_DIMS_MAX; i++) out->log10_L[i] = NAN;
  double wn[CTR_SCALE_KMAX];
  ctr_schedule *s = NULL;
  ctr_status st = engine_weights(f, w, v, wn, err);
  if (!st) st = ctr_schedule_alloc(&f->schedule, &s, err);
  int last = f->ndims - 1;
  if (!st && isfinite(f->max_log10_L)) { /* the constraint first: an infeasible point costs one L */
    st = log10_L_d(f, s, wn, v, m, last, out->log10_L + last, err);
    if (!st && !(out->log10_L[last] <= f->max_log10_L)) {
      out->feasible = 0, out->exponent = out->secant_last = NAN;
      out->excess = isnan(out->log10_L[last]) ? INFINITY : out->log10_L[last] - f->max_log10_L;
      ctr_schedule_free(s);
      return CTR_OK;
    }
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0, y[CTR_SCALE_DIMS_MAX];
  for (int i = 0; !st && i < f->ndims; i++) {
    st = eval_d(f, s, wn, v, m, i, out, err);
    if (st) break;
    if (!(out->W[i] > 0) || !isfinite(out->W[i]) || !(out->scale[i] > 0))
      st = ctr_fail(err, CTR_ENUMERIC, "search: W = %g, data scale %g at d = %lld (need both "
                    "positive and finite for a log-log slope)", out->W[i], out->scale[i],
                    (long long)f->dims[i]);
    double x = log((double)f->dims[i]);
    y[i] = log(out->W[i] / out->scale[i]);
    sx += x, sy += y[i], sxx += x * x, sxy += x * y[i];
  }
  if (!st) {
    int n = f->ndims;
    double xa = log((double)f->dims[n - 2]), xb = log((double)f->dims[n - 1]);
    out->exponent = (sxy - sx * sy / n) / (sxx - sx * sx / n);
    out->secant_last = (y[n - 1] - y[n - 2]) / (xb - xa);
  }
  ctr_schedule_free(s);
  return st;
}

double ctr_scale_objective(const ctr_scale_value *v) {
  return v->feasible ? -v->exponent : CTR_SEARCH_INFEASIBLE + fmin(v->excess, 1e6);
}

ctr_status ctr_scale_lipschitz(const ctr_scale_family *f, const double *w, const double *v,
                               double m, ctr_scale_value *out, ctr_error *err) {
  double wn[CTR_SCALE_KMAX];
  ctr_schedule *s = NULL;
  ctr_status st = engine_weights(f, w, v, wn, err);
  if (!st) st = ctr_schedule_alloc(&f->schedule, &s, err);
  for (int i = 0; !st && i < f->ndims; i++) {
    /* the product's L does not depend on d: one computation */
    if (f->family == CTR_SEARCH_PRODUCT && i) out->log10_L[i] = out->log10_L[0];
    else st = log10_L_d(f, s, wn, v, m, i, out->log10_L + i, err);
  }
  ctr_schedule_free(s);
  return st;
}

/* search_scale.h */
ctr_status ctr_scale_write_with(const char *path, const char *header,
                                void (*body)(FILE *out, const void *ctx), const void *ctx,
                                ctr_error *err) {
  char *tmp = NULL;
  int fd = -1;
  ctr_status st = ctr_tmp_create(path, &tmp, &fd, err);
  if (st) return st;
  FILE *out = fdopen(dup(fd), "w");
  if (!out) {
    close(fd), ctr_tmp_discard(tmp), free(tmp);
    return ctr_fail(err, CTR_EIO, "%s: cannot write", path);
  }
  if (header) fprintf(out, "%s", header);
  body(out, ctx);
  int bad = ferror(out);
  bad |= fclose(out) != 0;
  if (bad) {
    close(fd), ctr_tmp_discard(tmp), free(tmp);
    return ctr_fail(err, CTR_EIO, "%s: write failed", path);
  }
  st = ctr_tmp_commit(tmp, fd, path, err);
  close(fd), free(tmp);
  return st;
}

/* search_scale.h */
void ctr_scale_write_flags(FILE *out, const ctr_scale_family *f) {
  if (f->schedule.kind == CTR_SCHED_PAPER)
    fprintf(out, " --c0 %.17g --c1 %.17g", f->schedule.c0, f->schedule.c1);
  if (f->grid_G) fprintf(out, " --grid-points %d", f->grid_G);
  if (f->grid_Q) fprintf(out, " --hermite %d", f->grid_Q);
  fprintf(out, "\n");
}

typedef struct {
  const ctr_scale_family *f;
  const double *w, *v;
  int64_t d;
  const char *path;
} scale_file;

static void scale_body(FILE *out, const void *ctx) {
  const scale_file *s = ctx;
  const ctr_scale_family *f = s->f;
  fprintf(out, "# run: ctrate run --target mixture_file --mixture-file %s --engine radial --N "
          "%lld --schedule %s", s->path, (long long)f->schedule.N,
          ctr_schedule_kind_name(f->schedule.kind));
  ctr_scale_write_flags(out, f);
  fprintf(out, "%d %lld   # K d\n", f->K, (long long)s->d);
  for (int k = 0; k < f->K; k++) {
    fprintf(out, "%.17g   # weight %d\n", s->w[k], k + 1);
    for (int64_t i = 0; i < s->d; i++) fprintf(out, "%s0", i ? " " : "");
    fprintf(out, "\niso %.17g\n", s->v[k]);
  }
}

ctr_status ctr_scale_write(const ctr_scale_family *f, const double *w, const double *v, double m,
                           int64_t d, const char *header, const char *path, ctr_error *err) {
  if (f->family == CTR_SEARCH_PRODUCT) return ctr_prodfam_write(f, m, v[0], d, header, path, err);
  scale_file s = {f, w, v, d, path};
  return ctr_scale_write_with(path, header, scale_body, &s, err);
}
