/* test_affine_fast.c: the streaming kernel and the Chebyshev path of the affine engine
 * (engines/affine_fast.c, engines/affine_cheb.c) against the per-step reference loop
 * (ctr_affine_params.reference = 1, the recursion of commit 189ccf9: Delta_t = Delta_{t-1} m_t
 * + D_t, an independent algebraic route to the same slope):
 *   a. per-eigenvalue Delta, the per-step sums and all ten metrics (W2, W1 bracket, couplings)
 *      to 1e-10 relative, over d, N, spectra (geometric, power, isotropic, clustered list),
 *      errors none and fit-bias;
 *   b. 1 and 2 OpenMP threads give bit-identical results (fast and Chebyshev paths);
 *   c. the Chebyshev path agrees with the exact path to 1e-10 and reports itself; a spectrum
 *      that is not smooth in log lambda (two far clusters, huge range) falls back to exact;
 *   d. the kernels' series for 1 - sqrt(1 - x) (theory.md §9.20): every degree against a long
 *      double closed form to 4 ulp at its bound on x (where its last coefficients weigh most),
 *      the switch rule at the bounds, and the cases of (a) cover every degree index and the
 *      closed form (chunks of 1024 steps, as the kernel uses below 2048 blocks).
 * Prints "ok - name" or "FAIL - ..."; exits 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "check.h"
#include "fixtures.h"
#include "engines/affine.h"
#include "engines/affine_fast.h"
#include "metrics/gaussian_metrics.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.kind = CTR_SCHED_PAPER, p.N = N, p.c0 = 2.0, p.c1 = 8.0;
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  die_if(ctr_schedule_alloc(&p, &s, &err), &err, "schedule alloc");
  return s;
}

static ctr_target *target(ctr_target_kind kind, int d, double lmin, double lmax,
                          const double *diag) {
  ctr_target_params p;
  ctr_target_params_default(&p);
  p.kind = kind, p.d = d, p.lambda_min = lmin, p.lambda_max = lmax, p.seed = 1;
  p.lambda = 0.5, p.mean_norm = 1.0;
  if (diag) p.diag = diag, p.ndiag = d;
  ctr_target *t = NULL;
  ctr_error err = {0};
  die_if(ctr_target_alloc(&p, &t, &err), &err, "target alloc");
  return t;
}

static ctr_affine_result *run(const ctr_schedule *s, const ctr_target *tg, int reference,
                              int interp, ctr_errmodel_kind kind) {
  ctr_affine_params p;
  ctr_affine_params_default(&p);
  p.reference = reference, p.interp = interp, p.error.kind = kind, p.error.eps = 0.01;
  ctr_affine_result *r = NULL;
  ctr_error err = {0};
  die_if(ctr_affine_run(&p, s, tg, &r, &err), &err, "ctr_affine_run");
  return r;
}

static void metric_vec(const ctr_affine_result *r, const ctr_target *tg, double *v) {
  ctr_gauss_metrics m;
  ctr_error err = {0};
  die_if(ctr_gauss_metrics_compute(r, tg, &m, &err), &err, "metrics");
  const ctr_input_metrics *in[2] = {&m.normal, &m.qN};
  for (int k = 0; k < 2; k++) {
    v[5 * k + 0] = in[k]->w2, v[5 * k + 1] = in[k]->w1_lo, v[5 * k + 2] = in[k]->w1_hi;
    v[5 * k + 3] = in[k]->coupling_l1, v[5 * k + 4] = in[k]->coupling_rms;
  }
}

/* Worst relative difference of Delta, the sums and the ten metrics. */
static double worst_rel(const ctr_affine_result *a, const ctr_affine_result *b,
                        const ctr_target *tg, const char **what) {
  double w = 0, va[10], vb[10];
  *what = "delta";
  for (int j = 0; j < a->nd; j++)
    w = fmax(w, fabs(a->delta[j] - b->delta[j]) / fabs(b->delta[j]));
  double sa[5] = {a->sum_D_rms, a->sum_D_l1, a->sum_e_rms, a->sum_e_l1, a->bcoef[0]};
  double sb[5] = {b->sum_D_rms, b->sum_D_l1, b->sum_e_rms, b->sum_e_l1, b->bcoef[0]};
  for (int k = 0; k < 5; k++)
    if (sa[k] != sb[k] && fabs(sa[k] - sb[k]) / fabs(sb[k]) > w)
      w = fabs(sa[k] - sb[k]) / fabs(sb[k]), *what = "step sums / offset";
  metric_vec(a, tg, va), metric_vec(b, tg, vb);
  for (int k = 0; k < 10; k++)
    if (va[k] != vb[k] && fabs(va[k] - vb[k]) / fabs(vb[k]) > w)
      w = fabs(va[k] - vb[k]) / fabs(vb[k]), *what = "metrics (W2, W1 bracket, couplings)";
  return w;
}

static void report(const char *name, double w, const char *what, double tol) {
  char buf[64], full[256];
  snprintf(buf, sizeof buf, "%s, worst %.2e", what, w);
  snprintf(full, sizeof full, "%s [worst %.1e]", name, w);
  check_true(full, w <= tol, buf);
}

static int same_bits(const ctr_affine_result *a, const ctr_affine_result *b) {
  return !memcmp(a->delta, b->delta, sizeof(double) * (size_t)a->nd) &&
         !memcmp(a->bcoef, b->bcoef, sizeof(double) * (size_t)a->nd) &&
         a->sum_D_rms == b->sum_D_rms && a->sum_D_l1 == b->sum_D_l1 && a->interp == b->interp;
}

/* a, b: exact fast path vs the reference loop, and 1 vs 2 threads. */
static void test_exact(void) {
  struct { ctr_target_kind kind; int d; int64_t N; ctr_errmodel_kind e; } cs[] = {
      {CTR_TARGET_GEOMETRIC, 4, 1000, CTR_ERR_NONE},   {CTR_TARGET_GEOMETRIC, 7, 100, CTR_ERR_NONE},
      {CTR_TARGET_POWER, 64, 20000, CTR_ERR_NONE},     {CTR_TARGET_GEOMETRIC, 300, 3000, CTR_ERR_FIT_BIAS},
      {CTR_TARGET_ISOTROPIC, 16, 100000, CTR_ERR_NONE}, {CTR_TARGET_GEOMETRIC, 2, 50, CTR_ERR_NONE},
      {CTR_TARGET_GEOMETRIC, 37, 200000, CTR_ERR_NONE},
      {CTR_TARGET_POWER, 100, 300, CTR_ERR_NONE}, /* series of degree 9 */
      /* series of degree 2 on every chunk (x <= 2^-27), both kernel layouts */
      {CTR_TARGET_GEOMETRIC, 4, 1000000, CTR_ERR_NONE}, {CTR_TARGET_POWER, 20, 1000000, CTR_ERR_FIT_BIAS},
      /* enough work per chunk for the parallel blocks and probe quadratures */
      {CTR_TARGET_GEOMETRIC, 1100, 5000, CTR_ERR_FIT_BIAS}};
  for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
    ctr_schedule *s = sched(cs[c].N);
    ctr_target *tg = target(cs[c].kind, cs[c].d, 0.01, 1.0, NULL);
    ctr_affine_result *ref = run(s, tg, 1, -1, cs[c].e), *f1, *f2;
    omp_set_num_threads(1);
    f1 = run(s, tg, 0, -1, cs[c].e);
    omp_set_num_threads(2);
    f2 = run(s, tg, 0, -1, cs[c].e);
    const char *what;
    char name[160];
    double w = worst_rel(f1, ref, tg, &what);
    snprintf(name, sizeof name, "fast = reference to 1e-10 (%s d=%d N=%lld error %s)",
             cs[c].kind == CTR_TARGET_POWER ? "power" : cs[c].kind == CTR_TARGET_ISOTROPIC ? "iso" : "geometric",
             cs[c].d, (long long)cs[c].N, cs[c].e == CTR_ERR_NONE ? "none" : "fit-bias");
    report(name, w, what, 1e-10);
    snprintf(name, sizeof name, "fast: 1 and 2 threads bit-identical (d=%d N=%lld)", cs[c].d,
             (long long)cs[c].N);
    check_true(name, same_bits(f1, f2), "results differ");
    ctr_affine_result_free(ref), ctr_affine_result_free(f1), ctr_affine_result_free(f2);
    ctr_target_free(tg), ctr_schedule_free(s);
  }
}

/* Degree indices the kernel uses on the schedule of N steps: chunks of 1024 steps from t = 2,
 * each at the index of its largest bound kap_t / (a_t s_{t-1} + a_{t-1} s_t)^2 (recomputed
 * here from the schedule). Bit k set: index k used. */
static unsigned degrees_used(int64_t N) {
  ctr_schedule *s = sched(N);
  unsigned used = 0;
  for (int64_t t0 = 2; t0 <= N; t0 += 1024) {
    double m = 0;
    for (int64_t t = t0; t < t0 + 1024 && t <= N; t++) {
      double b = s->beta[t], ap = s->a[t - 1], sp = s->s[t - 1], at = s->a[t], st = s->s[t];
      double q = ap * b / (st + sqrt(1 - b) * sp), r = q / (at * sp + ap * st);
      m = fmax(m, r * r);
    }
    used |= 1u << ctr_affine_series_index(m * (1 + 0x1p-40));
  }
  ctr_schedule_free(s);
  return used;
}

/* d: each series degree at its bound and below against 1 - sqrt(1 - x) in long double; a
 * coefficient off by 1e-6 relative moves omega by more than 4 ulp at the bound of some degree
 * (c_2 at 2^-27: 2e-15; c_k, k <= 8, inside degree 9 at 2^-6). */
static void test_series(void) {
  static const int64_t Ns[] = {50, 100, 300, 1000, 3000, 20000, 1000000}; /* test_exact's N */
  unsigned used = 0;
  for (size_t i = 0; i < sizeof Ns / sizeof Ns[0]; i++) used |= degrees_used(Ns[i]);
  check_true("engine cases use the closed form and every series degree", used == 0x3f,
             "an index is not exercised");
  double worst = 0;
  int rule = 1;
  for (int k = 0; k <= 5; k++) {
    double xm = k ? ctr_affine_series_xmax(k) : 0.5;
    if (k) rule &= ctr_affine_series_index(xm) == k &&
                   ctr_affine_series_index(xm * (1 + 0x1p-50)) == (k < 5 ? k + 1 : 0);
    for (double f = 1; f > 1e-3; f /= 7) {
      long double x = xm * f, ref = x / (1 + sqrtl(1 - x));
      worst = fmax(worst, (double)fabsl((ctr_affine_omega((double)x, k) - ref) / ref));
    }
  }
  check_true("series switch rule at the bounds", rule, "index off");
  char name[96];
  snprintf(name, sizeof name, "series of every degree = 1 - sqrt(1 - x) to 4 ulp [worst %.1e]",
           worst);
  check_true(name, worst <= 0x1p-50, "coefficient or degree wrong");
}

/* c: Chebyshev path against the exact fast path (itself checked against the reference). */
static void test_cheb(void) {
  struct { ctr_target_kind kind; int d; int64_t N; double lmin, lmax; } cs[] = {
      {CTR_TARGET_GEOMETRIC, 2000, 1000, 0.01, 1.0},  {CTR_TARGET_POWER, 3000, 5000, 0.01, 1.0},
      {CTR_TARGET_GEOMETRIC, 1500, 20000, 1e-4, 10.0}, {CTR_TARGET_POWER, 5000, 100, 1e-3, 2.0}};
  for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
    ctr_schedule *s = sched(cs[c].N);
    ctr_target *tg = target(cs[c].kind, cs[c].d, cs[c].lmin, cs[c].lmax, NULL);
    omp_set_num_threads(1);
    ctr_affine_result *ex = run(s, tg, 0, -1, CTR_ERR_NONE), *ch1 = run(s, tg, 0, 1, CTR_ERR_NONE);
    omp_set_num_threads(2);
    ctr_affine_result *ch2 = run(s, tg, 0, 1, CTR_ERR_NONE);
    char name[160];
    snprintf(name, sizeof name, "Chebyshev path taken (d=%d N=%lld lambda %g..%g)", cs[c].d,
             (long long)cs[c].N, cs[c].lmin, cs[c].lmax);
    check_true(name, ch1->interp == 1, "fell back to exact");
    const char *what;
    double w = worst_rel(ch1, ex, tg, &what);
    snprintf(name, sizeof name, "Chebyshev = exact to 1e-10 (d=%d N=%lld)", cs[c].d,
             (long long)cs[c].N);
    report(name, w, what, 1e-10);
    snprintf(name, sizeof name, "Chebyshev: 1 and 2 threads bit-identical (d=%d)", cs[c].d);
    check_true(name, same_bits(ch1, ch2), "results differ");
    ctr_affine_result_free(ex), ctr_affine_result_free(ch1), ctr_affine_result_free(ch2);
    ctr_target_free(tg), ctr_schedule_free(s);
  }
}

/* c: two clusters 1e-7 and 1e5 apart: the node count exceeds its bound or the check fails;
 * either way the exact path runs and the result equals it bit for bit. */
static void test_fallback(void) {
  int d = 1200;
  double *diag = malloc(sizeof(double) * (size_t)d);
  for (int i = 0; i < d; i++) diag[i] = i % 2 ? 1e-7 * (1 + i * 1e-4) : 1e5 * (1 + i * 1e-4);
  ctr_schedule *s = sched(500);
  ctr_target *tg = target(CTR_TARGET_DIAGONAL, d, 0.01, 1.0, diag);
  ctr_affine_result *ex = run(s, tg, 0, -1, CTR_ERR_NONE), *ch = run(s, tg, 0, 1, CTR_ERR_NONE);
  check_true("non-smooth spectrum: Chebyshev path declines", ch->interp == 0, "took Chebyshev");
  check_true("non-smooth spectrum: result equals the exact path", same_bits(ex, ch), "differs");
  ctr_affine_result_free(ex), ctr_affine_result_free(ch);
  ctr_target_free(tg), ctr_schedule_free(s), free(diag);
}

int main(void) {
  test_series();
  test_exact();
  test_cheb();
  test_fallback();
  return check_summary();
}
