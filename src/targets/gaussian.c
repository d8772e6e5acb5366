#include "targets/gaussian.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "core/rng.h"

static const char *const kind_names[] = {"isotropic", "geometric", "power", "diagonal", "file"};

const char *ctr_target_kind_name(ctr_target_kind kind) { return kind_names[kind]; }

ctr_status ctr_target_kind_parse(const char *name, ctr_target_kind *kind, ctr_error *err) {
  int k = ctr_name_index(kind_names, 5, name);
  if (k >= 0) {
    *kind = (ctr_target_kind)k;
    return CTR_OK;
  }
  return ctr_fail(err, CTR_EINPUT,
                  "target '%s' is unknown (accepted: isotropic, geometric, power, diagonal, file)",
                  name);
}

void ctr_target_params_default(ctr_target_params *p) {
  memset(p, 0, sizeof *p);
  p->kind = CTR_TARGET_ISOTROPIC;
  p->d = 1;
  p->lambda = 1.0;
  p->lambda_min = 0.01;
  p->lambda_max = 1.0;
  p->seed = 1;
}

void ctr_target_free(ctr_target *t) {
  if (!t) return;
  free(t->lambda), free(t->mu_eig), free(t->mu), free(t->Q);
  free(t->distinct), free(t->mult), free(t->group);
  free(t);
}

/* Variances beyond 1e100 would overflow the squares the metrics take (tau^2, v^2). */
#define CTR_VARIANCE_MAX 1e100

static ctr_status check_variance(const char *what, double v, ctr_error *err) {
  if (!isfinite(v) || v < 0 || v > CTR_VARIANCE_MAX)
    return ctr_fail(err, CTR_EINPUT, "%s = %g is invalid (accepted: a variance in [0, %g])", what,
                    v, CTR_VARIANCE_MAX);
  return CTR_OK;
}

static ctr_status check_params(const ctr_target_params *p, ctr_error *err) {
  int matrix = p->rotate || p->kind == CTR_TARGET_FILE;
  int dmax = matrix ? CTR_TARGET_DMAX_MATRIX : CTR_TARGET_DMAX;
  if (p->d < 1 || p->d > dmax)
    return ctr_fail(err, CTR_EINPUT, "d = %d is out of range (accepted: 1 <= d <= %d%s)", p->d,
                    dmax, matrix ? " for rotated or file covariances" : "");
  if (!isfinite(p->mean_norm) || p->mean_norm < 0 || p->mean_norm > 1e50)
    return ctr_fail(err, CTR_EINPUT, "mean norm = %g is invalid (accepted: 0 to 1e50)",
                    p->mean_norm);
  ctr_status st = CTR_OK;
  switch (p->kind) {
  case CTR_TARGET_ISOTROPIC: return check_variance("lambda", p->lambda, err);
  case CTR_TARGET_GEOMETRIC:
  case CTR_TARGET_POWER:
    if ((st = check_variance("lambda_min", p->lambda_min, err)) ||
        (st = check_variance("lambda_max", p->lambda_max, err)))
      return st;
    if (!(p->lambda_min > 0 && p->lambda_min <= p->lambda_max))
      return ctr_fail(err, CTR_EINPUT,
                      "lambda_min = %g, lambda_max = %g are invalid for the %s spectrum "
                      "(accepted: 0 < lambda_min <= lambda_max)",
                      p->lambda_min, p->lambda_max, kind_names[p->kind]);
    return CTR_OK;
  case CTR_TARGET_DIAGONAL:
    if (p->ndiag != p->d)
      return ctr_fail(err, CTR_EINPUT, "diagonal has %d variances but d = %d (accepted: exactly d)",
                      p->ndiag, p->d);
    for (int i = 0; i < p->ndiag; i++) {
      char what[48];
      snprintf(what, sizeof what, "diagonal entry %d", i + 1);
      if ((st = check_variance(what, p->diag[i], err))) return st;
    }
    return CTR_OK;
  case CTR_TARGET_FILE:
    if (p->rotate)
      return ctr_fail(err, CTR_EINPUT, "rotation applies to spectrum families; a covariance file "
                                       "is used as given (drop the rotation)");
    return CTR_OK;
  }
  return ctr_fail(err, CTR_EINPUT, "unknown target kind %d", (int)p->kind);
}

static void fill_spectrum(const ctr_target_params *p, double *lam) {
  int d = p->d;
  double ratio = p->lambda_min / p->lambda_max;
  double pw = d > 1 ? log(p->lambda_max / p->lambda_min) / log((double)d) : 0;
  for (int i = 0; i < d; i++) {
    switch (p->kind) {
    case CTR_TARGET_ISOTROPIC: lam[i] = p->lambda; break;
    case CTR_TARGET_GEOMETRIC:
      lam[i] = d > 1 ? p->lambda_max * pow(ratio, (double)i / (d - 1)) : p->lambda_max;
      break;
    case CTR_TARGET_POWER: lam[i] = p->lambda_max * pow((double)(i + 1), -pw); break;
    case CTR_TARGET_DIAGONAL: lam[i] = p->diag[i]; break;
    case CTR_TARGET_FILE: break;
    }
  }
  /* pow rounding must not leave lambda_d a hair outside [lambda_min, lambda_max] */
  if (d > 1 && (p->kind == CTR_TARGET_GEOMETRIC || p->kind == CTR_TARGET_POWER))
    lam[d - 1] = p->lambda_min;
}

/* Read d*d numbers; refuse anything else with the file name and what was found. */
static ctr_status read_matrix(const char *path, int d, double *S, ctr_error *err) {
  FILE *f = fopen(path, "r");
  if (!f) return ctr_fail(err, CTR_EINPUT, "%s: cannot open covariance file (%s)", path,
                          strerror(errno));
  size_t want = (size_t)d * (size_t)d, got = 0;
  char *line = NULL; /* getline: rows of a d = 4096 matrix are longer than any fixed buffer */
  size_t cap = 0;
  int lineno = 0;
  ctr_status st = CTR_OK;
  while (!st && getline(&line, &cap, f) >= 0) {
    lineno++;
    char *hash = strchr(line, '#'), *q = line, *end;
    if (hash) *hash = '\0';
    line[strcspn(line, "\r\n")] = '\0'; /* keep messages on one line */
    for (;;) {
      while (*q == ' ' || *q == '\t' || *q == ',') q++;
      if (!*q) break;
      errno = 0;
      double v = strtod(q, &end);
      if (end == q || errno || !isfinite(v)) {
        st = ctr_fail(err, CTR_EINPUT, "%s:%d: '%.20s' is not a finite number", path, lineno, q);
        break;
      }
      if (got < want) S[got] = v;
      got++;
      q = end;
    }
  }
  free(line);
  fclose(f);
  if (!st && got != want)
    st = ctr_fail(err, CTR_EINPUT,
                  "%s: holds %zu numbers but d = %d needs a %d x %d matrix (%zu numbers)", path, got,
                  d, d, d, want);
  return st;
}

static ctr_status check_symmetric(const char *path, int d, const double *S, ctr_error *err) {
  double scale = 0;
  for (size_t k = 0; k < (size_t)d * d; k++) scale = fmax(scale, fabs(S[k]));
  for (int i = 0; i < d; i++)
    for (int j = 0; j < i; j++)
      if (fabs(S[i * d + j] - S[j * d + i]) > 1e-10 * scale)
        return ctr_fail(err, CTR_EINPUT,
                        "%s: covariance is not symmetric: entry (%d,%d) = %.17g but (%d,%d) = "
                        "%.17g (accepted: |S_ij - S_ji| <= 1e-10 max|S|)",
                        path, i + 1, j + 1, S[i * d + j], j + 1, i + 1, S[j * d + i]);
  return CTR_OK;
}

/* Eigen-decompose the file covariance: lambda ascending, Q = eigenvectors. */
static ctr_status eigen_file(const ctr_target_params *p, ctr_target *t, ctr_error *err) {
  int d = p->d;
  gsl_matrix *S = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
  gsl_vector *ev = gsl_vector_alloc(d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
  ctr_status st = CTR_OK;
  if (!S || !V || !ev || !w) st = ctr_fail(err, CTR_ENOMEM, "covariance: out of memory at d = %d", d);
  if (!st) st = read_matrix(p->cov_file, d, S->data, err);
  if (!st) st = check_symmetric(p->cov_file, d, S->data, err);
  if (!st && gsl_eigen_symmv(S, ev, V, w))
    st = ctr_fail(err, CTR_ENUMERIC, "%s: eigendecomposition failed", p->cov_file);
  if (!st) {
    gsl_eigen_symmv_sort(ev, V, GSL_EIGEN_SORT_VAL_DESC);
    double lmax = fmax(gsl_vector_get(ev, 0), 0), lmin = gsl_vector_get(ev, d - 1);
    if (lmin < -1e-10 * fmax(lmax, 1e-300))
      st = ctr_fail(err, CTR_EINPUT,
                    "%s: covariance is not positive semi-definite: smallest eigenvalue %.6g "
                    "(accepted: >= -1e-10 x largest = %.3g)",
                    p->cov_file, lmin, -1e-10 * lmax);
    if (!st && lmax > CTR_VARIANCE_MAX)
      st = ctr_fail(err, CTR_EINPUT, "%s: largest eigenvalue %.6g is too large (accepted: <= %g)",
                    p->cov_file, lmax, CTR_VARIANCE_MAX);
    for (int i = 0; !st && i < d; i++) t->lambda[i] = fmax(gsl_vector_get(ev, i), 0.0);
    if (!st) memcpy(t->Q, V->data, sizeof(double) * d * d);
  }
  gsl_matrix_free(S), gsl_matrix_free(V), gsl_vector_free(ev), gsl_eigen_symmv_free(w);
  return st;
}

/* Haar-random orthogonal matrix: QR of a Gaussian matrix, columns signed by diag(R). */
static ctr_status haar_rotation(uint64_t seed, int d, double *Q, ctr_error *err) {
  gsl_matrix *A = gsl_matrix_alloc(d, d), *Qm = gsl_matrix_alloc(d, d), *R = gsl_matrix_alloc(d, d);
  gsl_vector *tau = gsl_vector_alloc(d);
  ctr_status st = CTR_OK;
  if (!A || !Qm || !R || !tau) st = ctr_fail(err, CTR_ENOMEM, "rotation: out of memory at d = %d", d);
  if (!st) {
    ctr_rng r;
    ctr_rng_init(&r, seed, CTR_RNG_ROTATION, (uint64_t)d, 0);
    ctr_rng_normals(&r, (size_t)d * d, A->data);
    if (gsl_linalg_QR_decomp(A, tau) || gsl_linalg_QR_unpack(A, tau, Qm, R))
      st = ctr_fail(err, CTR_ENUMERIC, "rotation: QR decomposition failed");
  }
  for (int j = 0; !st && j < d; j++) {
    double sgn = gsl_matrix_get(R, j, j) < 0 ? -1.0 : 1.0;
    for (int i = 0; i < d; i++) Q[i * d + j] = sgn * gsl_matrix_get(Qm, i, j);
  }
  gsl_matrix_free(A), gsl_matrix_free(Qm), gsl_matrix_free(R), gsl_vector_free(tau);
  return st;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static ctr_status group_eigenvalues(ctr_target *t) {
  int d = t->d;
  double *sorted = ctr_dalloc(d);
  t->distinct = ctr_dalloc(d), t->mult = ctr_dalloc(d), t->group = calloc(d, sizeof(int));
  if (!sorted || !t->distinct || !t->mult || !t->group) return free(sorted), CTR_ENOMEM;
  memcpy(sorted, t->lambda, sizeof(double) * d);
  qsort(sorted, d, sizeof(double), cmp_double);
  int n = 0;
  for (int i = 0; i < d; i++)
    if (n == 0 || sorted[i] != t->distinct[n - 1]) t->distinct[n++] = sorted[i];
  t->ndistinct = n;
  for (int i = 0; i < d; i++) {
    double *hit = bsearch(&t->lambda[i], t->distinct, n, sizeof(double), cmp_double);
    t->group[i] = (int)(hit - t->distinct);
    t->mult[t->group[i]] += 1;
  }
  free(sorted);
  return CTR_OK;
}

static void fill_mean(const ctr_target_params *p, ctr_target *t) {
  if (p->mean_norm == 0) return;
  ctr_rng r;
  ctr_rng_init(&r, p->seed, CTR_RNG_MEAN, (uint64_t)p->d, 0);
  ctr_rng_normals(&r, p->d, t->mu);
  double n2 = 0;
  for (int i = 0; i < p->d; i++) n2 += t->mu[i] * t->mu[i];
  for (int i = 0; i < p->d; i++) t->mu[i] *= p->mean_norm / sqrt(n2);
  /* mu~ = Q^T mu */
  for (int j = 0; j < p->d; j++) {
    double acc = 0;
    for (int i = 0; i < p->d; i++) acc += (t->Q ? t->Q[i * p->d + j] : (i == j)) * t->mu[i];
    t->mu_eig[j] = acc;
  }
}

ctr_status ctr_target_alloc(const ctr_target_params *p, ctr_target **out, ctr_error *err) {
  *out = NULL;
  ctr_status st = check_params(p, err);
  if (st) return st;
  ctr_target *t = calloc(1, sizeof *t);
  int d = p->d, matrix = p->rotate || p->kind == CTR_TARGET_FILE;
  if (t) {
    t->d = d;
    t->lambda = ctr_dalloc(d), t->mu = ctr_dalloc(d), t->mu_eig = ctr_dalloc(d);
    t->Q = matrix ? ctr_dalloc((size_t)d * d) : NULL;
  }
  if (!t || !t->lambda || !t->mu || !t->mu_eig || (matrix && !t->Q)) {
    ctr_target_free(t);
    return ctr_fail(err, CTR_ENOMEM, "target: out of memory at d = %d", d);
  }
  if (p->kind == CTR_TARGET_FILE) st = eigen_file(p, t, err);
  else {
    fill_spectrum(p, t->lambda);
    if (p->rotate) st = haar_rotation(p->seed, d, t->Q, err);
  }
  if (!st && group_eigenvalues(t)) st = ctr_fail(err, CTR_ENOMEM, "target: out of memory");
  if (st) {
    ctr_target_free(t);
    return st;
  }
  fill_mean(p, t);
  for (int i = 0; i < d; i++) t->trace += t->lambda[i];
  *out = t;
  return CTR_OK;
}

void ctr_target_covariance(const ctr_target *t, double *S) {
  int d = t->d;
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double acc = 0;
      if (!t->Q) acc = i == j ? t->lambda[i] : 0;
      else
        for (int k = 0; k < d; k++) acc += t->Q[i * d + k] * t->lambda[k] * t->Q[j * d + k];
      S[i * d + j] = acc;
    }
}
