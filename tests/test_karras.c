/* test_karras.c: the Karras/EDM schedule (core/schedule.c, theory.md §13.1) against an
 * independent mpmath computation (50 digits) of the sigma grid in Karras's own index
 * direction (i = N + 1 - t), the refusals, and rate curves: the affine ct engine's exact
 * W2(f_N(N(0,I)), X_1) for a Gaussian decreases with N under karras as under the paper's schedule.
 *
 * Reference values: /usr/bin/python3 with mp.dps = 50,
 *   sig(i) = (smax^(1/rho) + (i-1)/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho, i = N + 1 - t,
 *   abar = 1/(1 + sig^2), beta_1 = 1 - abar_1, beta_t = 1 - abar_t/abar_{t-1},
 * with smin = mpf(0.002) (the double), rho = 7, smax = 80. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/schedule.h"
#include "simulate/point_run.h"

typedef struct {
  int64_t N, t;
  double sigma, beta, log_abar, a, s;
} ref_row;

static const ref_row refs[] = {
  {10, 1, 2.0000000000000000416e-3, 3.9999840000639999105e-6, -3.9999920000213334359e-6, 9.9999800000599998e-1, 1.9999960000120000016e-3},
  {10, 2, 2.0435334553438713772e-2, 4.1343024864088437834e-4, -4.1751572648858678791e-4, 9.9979126392516224633e-1, 2.0431068961916032655e-2},
  {10, 5, 1.5017419790680077723, 6.2494794511468729577e-1, -1.1802626177932552759, 5.5425450140903161094e-1, 8.3234725185335103382e-1},
  {10, 10, 8.0e+1, 7.187863951061909143e-1, -8.7642095071420033913, 1.2499023551926018845e-2, 9.9992188415408150756e-1},
  {1000, 1, 2.0000000000000000416e-3, 3.9999840000639999105e-6, -3.9999920000213334359e-6, 9.9999800000599998e-1, 1.9999960000120000016e-3},
  {1000, 2, 2.0501971990440286571e-3, 2.0330770040298389872e-7, -4.2032997210913306573e-6, 9.9999789835234791886e-1, 2.0501928902518989829e-3},
  {1000, 500, 2.5039743586555596622, 1.5334195605002696307e-2, -1.9837408290881298463, 3.7088233814121597074e-1, 9.2867986478382567396e-1},
  {1000, 999, 7.9563825215812176524e+1, 1.0881377850711890406e-2, -8.7532770202996097103, 1.2567533332167661698e-2, 9.9992102543448142797e-1},
  {1000, 1000, 8.0e+1, 1.0872944388016007159e-2, -8.7642095071420033913, 1.2499023551926018845e-2, 9.9992188415408150756e-1},
  {1000000, 1, 2.0000000000000000416e-3, 3.9999840000639999105e-6, -3.9999920000213334359e-6, 9.9999800000599998e-1, 1.9999960000120000016e-3},
  {1000000, 2, 2.0000496164041271931e-3, 1.9846728438763746149e-10, -4.000190467305740768e-6, 9.9999799990676653627e-1, 2.0000456161184228315e-3},
  {1000000, 1000000, 8.0e+1, 1.0917255449202971827e-5, -8.7642095071420033913, 1.2499023551926018845e-2, 9.9992188415408150756e-1},
};

static void karras(int64_t N, ctr_schedule_params *p) {
  ctr_schedule_params_default(p);
  p->kind = CTR_SCHED_KARRAS, p->N = N;
}

/* every constant to 1e-13 relative (beta at N = 1e6, t = 2 is 2e-10: the expm1 form keeps it) */
static void check_mpmath(void) {
  const int64_t Ns[] = {10, 1000, 1000000};
  for (int k = 0; k < 3; k++) {
    ctr_schedule_params p;
    karras(Ns[k], &p);
    ctr_schedule *s = NULL;
    ctr_error err = {0};
    if (ctr_schedule_alloc(&p, &s, &err)) {
      check_true("karras alloc", 0, err.msg);
      continue;
    }
    double worst = 0;
    char where[160] = "";
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
      const ref_row *r = &refs[i];
      if (r->N != Ns[k]) continue;
      double got[] = {ctr_schedule_karras_sigma(&p, r->t), s->beta[r->t], s->log_abar[r->t],
                      s->a[r->t], s->s[r->t]};
      double want[] = {r->sigma, r->beta, r->log_abar, r->a, r->s};
      for (int j = 0; j < 5; j++) {
        double e = fabs(got[j] - want[j]) / fabs(want[j]);
        if (e > worst) {
          worst = e;
          snprintf(where, sizeof where, "N=%lld t=%lld field %d: %.17g vs %.17g", (long long)r->N,
                   (long long)r->t, j, got[j], want[j]);
        }
      }
    }
    char name[120];
    snprintf(name, sizeof name, "karras N=%lld: sigma, beta, log abar, a, s vs mpmath (rel)",
             (long long)Ns[k]);
    check_worst(name, worst, 1e-13, where);
    ctr_schedule_free(s);
  }
}

static void refuse(const char *name, ctr_schedule_params *p, const char *needle) {
  ctr_error err = {0};
  ctr_schedule *s = NULL;
  ctr_status st = ctr_schedule_alloc(p, &s, &err);
  check_true(name, st == CTR_EINPUT && strstr(err.msg, needle) != NULL, err.msg);
  ctr_schedule_free(s);
}

static void check_refusals(void) {
  ctr_schedule_params p;
  karras(100, &p), p.sigma_max = 10; /* abar_N = 0.0099 > 1e-3 */
  refuse("karras refuses sigma_max = 10 (abar_N > 1e-3)", &p, "abar_N");
  karras(100, &p), p.sigma_min = 90;
  refuse("karras refuses sigma_min > sigma_max", &p, "sigma_min < sigma_max");
  karras(100, &p), p.rho = 0;
  refuse("karras refuses rho = 0", &p, "rho");
  karras(100, &p), p.sigma_min = NAN;
  refuse("karras refuses sigma_min = NaN", &p, "karras sigmas");
  karras(100, &p), p.sigma_max = 31.7; /* abar_N = 9.95e-4: accepted */
  ctr_error err = {0};
  check_true("karras accepts sigma_max = 31.7", ctr_schedule_check(&p, &err) == CTR_OK, err.msg);
}

static double w2_at(ctr_schedule_kind kind, int64_t N) {
  ctr_point_spec spec;
  ctr_point_spec_default(&spec);
  spec.schedule.kind = kind, spec.schedule.N = N;
  spec.target.d = 4, spec.target.kind = CTR_TARGET_GEOMETRIC;
  ctr_point row;
  ctr_error err = {0};
  if (ctr_point_run(&spec, 0, &row, &err)) return NAN;
  return row.w2_normal;
}

/* rate curve: W2 decreases with N, and its local log-log slope is near -1 at large N */
static void check_rate(void) {
  const int64_t Ns[] = {10, 100, 1000, 10000, 100000};
  double w[5];
  int dec = 1;
  for (int i = 0; i < 5; i++) {
    w[i] = w2_at(CTR_SCHED_KARRAS, Ns[i]);
    printf("# karras geometric d=4 N=%lld: W2 = %.6g (paper: %.6g)\n", (long long)Ns[i], w[i],
           w2_at(CTR_SCHED_PAPER, Ns[i]));
    if (i && !(w[i] < w[i - 1])) dec = 0;
  }
  check_true("karras: W2(f_N(N(0,I)), X_1) decreases with N (10..1e5)", dec, "");
  double slope = log(w[4] / w[3]) / log(10.0);
  char msg[80];
  snprintf(msg, sizeof msg, "slope %.4f", slope);
  check_true("karras: local slope of W2 between N = 1e4 and 1e5 in [-1.1, -0.9]",
             slope > -1.1 && slope < -0.9, msg);
}

int main(void) {
  check_mpmath();
  check_refusals();
  check_rate();
  return check_summary();
}
