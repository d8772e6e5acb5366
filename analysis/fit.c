#include "analysis/fit.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>

ctr_status ctr_fit_loglog(const double *x, const double *y, size_t n, ctr_loglog_fit *out,
                          ctr_error *err) {
  double *lx = malloc(sizeof(double) * (n ? n : 1)), *ly = malloc(sizeof(double) * (n ? n : 1));
  if (!lx || !ly) return free(lx), free(ly), ctr_fail(err, CTR_ENOMEM, "fit: out of memory");
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (x[i] > 0 && y[i] > 0 && isfinite(x[i]) && isfinite(y[i]))
      lx[m] = log(x[i]), ly[m] = log(y[i]), m++;
  out->n = m;
  out->slope = out->intercept = out->slope_lo = out->slope_hi = NAN;
  ctr_status st = CTR_OK;
  double c0, c1, cov00, cov01, cov11, sumsq;
  if (m < 2) st = ctr_fail(err, CTR_EINPUT, "fit: %zu usable points, need at least 2", m);
  else if (gsl_fit_linear(lx, 1, ly, 1, m, &c0, &c1, &cov00, &cov01, &cov11, &sumsq))
    st = ctr_fail(err, CTR_ENUMERIC, "fit: gsl_fit_linear failed");
  if (!st) {
    out->slope = c1, out->intercept = c0;
    if (m >= 3) {
      /* gsl_fit_linear's cov11 already carries sumsq / (m - 2) */
      double half = gsl_cdf_tdist_Pinv(0.975, (double)(m - 2)) * sqrt(cov11);
      out->slope_lo = c1 - half, out->slope_hi = c1 + half;
    }
  }
  free(lx), free(ly);
  return st;
}

double ctr_bound_local_slope(double N) { return -1.0 + 5.0 / log(N); }
