#include "analysis/fit.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>

ctr_status ctr_fit_loglog(const double *x, const double *y, size_t n, ctr_loglog_fit *out,
                          ctr_error *err) {
  return ctr_fit_loglog_w(x, y, NULL, n, out, err);
}

ctr_status ctr_fit_loglog_w(const double *x, const double *y, const double *se, size_t n,
                            ctr_loglog_fit *out, ctr_error *err) {
  size_t cap = n ? n : 1;
  double *lx = malloc(sizeof(double) * cap), *ly = malloc(sizeof(double) * cap);
  double *s = malloc(sizeof(double) * cap);
  if (!lx || !ly || !s)
    return free(lx), free(ly), free(s), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (x[i] > 0 && y[i] > 0 && isfinite(x[i]) && isfinite(y[i]))
      lx[m] = log(x[i]), ly[m] = log(y[i]), s[m++] = se ? se[i] / y[i] : NAN; /* SE of log y */
  ctr_status st = ctr_fit_line_w(lx, ly, se ? s : NULL, m, out, err);
  free(lx), free(ly), free(s);
  return st;
}

ctr_status ctr_fit_line_w(const double *x, const double *y, const double *sy, size_t n,
                          ctr_loglog_fit *out, ctr_error *err) {
  size_t cap = n ? n : 1;
  double *lx = malloc(sizeof(double) * cap), *ly = malloc(sizeof(double) * cap);
  double *w = malloc(sizeof(double) * cap);
  if (!lx || !ly || !w)
    return free(lx), free(ly), free(w), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  int weighted = sy != NULL;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i]) && isfinite(y[i])) {
      lx[m] = x[i], ly[m] = y[i];
      double s = sy ? sy[i] : NAN;
      if (!(s > 0 && isfinite(s))) weighted = 0;
      else w[m] = 1 / (s * s);
      m++;
    }
  out->n = m, out->weighted = weighted && m > 0;
  out->slope = out->intercept = out->slope_lo = out->slope_hi = NAN;
  ctr_status st = CTR_OK;
  double c0, c1, cov00, cov01, cov11, sumsq;
  int bad = 0;
  if (m < 2) st = ctr_fail(err, CTR_EINPUT, "fit: %zu usable points, need at least 2", m);
  else if (out->weighted) bad = gsl_fit_wlinear(lx, 1, w, 1, ly, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
  else bad = gsl_fit_linear(lx, 1, ly, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
  if (!st && bad) st = ctr_fail(err, CTR_ENUMERIC, "fit: GSL least squares failed");
  if (!st) {
    out->slope = c1, out->intercept = c0;
    if (m >= 3) {
      /* gsl_fit_linear's cov11 carries sumsq / (m - 2); gsl_fit_wlinear's takes the weights
       * as exact, so the residual scale chisq / (m - 2) is put in here */
      double var = out->weighted ? cov11 * sumsq / (double)(m - 2) : cov11;
      double half = gsl_cdf_tdist_Pinv(0.975, (double)(m - 2)) * sqrt(var);
      out->slope_lo = c1 - half, out->slope_hi = c1 + half;
    }
  }
  free(lx), free(ly), free(w);
  return st;
}

double ctr_bound_local_slope(double N) { return -1.0 + 5.0 / log(N); }
