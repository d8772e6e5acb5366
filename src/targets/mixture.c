/* targets/mixture.c: Gaussian mixtures and their exact posterior (theory.md §5). */
#include "targets/mixture.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* ------------------------------------------------------------------ storage */

void ctr_mixture_free(ctr_mixture *m) {
  if (!m) return;
  free(m->weight), free(m->log_weight), free(m->cum_weight), free(m->mu), free(m->kind);
  free(m->lam), free(m->lam_off), free(m->U), free(m->U_off);
  free(m);
}

static const double *comp_lam(const ctr_mixture *m, int k) { return m->lam + m->lam_off[k]; }

static const double *comp_U(const ctr_mixture *m, int k) {
  return m->U_off[k] == SIZE_MAX ? NULL : m->U + m->U_off[k];
}

/* Lay out eigenvalue and eigenvector storage: one flat array each (no per-component malloc,
 * K can be 1e6). */
static ctr_status alloc_storage(ctr_mixture *m, const ctr_mixture_cov *cov) {
  int K = m->K, d = m->d;
  size_t nl = 0, nu = 0, dd = (size_t)d * d;
  m->lam_off = malloc(sizeof(size_t) * K), m->U_off = malloc(sizeof(size_t) * K);
  m->kind = malloc(sizeof(ctr_cov_kind) * K);
  if (!m->lam_off || !m->U_off || !m->kind) return CTR_ENOMEM;
  for (int k = 0; k < K; k++) {
    m->kind[k] = cov[k].kind;
    m->lam_off[k] = nl;
    nl += cov[k].kind == CTR_COV_ISO ? 1 : (size_t)d;
    m->U_off[k] = cov[k].kind == CTR_COV_FULL ? nu : SIZE_MAX;
    if (cov[k].kind == CTR_COV_FULL) nu += dd;
  }
  size_t kd = (size_t)K * d;
  m->weight = ctr_dalloc(K), m->log_weight = ctr_dalloc(K), m->cum_weight = ctr_dalloc(K);
  m->mu = ctr_dalloc(kd), m->lam = ctr_dalloc(nl), m->U = nu ? ctr_dalloc(nu) : NULL;
  if (!m->weight || !m->log_weight || !m->cum_weight || !m->mu || !m->lam || (nu && !m->U))
    return CTR_ENOMEM;
  return CTR_OK;
}

/* --------------------------------------------------------------- validation */

static ctr_status check_sizes(int K, int d, const ctr_mixture_cov *cov, ctr_error *err) {
  if (K < 1 || K > CTR_MIXTURE_KMAX)
    return ctr_fail(err, CTR_EINPUT, "mixture: K = %d components is out of range (accepted: 1 "
                    "<= K <= %d)", K, CTR_MIXTURE_KMAX);
  if (d < 1 || d > CTR_MIXTURE_DMAX)
    return ctr_fail(err, CTR_EINPUT, "mixture: d = %d is out of range (accepted: 1 <= d <= %d)",
                    d, CTR_MIXTURE_DMAX);
  if ((double)K * d > CTR_MIXTURE_KD_MAX)
    return ctr_fail(err, CTR_EINPUT, "mixture: K d = %.0f is too large (accepted: K d <= %d)",
                    (double)K * d, CTR_MIXTURE_KD_MAX);
  for (int k = 0; k < K; k++) {
    if (cov[k].kind != CTR_COV_ISO && cov[k].kind != CTR_COV_DIAG && cov[k].kind != CTR_COV_FULL)
      return ctr_fail(err, CTR_EINPUT, "mixture: component %d has covariance kind %d (accepted: "
                      "iso, diag, full)", k + 1, (int)cov[k].kind);
    if (!cov[k].v)
      return ctr_fail(err, CTR_EINPUT, "mixture: component %d has no covariance values", k + 1);
    if (cov[k].kind == CTR_COV_FULL && d > CTR_MIXTURE_DMAX_FULL)
      return ctr_fail(err, CTR_EINPUT, "mixture: component %d: d = %d is too large for a full "
                      "covariance (accepted: d <= %d)", k + 1, d, CTR_MIXTURE_DMAX_FULL);
  }
  return CTR_OK;
}

static ctr_status check_weights(int K, const double *w, double *sum, ctr_error *err) {
  *sum = 0;
  for (int k = 0; k < K; k++) {
    if (!isfinite(w[k]) || w[k] < 0)
      return ctr_fail(err, CTR_EINPUT, "mixture: weight %d = %g is invalid (accepted: a finite "
                      "number >= 0)", k + 1, w[k]);
    *sum += w[k];
  }
  if (fabs(*sum - 1) > 1e-12)
    return ctr_fail(err, CTR_EINPUT, "mixture: the %d weights sum to %.17g (accepted: 1 within "
                    "1e-12)", K, *sum);
  return CTR_OK;
}

static ctr_status check_value(const char *what, int k, int i, double v, double lo,
                              ctr_error *err) {
  if (isfinite(v) && v >= lo && v <= CTR_MIXTURE_VALUE_MAX) return CTR_OK;
  return ctr_fail(err, CTR_EINPUT, "mixture: component %d: %s %d = %g is invalid (accepted: a "
                  "finite number in [%g, %g])", k + 1, what, i + 1, v, lo,
                  CTR_MIXTURE_VALUE_MAX);
}

static ctr_status check_symmetric(int k, int d, const double *S, ctr_error *err) {
  double scale = 0;
  ctr_status st;
  for (size_t i = 0; i < (size_t)d * d; i++)
    if ((st = check_value("covariance entry", k, (int)i, S[i], -CTR_MIXTURE_VALUE_MAX, err)))
      return st;
    else scale = fmax(scale, fabs(S[i]));
  for (int i = 0; i < d; i++)
    for (int j = 0; j < i; j++)
      if (fabs(S[i * d + j] - S[j * d + i]) > 1e-10 * scale)
        return ctr_fail(err, CTR_EINPUT, "mixture: component %d: covariance is not symmetric: "
                        "entry (%d,%d) = %.17g but (%d,%d) = %.17g (accepted: |S_ij - S_ji| <= "
                        "1e-10 max|S|)", k + 1, i + 1, j + 1, S[i * d + j], j + 1, i + 1,
                        S[j * d + i]);
  return CTR_OK;
}

/* ------------------------------------------------------------ construction */

/* Sigma_k = U diag(l) U^T once, so that every later S_k^-1 is O(d^2) (see targets/mixture.h). */
static ctr_status eigen_full(int k, int d, const double *S, double *lam, double *U,
                             gsl_matrix *A, gsl_matrix *V, gsl_vector *ev,
                             gsl_eigen_symmv_workspace *ws, ctr_error *err) {
  memcpy(A->data, S, sizeof(double) * d * d); /* A, V from gsl_matrix_alloc: tda == d */
  if (gsl_eigen_symmv(A, ev, V, ws))
    return ctr_fail(err, CTR_ENUMERIC, "mixture: component %d: eigendecomposition failed", k + 1);
  double lmin = INFINITY, lmax = 0;
  for (int i = 0; i < d; i++)
    lmin = fmin(lmin, gsl_vector_get(ev, i)), lmax = fmax(lmax, gsl_vector_get(ev, i));
  if (lmin < -1e-10 * lmax)
    return ctr_fail(err, CTR_EINPUT, "mixture: component %d: covariance is not positive "
                    "semi-definite: smallest eigenvalue %.6g (accepted: >= -1e-10 x largest = "
                    "%.3g)", k + 1, lmin, -1e-10 * lmax);
  /* rounding leaves PSD-singular matrices with eigenvalues of -1e-17: they are zeros */
  for (int i = 0; i < d; i++) lam[i] = fmax(gsl_vector_get(ev, i), 0.0);
  memcpy(U, V->data, sizeof(double) * d * d);
  return CTR_OK;
}

static ctr_status fill_full(ctr_mixture *m, const ctr_mixture_cov *cov, ctr_error *err) {
  int d = m->d;
  gsl_matrix *A = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
  ctr_status st = CTR_OK;
  if (!A || !V || !ev || !ws) st = ctr_fail(err, CTR_ENOMEM, "mixture: out of memory at d = %d", d);
  for (int k = 0; !st && k < m->K; k++)
    if (cov[k].kind == CTR_COV_FULL && !(st = check_symmetric(k, d, cov[k].v, err)))
      st = eigen_full(k, d, cov[k].v, m->lam + m->lam_off[k], m->U + m->U_off[k], A, V, ev, ws,
                      err);
  gsl_matrix_free(A), gsl_matrix_free(V), gsl_vector_free(ev);
  if (ws) gsl_eigen_symmv_free(ws);
  return st;
}

/* Copy means and iso/diag variances, checking each (non-finite, negative, huge). */
static ctr_status fill_simple(ctr_mixture *m, const double *mu, const ctr_mixture_cov *cov,
                              ctr_error *err) {
  int d = m->d;
  ctr_status st = CTR_OK;
  for (int k = 0; k < m->K; k++) {
    for (int i = 0; i < d; i++)
      if ((st = check_value("mean coordinate", k, i, mu[(size_t)k * d + i],
                            -CTR_MIXTURE_VALUE_MAX, err)))
        return st;
    int n = cov[k].kind == CTR_COV_ISO ? 1 : cov[k].kind == CTR_COV_DIAG ? d : 0;
    const char *what = cov[k].kind == CTR_COV_ISO ? "isotropic variance" : "diagonal variance";
    for (int i = 0; i < n; i++)
      if ((st = check_value(what, k, i, cov[k].v[i], 0, err))) return st;
    if (n) memcpy(m->lam + m->lam_off[k], cov[k].v, sizeof(double) * n);
  }
  memcpy(m->mu, mu, sizeof(double) * m->K * d);
  return CTR_OK;
}

/* Weights renormalised by their (checked) sum; cumulative weights end at exactly 1 from the
 * last positive weight on, so sampling never picks a zero-weight component. */
static void fill_weights(ctr_mixture *m, const double *w, double sum) {
  double c = 0;
  int last = 0;
  for (int k = 0; k < m->K; k++) {
    m->weight[k] = w[k] / sum;
    m->log_weight[k] = w[k] > 0 ? log(m->weight[k]) : -INFINITY;
    c += m->weight[k];
    m->cum_weight[k] = c;
    if (w[k] > 0) last = k;
  }
  for (int k = last; k < m->K; k++) m->cum_weight[k] = 1.0;
}

/* Bounded support (theory.md §3) only when every component is a point mass. */
static void fill_radius(ctr_mixture *m) {
  size_t nl = m->lam_off[m->K - 1] + (m->kind[m->K - 1] == CTR_COV_ISO ? 1 : (size_t)m->d);
  double r2 = 0;
  for (size_t i = 0; i < nl; i++)
    if (m->lam[i] != 0) {
      m->radius = INFINITY;
      return;
    }
  for (int k = 0; k < m->K; k++) {
    double n2 = 0;
    for (int i = 0; i < m->d; i++) n2 += m->mu[(size_t)k * m->d + i] * m->mu[(size_t)k * m->d + i];
    r2 = fmax(r2, n2);
  }
  m->radius = sqrt(r2);
}

ctr_status ctr_mixture_alloc(int K, int d, const double *weight, const double *mu,
                             const ctr_mixture_cov *cov, ctr_mixture **out, ctr_error *err) {
  *out = NULL;
  double sum;
  ctr_status st = check_sizes(K, d, cov, err);
  if (!st) st = check_weights(K, weight, &sum, err);
  if (st) return st;
  ctr_mixture *m = calloc(1, sizeof *m);
  if (!m) return ctr_fail(err, CTR_ENOMEM, "mixture: out of memory");
  m->K = K, m->d = d;
  if (alloc_storage(m, cov)) st = ctr_fail(err, CTR_ENOMEM, "mixture: out of memory at K = %d, "
                                           "d = %d", K, d);
  if (!st) st = fill_simple(m, mu, cov, err);
  if (!st) st = fill_full(m, cov, err);
  if (st) {
    ctr_mixture_free(m);
    return st;
  }
  fill_weights(m, weight, sum);
  fill_radius(m);
  *out = m;
  return CTR_OK;
}

/* ----------------------------------------------------------------- moments */

void ctr_mixture_component_cov(const ctr_mixture *m, int k, double *Sigma) {
  int d = m->d;
  const double *l = comp_lam(m, k), *U = comp_U(m, k);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double acc = 0;
      if (U)
        for (int r = 0; r < d; r++) acc += U[i * d + r] * l[r] * U[j * d + r];
      else if (i == j) acc = m->kind[k] == CTR_COV_ISO ? l[0] : l[i];
      Sigma[i * d + j] = acc;
    }
}

void ctr_mixture_mean(const ctr_mixture *m, double *mean) {
  memset(mean, 0, sizeof(double) * m->d);
  for (int k = 0; k < m->K; k++)
    for (int i = 0; i < m->d; i++) mean[i] += m->weight[k] * m->mu[(size_t)k * m->d + i];
}

/* Law of total covariance, around the mean (no E[XX^T] - mu mu^T cancellation). */
void ctr_mixture_covariance(const ctr_mixture *m, double *cov) {
  int d = m->d;
  double *mean = ctr_dalloc(d), *Sk = ctr_dalloc((size_t)d * d);
  memset(cov, 0, sizeof(double) * d * d);
  if (!mean || !Sk) {
    free(mean), free(Sk);
    for (int i = 0; i < d * d; i++) cov[i] = NAN; /* no status to return: poison instead */
    return;
  }
  ctr_mixture_mean(m, mean);
  for (int k = 0; k < m->K; k++) {
    const double *mu = m->mu + (size_t)k * d, w = m->weight[k];
    ctr_mixture_component_cov(m, k, Sk);
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++)
        cov[i * d + j] += w * (Sk[i * d + j] + (mu[i] - mean[i]) * (mu[j] - mean[j]));
  }
  free(mean), free(Sk);
}

/* Component of a uniform u in (0, 1): first k with cum_weight[k] > u (binary search). */
static int pick_component(const ctr_mixture *m, double u) {
  int lo = 0, hi = m->K - 1;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (m->cum_weight[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/* out = mu + U diag(c) zeta (full) or mu + c .* zeta; zeta may alias out when U is NULL. */
static void add_noise(const ctr_mixture *m, int k, const double *mu, const double *c,
                      int c_scalar, const double *zeta, double *out) {
  int d = m->d;
  const double *U = comp_U(m, k);
  for (int i = 0; i < d; i++) {
    double acc = 0;
    if (U)
      for (int r = 0; r < d; r++) acc += U[i * d + r] * c[r] * zeta[r];
    else acc = c[c_scalar ? 0 : i] * zeta[i];
    out[i] = mu[i] + acc;
  }
}

ctr_status ctr_mixture_sample(const ctr_mixture *m, ctr_rng *rng, size_t n, double *out,
                              ctr_error *err) {
  int d = m->d;
  double *zeta = ctr_dalloc(d), *c = ctr_dalloc(d);
  if (!zeta || !c) {
    free(zeta), free(c);
    return ctr_fail(err, CTR_ENOMEM, "mixture sample: out of memory at d = %d", d);
  }
  for (size_t t = 0; t < n; t++) {
    int k = pick_component(m, ctr_rng_uniform(rng));
    const double *l = comp_lam(m, k);
    int nl = m->kind[k] == CTR_COV_ISO ? 1 : d;
    for (int r = 0; r < nl; r++) c[r] = sqrt(l[r]);
    ctr_rng_normals(rng, d, zeta);
    add_noise(m, k, m->mu + (size_t)k * d, c, nl == 1, zeta, out + t * d);
  }
  free(zeta), free(c);
  return CTR_OK;
}

ctr_status ctr_mixture_sample_noised(const ctr_mixture *m, double a, double s, ctr_rng *rng,
                                     size_t n, double *out, ctr_error *err) {
  int d = m->d;
  double *z = ctr_dalloc(d);
  if (!z) return ctr_fail(err, CTR_ENOMEM, "mixture sample: out of memory at d = %d", d);
  ctr_status st = CTR_OK;
  for (size_t t = 0; t < n && !st; t++) {
    double *x = out + t * d;
    st = ctr_mixture_sample(m, rng, 1, x, err);
    ctr_rng_normals(rng, d, z);
    for (int i = 0; i < d; i++) x[i] = a * x[i] + s * z[i];
  }
  free(z);
  return st;
}

/* --------------------------------------------- posterior at noise level (a, s) */
/* Notation (theory.md §5): y = x - a mu_k, S_k = a^2 Sigma_k + s^2 I with eigenvalues
 * v_r = a^2 l_r + s^2 in Sigma_k's eigenbasis, z = U^T y (z = y when U = I). */

size_t ctr_mixture_work_len(const ctr_mixture *m) { return (size_t)m->K + 4 * (size_t)m->d; }

typedef struct { /* views into the caller's work array, K + 4d doubles */
  double *w, *y, *z, *mk, *D;
} post_work;

static post_work split_work(const ctr_mixture *m, double *work) {
  size_t K = (size_t)m->K, d = (size_t)m->d;
  return (post_work){work, work + K, work + K + d, work + K + 2 * d, work + K + 3 * d};
}

static double var_of(const ctr_mixture *m, int k, int r, double a2, double s2) {
  const double *l = comp_lam(m, k);
  return a2 * l[m->kind[k] == CTR_COV_ISO ? 0 : r] + s2;
}

/* Fill y and return the eigen-coordinates z (pw.z for full components, else pw.y itself). */
static const double *comp_coords(const ctr_mixture *m, int k, double a, const double *x,
                                 post_work pw) {
  int d = m->d;
  const double *mu = m->mu + (size_t)k * d, *U = comp_U(m, k);
  for (int i = 0; i < d; i++) pw.y[i] = x[i] - a * mu[i];
  if (!U) return pw.y;
  memset(pw.z, 0, sizeof(double) * d);
  for (int i = 0; i < d; i++) /* z = U^T y, row by row of U */
    for (int r = 0; r < d; r++) pw.z[r] += U[i * d + r] * pw.y[i];
  return pw.z;
}

/* log pi_k + log N(x; a mu_k, S_k) + (d/2) log(2 pi): the unnormalised log-weight. */
static double comp_logw(const ctr_mixture *m, int k, double a, double s, const double *z) {
  int d = m->d;
  double a2 = a * a, s2 = s * s, quad = 0, logdet = 0;
  if (m->kind[k] == CTR_COV_ISO) { /* one variance: d log v, no d logarithms */
    double v = var_of(m, k, 0, a2, s2);
    for (int i = 0; i < d; i++) quad += z[i] * z[i];
    quad /= v, logdet = d * log(v);
  } else
    for (int r = 0; r < d; r++) {
      double v = var_of(m, k, r, a2, s2);
      quad += z[r] * z[r] / v, logdet += log(v);
    }
  return m->log_weight[k] - 0.5 * (quad + logdet);
}

/* m_k(x) = mu_k + a Sigma_k S_k^-1 y = mu_k + U diag(a l_r / v_r) z. Clobbers pw.y when U
 * is not the identity (z is then pw.z). */
static void comp_mean(const ctr_mixture *m, int k, double a, double s, const double *z,
                      post_work pw, double *mk) {
  int d = m->d;
  const double *mu = m->mu + (size_t)k * d, *l = comp_lam(m, k), *U = comp_U(m, k);
  double a2 = a * a, s2 = s * s;
  if (!U) {
    int iso = m->kind[k] == CTR_COV_ISO;
    for (int i = 0; i < d; i++) {
      double li = l[iso ? 0 : i];
      mk[i] = mu[i] + a * li / (a2 * li + s2) * z[i];
    }
    return;
  }
  for (int r = 0; r < d; r++) pw.y[r] = a * l[r] / (a2 * l[r] + s2) * z[r];
  for (int i = 0; i < d; i++) {
    double acc = 0;
    for (int r = 0; r < d; r++) acc += U[i * d + r] * pw.y[r];
    mk[i] = mu[i] + acc;
  }
}

static ctr_status check_point(const ctr_mixture *m, double a, double s, const double *x,
                              ctr_error *err) {
  /* a^2 + s^2 = 1 in theory.md §1.1, but any scale works; s^2 must not underflow (point masses) */
  if (!(a >= 0 && a <= 1e50 && s >= 1e-150 && s <= 1e50))
    return ctr_fail(err, CTR_EINPUT, "mixture posterior: noise level a = %g, s = %g is invalid "
                    "(accepted: 0 <= a <= 1e50 and 1e-150 <= s <= 1e50)", a, s);
  for (int i = 0; i < m->d; i++)
    if (!isfinite(x[i]))
      return ctr_fail(err, CTR_EINPUT, "mixture posterior: x[%d] = %g is not finite", i, x[i]);
  return CTR_OK;
}

/* Posterior weights into pw.w by log-sum-exp; *lse = log sum_k pi_k N(x; a mu_k, S_k)
 * + (d/2) log(2 pi). Exact zeros for components e^-700 below the best one. */
static ctr_status posterior_weights(const ctr_mixture *m, double a, double s, const double *x,
                                    post_work pw, double *lse, ctr_error *err) {
  ctr_status st = check_point(m, a, s, x, err);
  if (st) return st;
  double M = -INFINITY, sum = 0;
  for (int k = 0; k < m->K; k++) {
    pw.w[k] = comp_logw(m, k, a, s, comp_coords(m, k, a, x, pw));
    if (isnan(pw.w[k])) pw.w[k] = -INFINITY; /* inf - inf inside an overflowing U^T y */
    if (pw.w[k] > M) M = pw.w[k];
  }
  if (!(M > -INFINITY))
    return ctr_fail(err, CTR_ENUMERIC, "mixture posterior: every component's log-density "
                    "overflows at this x (a = %g, s = %g): x is too far from all modes", a, s);
  for (int k = 0; k < m->K; k++) sum += pw.w[k] = exp(pw.w[k] - M);
  for (int k = 0; k < m->K; k++) pw.w[k] /= sum;
  *lse = M + log(sum);
  return CTR_OK;
}

/* D = sum_k w_k m_k over the components of non-zero weight. */
static void posterior_mean(const ctr_mixture *m, double a, double s, const double *x,
                           post_work pw, double *D) {
  memset(D, 0, sizeof(double) * m->d);
  for (int k = 0; k < m->K; k++) {
    if (pw.w[k] == 0) continue;
    comp_mean(m, k, a, s, comp_coords(m, k, a, x, pw), pw, pw.mk);
    for (int i = 0; i < m->d; i++) D[i] += pw.w[k] * pw.mk[i];
  }
}

/* G += w a Sigma_k S_k^-1 = U diag(w a l_r / v_r) U^T: the (a/s^2) C_k term of Tweedie with
 * the s^2 cancelled analytically (C_k = s^2 Sigma_k S_k^-1). Uses pw.y for the diagonal. */
static void add_within(const ctr_mixture *m, int k, double a, double s, double w, post_work pw,
                       double *G) {
  int d = m->d;
  const double *U = comp_U(m, k);
  double a2 = a * a, s2 = s * s;
  for (int r = 0; r < d; r++) {
    double l = comp_lam(m, k)[m->kind[k] == CTR_COV_ISO ? 0 : r];
    pw.y[r] = w * a * l / (a2 * l + s2);
  }
  if (!U) {
    for (int i = 0; i < d; i++) G[i * d + i] += pw.y[i];
    return;
  }
  for (int i = 0; i < d; i++)
    for (int j = 0; j <= i; j++) {
      double acc = 0;
      for (int r = 0; r < d; r++) acc += U[i * d + r] * pw.y[r] * U[j * d + r];
      G[i * d + j] += acc;
      if (j != i) G[j * d + i] += acc;
    }
}

/* gradD = (a/s^2) Cov[X_0|x] = sum_k w_k [a Sigma_k S_k^-1 + (a/s^2)(m_k - D)(m_k - D)^T]
 * (theory.md §5, Tweedie, with Cov = sum_k w_k (C_k + (m_k - D)(m_k - D)^T) taken around D so
 * nothing cancels). u = sqrt(w_k) (m_k - D) / s, so a/s^2 itself is never formed. */
static void posterior_jacobian(const ctr_mixture *m, double a, double s, const double *x,
                               const double *D, post_work pw, double *G) {
  int d = m->d;
  memset(G, 0, sizeof(double) * d * d);
  for (int k = 0; k < m->K; k++) {
    if (pw.w[k] == 0) continue;
    comp_mean(m, k, a, s, comp_coords(m, k, a, x, pw), pw, pw.mk);
    double f = sqrt(pw.w[k]) / s;
    for (int i = 0; i < d; i++) pw.mk[i] = (pw.mk[i] - D[i]) * f;
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) G[i * d + j] += a * pw.mk[i] * pw.mk[j];
    add_within(m, k, a, s, pw.w[k], pw, G);
  }
}

ctr_status ctr_mixture_posterior(const ctr_mixture *m, double a, double s, const double *x,
                                 double *D, double *gradD, double *w, double *work,
                                 ctr_error *err) {
  post_work pw = split_work(m, work);
  double lse;
  ctr_status st = posterior_weights(m, a, s, x, pw, &lse, err);
  if (st) return st;
  if (w) memcpy(w, pw.w, sizeof(double) * m->K);
  if (!D && !gradD) return CTR_OK;
  double *Dv = D ? D : pw.D;
  posterior_mean(m, a, s, x, pw, Dv);
  if (gradD) posterior_jacobian(m, a, s, x, Dv, pw, gradD);
  return CTR_OK;
}

/* score = -sum_k w_k S_k^-1 y_k, S_k^-1 y = U diag(1/v) z: no x - a D(x) cancellation. */
ctr_status ctr_mixture_score(const ctr_mixture *m, double a, double s, const double *x,
                             double *score, double *work, ctr_error *err) {
  post_work pw = split_work(m, work);
  int d = m->d;
  double lse, a2 = a * a, s2 = s * s;
  ctr_status st = posterior_weights(m, a, s, x, pw, &lse, err);
  if (st) return st;
  memset(score, 0, sizeof(double) * d);
  for (int k = 0; k < m->K; k++) {
    if (pw.w[k] == 0) continue;
    const double *z = comp_coords(m, k, a, x, pw), *U = comp_U(m, k);
    for (int r = 0; r < d; r++) pw.mk[r] = z[r] / var_of(m, k, r, a2, s2);
    for (int i = 0; i < d; i++) {
      double acc = 0;
      if (U)
        for (int r = 0; r < d; r++) acc += U[i * d + r] * pw.mk[r];
      else acc = pw.mk[i];
      score[i] -= pw.w[k] * acc;
    }
  }
  return CTR_OK;
}

ctr_status ctr_mixture_log_density(const ctr_mixture *m, double a, double s, const double *x,
                                   double *logq, double *work, ctr_error *err) {
  double lse;
  ctr_status st = posterior_weights(m, a, s, x, split_work(m, work), &lse, err);
  if (st) return st;
  *logq = lse - 0.5 * m->d * log(2 * M_PI);
  return CTR_OK;
}

/* k ~ w(x), then X_0 = m_k + C_k^(1/2) zeta with C_k^(1/2) = U diag(s sqrt(l_r / v_r)):
 * one uniform and d normals per draw whatever k is, so streams stay aligned. */
ctr_status ctr_mixture_posterior_sample(const ctr_mixture *m, double a, double s,
                                        const double *x, ctr_rng *rng, double *out, double *work,
                                        ctr_error *err) {
  post_work pw = split_work(m, work);
  double lse, a2 = a * a, s2 = s * s, u = ctr_rng_uniform(rng), c = 0;
  ctr_status st = posterior_weights(m, a, s, x, pw, &lse, err);
  if (st) return st;
  int k = -1;
  for (int j = 0; j < m->K; j++) /* last positive weight catches rounding of the total */
    if (pw.w[j] > 0 && (k = j, (c += pw.w[j]) > u)) break;
  comp_mean(m, k, a, s, comp_coords(m, k, a, x, pw), pw, pw.mk);
  for (int r = 0; r < m->d; r++) {
    double l = comp_lam(m, k)[m->kind[k] == CTR_COV_ISO ? 0 : r];
    pw.z[r] = s * sqrt(l / (a2 * l + s2)); /* z is free again: holds C_k^(1/2)'s scales */
  }
  ctr_rng_normals(rng, m->d, pw.y);
  add_noise(m, k, pw.mk, pw.z, 0, pw.y, out);
  return CTR_OK;
}

/* ---------------------------------------------------------------- denoiser */

static ctr_status denoiser_eval(void *ctx, double a, double s, const double *x, double *D,
                                double *gradD, ctr_error *err) {
  const ctr_mixture *m = ctx;
  double stack[CTR_MIXTURE_STACK_WORK], *work = stack;
  size_t n = ctr_mixture_work_len(m);
  if (n > CTR_MIXTURE_STACK_WORK && !(work = malloc(sizeof(double) * n)))
    return ctr_fail(err, CTR_ENOMEM, "mixture denoiser: out of memory (%zu doubles)", n);
  ctr_status st = ctr_mixture_posterior(m, a, s, x, D, gradD, NULL, work, err);
  if (work != stack) free(work);
  return st;
}

ctr_denoiser ctr_mixture_denoiser(const ctr_mixture *m) {
  return (ctr_denoiser){.d = m->d, .ctx = (void *)m, .eval = denoiser_eval};
}
