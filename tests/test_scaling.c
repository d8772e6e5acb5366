/* test_scaling: the scaling analysis (analysis/scaling.h) on synthetic rows with known
 * exponents and known noise. Exact recovery where the data are exact (power laws, the floor
 * model, N* interpolation and its fit), and the 95% intervals covering the truth in about 95%
 * of many independent replicates (t-intervals of slopes, of d exponents and of the N* fit; the
 * replicate bootstrap, which is known to undercover a little with few replicates). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/point.h"
#include "core/rng.h"
#include "analysis/scaling.h"

#define MAXROWS 4096

static ctr_point rows[MAXROWS];
static size_t nrows;

static void add(int d, double eps, double N, int64_t seed, double W) {
  ctr_point *r = &rows[nrows++];
  ctr_point_clear(r);
  ctr_point_set_str(r->target, sizeof r->target, "geometric");
  ctr_point_set_str(r->engine, sizeof r->engine, "ct");
  ctr_point_set_str(r->error, sizeof r->error, "fit-bias"); /* eps = 0 inside the family */
  ctr_point_set_str(r->schedule, sizeof r->schedule, "paper");
  r->d = d, r->eps = eps, r->N = (int64_t)N, r->seed = seed, r->K = 1;
  r->point_id = (int64_t)nrows, r->w1_hi_normal = W;
}

static ctr_status analyse(ctr_scaling *s, int bootstrap) {
  ctr_scaling_opts o;
  ctr_scaling_opts_default(&o);
  o.bootstrap = bootstrap;
  ctr_error err;
  return ctr_scaling_run(rows, nrows, &o, s, &err);
}

static double Ngrid(int i) { return round(10 * pow(10, 0.5 * i)); } /* 10 .. 1e5 for i < 9 */

/* Slope t-intervals: log W = log A - p log N + sigma z, one replicate. */
static void slope_coverage(void) {
  ctr_rng rng;
  ctr_rng_init(&rng, 1, CTR_RNG_TEST, 1, 0);
  int covered = 0, trials = 1000;
  double worst = 0;
  for (int t = 0; t < trials; t++) {
    nrows = 0;
    double z[9];
    ctr_rng_normals(&rng, 9, z);
    for (int i = 0; i < 9; i++) add(8, 0, Ngrid(i), 1, 3 * pow(Ngrid(i), -0.8) * exp(0.1 * z[i]));
    ctr_scaling s;
    if (analyse(&s, 0)) continue;
    covered += s.groups[0].slope.slope_lo <= -0.8 && -0.8 <= s.groups[0].slope.slope_hi;
    worst = fmax(worst, fabs(s.groups[0].slope.slope + 0.8));
    ctr_scaling_free(&s);
  }
  char msg[128];
  snprintf(msg, sizeof msg, "covered %d of %d", covered, trials);
  printf("# slope t-interval: covered %d of %d (largest error %.3f)\n", covered, trials, worst);
  /* binomial(1000, 0.95): sd 6.9; +-3 sd */
  check_true("slope 95% t-interval covers the true exponent in 930..970 of 1000", covered >= 930 && covered <= 970, msg);
}

/* Bootstrap over replicates: 10 seeds, each with its own noise at every N. */
static void bootstrap_coverage(void) {
  ctr_rng rng;
  ctr_rng_init(&rng, 2, CTR_RNG_TEST, 2, 0);
  int covered = 0, trials = 300;
  for (int t = 0; t < trials; t++) {
    nrows = 0;
    for (int64_t seed = 1; seed <= 10; seed++) {
      double z[9], u;
      ctr_rng_normals(&rng, 9, z);
      ctr_rng_normals(&rng, 1, &u); /* a per-replicate slope perturbation: clustered noise */
      for (int i = 0; i < 9; i++)
        add(8, 0, Ngrid(i), seed, 2 * pow(Ngrid(i), -1 + 0.05 * u) * exp(0.05 * z[i]));
    }
    ctr_scaling s;
    if (analyse(&s, 400)) continue;
    covered += s.groups[0].boot_lo <= -1 && -1 <= s.groups[0].boot_hi;
    ctr_scaling_free(&s);
  }
  char msg[128];
  snprintf(msg, sizeof msg, "covered %d of %d", covered, trials);
  printf("# replicate bootstrap: covered %d of %d\n", covered, trials);
  /* percentile bootstrap with 10 clusters undercovers by a few percent */
  check_true("replicate-bootstrap 95% interval covers in 85%..99% of 300", covered >= 255 && covered <= 297, msg);
}

/* Exponent of d at fixed N: W = B d^q e^(sigma z). */
static void d_exponent(void) {
  ctr_rng rng;
  ctr_rng_init(&rng, 3, CTR_RNG_TEST, 3, 0);
  int covered = 0, trials = 500;
  for (int t = 0; t < trials; t++) {
    nrows = 0;
    for (int k = 0; k < 6; k++) {
      int d = 1 << (2 * k);
      double z[2];
      ctr_rng_normals(&rng, 2, z);
      add(d, 0, 100, 1, 0.3 * pow(d, 0.5) * pow(100, -1.0) * exp(0.1 * z[0]));
      add(d, 0, 1000, 1, 0.3 * pow(d, 0.5) * pow(1000, -1.0) * exp(0.1 * z[1]));
    }
    ctr_scaling s;
    if (analyse(&s, 0)) continue;
    for (size_t i = 0; i < s.ndexp; i++)
      if (s.dexp[i].N == 1000) covered += s.dexp[i].fit.slope_lo <= 0.5 && 0.5 <= s.dexp[i].fit.slope_hi;
    ctr_scaling_free(&s);
  }
  char msg[128];
  snprintf(msg, sizeof msg, "covered %d of %d", covered, trials);
  printf("# d exponent: covered %d of %d\n", covered, trials);
  check_true("d-exponent 95% interval covers in 455..495 of 500 (binomial +-3 sd)", covered >= 455 && covered <= 495, msg);
}

/* N*: W = 2 eps (N / N*)^-p crosses 2 eps exactly at N*, which log-log interpolation finds
 * exactly on a power law; N* = K d^alpha eps^-beta e^(sigma z) then tests the N* fit. */
static void nstar(double sigma, int trials, int *covered_a, int *covered_b, double *worst_exact) {
  ctr_rng rng;
  ctr_rng_init(&rng, 4, CTR_RNG_TEST, 4, (uint64_t)trials);
  for (int t = 0; t < trials; t++) {
    nrows = 0;
    double want[16];
    int q = 0;
    for (int k = 0; k < 4; k++)
      for (int e = 0; e < 4; e++, q++) {
        int d = 1 << (2 * k);
        double eps = pow(10, -1 - 0.7 * e), z;
        ctr_rng_normals(&rng, 1, &z);
        want[q] = 3 * pow(d, 2.5) / eps * exp(sigma * z);
        for (int i = 0; i < 24; i++) {
          double N = round(pow(10, 1 + 0.5 * i));
          add(d, eps, N, 1, 2 * eps * pow(N / want[q], -0.9));
        }
      }
    ctr_scaling s;
    if (analyse(&s, 0)) continue;
    for (size_t i = 0; i < s.nnstar && i < 16; i++) {
      /* the analysis orders groups by eps, then d */
      int e = 0, k = 0;
      while (fabs(pow(10, -1 - 0.7 * e) - s.nstar[i].eps) > 1e-12 * s.nstar[i].eps) e++;
      while ((1 << (2 * k)) != s.nstar[i].d) k++;
      *worst_exact = fmax(*worst_exact, fabs(s.nstar[i].nstar / want[4 * k + e] - 1));
    }
    if (s.nnfit == 1 && s.nfit[0].ok) {
      *covered_a += s.nfit[0].alpha_lo <= 2.5 && 2.5 <= s.nfit[0].alpha_hi;
      *covered_b += s.nfit[0].beta_lo <= 1 && 1 <= s.nfit[0].beta_hi;
      if (sigma == 0) *worst_exact = fmax(*worst_exact, fmax(fabs(s.nfit[0].alpha - 2.5), fabs(s.nfit[0].beta - 1)));
    }
    ctr_scaling_free(&s);
  }
}

static void nstar_checks(void) {
  int ca = 0, cb = 0;
  double worst = 0;
  nstar(0, 1, &ca, &cb, &worst);
  check_worst("N* exact on pure power laws; fit gives alpha = 5/2, beta = 1 exactly", worst, 1e-9, "power law");
  ca = cb = 0, worst = 0;
  nstar(0.2, 400, &ca, &cb, &worst);
  char msg[128];
  snprintf(msg, sizeof msg, "alpha covered %d, beta covered %d of 400", ca, cb);
  printf("# N* fit: %s\n", msg);
  check_true("N* fit 95% intervals cover alpha and beta in 364..396 of 400", ca >= 364 && ca <= 396 && cb >= 364 && cb <= 396, msg);
}

/* Floor model on exact data, the bound constant, the sums check, groups too small. */
static void exact_cases(void) {
  nrows = 0;
  for (int i = 0; i < 9; i++) add(4, 1e-3, Ngrid(i), 1, 0.7 * pow(Ngrid(i), -0.85) + 1e-3);
  ctr_scaling s;
  check_true("floor data analysed", analyse(&s, 0) == CTR_OK, "status");
  check_true("floor fitted", s.ngroups == 1 && s.groups[0].floor.ok, "not ok");
  check_rel("floor p = 0.85 recovered", s.groups[0].floor.p, 0.85, 1e-6);
  check_rel("floor c = 1e-3 recovered", s.groups[0].floor.c, 1e-3, 1e-6);
  ctr_scaling_free(&s);

  nrows = 0;
  for (int k = 0; k < 3; k++)
    for (int i = 0; i < 6; i++) {
      double N = Ngrid(i), d = 1 << k, shape = pow(d, 2.5) * pow(log(N), 5) / N;
      add((int)d, 0, N, 1, 0.02 * shape * (k == 1 && i == 2 ? 1 : 0.5));
      add((int)d, 0.01, N, 1, 0.02 * shape + (k == 2 && i == 5 ? 0.011 : 0.0099));
    }
  rows[0].sum_D_l1 = 1, rows[0].sum_e_l1 = 0, rows[1].sum_D_l1 = 1e-30, rows[1].sum_e_l1 = NAN;
  check_true("constant data analysed", analyse(&s, 0) == CTR_OK, "status");
  check_true("one family", s.nconsts == 1, "nconsts");
  check_rel("C = sup W N / (d^2.5 ln^5 N)", s.consts[0].C, 0.02, 1e-12);
  size_t checked = 0, held = 0;
  for (size_t i = 0; i < s.ngroups; i++) checked += s.groups[i].sums_checked, held += s.groups[i].sums_held;
  check_true("W <= sum e + sum D: 2 rows checked, 1 held", checked == 2 && held == 1, "counts");
  ctr_scaling_free(&s);

  nrows = 0;
  add(2, 0, 100, 1, 0.1), add(2, 0, 1000, 1, 0.01), add(4, 0, 100, 1, 0.2);
  check_true("analysis with a one-N group succeeds", analyse(&s, 0) == CTR_OK, "status");
  check_true("the one-N group is marked skipped, the other is not", s.ngroups == 2 && !s.groups[0].skipped && s.groups[1].skipped, "flags");
  check_rel("exact slope of a two-point group", s.groups[0].slope.slope, -1, 1e-12);
  ctr_scaling_free(&s);

  ctr_error err;
  ctr_scaling_opts o;
  ctr_scaling_opts_default(&o);
  check_true("no rows: CTR_EINPUT", ctr_scaling_run(rows, 0, &o, &s, &err) == CTR_EINPUT, "status");
  o.metric = "no_such_column";
  check_true("unknown metric column: CTR_EINPUT", ctr_scaling_run(rows, nrows, &o, &s, &err) == CTR_EINPUT, err.msg);
  o.metric = "target";
  check_true("a string column as metric: CTR_EINPUT", ctr_scaling_run(rows, nrows, &o, &s, &err) == CTR_EINPUT, err.msg);
}

int main(void) {
  gsl_set_error_handler_off();
  exact_cases();
  nstar_checks();
  slope_coverage();
  d_exponent();
  bootstrap_coverage();
  return check_summary();
}
