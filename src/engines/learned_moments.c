/* engines/learned_moments.c: the moments route (engines/learned_moments.h, theory.md §13.7). */
#include "engines/learned_moments.h"

#include <math.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_randist.h>

#include "core/rng.h"

void ctr_lmom_draw(gsl_rng *rng, uint64_t seed, int64_t t, int d, int64_t n, const double *v,
                   const double *g, const double *rsd, double *Lx, double *Y, double *xbar,
                   double *pbar) {
  size_t du = (size_t)d;
  ctr_rng_gsl_key(rng, seed, CTR_RNG_LEARNED_MOMENTS, (uint64_t)t, (uint64_t)d);
  /* Bartlett: L_ii^2 ~ chi^2(m - i), i = 0..d-1, with m = n - 1 degrees of freedom (the
   * centred scatter of n points); GSL's chi-square (a gamma variate) on the Philox stream. */
  memset(Lx, 0, du * du * sizeof *Lx);
  for (int i = 0; i < d; i++) Lx[(size_t)i * du + (size_t)i] = sqrt(gsl_ran_chisq(rng, (double)(n - 1 - i)));
  ctr_rng *st = ctr_rng_gsl_state(rng); /* the same stream continues with the normals */
  for (int i = 1; i < d; i++) ctr_rng_normals(st, (size_t)i, Lx + (size_t)i * du);
  ctr_rng_normals(st, du * du, Y);
  ctr_rng_normals(st, du, xbar);
  ctr_rng_normals(st, du, pbar);
  double rn = 1.0 / sqrt((double)n);
  for (int i = 0; i < d; i++) {
    double sv = sqrt(v[i]);
    for (int k = 0; k <= i; k++) Lx[(size_t)i * du + (size_t)k] *= sv; /* Lx = V^(1/2) L */
    for (int k = 0; k < d; k++) Y[(size_t)i * du + (size_t)k] *= rsd[i]; /* Y = R^(1/2) Z */
    xbar[i] *= sv * rn;
    pbar[i] = g[i] * xbar[i] + rsd[i] * rn * pbar[i];
  }
}

void ctr_lmom_stats(int d, int64_t n, const double *g, const double *Lx, const double *Y,
                    double *C, double *Bt) {
  size_t du = (size_t)d;
  double inv = 1.0 / (double)n;
  gsl_matrix_const_view L = gsl_matrix_const_view_array(Lx, du, du);
  gsl_matrix_view Cm = gsl_matrix_view_array(C, du, du), Bm = gsl_matrix_view_array(Bt, du, du);
  memcpy(C, Lx, du * du * sizeof *C);
  memcpy(Bt, Y, du * du * sizeof *Bt);
  /* C = Lx Lx^T / n, Bt = Y Lx^T / n (triangular products, BLAS 3), then Bt += G C */
  gsl_blas_dtrmm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, inv, &L.matrix, &Cm.matrix);
  gsl_blas_dtrmm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, inv, &L.matrix, &Bm.matrix);
  for (size_t i = 0; i < du; i++)
    for (size_t k = 0; k < du; k++) Bt[i * du + k] += g[i] * C[i * du + k];
}

ctr_status ctr_lmom_fit(int d, int64_t n, double ridge, const double *g, const double *Lx,
                        double *Y, const double *xbar, const double *pbar, double *C, double *Bt,
                        double *K, double *w, ctr_error *err) {
  size_t du = (size_t)d;
  gsl_matrix_view Km = gsl_matrix_view_array(K, du, du);
  if (ridge > 0) {
    ctr_lmom_stats(d, n, g, Lx, Y, C, Bt);
    for (size_t i = 0; i < du; i++) C[i * du + i] += ridge;
    gsl_matrix_view Cm = gsl_matrix_view_array(C, du, du);
    if (gsl_linalg_cholesky_decomp1(&Cm.matrix))
      return ctr_fail(err, CTR_ENUMERIC, "engine learned (moments): C + ridge I is not positive "
                      "definite");
    /* K = Bt L^-T L^-1 with C + ridge I = L L^T */
    memcpy(K, Bt, du * du * sizeof *K);
    gsl_blas_dtrsm(CblasRight, CblasLower, CblasTrans, CblasNonUnit, 1.0, &Cm.matrix, &Km.matrix);
    gsl_blas_dtrsm(CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, 1.0, &Cm.matrix, &Km.matrix);
  } else {
    /* K = (G S_xx + Y Lx^T) S_xx^-1 = G + Y Lx^-1: the deviation from G in one solve, without
     * forming S_xx (whose condition number is Lx's squared) */
    for (size_t i = 0; i < du; i++)
      if (!(Lx[i * du + i] > 0))
        return ctr_fail(err, CTR_ENUMERIC, "engine learned (moments): the sample covariance is "
                        "singular (raise --train-n)");
    gsl_matrix_const_view L = gsl_matrix_const_view_array(Lx, du, du);
    gsl_matrix_view Ym = gsl_matrix_view_array(Y, du, du);
    gsl_blas_dtrsm(CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, 1.0, &L.matrix, &Ym.matrix);
    memcpy(K, Y, du * du * sizeof *K);
    for (size_t i = 0; i < du; i++) K[i * du + i] += g[i];
  }
  gsl_vector_const_view xv = gsl_vector_const_view_array(xbar, du);
  gsl_vector_view wv = gsl_vector_view_array(w, du);
  memcpy(w, pbar, du * sizeof *w);
  gsl_blas_dgemv(CblasNoTrans, -1.0, &Km.matrix, &xv.vector, 1.0, &wv.vector);
  return CTR_OK;
}
