/* test_distill.c: distillation on mixtures (engines/distill.c). On a one-component mixture CD is
 * affine and equals the closed-form engine (theory.md §4, §5: the Jensen gap vanishes), point by
 * point; its coupling estimate matches the closed-form E||f_N - Phi|| within its standard
 * error; on a two-mode mixture CD's error decays with N. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "fixtures.h"
#include "engines/affine.h"
#include "engines/distill.h"
#include "metrics/gaussian_metrics.h"
#include "targets/mixture.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

static void test_gaussian(int64_t N, double lambda) {
  ctr_schedule *s = fixture_schedule(N);
  double w = 1, mu[1] = {0.7};
  ctr_mixture_cov cov = {CTR_COV_ISO, &lambda};
  ctr_mixture *m = NULL;
  ctr_error e;
  ctr_mixture_alloc(1, 1, &w, mu, &cov, &m, &e);
  /* the same law as a diagonal target with mean 0.7: build it through the diagonal family */
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.kind = CTR_TARGET_DIAGONAL, tp.d = 1, tp.diag = &lambda, tp.ndiag = 1;
  ctr_target *t = NULL;
  ctr_target_alloc(&tp, &t, &e);
  t->mu[0] = t->mu_eig[0] = 0.7; /* the family draws random means; set this one by hand */
  ctr_affine_params ap;
  ctr_affine_params_default(&ap);
  ctr_affine_result *r = NULL;
  ctr_gauss_metrics gm;
  ctr_affine_run(&ap, s, t, &r, &e);
  ctr_gauss_metrics_compute(r, t, &gm, &e);
  double A = r->G[0] + r->delta[0], worst = 0;
  ctr_distill_params p;
  ctr_distill_params_default(&p);
  for (double x = -3; x <= 3; x += 0.5) {
    double y, want = r->a1 * 0.7 + A * (x - r->aN * 0.7);
    ctr_distill_map(&p, s, m, 1, &x, &y, &e);
    worst = fmax(worst, fabs(y - want) / fabs(want));
  }
  char name[128];
  snprintf(name, sizeof name, "N=%lld lambda=%g: DDIM composition == closed-form CT map",
           (long long)N, lambda);
  check_worst(name, worst, 1e-10, "relative error over x in [-3, 3]");
  ctr_distill_result dr;
  p.points = 20000;
  ctr_status st = ctr_distill_run(&p, s, m, &dr, &e);
  printf("# E||f-Phi|| %.6g +- %.2g vs closed form %.6g; flow err %.2g\n", dr.l1, dr.l1_se,
         gm.qN.coupling_l1, dr.flow_err);
  snprintf(name, sizeof name, "N=%lld: coupling estimate within 4 se of the closed form",
           (long long)N);
  check_close(name, dr.l1, gm.qN.coupling_l1, 0, 4 * dr.l1_se + 1e-9);
  check_true("distill run ok", st == CTR_OK, e.msg);
  ctr_affine_result_free(r), ctr_target_free(t), ctr_mixture_free(m), ctr_schedule_free(s);
}

static double two_mode_l1(int64_t N, double sigma) {
  ctr_schedule *s = fixture_schedule(N);
  ctr_mixture *m = fixture_two_modes(sigma);
  ctr_error e;
  ctr_distill_params p;
  ctr_distill_params_default(&p);
  p.points = 2000;
  ctr_distill_result dr;
  ctr_distill_run(&p, s, m, &dr, &e);
  ctr_mixture_free(m), ctr_schedule_free(s);
  return dr.l1;
}

int main(void) {
  gsl_set_error_handler_off();
  test_gaussian(50, 4.0);
  test_gaussian(1000, 0.3);
  double a = two_mode_l1(50, 0.2), b = two_mode_l1(400, 0.2);
  printf("# two modes sigma 0.2: E||f-Phi|| %.4g at N = 50, %.4g at N = 400\n", a, b);
  check_true("two modes: CD error decreases from N = 50 to 400", b < 0.5 * a, "did not");
  ctr_distill_params p;
  ctr_distill_params_default(&p);
  p.error.kind = CTR_ERR_FIT_SCALE;
  ctr_distill_result dr;
  ctr_error e;
  check_true("fit-scale refused", ctr_distill_run(&p, NULL, NULL, &dr, &e) == CTR_EINPUT, "no");
  return check_summary();
}
