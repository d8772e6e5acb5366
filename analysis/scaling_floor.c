/* The floor model is fitted in relative residuals (model / W - 1), so that the small-W tail
 * that decides c counts as much as the large-W head that decides a and p; the parameters are
 * (ln a, p, c) so that a stays positive. */
#include "analysis/scaling_floor.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_multifit_nlinear.h>

typedef struct {
  const double *N, *W;
  size_t n;
} floor_data;

static int residuals(const gsl_vector *x, void *data, gsl_vector *f) {
  const floor_data *d = data;
  double la = gsl_vector_get(x, 0), p = gsl_vector_get(x, 1), c = gsl_vector_get(x, 2);
  for (size_t i = 0; i < d->n; i++)
    gsl_vector_set(f, i, (exp(la - p * log(d->N[i])) + c) / d->W[i] - 1);
  return GSL_SUCCESS;
}

static int jacobian(const gsl_vector *x, void *data, gsl_matrix *J) {
  const floor_data *d = data;
  double la = gsl_vector_get(x, 0), p = gsl_vector_get(x, 1);
  for (size_t i = 0; i < d->n; i++) {
    double ln = log(d->N[i]), t = exp(la - p * ln) / d->W[i];
    gsl_matrix_set(J, i, 0, t), gsl_matrix_set(J, i, 1, -ln * t), gsl_matrix_set(J, i, 2, 1 / d->W[i]);
  }
  return GSL_SUCCESS;
}

void ctr_floor_fit_run(const double *N, const double *W, size_t n, ctr_floor_fit *out) {
  memset(out, 0, sizeof *out);
  out->a = out->p = out->c = out->p_se = out->c_se = NAN;
  if (n < 4) return;
  floor_data data = {N, W, n};
  /* start: the floor just below the last point, the slope of the first two points' excess */
  double c0 = 0.5 * W[n - 1], e0 = W[0] - c0, e1 = W[1] - c0;
  double p0 = e0 > 0 && e1 > 0 ? -log(e1 / e0) / log(N[1] / N[0]) : 1;
  if (!(p0 > 0.05 && p0 < 5)) p0 = 1;
  double x0[3] = {log(fmax(e0, 1e-300)) + p0 * log(N[0]), p0, c0};
  gsl_vector_view x = gsl_vector_view_array(x0, 3);
  gsl_multifit_nlinear_fdf fdf = {residuals, jacobian, NULL, n, 3, &data, 0, 0, 0};
  gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, n, 3);
  gsl_matrix *cov = gsl_matrix_alloc(3, 3);
  int info = 0;
  if (w && cov && !gsl_multifit_nlinear_init(&x.vector, &fdf, w) &&
      !gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 1e-12, NULL, NULL, &info, w)) {
    const gsl_vector *b = gsl_multifit_nlinear_position(w);
    double chisq;
    gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &chisq);
    gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
    double s2 = n > 3 ? chisq / (double)(n - 3) : NAN;
    out->a = exp(gsl_vector_get(b, 0)), out->p = gsl_vector_get(b, 1), out->c = gsl_vector_get(b, 2);
    out->p_se = sqrt(s2 * gsl_matrix_get(cov, 1, 1)), out->c_se = sqrt(s2 * gsl_matrix_get(cov, 2, 2));
    out->ok = isfinite(out->p) && isfinite(out->c);
  }
  gsl_matrix_free(cov);
  if (w) gsl_multifit_nlinear_free(w);
}
