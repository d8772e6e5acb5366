/* analysis/fit.h: scaling fits (theory.md §8). */
#ifndef CTR_ANALYSIS_FIT_H
#define CTR_ANALYSIS_FIT_H

#include <stddef.h>

#include "core/common.h"

typedef struct {
  size_t n;                 /* points used (those with x > 0 and y > 0, finite) */
  double slope, intercept;  /* log y = intercept + slope log x */
  double slope_lo, slope_hi; /* 95% t-interval (NaN when n < 3) */
  int weighted;             /* 1: weighted by the per-point standard errors (se / y of log y) */
} ctr_loglog_fit;

/* Least squares of log y on log x (GSL gsl_fit_linear), CI from the t quantile with
 * n - 2 degrees of freedom. CTR_EINPUT when fewer than 2 usable points. */
ctr_status ctr_fit_loglog(const double *x, const double *y, size_t n, ctr_loglog_fit *out,
                          ctr_error *err);

/* As ctr_fit_loglog, but when se is not NULL and every usable point has a positive finite
 * standard error se[i] of y[i], a weighted fit (gsl_fit_wlinear) with the delta-method
 * standard error of log y, se / y, i.e. weights (y / se)^2. The interval scales the weighted
 * covariance by chisq / (n - 2) and uses the t quantile: exact coverage when the standard
 * errors are right up to one common factor, and wider when the line does not fit. Any point
 * without a positive standard error (a deterministic value) makes the fit unweighted. */
ctr_status ctr_fit_loglog_w(const double *x, const double *y, const double *se, size_t n,
                            ctr_loglog_fit *out, ctr_error *err);

/* The same fit on values already in log space: y on x, with sy the standard errors of y (NULL
 * or any non-positive one: unweighted). For quantities that leave the double range before the
 * log is taken (L = 10^500: log10_lipschitz). Points with non-finite x or y are left out. */
ctr_status ctr_fit_line_w(const double *x, const double *y, const double *sy, size_t n,
                          ctr_loglog_fit *out, ctr_error *err);

/* The bound's own local log-log slope at N: -1 + 5 / ln N (theory.md §3). */
double ctr_bound_local_slope(double N);

#endif
