/* test_radial: the radial engine (engines/radial.h, theory.md §9.2, §9.12) against independent
 * computations: A_d against mpmath (40 digits; the table below was printed by
 *   mp.besseli(d/2, k) / mp.besseli(d/2 - 1, k) at mp.dps = 40),
 * the product rule against the noncentral chi-square moments, the d+2 identity against the §9.2
 * form with A_d and against a Monte Carlo in d dimensions, the whole engine against the Gaussian
 * closed form (engine ct) in d = 1..1000, the sorted-quantile path against the exact quantile
 * integral, the refinement, and the refusals. Fast suite: a few seconds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/radial.h"
#include "simulate/point_run.h"

static const struct {
  double d, kappa, A;
} vmf[] = {
    {1, 0.001, 0.00099999966666680002076},
    {1, 0.1, 0.099667994624955822614},
    {1, 1, 0.76159415595576488812},
    {1, 10, 0.99999999587769276362},
    {1, 100, 1.0},
    {1, 1000, 1.0},
    {1, 10000, 1.0},
    {2, 0.001, 0.00049999993750001042707},
    {2, 0.1, 0.04993760398793892219},
    {2, 1, 0.44638996589653450705},
    {2, 10, 0.94859982595484595897},
    {2, 100, 0.99498737300516876559},
    {2, 1000, 0.9994998748748042802},
    {2, 10000, 0.99994999874987498046},
    {3, 0.001, 0.00033333331111111323445},
    {3, 0.1, 0.033311132253989611992},
    {3, 1, 0.31303528549933130364},
    {3, 10, 0.90000000412230725337},
    {3, 100, 0.99},
    {3, 1000, 0.999},
    {3, 10000, 0.9999},
    {5, 0.001, 0.00019999999428571454385},
    {5, 0.1, 0.019994288252748486614},
    {5, 1, 0.19452804946532511362},
    {5, 10, 0.81111110602184292038},
    {5, 100, 0.98010101010101010101},
    {5, 1000, 0.998001001001001001},
    {5, 10000, 0.99980001000100010001},
    {10, 0.001, 0.000099999999166666680653},
    {10, 0.1, 0.0099991667856950682765},
    {10, 1, 0.099178382399712558649},
    {10, 10, 0.63366839162330539915},
    {10, 100, 0.9557951728812474206},
    {10, 1000, 0.99550788285570415094},
    {10, 10000, 0.99955007875787307946},
    {100, 0.001, 9.9999999990196080515e-6},
    {100, 0.1, 0.00099999901960972855783},
    {100, 1, 0.0099990197963354615442},
    {100, 10, 0.099038026506457951084},
    {100, 100, 0.61956561418538862978},
    {100, 1000, 0.95170085470763675476},
    {100, 10000, 0.99506200487848212264},
    {400, 0.001, 2.4999999999844527884e-6},
    {400, 0.1, 0.00024999998445273825645},
    {400, 1, 0.0024999844529287320727},
    {400, 10, 0.024984471948382027253},
    {400, 100, 0.23612353202335283286},
    {400, 1000, 0.82012720882551220843},
    {400, 10000, 0.98024800394664286286},
    {1000, 0.001, 9.9999999999900201682e-7},
    {1000, 0.1, 0.000099999999001996033416},
    {1000, 1, 0.00099999900199799603485},
    {1000, 10, 0.009999002194764149183},
    {1000, 100, 0.099021395665281644495},
    {1000, 1000, 0.61818681291010495934},
    {1000, 10000, 0.95129435390594034959},
    {10000, 0.001, 9.9999999999999002282e-8},
    {10000, 0.1, 9.9999999990002005153e-6},
    {10000, 1, 0.000099999999000199979996},
    {10000, 10, 0.00099999900020195880356},
    {10000, 100, 0.0099990003997901358971},
    {10000, 1000, 0.099019702113027222822},
    {10000, 10000, 0.61804926776803850227},
};

static void vmf_table(void) {
  double worst = 0;
  char where[96] = "";
  for (size_t i = 0; i < sizeof vmf / sizeof vmf[0]; i++) {
    double A = ctr_radial_vmf_mean_cos(vmf[i].d, vmf[i].kappa), e = fabs(A - vmf[i].A) / vmf[i].A;
    if (!(e <= worst)) {
      worst = isnan(e) ? INFINITY : e;
      snprintf(where, sizeof where, "d = %g, kappa = %g", vmf[i].d, vmf[i].kappa);
    }
  }
  check_worst("A_d = I_{d/2} / I_{d/2-1} against mpmath, d = 1..1e4, kappa = 1e-3..1e4", worst,
              2e-14, where);
  check_true("A_d(0) = 0 and refusal of d < 1", ctr_radial_vmf_mean_cos(3, 0) == 0 &&
             isnan(ctr_radial_vmf_mean_cos(0.5, 1)), "wrong");
}

/* E rho^2 = m^2 + sigma^2 D and Var rho^2 = 2 sigma^4 D + 4 sigma^2 m^2 (noncentral chi-square):
 * the rule is exact for these low-degree polynomials in (Z_1, W). */
static void rule_moments(void) {
  enum { Q = 10 };
  double rho[Q * Q], om[Q * Q], worst = 0;
  const long long Ds[] = {3, 4, 402, 10002, 1000002};
  ctr_error err;
  for (int i = 0; i < 5; i++) {
    double D = (double)Ds[i], m = 0.7 * sqrt(D), sg = 0.3, m2 = 0, m4 = 0, one = 0;
    if (ctr_radial_rule(Ds[i], Q, m, sg, rho, om, &err)) worst = INFINITY;
    for (int j = 0; j < Q * Q; j++) {
      double r2 = rho[j] * rho[j];
      one += om[j], m2 += om[j] * r2, m4 += om[j] * r2 * r2;
    }
    double e2 = m * m + sg * sg * D, e4 = e2 * e2 + 2 * pow(sg, 4) * D + 4 * sg * sg * m * m;
    worst = fmax(worst, fmax(fabs(one - 1), fmax(fabs(m2 / e2 - 1), fabs(m4 / e4 - 1))));
  }
  check_worst("rule: weights sum 1, E rho^2 and E rho^4 exact, D = 3..1e6", worst, 1e-12, "");
}

/* a gain smooth in r^2, as every CT gain is (engines/radial.c) */
static double g_test(double r) { return r * (tanh(0.25 * r * r - 1.0) + 0.3 / (1 + r * r)); }

/* theory.md §9.12: E_d[g(rho) A_d(m rho / sigma^2)] = m E_{d+2}[g(rho) / rho]. */
static void identity(void) {
  enum { Q = 60 };
  static double rho[Q * Q], om[Q * Q];
  ctr_error err;
  const int ds[] = {2, 5, 40, 400};
  double worst = 0;
  for (int i = 0; i < 4; i++) {
    int d = ds[i];
    double m = 1.3 + 0.05 * sqrt((double)d), sg = 0.6, lhs = 0, rhs = 0;
    ctr_status st = ctr_radial_rule(d, Q, m, sg, rho, om, &err);
    for (int j = 0; !st && j < Q * Q; j++)
      lhs += om[j] * g_test(rho[j]) * ctr_radial_vmf_mean_cos(d, m * rho[j] / (sg * sg));
    if (!st) st = ctr_radial_rule(d + 2, Q, m, sg, rho, om, &err);
    for (int j = 0; !st && j < Q * Q; j++) rhs += om[j] * m * g_test(rho[j]) / rho[j];
    worst = fmax(worst, st ? INFINITY : fabs(lhs - rhs) / fabs(rhs));
  }
  check_worst("identity: vMF form (A_d, d dims) = d+2 form, d = 2, 5, 40, 400", worst, 2e-9, "");
  /* against a Monte Carlo of E[g(|Y|) Y.e], Y ~ N(m e, sigma^2 I_5): nothing of the engine */
  int d = 5, n = 400000;
  double m = 1.2, sg = 0.7, s1 = 0, s2 = 0, rhs = 0, y[5];
  gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(r, 12345);
  for (int k = 0; k < n; k++) {
    double n2 = 0;
    for (int j = 0; j < d; j++)
      y[j] = (j == 0 ? m : 0) + sg * gsl_ran_ugaussian(r), n2 += y[j] * y[j];
    double nr = sqrt(n2), v = g_test(nr) * y[0] / nr;
    s1 += v, s2 += v * v;
  }
  gsl_rng_free(r);
  double mean = s1 / n, se = sqrt((s2 / n - mean * mean) / n);
  ctr_status st = ctr_radial_rule(d + 2, Q, m, sg, rho, om, &err);
  for (int j = 0; !st && j < Q * Q; j++) rhs += om[j] * m * g_test(rho[j]) / rho[j];
  printf("# Monte Carlo %.6f +- %.2g, d+2 rule %.6f\n", mean, se, rhs);
  check_close("identity: d+2 rule = Monte Carlo E[g(|Y|) cos] within 4 SE (d = 5)", rhs, mean, 0,
              4 * se);
}

static int point(const char *target, int d, int64_t N, const char *engine, double lambda,
                 ctr_point *row) {
  ctr_point_spec spec;
  ctr_error err;
  ctr_point_spec_default(&spec);
  int full = !strcmp(engine, "radial-full");
  if (ctr_point_spec_target(&spec, target, &err) ||
      ctr_engine_parse(full ? "radial" : engine, &spec.engine.engine, &err))
    return -1;
  spec.target.d = d, spec.schedule.N = N, spec.target.lambda = lambda;
  spec.mixture.K = 2, spec.mixture.sigma = 0.5, spec.mixture.m = 1;
  if (!strcmp(engine, "radial")) spec.grid_G = 101, spec.grid_Q = 4; /* h_t is constant here */
  return (int)ctr_point_run(&spec, 0, row, &err);
}

/* N(0, v I): ideal CT is affine and engine ct gives W1 and W2 in closed form (theory.md §4). */
static void gaussian(void) {
  const int ds[] = {1, 2, 3, 50, 1000};
  double worst = 0;
  char where[64] = "";
  for (int i = 0; i < 5; i++) {
    ctr_point a, b;
    int sa = point("isotropic", ds[i], 60, "ct", 0.37, &a), sb = point("isotropic", ds[i], 60,
                                                                       "radial", 0.37, &b);
    double e = sa || sb ? INFINITY : 0;
    const double pa[] = {a.w2_normal, a.w1_lo_normal, a.w2_qN, a.w1_lo_qN};
    const double pb[] = {b.w2_normal, b.w1_lo_normal, b.w2_qN, b.w1_lo_qN};
    for (int j = 0; j < 4; j++) e = fmax(e, fabs(pb[j] - pa[j]) / pa[j]);
    if (!(e <= worst)) worst = e, snprintf(where, sizeof where, "d = %d", ds[i]);
  }
  check_worst("N(0, 0.37 I), N = 60: radial W1, W2 (both inputs) = engine ct, d = 1..1000",
              worst, 1e-9, where);
}

/* Scale mixture 0.5 N(0, 0.25 I) + 0.5 N(0, I), d = 8, N = 30: the sorted-quantile path
 * (M = 5e4) against the exact quantile integral; the refinement's change is small. */
static void paths(void) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 30;
  ctr_schedule *s = NULL;
  ctr_error err;
  double w[2] = {0.5, 0.5}, v[2] = {0.25, 1};
  ctr_radial_params p;
  ctr_radial_params_default(&p);
  p.G = 301, p.Q = 8;
  ctr_radial_result *a = NULL, *b = NULL;
  ctr_status st = ctr_schedule_alloc(&sp, &s, &err);
  if (!st) st = ctr_radial_run(&p, s, 2, w, v, 8, &a, &err);
  p.force_sort = 1, p.sort_n = 50000;
  if (!st) st = ctr_radial_run(&p, s, 2, w, v, 8, &b, &err);
  if (st) printf("# %s\n", err.msg);
  check_true("scale mixture d = 8: g_N monotone", !st && a->monotone, "not monotone");
  double e = st ? INFINITY : 0;
  if (!st) {
    e = fmax(fmax(fabs(b->gauss.w1 / a->gauss.w1 - 1), fabs(b->gauss.w2 / a->gauss.w2 - 1)),
             fmax(fabs(b->qN.w1 / a->qN.w1 - 1), fabs(b->qN.w2 / a->qN.w2 - 1)));
    printf("# W1, W2 (N(0,I)): %.10g %.10g; sorted %.10g %.10g; disc %.3g\n", a->gauss.w1,
           a->gauss.w2, b->gauss.w1, b->gauss.w2, a->disc_max);
  }
  check_worst("sorted quantiles (M = 5e4) = quantile integral", e, 2e-3, "");
  check_worst("refinement change (G = 301 -> 601, Q = 8 -> 12)", st ? INFINITY : a->disc_max, 1e-6,
              "");
  check_close("h_N(0) is finite and in (0, 1]", st ? NAN : ctr_radial_gain(a, 0), 0.5, 0, 0.5);
  ctr_radial_result_free(a), ctr_radial_result_free(b), ctr_schedule_free(s);
}

/* d = 1: a symmetric target, W_p between symmetric laws = W_p between the laws of |X|; the 1-D
 * grid engine (theory.md §5.5) computes the same ideal CT on the line. */
static void line(void) {
  ctr_point a, b;
  int sa = point("scale_mixture", 1, 60, "grid", 1, &a);
  int sb = point("scale_mixture", 1, 60, "radial-full", 1, &b);
  double e = sa || sb ? INFINITY : 0;
  const double pa[] = {a.w2_normal, a.w1_lo_normal, a.w2_qN, a.w1_lo_qN};
  const double pb[] = {b.w2_normal, b.w1_lo_normal, b.w2_qN, b.w1_lo_qN};
  for (int j = 0; j < 4; j++) e = fmax(e, fabs(pb[j] - pa[j]));
  printf("# d = 1: grid W1 %.10g, radial %.10g (disc %.2g, %.2g)\n", a.w1_lo_normal,
         b.w1_lo_normal, a.disc_err, b.disc_err);
  check_worst("scale mixture d = 1, N = 60: radial W1, W2 (both inputs) = 1-D grid engine", e,
              fmax(1e-9, 3 * (a.disc_err + b.disc_err)), "");
  check_rel("d = 1: the radial engine's exact L (lip_radial) = the grid's 1-D exact L",
            b.lipschitz, a.lipschitz, 1e-9);
  check_true("... both of kind exact", !strcmp(a.lipschitz_kind, "exact") &&
             !strcmp(b.lipschitz_kind, "exact"), b.lipschitz_kind);
}

/* The jump of the quantile map (theory.md §9.12, "Metrics"): 0.5 N(0, 0.25 I) + 0.5 N(0, I) at
 * d = 1000, N = 300, where X_1's radial density has a valley of mass ~1e-39 between its shells,
 * so r -> F_1^(-1)(F_in(r)) jumps by ~16 between two adjacent doubles of r. The unsplit adaptive
 * integral failed here at relative tolerance 1e-12 (GSL_ESING, then the sorted fallback; the
 * same failure as d = 1e4, N = 1e5 at 1e-10). Split at the jump it must succeed, agree with
 * itself at 1e-10 and 1e-8, and with sorted quantiles of 4e4 points (O(1/M)). */
static void jump(void) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 300;
  ctr_schedule *s = NULL;
  ctr_error err;
  double w[2] = {0.5, 0.5}, v[2] = {0.25, 1};
  ctr_radial_params p;
  ctr_radial_params_default(&p);
  p.refine = 0, p.quad_rel = 1e-12;
  ctr_radial_result *a = NULL, *b = NULL, *c = NULL;
  ctr_status st = ctr_schedule_alloc(&sp, &s, &err);
  if (!st) st = ctr_radial_run(&p, s, 2, w, v, 1000, &a, &err);
  p.quad_rel = 1e-8;
  if (!st) st = ctr_radial_run(&p, s, 2, w, v, 1000, &b, &err);
  p.force_sort = 1, p.sort_n = 40000;
  if (!st) st = ctr_radial_run(&p, s, 2, w, v, 1000, &c, &err);
  if (st) printf("# %s\n", err.msg);
  check_true("d = 1000, N = 300, quad_rel 1e-12: the split integral succeeds (no fallback)",
             !st && !a->sorted && a->monotone, "sorted quantiles were used");
  double e8 = INFINITY, es = INFINITY;
  if (!st) {
    e8 = fmax(fmax(fabs(b->gauss.w1 / a->gauss.w1 - 1), fabs(b->gauss.w2 / a->gauss.w2 - 1)),
              fmax(fabs(b->qN.w1 / a->qN.w1 - 1), fabs(b->qN.w2 / a->qN.w2 - 1)));
    es = fmax(fmax(fabs(c->gauss.w1 / a->gauss.w1 - 1), fabs(c->gauss.w2 / a->gauss.w2 - 1)),
              fmax(fabs(c->qN.w1 / a->qN.w1 - 1), fabs(c->qN.w2 / a->qN.w2 - 1)));
    printf("# W1, W2 (N(0,I)): %.12g %.12g; sorted (M = 4e4) %.12g %.12g\n", a->gauss.w1,
           a->gauss.w2, c->gauss.w1, c->gauss.w2);
  }
  check_worst("... quad_rel 1e-8 agrees with 1e-12", e8, 1e-8, "");
  check_worst("... sorted quantiles (M = 4e4) agree with the split integral", es, 6e-6, "");
  ctr_radial_result_free(a), ctr_radial_result_free(b), ctr_radial_result_free(c);
  ctr_schedule_free(s);
}

static void refusals(void) {
  ctr_point row;
  check_true("two_modes (mean != 0) refused", point("two_modes", 3, 20, "radial", 1, &row) ==
             CTR_EINPUT && strstr(row.message, "rotation-invariant"), row.message);
  check_true("geometric (anisotropic) refused", point("geometric", 3, 20, "radial", 1, &row) ==
             CTR_EINPUT && strstr(row.message, "non-isotropic"), row.message);
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 10;
  ctr_schedule *s = NULL;
  ctr_error err;
  ctr_radial_params p;
  ctr_radial_params_default(&p);
  ctr_radial_result *r = NULL;
  double w[2] = {0.5, 0.4}, v[2] = {1, 1};
  ctr_status st = ctr_schedule_alloc(&sp, &s, &err);
  check_true("weights not summing to 1 refused", !st && ctr_radial_run(&p, s, 2, w, v, 3, &r, &err)
             == CTR_EINPUT, "accepted");
  w[1] = 0.5, v[0] = -1;
  check_true("negative variance refused", ctr_radial_run(&p, s, 2, w, v, 3, &r, &err) ==
             CTR_EINPUT, "accepted");
  v[0] = 1, p.G = 3;
  check_true("G = 3 refused", ctr_radial_run(&p, s, 2, w, v, 3, &r, &err) == CTR_EINPUT,
             "accepted");
  ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  vmf_table();
  rule_moments();
  identity();
  gaussian();
  paths();
  line();
  jump();
  refusals();
  return check_summary();
}
