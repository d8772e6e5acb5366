/* test_chain.c: the backward-chain CT engine (engines/chain.c, theory.md §5) against the closed-form
 * affine engine on one-component mixtures, its determinism across thread counts, the exact effect
 * of a fit-bias error, and its refusals. Prints "ok - ..." / "FAIL - ..."; exit 0 iff all pass. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <omp.h>

#include "check.h"
#include "fixtures.h"
#include "engines/affine.h"
#include "engines/chain.h"
#include "metrics/gaussian_metrics.h"
#include "targets/mixture.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

/* One isotropic Gaussian N(0, lambda I_d) as a mixture and as an affine target. */
static ctr_mixture *gauss_mixture(int d, double lambda) {
  double w = 1, mu[8] = {0};
  ctr_mixture_cov cov = {CTR_COV_ISO, &lambda};
  ctr_mixture *m = NULL;
  ctr_error e;
  if (ctr_mixture_alloc(1, d, &w, mu, &cov, &m, &e)) printf("# mixture: %s\n", e.msg);
  return m;
}

/* E||f*_N - Phi||^2 under q_N from the closed form: coupling_rms_qN^2. */
static double affine_sq(const ctr_schedule *s, int d, double lambda, double *l1) {
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.d = d, tp.lambda = lambda;
  ctr_affine_params ap;
  ctr_affine_params_default(&ap);
  ctr_target *t = NULL;
  ctr_affine_result *r = NULL;
  ctr_gauss_metrics m;
  ctr_error e;
  if (ctr_target_alloc(&tp, &t, &e) || ctr_affine_run(&ap, s, t, &r, &e) ||
      ctr_gauss_metrics_compute(r, t, &m, &e))
    printf("# affine: %s\n", e.msg);
  ctr_affine_result_free(r), ctr_target_free(t);
  *l1 = m.qN.coupling_l1;
  return m.qN.coupling_rms * m.qN.coupling_rms;
}

static void test_vs_affine(int d, int64_t N, double lambda, int full_space) {
  ctr_schedule *s = fixture_schedule(N);
  ctr_mixture *m = gauss_mixture(d, lambda);
  ctr_chain_params p;
  ctr_chain_params_default(&p);
  p.points = 16000, p.chains = 8; /* se ~ 5% of the value: 4 se still tells c_t errors apart */
  p.full_space = full_space; /* 0: the mean is 0, so the low-rank path is all closed form */
  ctr_chain_result r;
  ctr_error e;
  char name[160];
  double l1, want = affine_sq(s, d, lambda, &l1);
  ctr_status st = ctr_chain_run(&p, s, m, &r, &e);
  snprintf(name, sizeof name, "d=%d N=%lld lambda=%g full_space=%d: chain runs", d, (long long)N,
           lambda, full_space);
  check_true(name, st == CTR_OK, e.msg);
  printf("# chain sq %.6g +- %.2g, closed form %.6g (%.2f se); L1 %.6g vs %.6g; flow err %.2g\n",
         r.sq, r.sq_se, want, (r.sq - want) / r.sq_se, r.l1, l1, r.flow_err);
  snprintf(name, sizeof name, "d=%d N=%lld: E||f-Phi||^2 within 4 se of the closed form", d,
           (long long)N);
  check_close(name, r.sq, want, 0, 4 * r.sq_se);
  snprintf(name, sizeof name, "d=%d N=%lld: resolves the error (se < 20%% of it)", d, (long long)N);
  check_true(name, r.sq_se < 0.2 * want, "too noisy to test anything");
  snprintf(name, sizeof name, "d=%d N=%lld: conservative L1 >= exact L1 - 4 se", d, (long long)N);
  check_true(name, r.l1 >= l1 - 4 * r.l1_se, "conservative L1 below the exact value");
  ctr_mixture_free(m), ctr_schedule_free(s);
}

static void test_threads_and_errors(void) {
  ctr_schedule *s = fixture_schedule(30);
  ctr_mixture *m = gauss_mixture(2, 0.5);
  ctr_chain_params p;
  ctr_chain_params_default(&p);
  p.points = 200;
  ctr_chain_result r1, r2, rb;
  ctr_error e;
  omp_set_num_threads(1);
  ctr_chain_run(&p, s, m, &r1, &e);
  omp_set_num_threads(2);
  ctr_chain_run(&p, s, m, &r2, &e);
  check_true("1 and 2 threads give bit-identical estimates",
             r1.sq == r2.sq && r1.l1 == r2.l1 && r1.sq_se == r2.sq_se, "differ");
  /* same streams: f = f* + eps u shifts the U-statistic by eps^2 + 2 eps u.mean(dev) */
  p.error.kind = CTR_ERR_FIT_BIAS, p.error.eps = 0.3;
  ctr_chain_run(&p, s, m, &rb, &e);
  check_close("fit-bias eps = 0.3 adds eps^2 to E||f-Phi||^2 (tower: E[f*-Phi] = 0)",
              rb.sq - r1.sq, 0.09, 0, 4 * (r1.sq_se + rb.sq_se) + 0.05 * 0.09);
  p.error.kind = CTR_ERR_FIT_SCALE;
  check_true("fit-scale refused", ctr_chain_run(&p, s, m, &rb, &e) == CTR_EINPUT, "accepted");
  p.error.kind = CTR_ERR_NONE, p.chains = 1;
  check_true("chains = 1 refused", ctr_chain_run(&p, s, m, &rb, &e) == CTR_EINPUT, "accepted");
  p.chains = 4, p.points = 1;
  check_true("points = 1 refused", ctr_chain_run(&p, s, m, &rb, &e) == CTR_EINPUT, "accepted");
  ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  test_vs_affine(1, 20, 4.0, 1);
  test_vs_affine(1, 20, 4.0, 0);
  test_vs_affine(3, 40, 0.25, 1);
  test_vs_affine(3, 40, 0.25, 0);
  test_threads_and_errors();
  return check_summary();
}
