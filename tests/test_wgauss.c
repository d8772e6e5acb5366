/* test_wgauss.c: checks of wasserstein/gaussian.c against closed forms, Monte Carlo and naive
 * reference formulas (theory.md §4). Prints "ok - name" or "FAIL - name: ...";
 * exits 0 when every check passes, 1 otherwise. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

#include "wasserstein/gaussian.h"

#define PI 3.14159265358979323846
#define MAXD 8

static int n_fail = 0;

static void check_rel(const char *name, double got, double want, double tol) {
  double e = fabs(got - want) / fmax(fabs(want), 1e-300);
  if (isfinite(got) && (e <= tol || got == want)) {
    printf("ok - %s\n", name);
  } else {
    printf("FAIL - %s: got %.17g want %.17g (rel err %.3g > %.3g)\n", name, got, want, e, tol);
    n_fail++;
  }
}

static void check_true(const char *name, int cond, const char *fmt, double a, double b) {
  if (cond) {
    printf("ok - %s\n", name);
    return;
  }
  printf("FAIL - %s: ", name);
  printf(fmt, a, b);
  printf("\n");
  n_fail++;
}

static void check_ok(const char *name, ctr_status st, const ctr_error *err) {
  if (st != CTR_OK) {
    printf("FAIL - %s: status %d (%s)\n", name, (int)st, err->msg);
    n_fail++;
  }
}

/* ---- RNG: xorshift64* + Box-Muller ---- */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double unif(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t x = rng_state * 0x2545F4914F6CDD1DULL;
  return ((double)(x >> 11) + 0.5) / 9007199254740992.0; /* (0,1) */
}
static double gauss(void) { return sqrt(-2.0 * log(unif())) * cos(2.0 * PI * unif()); }
static double unif_ab(double a, double b) { return a + (b - a) * unif(); }

/* ---- small dense helpers (row-major d x d) ---- */
static void matmul(size_t d, const double *A, const double *B, double *C) {
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double s = 0.0;
      for (size_t k = 0; k < d; k++) s += A[i * d + k] * B[k * d + j];
      C[i * d + j] = s;
    }
}
static void transpose(size_t d, const double *A, double *T) {
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) T[j * d + i] = A[i * d + j];
}
static void matvec(size_t d, const double *A, const double *x, double *y) {
  for (size_t i = 0; i < d; i++) {
    y[i] = 0.0;
    for (size_t k = 0; k < d; k++) y[i] += A[i * d + k] * x[k];
  }
}
/* Q S Q^T, symmetrised */
static void rotate_sym(size_t d, const double *Q, const double *S, double *out) {
  double T[MAXD * MAXD] = {0}, QT[MAXD * MAXD] = {0};
  transpose(d, Q, QT);
  matmul(d, Q, S, T);
  matmul(d, T, QT, out);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < i; j++) out[i * d + j] = out[j * d + i] = 0.5 * (out[i * d + j] + out[j * d + i]);
}
/* Haar-ish random orthogonal matrix by modified Gram-Schmidt on Gaussian columns. */
static void rand_orth(size_t d, double *Q) {
  for (size_t i = 0; i < d * d; i++) Q[i] = gauss();
  for (size_t j = 0; j < d; j++) {
    for (size_t k = 0; k < j; k++) {
      double s = 0.0;
      for (size_t i = 0; i < d; i++) s += Q[i * d + j] * Q[i * d + k];
      for (size_t i = 0; i < d; i++) Q[i * d + j] -= s * Q[i * d + k];
    }
    double nr = 0.0;
    for (size_t i = 0; i < d; i++) nr += Q[i * d + j] * Q[i * d + j];
    for (size_t i = 0; i < d; i++) Q[i * d + j] /= sqrt(nr);
  }
}
/* random SPD: A A^T + eps I */
static void rand_spd(size_t d, double eps, double *S) {
  double A[MAXD * MAXD], AT[MAXD * MAXD] = {0};
  for (size_t i = 0; i < d * d; i++) A[i] = gauss();
  transpose(d, A, AT);
  matmul(d, A, AT, S);
  for (size_t i = 0; i < d; i++) S[i * d + i] += eps;
}
/* naive PSD square root by eigen-decomposition */
static void sqrtm(size_t d, const double *S, double *R) {
  gsl_matrix *A = gsl_matrix_alloc(d, d), *V = gsl_matrix_alloc(d, d);
  gsl_vector *l = gsl_vector_alloc(d);
  gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
  memcpy(A->data, S, d * d * sizeof(double));
  gsl_eigen_symmv(A, l, V, w);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double s = 0.0;
      for (size_t k = 0; k < d; k++)
        s += gsl_matrix_get(V, i, k) * sqrt(fmax(gsl_vector_get(l, k), 0.0)) * gsl_matrix_get(V, j, k);
      R[i * d + j] = s;
    }
  gsl_matrix_free(A);
  gsl_matrix_free(V);
  gsl_vector_free(l);
  gsl_eigen_symmv_free(w);
}
/* naive Bures W2 (theory.md §4) */
static double bures(size_t d, const double *m1, const double *S1, const double *m2, const double *S2) {
  double R1[MAXD * MAXD], T[MAXD * MAXD], B[MAXD * MAXD], C[MAXD * MAXD], s = 0.0;
  sqrtm(d, S1, R1);
  matmul(d, R1, S2, T);
  matmul(d, T, R1, B);
  sqrtm(d, B, C);
  for (size_t i = 0; i < d; i++) s += (m1[i] - m2[i]) * (m1[i] - m2[i]) + S1[i * d + i] + S2[i * d + i] - 2 * C[i * d + i];
  return sqrt(s);
}
static double folded(double nu, double s) {
  return s * sqrt(2.0 / PI) * exp(-nu * nu / (2 * s * s)) + nu * (1.0 - 2.0 * gsl_cdf_ugaussian_P(-nu / s));
}

/* ---- tests ---- */
static void test_chi(void) {
  check_rel("chi_mean d=1", ctr_chi_mean(1), sqrt(2 / PI), 1e-14);
  check_rel("chi_mean d=2", ctr_chi_mean(2), sqrt(PI / 2), 1e-14);
  check_rel("chi_mean d=3", ctr_chi_mean(3), 2 * sqrt(2 / PI), 1e-14);
  /* sqrt(d - 1/2 + 1/(8d)) is off by O(d^-3) only, so 1e-13 here (GSL's lnpoch alone is off 4e-10 at 1e6) */
  double d = 1e6;
  check_rel("chi_mean d=1e6 asymptotic", ctr_chi_mean(d), sqrt(d - 0.5 + 1 / (8 * d)), 1e-13);
  d = 1e9;
  check_rel("chi_mean d=1e9 asymptotic", ctr_chi_mean(d), sqrt(d - 0.5 + 1 / (8 * d)), 1e-13);
  /* mpmath (40 digits) on both sides of the series switch at d = 200 */
  check_rel("chi_mean d=150 (mpmath)", ctr_chi_mean(150), 12.227053451235104289, 1e-14);
  check_rel("chi_mean d=199.5 (mpmath)", ctr_chi_mean(199.5), 14.106758243189034266, 1e-14);
  check_rel("chi_mean d=200 (mpmath)", ctr_chi_mean(200), 14.124469071705357429, 1e-14);
  check_rel("chi_mean d=1e4 (mpmath)", ctr_chi_mean(1e4), 99.997500031253906147, 1e-14);
}

static void test_norm_mean_closed(void) {
  ctr_error err = {0};
  double cases[][2] = {{0.3, 1.0}, {2.0, 0.5}, {-5.0, 1.0}, {1e-3, 1.0}, {10.0, 0.1}, {0.0, 3.0}, {1.0, 1e-4}};
  char name[128];
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    double nu = cases[k][0], s2 = cases[k][1] * cases[k][1], got = NAN;
    check_ok("gauss_norm_mean 1-D", ctr_gauss_norm_mean(1, &nu, &s2, NULL, &got, &err), &err);
    snprintf(name, sizeof name, "gauss_norm_mean folded normal nu=%g s=%g", nu, cases[k][1]);
    check_rel(name, got, folded(nu, cases[k][1]), 1e-10);
  }
  size_t dims[] = {1, 7, 1024};
  static double z[1024], s2[1024];
  for (size_t k = 0; k < 3; k++) {
    double s = 0.37, got = NAN;
    for (size_t i = 0; i < dims[k]; i++) z[i] = 0.0, s2[i] = s * s;
    check_ok("gauss_norm_mean iso", ctr_gauss_norm_mean(dims[k], z, s2, NULL, &got, &err), &err);
    snprintf(name, sizeof name, "gauss_norm_mean isotropic d=%zu", dims[k]);
    check_rel(name, got, s * ctr_chi_mean((double)dims[k]), 1e-10);
  }
  double m = 1024, got = NAN;
  check_ok("gauss_norm_mean mult", ctr_gauss_norm_mean(1, z, s2, &m, &got, &err), &err);
  check_rel("gauss_norm_mean isotropic mult=1024", got, 0.37 * ctr_chi_mean(1024), 1e-10);
  double mm[2] = {3, 5}, nu2[2] = {0, 0}, v2[2] = {4, 4};
  check_ok("gauss_norm_mean mult2", ctr_gauss_norm_mean(2, nu2, v2, mm, &got, &err), &err);
  check_rel("gauss_norm_mean isotropic split mult 3+5", got, 2 * ctr_chi_mean(8), 1e-10);
  double nu3[3] = {3, 0, 4}, zero3[3] = {0, 0, 0};
  check_ok("gauss_norm_mean det", ctr_gauss_norm_mean(3, nu3, zero3, NULL, &got, &err), &err);
  check_true("gauss_norm_mean s2=0 gives ||nu|| exactly", got == 5.0, "got %.17g want %g", got, 5.0);
  check_ok("gauss_norm_mean zero", ctr_gauss_norm_mean(3, zero3, zero3, NULL, &got, &err), &err);
  check_true("gauss_norm_mean all zero gives 0", got == 0.0, "got %g want %g", got, 0.0);
  double bad = -1.0;
  ctr_status st = ctr_gauss_norm_mean(1, nu3, &bad, NULL, &got, &err);
  check_true("gauss_norm_mean rejects s2 < 0", st == CTR_EINPUT, "status %g want %g", (double)st, 1.0);
}

static void test_norm_mean_mc(void) {
  ctr_error err = {0};
  double nu[5] = {0.3, -1.2, 0.0, 2.0, 0.5}, sd[5] = {1.0, 0.2, 3.0, 0.05, 0.7}, s2[5], got = NAN;
  for (int i = 0; i < 5; i++) s2[i] = sd[i] * sd[i];
  check_ok("gauss_norm_mean d=5", ctr_gauss_norm_mean(5, nu, s2, NULL, &got, &err), &err);
  const long N = 2000000;
  double sum = 0.0, sum2 = 0.0;
  for (long k = 0; k < N; k++) {
    double r2 = 0.0;
    for (int i = 0; i < 5; i++) {
      double x = nu[i] + sd[i] * gauss();
      r2 += x * x;
    }
    double r = sqrt(r2);
    sum += r;
    sum2 += r * r;
  }
  double mean = sum / N, se = sqrt((sum2 / N - mean * mean) / N);
  check_true("gauss_norm_mean d=5 vs Monte Carlo (5 s.e.)", fabs(got - mean) < 5 * se,
             "got %.10g, MC mean differs by more than 5 s.e. (s.e. %.3g)", got, se);
}

static void diag_to_full(const ctr_diag_pair *p, double *m1, double *S1, double *m2, double *S2) {
  size_t d = p->n;
  memset(S1, 0, d * d * sizeof(double));
  memset(S2, 0, d * d * sizeof(double));
  for (size_t i = 0; i < d; i++) {
    m1[i] = 0.0;
    m2[i] = p->dm[i];
    S1[i * d + i] = p->sd[i] * p->sd[i];
    S2[i * d + i] = (p->sd[i] + p->dsd[i]) * (p->sd[i] + p->dsd[i]);
  }
}

static void rand_diag(size_t n, double *dm, double *sd, double *dsd, double dmscale) {
  for (size_t i = 0; i < n; i++) {
    dm[i] = dmscale * unif_ab(-1, 1);
    sd[i] = unif_ab(0.3, 1.5);
    dsd[i] = unif_ab(-0.25, 0.4);
  }
}

static void test_w2(void) {
  ctr_error err = {0};
  const size_t d = 5;
  double dm[5], sd[5], dsd[5], m1[5], m2[5], S1[25], S2[25], Q[25], R1[25], R2[25], q1[5], q2[5], got = NAN;
  rand_diag(d, dm, sd, dsd, 0.5);
  ctr_diag_pair p = {d, dm, sd, dsd, NULL};
  diag_to_full(&p, m1, S1, m2, S2);
  double w2d = ctr_w2_diag(&p);
  check_ok("w2_full diag", ctr_w2_full(d, m1, S1, m2, S2, &got, &err), &err);
  check_rel("w2_diag == w2_full on a diagonal pair", got, w2d, 1e-10);
  rand_orth(d, Q);
  rotate_sym(d, Q, S1, R1);
  rotate_sym(d, Q, S2, R2);
  matvec(d, Q, m1, q1);
  matvec(d, Q, m2, q2);
  check_ok("w2_full rotated", ctr_w2_full(d, q1, R1, q2, R2, &got, &err), &err);
  check_rel("w2_full rotation invariant (== w2_diag)", got, w2d, 1e-10);
  for (int k = 0; k < 5; k++) {
    rand_spd(d, 0.1, S1);
    rand_spd(d, 0.1, S2);
    for (size_t i = 0; i < d; i++) m1[i] = gauss(), m2[i] = gauss();
    check_ok("w2_full random", ctr_w2_full(d, m1, S1, m2, S2, &got, &err), &err);
    check_rel("w2_full == naive Bures (well separated)", got, bures(d, m1, S1, m2, S2), 1e-9);
  }
  double mult[2] = {2, 3}, a[2] = {0.1, -0.2}, b[2] = {1, 2}, c[2] = {0.3, 0.4};
  ctr_diag_pair pm = {2, a, b, c, mult};
  check_rel("w2_diag with mult", ctr_w2_diag(&pm), sqrt(2 * (0.01 + 0.09) + 3 * (0.04 + 0.16)), 1e-15);
  S1[0] = -1.0;
  S1[1] = S1[5] = 0.0;
  ctr_status st = ctr_w2_full(2, m1, S1, m2, S2, &got, &err);
  check_true("w2_full rejects non-PSD", st == CTR_EINPUT, "status %g want %g", (double)st, 1.0);
}

static void test_bracket_random(void) {
  ctr_error err = {0};
  int bad_diag = 0, bad_full = 0;
  double worst = 0.0;
  for (int k = 0; k < 20; k++) {
    size_t n = 1 + (size_t)(unif() * 6);
    double dm[MAXD], sd[MAXD], dsd[MAXD], mult[MAXD], m1[MAXD], m2[MAXD], S1[MAXD * MAXD], S2[MAXD * MAXD], w2;
    rand_diag(n, dm, sd, dsd, k % 3 == 0 ? 0.0 : unif_ab(0.01, 2));
    for (size_t i = 0; i < n; i++) mult[i] = 1 + (double)(int)(unif() * 4);
    ctr_diag_pair p = {n, dm, sd, dsd, k % 2 ? mult : NULL};
    ctr_w1_bracket b;
    check_ok("w1_bracket_diag random", ctr_w1_bracket_diag(&p, &b, &err), &err);
    w2 = ctr_w2_diag(&p);
    if (!(b.lo <= b.hi && b.hi <= w2 * (1 + 1e-10) && b.lo > 0)) bad_diag++, worst = b.lo / b.hi;
    rand_spd(n, 0.05, S1);
    rand_spd(n, 0.05, S2);
    for (size_t i = 0; i < n; i++) m1[i] = gauss(), m2[i] = (k % 3 == 0) ? m1[i] : gauss();
    check_ok("w1_bracket_full random", ctr_w1_bracket_full(n, m1, S1, m2, S2, &b, &err), &err);
    check_ok("w2_full random", ctr_w2_full(n, m1, S1, m2, S2, &w2, &err), &err);
    if (!(b.lo <= b.hi && b.hi <= w2 * (1 + 1e-9) && b.lo > 0)) bad_full++, worst = b.lo / b.hi;
  }
  check_true("w1_bracket_diag 0 < lo <= hi <= W2 on 20 random cases", bad_diag == 0, "%g failures, last lo/hi %g",
             bad_diag, worst);
  check_true("w1_bracket_full 0 < lo <= hi <= W2 on 20 random cases", bad_full == 0, "%g failures, last lo/hi %g",
             bad_full, worst);
}

static void test_bracket_exact(void) {
  ctr_error err = {0};
  double dm[3] = {0, 0, 0}, sd[3] = {0.7, 0.7, 0.7}, dsd[3] = {0.2, 0.2, 0.2}, mult[3] = {1, 2, 3};
  ctr_diag_pair p = {3, dm, sd, dsd, mult};
  ctr_w1_bracket b;
  check_ok("w1_bracket_diag iso", ctr_w1_bracket_diag(&p, &b, &err), &err);
  check_true("w1_bracket_diag isotropic: exact flag", b.exact == 1 && b.lo == b.hi, "exact %g, lo-hi %g",
             (double)b.exact, b.lo - b.hi);
  check_rel("w1_bracket_diag isotropic value", b.hi, 0.2 * ctr_chi_mean(6), 1e-15);
  double m[4] = {1, 2, 3, 4}, S1[16] = {0}, S2[16] = {0};
  for (int i = 0; i < 4; i++) S1[i * 5] = 0.49, S2[i * 5] = 0.81;
  check_ok("w1_bracket_full iso", ctr_w1_bracket_full(4, m, S1, m, S2, &b, &err), &err);
  check_true("w1_bracket_full isotropic: exact flag", b.exact == 1 && b.lo == b.hi, "exact %g, lo-hi %g",
             (double)b.exact, b.lo - b.hi);
  check_rel("w1_bracket_full isotropic value", b.hi, 0.2 * ctr_chi_mean(4), 1e-15);
  dsd[2] = 0.21; /* no longer isotropic: bracket must still contain the near-isotropic value */
  check_ok("w1_bracket_diag near-iso", ctr_w1_bracket_diag(&p, &b, &err), &err);
  check_true("w1_bracket_diag near-isotropic: not exact, tight", b.exact == 0 && b.lo > 0.99 * b.hi,
             "exact %g lo/hi %g", (double)b.exact, b.lo / b.hi);
}

static void test_1d(void) {
  ctr_error err = {0};
  int bad = 0, bad_hi = 0, bad_fold = 0;
  double worst = 0.0;
  for (int k = 0; k < 40; k++) {
    double m1 = unif_ab(-2, 2), m2 = (k % 4 == 0) ? m1 : unif_ab(-2, 2), s1 = unif_ab(0.1, 2), s2 = unif_ab(0.1, 2);
    double w = ctr_w1_gauss_1d(m1, s1, m2, s2), dm = m2 - m1, dsd = s2 - s1, f = NAN, v = dsd * dsd;
    ctr_diag_pair p = {1, &dm, &s1, &dsd, NULL};
    ctr_w1_bracket b;
    check_ok("w1_bracket_diag 1-D", ctr_w1_bracket_diag(&p, &b, &err), &err);
    if (!(b.lo <= w * (1 + 1e-9) && b.hi >= w * (1 - 1e-9))) bad++, worst = (b.lo - w) / w;
    /* in 1-D the monotone coupling is W1-optimal: hi is the exact W1 (in particular at dm = 0) */
    if (fabs(b.hi - w) > 1e-10 * w) bad_hi++, worst = (b.hi - w) / w;
    check_ok("gauss_norm_mean 1-D", ctr_gauss_norm_mean(1, &dm, &v, NULL, &f, &err), &err);
    if (fabs(f - w) > 1e-10 * w) bad_fold++, worst = (f - w) / w;
  }
  check_true("1-D: diag bracket contains ctr_w1_gauss_1d (40 random pairs)", bad == 0, "%g failures, rel %g", bad,
             worst);
  check_true("1-D: hi == ctr_w1_gauss_1d to 1e-10", bad_hi == 0, "%g failures, rel %g", bad_hi, worst);
  check_true("1-D: ctr_w1_gauss_1d == E|dm + dsd Z| by quadrature", bad_fold == 0, "%g failures, rel %g", bad_fold,
             worst);
  double a = ctr_w1_gauss_1d(0.3, 1.2, -0.4, 0.5), b2 = ctr_w1_gauss_1d(-0.4, 0.5, 0.3, 1.2);
  check_true("w1_gauss_1d symmetric in its arguments", a == b2, "%.17g vs %.17g", a, b2);
  check_true("w1_gauss_1d == |dm| when sd1 == sd2", ctr_w1_gauss_1d(0.3, 0.8, -0.45, 0.8) == 0.75, "got %.17g want %g",
             ctr_w1_gauss_1d(0.3, 0.8, -0.45, 0.8), 0.75);
  check_rel("w1_gauss_1d equal means", ctr_w1_gauss_1d(1, 2, 1, 0.5), 1.5 * sqrt(2 / PI), 1e-15);
  check_rel("w1_gauss_1d tiny mean shift", ctr_w1_gauss_1d(1e-9, 1, 0, 0.5), 0.5 * sqrt(2 / PI) * (1 + 2e-18), 1e-15);
}

static void test_precision(void) {
  ctr_error err = {0};
  enum { D = 64 };
  double dm[D], sd[D], dsd[D], s2[D], dmean = 0.0, hi_ref = NAN;
  for (int i = 0; i < D; i++) {
    dm[i] = 0.0, sd[i] = 1.0, dsd[i] = 1e-9 * (1.0 + i / 64.0);
    s2[i] = dsd[i] * dsd[i];
    dmean += dsd[i] / D;
  }
  ctr_diag_pair p = {D, dm, sd, dsd, NULL};
  ctr_w1_bracket b;
  check_ok("w1_bracket_diag precision", ctr_w1_bracket_diag(&p, &b, &err), &err);
  check_ok("gauss_norm_mean dsd", ctr_gauss_norm_mean(D, dm, s2, NULL, &hi_ref, &err), &err);
  check_rel("precision d=64 dsd~1e-9: hi == E||diag(dsd) Z||", b.hi, hi_ref, 1e-6);
  /* first order: E||diag(1+dsd)Z|| - E||Z|| = sum dsd_i E[Z_i^2/||Z||] = mean(dsd) E||Z_64|| */
  check_rel("precision d=64 dsd~1e-9: lo == mean(dsd) chi(64) (first order)", b.lo, dmean * ctr_chi_mean(D), 1e-6);
  check_true("precision d=64 dsd~1e-9: lo/hi in (0.5, 1]", b.lo > 0.5 * b.hi && b.lo <= b.hi, "lo %.6g hi %.6g", b.lo,
             b.hi);
  double sy[D], ex = NAN, ey = NAN;
  for (int i = 0; i < D; i++) s2[i] = 1.0, sy[i] = (1 + dsd[i]) * (1 + dsd[i]);
  ctr_gauss_norm_mean(D, dm, s2, NULL, &ex, &err);
  ctr_gauss_norm_mean(D, dm, sy, NULL, &ey, &err);
  printf("# naive lo (two quadratures subtracted): %.6g, rel err %.2g; ours %.10g, rel err %.2g\n", ey - ex,
         (ey - ex) / (dmean * ctr_chi_mean(D)) - 1, b.lo, b.lo / (dmean * ctr_chi_mean(D)) - 1);
  for (int i = 0; i < D; i++) dsd[i] *= 1e-4; /* dsd ~ 1e-13: the naive difference keeps ~3 digits at best */
  check_ok("w1_bracket_diag precision 1e-13", ctr_w1_bracket_diag(&p, &b, &err), &err);
  check_rel("precision d=64 dsd~1e-13: lo == mean(dsd) chi(64)", b.lo, 1e-4 * dmean * ctr_chi_mean(D), 1e-6);
}

static void test_full_vs_diag(void) {
  ctr_error err = {0};
  const size_t d = 4;
  double dm[4], sd[4], dsd[4], m1[4], m2[4], S1[16], S2[16], Q[16], R1[16], R2[16], q1[4], q2[4];
  rand_diag(d, dm, sd, dsd, 0.5);
  ctr_diag_pair p = {d, dm, sd, dsd, NULL};
  ctr_w1_bracket bd, bf, br;
  check_ok("w1_bracket_diag", ctr_w1_bracket_diag(&p, &bd, &err), &err);
  diag_to_full(&p, m1, S1, m2, S2);
  check_ok("w1_bracket_full", ctr_w1_bracket_full(d, m1, S1, m2, S2, &bf, &err), &err);
  check_true("w1_bracket_full contains the diag bracket (diagonal case)",
             bf.lo <= bd.lo * (1 + 1e-8) && bf.hi >= bd.hi * (1 - 1e-8), "full [%.12g, ...] vs diag lo %.12g", bf.lo,
             bd.lo);
  check_rel("w1_bracket_full hi == diag hi (diagonal case)", bf.hi, bd.hi, 1e-9);
  check_rel("w1_bracket_full lo == diag lo (diagonal case)", bf.lo, bd.lo, 1e-8);
  rand_orth(d, Q);
  rotate_sym(d, Q, S1, R1);
  rotate_sym(d, Q, S2, R2);
  matvec(d, Q, m1, q1);
  matvec(d, Q, m2, q2);
  check_ok("w1_bracket_full rotated", ctr_w1_bracket_full(d, q1, R1, q2, R2, &br, &err), &err);
  check_rel("w1_bracket_full hi rotation invariant", br.hi, bd.hi, 1e-9);
  check_rel("w1_bracket_full lo rotation invariant", br.lo, bd.lo, 1e-8);
}

/* Q diag(l) Q^T for any d (the MAXD helpers above are for small d), symmetric by construction. */
static void rotate_diag(size_t d, const double *Q, const double *l, double *out) {
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j <= i; j++) {
      double s = 0.0;
      for (size_t k = 0; k < d; k++) s += Q[i * d + k] * l[k] * Q[j * d + k];
      out[i * d + j] = out[j * d + i] = s;
    }
}

/* Full path on nearly equal laws (W1 ~ 1e-9 of E||X||), rotated by a random Q, against the
 * cancellation-free diag path on the unrotated pair. lo used to be two quadratures subtracted
 * minus a 4e-11 E||X|| allowance, which left ~nothing of a 1e-8 difference. */
static void test_full_close(void) {
  enum { D = 64 };
  static double Q[D * D], S1[D * D], S2[D * D];
  double sd[D], dsd[D], l1[D], l2[D], dm[D], zero[D] = {0}, m2[D], w[D], nw = 0.0;
  ctr_error err = {0};
  rand_orth(D, Q);
  for (int i = 0; i < D; i++) w[i] = gauss(), nw += w[i] * w[i];
  for (int i = 0; i < D; i++) {
    double e = 1e-9 * (1.0 + i / 64.0);
    l1[i] = 1.0 + i / 64.0, sd[i] = sqrt(l1[i]), dsd[i] = sd[i] * e;
    l2[i] = l1[i] * (1.0 + e) * (1.0 + e);
    w[i] *= 1e-9 / sqrt(nw);
  }
  rotate_diag(D, Q, l1, S1);
  rotate_diag(D, Q, l2, S2);
  matvec(D, Q, w, m2);
  char name[160];
  for (int shift = 0; shift < 2; shift++) {
    for (int i = 0; i < D; i++) dm[i] = shift ? w[i] : 0.0;
    ctr_diag_pair p = {D, dm, sd, dsd, NULL};
    ctr_w1_bracket bd, bf;
    check_ok("w1_bracket_diag close", ctr_w1_bracket_diag(&p, &bd, &err), &err);
    check_ok("w1_bracket_full close", ctr_w1_bracket_full(D, zero, S1, shift ? m2 : zero, S2, &bf, &err), &err);
    printf("# full vs diag lo, d=64 rotated, scale 1e-9%s: %.10g vs %.10g, rel %.2g\n", shift ? " + shift 1e-9" : "",
           bf.lo, bd.lo, bf.lo / bd.lo - 1);
    snprintf(name, sizeof name, "full close d=64 rotated%s: lo == diag lo to 1e-6", shift ? " + shift" : "");
    check_rel(name, bf.lo, bd.lo, 1e-6);
    snprintf(name, sizeof name, "full close d=64 rotated%s: lo <= hi", shift ? " + shift" : "");
    check_true(name, bf.lo <= bf.hi, "lo %.17g hi %.17g", bf.lo, bf.hi);
  }
  /* same covariance, mean shift only: the expectation differences are O(|dm|^2), lo = ||dm|| */
  ctr_w1_bracket bf;
  check_ok("w1_bracket_full shift only", ctr_w1_bracket_full(D, zero, S1, m2, S1, &bf, &err), &err);
  check_rel("full d=64 rotated, shift 1e-9 only: lo == ||dm||", bf.lo, 1e-9, 1e-12);
  check_true("full d=64 rotated, shift 1e-9 only: lo <= hi", bf.lo <= bf.hi, "lo %.17g hi %.17g", bf.lo, bf.hi);
}

/* Singular covariances: GSL's Jacobi SVD returns zero singular vectors there, which
 * must not leak into the Procrustes rotation or the eigenbasis of X - T(X). */
static void test_singular(void) {
  ctr_error err = {0};
  double m1[3] = {0, 0, 0}, m2[3] = {0.3, -0.4, 1.2}, Ss[9] = {1, 1, 0, 1, 1, 0, 0, 0, 0}, S2[9] = {2, 0, 0, 0, 1, 0, 0, 0, 1};
  double a = NAN, b = NAN;
  check_ok("w2_full singular", ctr_w2_full(3, m1, Ss, m2, S2, &a, &err), &err);
  check_ok("w2_full singular swapped", ctr_w2_full(3, m2, S2, m1, Ss, &b, &err), &err);
  check_rel("w2_full singular S1 == naive Bures", a, bures(3, m1, Ss, m2, S2), 1e-7);
  check_rel("w2_full singular: symmetric", b, a, 1e-12);
  ctr_w1_bracket br;
  check_ok("w1_bracket_full singular", ctr_w1_bracket_full(3, m1, Ss, m2, S2, &br, &err), &err);
  check_true("w1_bracket_full singular S1: lo <= hi <= W2", br.lo <= br.hi && br.hi <= a * (1 + 1e-9), "lo %g hi %g",
             br.lo, br.hi);
  check_ok("w1_bracket_full same singular cov", ctr_w1_bracket_full(3, m1, Ss, m2, Ss, &br, &err), &err);
  check_rel("w1_bracket_full same singular cov: hi == ||dm||", br.hi, 1.3, 1e-14);
  check_rel("w1_bracket_full same singular cov: lo == ||dm||", br.lo, 1.3, 1e-14);
}

/* The vector path of the quadrature (n >= 256: AVX-512 / AVX2 lanes, chunks, a scalar tail)
 * against the scalar path (n small), through rotation invariance: within a block of equal
 * widths only the block's |dm| matters, so 4099 coordinates in 3 blocks (interleaved, means
 * spread at random) equal 6 entries with multiplicities (count - 1 with dm = 0, one with dm =
 * the block's |dm|). A wrong lane, chunk or tail would be off by ~1/n (2e-4). */
static void test_vector_path(void) {
  enum { N = 4099, B = 3 };
  static double dm[N], sd[N], dsd[N];
  const double bsd[B] = {0.3, 1.0, 2.5}, bdsd[B] = {0.01, -0.2, 0.4};
  double norm2[B] = {0}, cnt[B] = {0};
  for (size_t i = 0; i < N; i++) {
    int b = (int)((i * 7) % B);
    sd[i] = bsd[b], dsd[i] = bdsd[b], dm[i] = 0.05 * gauss();
    norm2[b] += dm[i] * dm[i], cnt[b] += 1;
  }
  double cdm[2 * B], csd[2 * B], cdsd[2 * B], cmult[2 * B];
  for (int b = 0; b < B; b++) {
    cdm[2 * b] = 0.0, cdm[2 * b + 1] = sqrt(norm2[b]);
    csd[2 * b] = csd[2 * b + 1] = bsd[b], cdsd[2 * b] = cdsd[2 * b + 1] = bdsd[b];
    cmult[2 * b] = cnt[b] - 1, cmult[2 * b + 1] = 1;
  }
  ctr_diag_pair big = {N, dm, sd, dsd, NULL}, small = {2 * B, cdm, csd, cdsd, cmult};
  ctr_w1_bracket wb, ws;
  ctr_error err;
  check_ok("vector path: bracket n = 4099", ctr_w1_bracket_diag(&big, &wb, &err), &err);
  check_ok("vector path: bracket n = 6", ctr_w1_bracket_diag(&small, &ws, &err), &err);
  check_rel("vector path: W1 upper, 4099 coordinates vs 6 with multiplicities", wb.hi, ws.hi, 1e-11);
  check_rel("vector path: W1 lower (difference integral), same", wb.lo, ws.lo, 1e-11);
  static double s2[N];
  double cs2[2 * B], mb, msm;
  for (size_t i = 0; i < N; i++) s2[i] = sd[i] * sd[i];
  for (int b = 0; b < 2 * B; b++) cs2[b] = csd[b] * csd[b];
  check_ok("vector path: E||nu + G|| n = 4099", ctr_gauss_norm_mean(N, dm, s2, NULL, &mb, &err), &err);
  check_ok("vector path: E||nu + G|| n = 6", ctr_gauss_norm_mean(2 * B, cdm, cs2, cmult, &msm, &err), &err);
  check_rel("vector path: E||nu + G||, 4099 coordinates vs 6 with multiplicities", mb, msm, 1e-11);
}

int main(void) {
  gsl_set_error_handler_off();
  test_chi();
  test_norm_mean_closed();
  test_norm_mean_mc();
  test_w2();
  test_bracket_random();
  test_bracket_exact();
  test_1d();
  test_precision();
  test_full_vs_diag();
  test_full_close();
  test_singular();
  /* every kernel this CPU has: AVX-512 or AVX2 as dispatched, then capped at AVX2 and scalar */
  test_vector_path();
  setenv("CTRATE_TEST_WQ_ISA", "1", 1);
  test_vector_path();
  setenv("CTRATE_TEST_WQ_ISA", "0", 1);
  test_vector_path();
  unsetenv("CTRATE_TEST_WQ_ISA");
  if (n_fail) printf("# %d check(s) failed\n", n_fail);
  else printf("# all checks passed\n");
  return n_fail ? 1 : 0;
}
