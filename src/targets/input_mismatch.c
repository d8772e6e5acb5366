#include "targets/input_mismatch.h"

#include <math.h>
#include <stdlib.h>

static double comp_trace(const ctr_mixture *m, int k) {
  const double *l = m->lam + m->lam_off[k];
  if (m->kind[k] == CTR_COV_ISO) return m->d * l[0];
  double t = 0;
  for (int r = 0; r < m->d; r++) t += l[r];
  return t;
}

double ctr_mixture_data_scale(const ctr_mixture *m) {
  double *mean = ctr_dalloc((size_t)m->d), acc = 0;
  if (!mean) return NAN;
  ctr_mixture_mean(m, mean);
  for (int k = 0; k < m->K; k++) {
    double dist = 0;
    for (int i = 0; i < m->d; i++) {
      double e = m->mu[(size_t)k * m->d + i] - mean[i];
      dist += e * e;
    }
    acc += m->weight[k] * (comp_trace(m, k) + dist);
  }
  free(mean);
  return sqrt(acc);
}

double ctr_chi2_log_term(const ctr_mixture *m, int k, double a, double *work) {
  int d = m->d;
  const double *l = m->lam + m->lam_off[k], *mu = m->mu + (size_t)k * d;
  const double *U = m->U_off[k] == SIZE_MAX ? NULL : m->U + m->U_off[k];
  if (U) /* eigen-coordinates of the mean: work = U^T mu */
    for (int r = 0; r < d; r++) {
      double acc = 0;
      for (int i = 0; i < d; i++) acc += U[i * d + r] * mu[i];
      work[r] = acc;
    }
  double T = 0, a2 = a * a;
  for (int r = 0; r < d; r++) {
    double lr = l[m->kind[k] == CTR_COV_ISO ? 0 : r], delta = a2 * (lr - 1);
    double mr = a * (U ? work[r] : mu[r]), q = delta / (1 + delta);
    if (!(1 + 2 * delta > 0)) return INFINITY;
    T += -0.5 * log1p(-q * q) + mr * mr / (1 + 2 * delta);
  }
  return T;
}

ctr_status ctr_input_mismatch_compute(const ctr_mixture *m, double a_N, double a_1, double s_1,
                                      ctr_input_mismatch *out, ctr_error *err) {
  double *work = ctr_dalloc((size_t)m->d), chi = 0;
  if (!work) return ctr_fail(err, CTR_ENOMEM, "input mismatch: out of memory at d = %d", m->d);
  for (int k = 0; k < m->K; k++)
    if (m->weight[k] > 0) chi += m->weight[k] * expm1(ctr_chi2_log_term(m, k, a_N, work));
  free(work);
  double ds = ctr_mixture_data_scale(m);
  out->chi2_hi = fmax(chi, 0.0);
  out->spread = sqrt(a_1 * a_1 * ds * ds + m->d * s_1 * s_1);
  out->bound = out->spread * sqrt(out->chi2_hi);
  return CTR_OK;
}
