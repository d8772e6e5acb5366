/* engines/chain_lowrank.c: the chain in the span of the means (theory.md §9.4); see the
 * header for the derivation. */
#include "engines/chain_lowrank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "core/rng_vec.h"

#if defined(CTR_HAVE_SLEEF) && defined(__SSE2__)
#include <emmintrin.h>
#include <sleef.h>
#define CTR_LOWRANK_SLEEF 1
#endif

int ctr_chain_lowrank_applies(const ctr_mixture *m) {
  for (int k = 0; k < m->K; k++)
    if (m->kind[k] != CTR_COV_ISO || m->lam[m->lam_off[k]] != m->lam[m->lam_off[0]]) return 0;
  return 1;
}

void ctr_chain_lowrank_free(ctr_chain_lowrank *lr) {
  if (!lr) return;
  free(lr->Q), free(lr->muT);
  ctr_mixture_free(lr->red);
  free(lr);
}

/* Orthonormal basis of the span of n vectors of R^d (rows of v): the left singular vectors of
 * the d x n matrix they form, with singular values above 1e-11 of the largest (one-sided Jacobi:
 * accurate small singular values, so a rank-deficient set, e.g. a centred simplex, is
 * recognised). When n > d the SVD runs on the n x d transpose (GSL's Jacobi needs rows >=
 * columns) and the basis is its right singular vectors. */
ctr_status ctr_chain_lowrank_basis(int d, int n, const double *v, double **Q, int *r,
                                   ctr_error *err) {
  int tr = n > d, rows = tr ? n : d, cols = tr ? d : n;
  gsl_matrix *A = gsl_matrix_alloc(rows, cols), *V = gsl_matrix_alloc(cols, cols);
  gsl_vector *S = gsl_vector_alloc(cols);
  ctr_status st = CTR_OK;
  *Q = NULL, *r = 0;
  if (!A || !V || !S) st = ctr_fail(err, CTR_ENOMEM, "span basis: out of memory");
  if (!st) {
    for (int i = 0; i < d; i++)
      for (int k = 0; k < n; k++)
        gsl_matrix_set(A, tr ? k : i, tr ? i : k, v[(size_t)k * d + i]);
    double smax = 0;
    for (int k = 0; k < n; k++) smax = fmax(smax, cblas_dnrm2(d, v + (size_t)k * d, 1));
    if (smax > 0 && gsl_linalg_SV_decomp_jacobi(A, V, S))
      st = ctr_fail(err, CTR_ENUMERIC, "span basis: SVD failed (d = %d, %d vectors)", d, n);
    double top = !st && smax > 0 ? gsl_vector_max(S) : 0;
    for (int k = 0; top > 0 && k < cols; k++) *r += gsl_vector_get(S, k) > 1e-11 * top;
    if (!st && *r > 0 && !(*Q = ctr_dalloc((size_t)d * *r)))
      st = ctr_fail(err, CTR_ENOMEM, "span basis: out of memory");
    for (int k = 0, c = 0; !st && *r > 0 && k < cols; k++) /* Jacobi leaves S unsorted */
      if (gsl_vector_get(S, k) > 1e-11 * top) {
        for (int i = 0; i < d; i++)
          (*Q)[(size_t)i * *r + c] = tr ? gsl_matrix_get(V, i, k) : gsl_matrix_get(A, i, k);
        c++;
      }
  }
  if (st) free(*Q), *Q = NULL, *r = 0;
  gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(S);
  return st;
}

static ctr_status span_basis(const ctr_mixture *m, ctr_chain_lowrank *lr, ctr_error *err) {
  return ctr_chain_lowrank_basis(m->d, m->K, m->mu, &lr->Q, &lr->r, err);
}

/* The mixture of the means' coordinates Q^T mu_k in r dims, same weights and width. */
static ctr_status reduced_mixture(const ctr_mixture *m, ctr_chain_lowrank *lr, ctr_error *err) {
  int d = m->d, K = m->K, r = lr->r;
  double *mur = ctr_dalloc((size_t)K * r);
  if (mur && lr->ident) memcpy(mur, m->mu, sizeof(double) * K * r);
  ctr_mixture_cov *cov = calloc((size_t)K, sizeof *cov);
  ctr_status st = CTR_OK;
  if (!mur || !cov) st = ctr_fail(err, CTR_ENOMEM, "chain: out of memory for the reduced mixture");
  for (int k = 0; !st && k < K; k++) {
    if (!lr->ident)
      cblas_dgemv(CblasRowMajor, CblasTrans, d, r, 1.0, lr->Q, r, m->mu + (size_t)k * d, 1, 0.0,
                mur + (size_t)k * r, 1);
    cov[k] = (ctr_mixture_cov){CTR_COV_ISO, m->lam + m->lam_off[k]};
  }
  if (!st) st = ctr_mixture_alloc(K, r, m->weight, mur, cov, &lr->red, err);
  if (!st && !(lr->muT = ctr_dalloc((size_t)K * r)))
    st = ctr_fail(err, CTR_ENOMEM, "chain: out of memory for the reduced mixture");
  for (int k = 0; !st && k < K; k++)
    for (int i = 0; i < r; i++) lr->muT[(size_t)i * K + k] = lr->red->mu[(size_t)k * r + i];
  free(mur), free(cov);
  return st;
}

/* Complement coefficients by the recursion t = N..2 (all factors positive: no cancellation). */
static void complement(const ctr_schedule *s, double l, ctr_chain_lowrank *lr) {
  double A = 1, B2 = 0, Bu = 0;
  for (int64_t t = s->N; t >= 2; t--) {
    double a = s->a[t], sg = s->s[t], v = a * a * l + sg * sg, ct = ctr_schedule_c(s, t);
    double f = s->s[t - 1] / sg + ct * (a * l / v), cn = ct * sg * sqrt(l / v);
    A *= f, B2 = f * f * B2 + cn * cn, Bu = f * Bu + ct;
  }
  lr->A = A, lr->B = sqrt(B2), lr->B_u = Bu;
  double a1 = s->a[1], s1 = s->s[1], aN = s->a[s->N], sN = s->s[s->N];
  lr->phi = sqrt((a1 * a1 * l + s1 * s1) / (aN * aN * l + sN * sN));
}

ctr_status ctr_chain_lowrank_alloc(const ctr_mixture *m, const ctr_schedule *s,
                                   ctr_chain_lowrank **out, ctr_error *err) {
  *out = NULL;
  if (!ctr_chain_lowrank_applies(m)) return CTR_OK;
  ctr_chain_lowrank *lr = calloc(1, sizeof *lr);
  if (!lr) return ctr_fail(err, CTR_ENOMEM, "chain: out of memory");
  lr->d = m->d;
  /* The basis pays when the span can be smaller than R^d and the SVD (O(K^2 d) per
   * sweep) is cheap; otherwise Q = I, where the path's gain is the draw alone, and it copies
   * the means twice, so it is left to the full-space path beyond 1e7 of them (80 MB). */
  int svd = m->K <= m->d && (double)m->K * m->K * m->d <= 2e8;
  if (!svd && (double)m->K * m->d > 1e7) {
    free(lr);
    return CTR_OK;
  }
  ctr_status st = svd ? span_basis(m, lr, err) : CTR_OK;
  if (!st && (!svd || lr->r == m->d)) { /* no complement: the identity basis */
    free(lr->Q);
    lr->Q = NULL, lr->r = m->d, lr->ident = 1;
  }
  if (!st && lr->r > 0) st = reduced_mixture(m, lr, err);
  if (st) {
    ctr_chain_lowrank_free(lr);
    return st;
  }
  lr->l = m->lam[m->lam_off[0]];
  complement(s, lr->l, lr);
  *out = lr;
  return CTR_OK;
}

void ctr_chain_lowrank_split(const ctr_chain_lowrank *lr, const double *x, double *xr,
                             double *xp) {
  int d = lr->d, r = lr->r;
  if (lr->ident) {
    memcpy(xr, x, sizeof(double) * d);
    memset(xp, 0, sizeof(double) * d);
    return;
  }
  memcpy(xp, x, sizeof(double) * d);
  if (r == 0) return;
  cblas_dgemv(CblasRowMajor, CblasTrans, d, r, 1.0, lr->Q, r, x, 1, 0.0, xr, 1);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, d, r, -1.0, lr->Q, r, xr, 1, 1.0, xp, 1);
}

void ctr_chain_lowrank_join(const ctr_chain_lowrank *lr, const double *yr, double cp,
                            const double *xp, double cu, const double *up, double cz,
                            const double *zeta, double *q, double *out) {
  int d = lr->d, r = lr->r;
  if (lr->ident) { /* xp = up = 0 and zeta - Q Q^T zeta = 0 */
    memcpy(out, yr, sizeof(double) * d);
    return;
  }
  for (int i = 0; i < d; i++)
    out[i] = cp * xp[i] + (up ? cu * up[i] : 0) + (zeta ? cz * zeta[i] : 0);
  if (r == 0) return;
  /* out += Q (yr - cz Q^T zeta): zeta's in-span part removed, the chain's in-span part added */
  if (zeta) cblas_dgemv(CblasRowMajor, CblasTrans, d, r, 1.0, lr->Q, r, zeta, 1, 0.0, q, 1);
  for (int k = 0; k < r; k++) q[k] = yr[k] - (zeta ? cz * q[k] : 0);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, d, r, 1.0, lr->Q, r, q, 1, 1.0, out, 1);
}

size_t ctr_chain_lowrank_work_len(const ctr_chain_lowrank *lr) {
  return (size_t)(lr->red ? lr->red->K : 0) + (size_t)lr->r + 4;
}

/* w[k] = exp(w[k]) for the K values (all <= 0), two lanes at a time. */
static void exp_all(int K, double *w) {
  int k = 0;
#ifdef CTR_LOWRANK_SLEEF
  for (; k + 2 <= K; k += 2) _mm_storeu_pd(w + k, Sleef_expd2_u10(_mm_loadu_pd(w + k)));
#endif
  for (; k < K; k++) w[k] = exp(w[k]);
}

ctr_status ctr_chain_lowrank_draw(const ctr_chain_lowrank *lr, double a, double s,
                                  const double *y, ctr_rng *rng, double *x0, double *work,
                                  ctr_error *err) {
  const ctr_mixture *m = lr->red;
  int K = m->K, r = lr->r;
  double *w = work, *z = work + K, u = ctr_rng_uniform(rng);
  double v = a * a * lr->l + s * s, h = -0.5 / v, M = -INFINITY, sum = 0;
  for (int k = 0; k < K; k++) w[k] = 0;
  for (int i = 0; i < r; i++) { /* over k innermost: contiguous in muT, vectorises */
    const double yi = y[i], *mi = lr->muT + (size_t)i * K;
    for (int k = 0; k < K; k++) {
      double e = yi - a * mi[k];
      w[k] += e * e;
    }
  }
  for (int k = 0; k < K; k++) {
    w[k] = m->log_weight[k] + h * w[k];
    if (isnan(w[k])) w[k] = -INFINITY; /* inf - inf: overflowing distances */
    M = fmax(M, w[k]);
  }
  if (!(M > -INFINITY))
    return ctr_fail(err, CTR_ENUMERIC, "chain: every component's log-density overflows at "
                    "this point (a = %g, s = %g)", a, s);
  for (int k = 0; k < K; k++) w[k] -= M;
  exp_all(K, w);
  for (int k = 0; k < K; k++) sum += w[k];
  int kk = -1;
  double c = 0, target = u * sum;
  for (int k = 0; k < K; k++) /* last positive weight catches rounding of the total */
    if (w[k] > 0 && (kk = k, (c += w[k]) > target)) break;
  const double *mu = m->mu + (size_t)kk * r;
  double g = a * lr->l / v, sd = s * sqrt(lr->l / v);
  ctr_rng_normals_vec(rng, (size_t)r, z);
  for (int i = 0; i < r; i++) x0[i] = mu[i] + g * (y[i] - a * mu[i]) + sd * z[i];
  return CTR_OK;
}
