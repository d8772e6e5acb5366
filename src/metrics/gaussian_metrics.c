#include "metrics/gaussian_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>

#include "wasserstein/gaussian.h"

enum { IN_NORMAL, IN_QN };

static ctr_status diag_metrics(const ctr_affine_result *r, const ctr_target *tg, int input,
                               ctr_input_metrics *m, ctr_error *err) {
  int d = tg->d;
  ctr_affine_laws L = {0};
  double *buf = ctr_dalloc((size_t)6 * d);
  if (!buf) return ctr_fail(err, CTR_ENOMEM, "metrics: out of memory");
  L.dm = buf, L.sd = buf + d, L.dsd = buf + 2 * d, L.mult = buf + 3 * d;
  L.cnu = buf + 4 * d, L.cs2 = buf + 5 * d;
  ctr_affine_diag_laws(r, tg, input == IN_QN, &L);
  ctr_diag_pair pr = {(size_t)L.n, L.dm, L.sd, L.dsd, L.mult};
  ctr_w1_bracket b;
  m->w2 = ctr_w2_diag(&pr);
  ctr_status st = ctr_w1_bracket_diag(&pr, &b, err);
  if (!st) st = ctr_gauss_norm_mean(L.n, L.cnu, L.cs2, L.mult, &m->coupling_l1, err);
  if (!st) {
    double acc = 0;
    for (int i = 0; i < L.n; i++) acc += L.mult[i] * (L.cnu[i] * L.cnu[i] + L.cs2[i]);
    m->coupling_rms = sqrt(acc);
    m->w1_lo = b.lo, m->w1_hi = b.hi, m->w1_exact = b.exact;
  }
  free(buf);
  return st;
}

/* Full path: A = diag(G) + Delta, output covariance A V A^T with V = V_N (input q_N) or I. */
typedef struct {
  int d;
  double *A, *S1, *S2, *C, *m2, *nu; /* slope, target cov, output cov, coupling cov, means */
} full_laws;

static void full_fill(const ctr_affine_result *r, const ctr_target *tg, int input, full_laws *F) {
  int d = tg->d;
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++)
      F->A[i * d + j] = r->Delta[i * d + j] + (i == j ? r->G[tg->group[i]] : 0);
  for (int i = 0; i < d; i++) {
    double mA = 0, mD = 0;
    for (int k = 0; k < d; k++) {
      mA += F->A[i * d + k] * tg->mu_eig[k];
      mD += r->Delta[i * d + k] * tg->mu_eig[k];
    }
    F->m2[i] = r->beta[i] - (input == IN_NORMAL ? r->aN * mA : 0);
    F->nu[i] = r->beta[i] - (input == IN_NORMAL ? r->aN * mD : 0);
    for (int j = 0; j < d; j++) {
      double s = 0, c = 0;
      for (int k = 0; k < d; k++) {
        double v = input == IN_QN ? r->vN[tg->group[k]] : 1.0;
        s += F->A[i * d + k] * v * F->A[j * d + k];
        c += r->Delta[i * d + k] * v * r->Delta[j * d + k];
      }
      F->S2[i * d + j] = s, F->C[i * d + j] = c;
      F->S1[i * d + j] = i == j ? r->v1[tg->group[i]] : 0;
    }
  }
}

/* E||nu + G||, G ~ N(0, C): diagonalise C and express nu in its eigenbasis. */
static ctr_status full_norm_mean(int d, const double *C, const double *nu, double *l1, double *rms,
                                 ctr_error *err) {
  gsl_matrix *M = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
  double *nue = ctr_dalloc(d);
  ctr_status st = CTR_OK;
  if (!M || !V || !ev || !w || !nue) st = ctr_fail(err, CTR_ENOMEM, "metrics: out of memory");
  if (!st) {
    memcpy(M->data, C, sizeof(double) * d * d);
    if (gsl_eigen_symmv(M, ev, V, w)) st = ctr_fail(err, CTR_ENUMERIC, "metrics: eigen failed");
  }
  double acc = 0;
  for (int k = 0; !st && k < d; k++) {
    double s = 0;
    for (int i = 0; i < d; i++) s += gsl_matrix_get(V, i, k) * nu[i];
    nue[k] = s;
    ev->data[k] = fmax(ev->data[k], 0.0);
    acc += s * s + ev->data[k];
  }
  if (!st) st = ctr_gauss_norm_mean(d, nue, ev->data, NULL, l1, err);
  *rms = sqrt(acc);
  gsl_matrix_free(M), gsl_matrix_free(V), gsl_vector_free(ev), gsl_eigen_symmv_free(w), free(nue);
  return st;
}

static ctr_status full_metrics(const ctr_affine_result *r, const ctr_target *tg, int input,
                               ctr_input_metrics *m, ctr_error *err) {
  int d = tg->d;
  size_t dd = (size_t)d * d;
  double *buf = ctr_dalloc(4 * dd + 3 * (size_t)d);
  if (!buf) return ctr_fail(err, CTR_ENOMEM, "metrics: out of memory");
  full_laws F = {d, buf, buf + dd, buf + 2 * dd, buf + 3 * dd, buf + 4 * dd, buf + 4 * dd + d};
  double *zero = buf + 4 * dd + 2 * d;
  full_fill(r, tg, input, &F);
  ctr_w1_bracket b;
  ctr_status st = ctr_w2_full(d, zero, F.S1, F.m2, F.S2, &m->w2, err);
  if (!st) st = ctr_w1_bracket_full(d, zero, F.S1, F.m2, F.S2, &b, err);
  if (!st) st = full_norm_mean(d, F.C, F.nu, &m->coupling_l1, &m->coupling_rms, err);
  if (!st) m->w1_lo = b.lo, m->w1_hi = b.hi, m->w1_exact = b.exact;
  free(buf);
  return st;
}

ctr_status ctr_gauss_metrics_compute(const ctr_affine_result *r, const ctr_target *tg,
                                     ctr_gauss_metrics *m, ctr_error *err) {
  memset(m, 0, sizeof *m);
  m->lipschitz = 1.0;
  for (int j = 0; j < tg->ndistinct; j++) {
    m->lipschitz = fmax(m->lipschitz, r->G[j]);
    if (!r->full) m->shrink_max = fmax(m->shrink_max, -r->delta[j] / r->G[j]);
  }
  for (int i = 0; r->full && i < tg->d; i++)
    m->shrink_max = fmax(m->shrink_max, -r->Delta[i * tg->d + i] / r->G[tg->group[i]]);
  ctr_status st;
  if (r->full) {
    st = full_metrics(r, tg, IN_NORMAL, &m->normal, err);
    if (!st) st = full_metrics(r, tg, IN_QN, &m->qN, err);
  } else {
    st = diag_metrics(r, tg, IN_NORMAL, &m->normal, err);
    if (!st) st = diag_metrics(r, tg, IN_QN, &m->qN, err);
  }
  return st;
}
