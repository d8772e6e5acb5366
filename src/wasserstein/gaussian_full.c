/* wasserstein/gaussian_full.c: the full-covariance Wasserstein forms of wasserstein/gaussian.h
 * (theory.md §4): W2 by the Procrustes form of the Bures distance, and the general W1
 * bracket (hi from the Bures map, lo from expectation differences integrated as one integral
 * by the quadrature of wasserstein/gaussian.c, each law in its own eigenbasis). Split from
 * wasserstein/gaussian.c without change. */
#include "wasserstein/gaussian.h"
#include "wasserstein/gaussian_quad.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#define WG_EIG_NEG 1e-12    /* negative eigenvalues above -WG_EIG_NEG * max are rounding */

/* ------------------------------------------------------------------------- */
/* general covariances                                                       */

/* Scratch for the full-covariance paths: allocated once per call. */
enum { FW_NMAT = 7, FW_NVEC = 4 };
typedef struct {
  size_t d;
  gsl_matrix *m[FW_NMAT];
  gsl_vector *v[FW_NVEC];
  gsl_eigen_symmv_workspace *ew;
} fullws;

static void fullws_free(fullws *w) {
  for (int k = 0; k < FW_NMAT; k++) gsl_matrix_free(w->m[k]);
  for (int k = 0; k < FW_NVEC; k++) gsl_vector_free(w->v[k]);
  gsl_eigen_symmv_free(w->ew);
}

static ctr_status fullws_alloc(fullws *w, size_t d, ctr_error *err) {
  *w = (fullws){.d = d};
  int ok = 1;
  for (int k = 0; k < FW_NMAT; k++) ok &= (w->m[k] = gsl_matrix_calloc(d, d)) != NULL;
  for (int k = 0; k < FW_NVEC; k++) ok &= (w->v[k] = gsl_vector_calloc(d)) != NULL;
  ok &= (w->ew = gsl_eigen_symmv_alloc(d)) != NULL;
  if (ok) return CTR_OK;
  fullws_free(w);
  return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu x %zu workspace", d, d);
}

/* Load a row-major symmetric matrix, symmetrising rounding-level asymmetry. */
static ctr_status load_sym(size_t d, const double *S, gsl_matrix *out, const char *name, ctr_error *err) {
  double mx = 0.0;
  for (size_t i = 0; i < d * d; i++) {
    if (!isfinite(S[i])) return ctr_fail(err, CTR_EINPUT, "wgauss: %s has a non-finite entry", name);
    mx = fmax(mx, fabs(S[i]));
  }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double a = S[i * d + j], b = S[j * d + i];
      if (fabs(a - b) > 1e-10 * mx)
        return ctr_fail(err, CTR_EINPUT, "wgauss: %s is not symmetric at (%zu,%zu): %g vs %g", name, i, j, a, b);
      gsl_matrix_set(out, i, j, 0.5 * (a + b));
    }
  return CTR_OK;
}

/* Eigen-decompose symmetric PSD S (destroyed): eigenvalues slightly below 0 are clamped. */
static ctr_status psd_eig(gsl_matrix *S, gsl_vector *eval, gsl_matrix *evec, gsl_eigen_symmv_workspace *ew,
                          const char *name, ctr_error *err) {
  int gst = gsl_eigen_symmv(S, eval, evec, ew);
  if (gst != GSL_SUCCESS) return ctr_fail(err, CTR_ENUMERIC, "wgauss: eigen(%s): %s", name, gsl_strerror(gst));
  double mx = 0.0;
  for (size_t i = 0; i < eval->size; i++) mx = fmax(mx, fabs(gsl_vector_get(eval, i)));
  for (size_t i = 0; i < eval->size; i++) {
    double l = gsl_vector_get(eval, i);
    if (l < -WG_EIG_NEG * mx)
      return ctr_fail(err, CTR_EINPUT, "wgauss: %s has eigenvalue %g < 0 (max %g), want PSD", name, l, mx);
    if (l < 0.0) gsl_vector_set(eval, i, 0.0);
  }
  return CTR_OK;
}

/* out = V diag(f(l)) V^T with f(l) = l^pw, and f = 0 for l <= tol (pseudo-inverse for pw < 0). */
static void sym_pow(const gsl_vector *eval, const gsl_matrix *evec, double pw, gsl_matrix *out) {
  size_t d = eval->size;
  double mx = gsl_vector_max(eval), tol = 1e-13 * mx * (double)d;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j <= i; j++) {
      double s = 0.0;
      for (size_t k = 0; k < d; k++) {
        double l = gsl_vector_get(eval, k);
        if (l > tol || (pw > 0.0 && l > 0.0))
          s += gsl_matrix_get(evec, i, k) * pow(l, pw) * gsl_matrix_get(evec, j, k);
      }
      gsl_matrix_set(out, i, j, s);
      gsl_matrix_set(out, j, i, s);
    }
}

/* Square root of a row-major PSD matrix; also returns its eigenpairs. */
static ctr_status psd_sqrt(fullws *w, const double *S, const char *name, gsl_matrix *root, gsl_vector *eval,
                           gsl_matrix *evec, ctr_error *err) {
  gsl_matrix *tmp = w->m[0];
  ctr_status st = load_sym(w->d, S, tmp, name, err);
  if (st == CTR_OK) st = psd_eig(tmp, eval, evec, w->ew, name, err);
  if (st == CTR_OK) sym_pow(eval, evec, 0.5, root);
  return st;
}

static double mean_dist2(size_t d, const double *m1, const double *m2) {
  double s = 0.0;
  for (size_t i = 0; i < d; i++) s += (m1[i] - m2[i]) * (m1[i] - m2[i]);
  return s;
}

static ctr_status check_full(size_t d, const double *m1, const double *S1, const double *m2, const double *S2,
                             ctr_error *err) {
  if (d == 0 || !m1 || !S1 || !m2 || !S2) return ctr_fail(err, CTR_EINPUT, "wgauss: NULL argument or d = 0");
  for (size_t i = 0; i < d; i++)
    if (!isfinite(m1[i]) || !isfinite(m2[i]))
      return ctr_fail(err, CTR_EINPUT, "wgauss: mean entry %zu is not finite", i);
  return CTR_OK;
}

/* GSL's Jacobi SVD leaves the left singular vectors of zero singular values as zero
 * columns; replace each column that is not of unit norm by an orthonormal completion
 * (any completion is valid for those directions), by Gram-Schmidt on unit vectors. */
static void complete_columns(gsl_matrix *U) {
  size_t d = U->size1;
  for (size_t j = 0; j < d; j++) { /* zero the defective columns: they then drop out of the dots */
    gsl_vector_view c = gsl_matrix_column(U, j);
    if (fabs(gsl_blas_dnrm2(&c.vector) - 1.0) > 1e-8) gsl_vector_set_zero(&c.vector);
  }
  for (size_t j = 0, e = 0; j < d; j++) {
    gsl_vector_view c = gsl_matrix_column(U, j);
    for (double nr = gsl_blas_dnrm2(&c.vector); nr < 0.5 && e < d; e++) {
      gsl_vector_set_basis(&c.vector, e);
      for (int pass = 0; pass < 2; pass++) /* twice is enough for orthogonality */
        for (size_t k = 0; k < d; k++) {
          if (k == j) continue;
          gsl_vector_view o = gsl_matrix_column(U, k);
          double dot;
          gsl_blas_ddot(&o.vector, &c.vector, &dot);
          gsl_blas_daxpy(-dot, &o.vector, &c.vector);
        }
      nr = gsl_blas_dnrm2(&c.vector);
      if (nr >= 0.5) gsl_vector_scale(&c.vector, 1.0 / nr);
    }
  }
}

/* min_U ||R1 - R2 U||_F^2 (Procrustes): U = W V^T from R2^T R1 = W S V^T (theory.md §4). */
static ctr_status procrustes(fullws *w, const gsl_matrix *R1, const gsl_matrix *R2, double *out,
                             ctr_error *err) {
  gsl_matrix *M = w->m[3], *V = w->m[4], *U = w->m[5], *D = w->m[6];
  gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, R2, R1, 0.0, M);
  int gst = gsl_linalg_SV_decomp_jacobi(M, V, w->v[2]); /* M <- W */
  if (gst != GSL_SUCCESS) return ctr_fail(err, CTR_ENUMERIC, "wgauss: SVD failed: %s", gsl_strerror(gst));
  complete_columns(M); /* singular S1 or S2: U must still be orthogonal */
  gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, M, V, 0.0, U);
  gsl_matrix_memcpy(D, R1);
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, -1.0, R2, U, 1.0, D);
  double s = 0.0;
  for (size_t i = 0; i < w->d * w->d; i++) s += D->data[i] * D->data[i]; /* calloc'd: tda == d */
  *out = s;
  return CTR_OK;
}

ctr_status ctr_w2_full(size_t d, const double *m1, const double *S1, const double *m2, const double *S2,
                       double *out, ctr_error *err) {
  ctr_status st = check_full(d, m1, S1, m2, S2, err);
  if (st != CTR_OK) return st;
  if (!out) return ctr_fail(err, CTR_EINPUT, "ctr_w2_full: NULL output");
  fullws w;
  if ((st = fullws_alloc(&w, d, err)) != CTR_OK) return st;
  double f2 = 0.0;
  st = psd_sqrt(&w, S1, "S1", w.m[1], w.v[0], w.m[3], err);
  if (st == CTR_OK) st = psd_sqrt(&w, S2, "S2", w.m[2], w.v[1], w.m[3], err);
  if (st == CTR_OK) st = procrustes(&w, w.m[1], w.m[2], &f2, err);
  fullws_free(&w);
  if (st == CTR_OK) *out = sqrt(mean_dist2(d, m1, m2) + f2);
  return st;
}

/* E||N(nu, V diag(l) V^T)|| given the eigenpairs: nu is expressed in V's basis. */
static ctr_status norm_mean_eig(const gsl_vector *l, const gsl_matrix *V, const double *nu, int zero_mean,
                                gsl_vector *tmp, double *out, ctr_error *err) {
  size_t d = l->size;
  for (size_t k = 0; k < d; k++) {
    double s = 0.0;
    for (size_t i = 0; i < d && !zero_mean; i++) s += gsl_matrix_get(V, i, k) * nu[i];
    gsl_vector_set(tmp, k, s);
  }
  return ctr_gauss_norm_mean(d, tmp->data, l->data, NULL, out, err); /* calloc'd: stride 1 */
}

/* K = (I - A) S1^(1/2) = R1 - R1^+ C, C = (R1 S2 R1)^(1/2): X - T(X) = (m1 - m2) + K Z.
 * Uses w->m[1] = R1, w->m[2] = R1^+ (pseudo-inverse when S1 is singular). Result in w->m[5]. */
static ctr_status bures_map_residual(fullws *w, const double *S2, ctr_error *err) {
  gsl_matrix *S2m = w->m[0], *B = w->m[3], *C = w->m[4], *K = w->m[5], *V = w->m[6];
  ctr_status st = load_sym(w->d, S2, S2m, "S2", err);
  if (st != CTR_OK) return st;
  gsl_blas_dsymm(CblasRight, CblasLower, 1.0, S2m, w->m[1], 0.0, C); /* C = R1 S2 */
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, C, w->m[1], 0.0, B); /* B = R1 S2 R1 */
  for (size_t i = 0; i < w->d; i++)
    for (size_t j = 0; j < i; j++) {
      double s = 0.5 * (gsl_matrix_get(B, i, j) + gsl_matrix_get(B, j, i));
      gsl_matrix_set(B, i, j, s);
      gsl_matrix_set(B, j, i, s);
    }
  if ((st = psd_eig(B, w->v[2], V, w->ew, "S1^(1/2) S2 S1^(1/2)", err)) != CTR_OK) return st;
  sym_pow(w->v[2], V, 0.5, C);
  gsl_matrix_memcpy(K, w->m[1]);
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, -1.0, w->m[2], C, 1.0, K);
  return CTR_OK;
}

/* hi = E||X - T(X)||: covariance K K^T has eigenpairs from the SVD K = U diag(sv) V^T
 * (better small eigenvalues than eigen(K K^T)). */
static ctr_status full_hi(fullws *w, const double *m1, const double *m2, double *hi, ctr_error *err) {
  gsl_matrix *K = w->m[5], *V = w->m[6];
  int gst = gsl_linalg_SV_decomp_jacobi(K, V, w->v[2]); /* K <- U */
  if (gst != GSL_SUCCESS) return ctr_fail(err, CTR_ENUMERIC, "wgauss: SVD failed: %s", gsl_strerror(gst));
  complete_columns(K); /* K singular (e.g. S1 == S2): the basis must still span all of R^d */
  double *dm = ctr_dalloc(w->d);
  if (!dm) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", w->d);
  for (size_t i = 0; i < w->d; i++) {
    dm[i] = m1[i] - m2[i];
    double s = gsl_vector_get(w->v[2], i);
    gsl_vector_set(w->v[2], i, s * s);
  }
  ctr_status st = norm_mean_eig(w->v[2], K, dm, 0, w->v[3], hi, err);
  free(dm);
  return st;
}

/* Eigenpairs of row-major S, eigenvalues ascending: the i-th of S1 pairs with the i-th of S2
 * in the difference integrand, which keeps each per-coordinate dA small when S1 ~ S2. */
static ctr_status sorted_eig(fullws *w, const double *S, const char *name, gsl_vector *l, gsl_matrix *V,
                             ctr_error *err) {
  ctr_status st = load_sym(w->d, S, w->m[0], name, err);
  if (st == CTR_OK) st = psd_eig(w->m[0], l, V, w->ew, name, err);
  if (st == CTR_OK) gsl_eigen_symmv_sort(l, V, GSL_EIGEN_SORT_VAL_ASC);
  return st;
}

/* RMS scale of the pair, sqrt(sum max(lX, lY) + |nuX|^2 + |nuY|^2), via the max entry (no overflow). */
static double pair_scale(const gsl_vector *lX, const gsl_vector *nuX, const gsl_vector *lY, const gsl_vector *nuY) {
  double M = 0.0, r2 = 0.0;
  for (size_t i = 0; i < lX->size; i++)
    M = fmax(M, fmax(sqrt(fmax(lX->data[i], lY->data[i])), fmax(fabs(nuX->data[i]), fabs(nuY->data[i]))));
  for (size_t i = 0; M > 0.0 && i < lX->size; i++) {
    double a = sqrt(fmax(lX->data[i], lY->data[i])) / M, b = nuX->data[i] / M, c = nuY->data[i] / M;
    r2 += a * a + b * b + c * c;
  }
  return M * sqrt(r2);
}

/* E||Y - c|| - E||X - c|| as ONE integral, X - c ~ nuX + N(0, diag(lX)) in S1's eigenbasis and
 * Y - c ~ nuY + N(0, diag(lY)) in S2's (vectors calloc'd: stride 1). dA = lY - lX is exact for
 * close eigenvalues (Sterbenz), so the integrand P_X expm1(L_Y - L_X) carries only the eigen-
 * values' own rounding. *allow bounds the numerical error (QAGS estimate + integrand noise). */
static ctr_status full_ediff(const gsl_vector *lX, const gsl_vector *nuX, const gsl_vector *lY,
                             const gsl_vector *nuY, double *out, double *allow, ctr_error *err) {
  size_t n = lX->size;
  double R = pair_scale(lX, nuX, lY, nuY), J = 0.0, Jerr = 0.0;
  *out = *allow = 0.0;
  if (R == 0.0) return CTR_OK;
  ctr_wq_data w;
  ctr_status st = ctr_wq_alloc(&w, n, NULL, 1, err);
  if (st != CTR_OK) return st;
  for (size_t i = 0; i < n; i++) {
    double x = lX->data[i], y = lY->data[i], bx = nuX->data[i] / R, by = nuY->data[i] / R;
    w.A1[i] = 2.0 * (x / R) / R;
    w.A2[i] = 2.0 * (y / R) / R;
    w.dA[i] = 2.0 * ((y - x) / R) / R;
    w.B1[i] = bx * bx;
    w.B2[i] = by * by;
  }
  st = ctr_wq_integrate(&w, &J, &Jerr, err);
  ctr_wq_free(&w);
  /* as in diag_ediff: E_Y - E_X = -(R/sqrt(pi)) J */
  *out = -R * ctr_wg_inv_sqrt_pi * J;
  *allow = R * ctr_wg_inv_sqrt_pi * Jerr;
  return st;
}

/* Size of the change of E||.|| (hence of lo and hi) that the eigensolver's backward error on S,
 * ||dS||_F <~ d^1.5 eps l_max, can cause: ||d S^(1/2)||_F <= ||dS||_F / (2 sqrt(l_min)), and
 * <= sqrt(||dS||_*) <= sqrt(sqrt(d) ||dS||_F) when S is singular. */
static double eig_noise(const gsl_vector *l) {
  double d = (double)l->size, mn = gsl_vector_min(l), dS = d * sqrt(d) * DBL_EPSILON * gsl_vector_max(l);
  return fmin(mn > 0.0 ? dS / (2.0 * sqrt(mn)) : INFINITY, sqrt(sqrt(d) * dS));
}

/* lo = max(||m1 - m2||, |E||Y-c|| - E||X-c||| - allowance for c in {m1, m2}), each difference
 * ONE integral (full_ediff), so lo keeps its digits when W1 << E||X||. The allowance adds to
 * full_ediff's the rotation error of nu = V^T (m2 - m1): E||nu + G|| is 1-Lipschitz in nu, and
 * the computed nu is within d^1.5 eps ||m2 - m1|| of an exact rotation. Not covered: the
 * eigensolver's backward error (~ d eps ||S||), a perturbation of the input laws of the size of
 * the rounding of S's entries themselves; *noise gets its effect (eig_noise) for the caller. */
static ctr_status full_lo(fullws *w, size_t d, const double *m1, const double *S1, const double *m2,
                          const double *S2, double *lo, double *noise, ctr_error *err) {
  gsl_vector *lX = w->v[0], *lY = w->v[1], *nu = w->v[2], *zero = w->v[3];
  double *dm = ctr_dalloc(d);
  if (!dm) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", d);
  for (size_t i = 0; i < d; i++) dm[i] = m2[i] - m1[i];
  double nd = sqrt(mean_dist2(d, m1, m2)), nu_allow = (double)d * sqrt((double)d) * DBL_EPSILON * nd;
  gsl_vector_set_zero(zero);
  gsl_vector_const_view dmv = gsl_vector_const_view_array(dm, d);
  ctr_status st = sorted_eig(w, S1, "S1", lX, w->m[1], err);
  if (st == CTR_OK) st = sorted_eig(w, S2, "S2", lY, w->m[2], err);
  *noise = st == CTR_OK ? eig_noise(lX) + eig_noise(lY) : 0.0;
  *lo = nd;
  for (int k = 0; k < 2 && st == CTR_OK; k++) {
    /* k = 0, c = m1: X - c ~ N(0, S1), Y - c ~ N(m2 - m1, S2) (nu in S2's basis);
     * k = 1, c = m2: X - c ~ N(m1 - m2, S1) (nu in S1's basis; its sign is irrelevant), Y - c ~ N(0, S2) */
    double D = 0.0, a = 0.0;
    gsl_blas_dgemv(CblasTrans, 1.0, k ? w->m[1] : w->m[2], &dmv.vector, 0.0, nu);
    st = full_ediff(lX, k ? nu : zero, lY, k ? zero : nu, &D, &a, err);
    *lo = fmax(*lo, fabs(D) - a - nu_allow);
  }
  free(dm);
  return st;
}

/* hi = E||X - T(X)|| with T the Bures map from N(m1,S1) to N(m2,S2). T is built with
 * S1^(-1/2); if S1 is (numerically) singular the pseudo-inverse map need not push X onto
 * the second law, so hi would not be a bound: then *singular = 1 and hi is not set. */
static ctr_status full_map_hi(fullws *w, const double *m1, const double *S1, const double *m2,
                              const double *S2, double *hi, int *singular, ctr_error *err) {
  ctr_status st = psd_sqrt(w, S1, "S1", w->m[1], w->v[0], w->m[3], err);
  if (st != CTR_OK) return st;
  double mx = gsl_vector_max(w->v[0]);
  *singular = !(gsl_vector_min(w->v[0]) > 1e-13 * mx * (double)w->d); /* sym_pow's cut-off */
  if (*singular) return CTR_OK;
  sym_pow(w->v[0], w->m[3], -0.5, w->m[2]);
  st = bures_map_residual(w, S2, err);
  return st == CTR_OK ? full_hi(w, m1, m2, hi, err) : st;
}

/* Equal means and S1 = a I, S2 = b I: W1 = |sqrt(a) - sqrt(b)| E||Z_d|| exactly. */
static int full_isotropic(size_t d, const double *m1, const double *S1, const double *m2, const double *S2) {
  for (size_t i = 0; i < d; i++) {
    if (m1[i] != m2[i]) return 0;
    for (size_t j = 0; j < d; j++) {
      size_t k = i * d + j;
      double a = i == j ? S1[0] : 0.0, b = i == j ? S2[0] : 0.0;
      if (S1[k] != a || S2[k] != b) return 0;
    }
  }
  return S1[0] >= 0.0 && S2[0] >= 0.0;
}

/* theory.md §4 bracket for general Gaussians. Singular S1: the map is taken from the second
 * law (W1 is symmetric); both singular: hi falls back to W2 (still an upper bound). lo
 * integrates each expectation difference as one integral (full_lo), as the diag path does. */
ctr_status ctr_w1_bracket_full(size_t d, const double *m1, const double *S1, const double *m2,
                               const double *S2, ctr_w1_bracket *out, ctr_error *err) {
  ctr_status st = check_full(d, m1, S1, m2, S2, err);
  if (st != CTR_OK) return st;
  if (!out) return ctr_fail(err, CTR_EINPUT, "ctr_w1_bracket_full: NULL output");
  *out = (ctr_w1_bracket){0.0, 0.0, 0};
  if (full_isotropic(d, m1, S1, m2, S2)) {
    out->lo = out->hi = fabs(sqrt(S1[0]) - sqrt(S2[0])) * ctr_chi_mean((double)d);
    out->exact = 1;
    return ctr_w1_bracket_finish(out, err);
  }
  fullws w;
  if ((st = fullws_alloc(&w, d, err)) != CTR_OK) return st;
  int sing1 = 0, sing2 = 0;
  st = full_map_hi(&w, m1, S1, m2, S2, &out->hi, &sing1, err);
  /* W1 is symmetric: with S1 singular, use the Bures map from the second law instead */
  if (st == CTR_OK && sing1) st = full_map_hi(&w, m2, S2, m1, S1, &out->hi, &sing2, err);
  fullws_free(&w);
  /* both singular: no map is known to push one law onto the other; W1 <= W2 still holds */
  if (st == CTR_OK && sing1 && sing2) st = ctr_w2_full(d, m1, S1, m2, S2, &out->hi, err);
  double noise = 0.0;
  if (st == CTR_OK && (st = fullws_alloc(&w, d, err)) == CTR_OK) {
    st = full_lo(&w, d, m1, S1, m2, S2, &out->lo, &noise, err);
    fullws_free(&w);
  }
  /* lo and hi each rest on eigendecompositions, exact only for laws within the solver's backward
   * error of the input: with W1 that small (e.g. 1e-13 of E||X||) a crossing within twice that
   * noise is not a bug, so lo is clamped to hi; a larger one is still reported. */
  if (st == CTR_OK && out->lo > out->hi && out->lo - out->hi <= 2.0 * noise) out->lo = out->hi;
  return st == CTR_OK ? ctr_w1_bracket_finish(out, err) : st;
}
