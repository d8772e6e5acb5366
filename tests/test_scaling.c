/* test_scaling: the scaling analysis (analysis/scaling.h, scaling_verdict.c) on synthetic rows with known
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
  check_true("no c1: no N is asymptotic, C from every N (marked)", !s.consts[0].asymptotic, "asymptotic");
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

/* ---- issue 10: weights, the data scale, N* conventions, the held-out constant, the metric -- */

/* ctr_fit_loglog_w against the weighted least-squares formulas written out: slope
 * Sxy_w / Sxx_w about the weighted means, half-width t(0.975, n - 2) sqrt(chisq / (n - 2) / Sxx_w)
 * with chisq the weighted residual sum, weights (y / se)^2; one point without an SE: unweighted. */
static void weighted_fit_formula(void) {
  double x[7] = {10, 30, 100, 300, 1000, 3000, 1e4}, y[7], se[7];
  double sw = 0, sx = 0, sy = 0;
  for (int i = 0; i < 7; i++) {
    y[i] = 2 * pow(x[i], -0.7) * (1 + 0.1 * sin(3.0 * i));
    se[i] = y[i] * (0.02 + 0.05 * (i % 3));
    double w = pow(y[i] / se[i], 2);
    sw += w, sx += w * log(x[i]), sy += w * log(y[i]);
  }
  double mx = sx / sw, my = sy / sw, sxx = 0, sxy = 0, chi = 0;
  for (int i = 0; i < 7; i++) {
    double w = pow(y[i] / se[i], 2);
    sxx += w * (log(x[i]) - mx) * (log(x[i]) - mx), sxy += w * (log(x[i]) - mx) * (log(y[i]) - my);
  }
  double b = sxy / sxx;
  for (int i = 0; i < 7; i++) {
    double r = log(y[i]) - my - b * (log(x[i]) - mx);
    chi += pow(y[i] / se[i], 2) * r * r;
  }
  double half = gsl_cdf_tdist_Pinv(0.975, 5) * sqrt(chi / 5 / sxx);
  ctr_loglog_fit f;
  ctr_error err;
  check_true("weighted fit runs", ctr_fit_loglog_w(x, y, se, 7, &f, &err) == CTR_OK && f.weighted, "status");
  check_rel("weighted slope = Sxy_w / Sxx_w", f.slope, b, 1e-12);
  check_rel("weighted interval half-width = t sqrt(chisq / (n - 2) / Sxx_w)", (f.slope_hi - f.slope_lo) / 2, half, 1e-10);
  se[3] = 0;
  ctr_loglog_fit u, v;
  ctr_fit_loglog_w(x, y, se, 7, &u, &err), ctr_fit_loglog(x, y, 7, &v, &err);
  check_true("a point without SE makes the fit unweighted (= ctr_fit_loglog)", !u.weighted && u.slope == v.slope, "unweighted");
}

/* Heteroscedastic Monte Carlo rows: log W = log 3 - 0.8 log N + s_i z with s_i alternating
 * 0.3 and 0.01, and the SE column w1_hi_se_normal = s_i W (delta method). The weighted slope's
 * t-interval covers -0.8 at the nominal rate; the unweighted slope's error is several times
 * larger (what the fit did before: every row counted alike). */
static void weighted_slope(void) {
  ctr_rng rng;
  ctr_rng_init(&rng, 5, CTR_RNG_TEST, 5, 0);
  int covered = 0, trials = 1000, kind_ok = 1;
  double ss_w = 0, ss_u = 0;
  for (int t = 0; t < trials; t++) {
    nrows = 0;
    double z[9], x[9], y[9];
    ctr_rng_normals(&rng, 9, z);
    for (int i = 0; i < 9; i++) {
      double sd = i % 2 ? 0.01 : 0.3, W = 3 * pow(Ngrid(i), -0.8) * exp(sd * z[i]);
      add(8, 0, Ngrid(i), 1, W);
      rows[nrows - 1].w1_hi_se_normal = sd * W;
      x[i] = Ngrid(i), y[i] = W;
    }
    ctr_scaling s;
    if (analyse(&s, 0)) continue;
    const ctr_scaling_group *g = &s.groups[0];
    covered += g->slope.slope_lo <= -0.8 && -0.8 <= g->slope.slope_hi;
    kind_ok &= g->slope.weighted && !strcmp(g->interval, "ci95");
    ss_w += (g->slope.slope + 0.8) * (g->slope.slope + 0.8);
    ctr_loglog_fit u;
    ctr_error err;
    if (!ctr_fit_loglog(x, y, 9, &u, &err)) ss_u += (u.slope + 0.8) * (u.slope + 0.8);
    ctr_scaling_free(&s);
  }
  char msg[160];
  snprintf(msg, sizeof msg, "covered %d of %d; rms error weighted %.4f, unweighted %.4f", covered,
           trials, sqrt(ss_w / trials), sqrt(ss_u / trials));
  printf("# weighted slope: %s\n", msg);
  check_true("weighted slope: 95% t-interval covers in 930..970 of 1000 (heteroscedastic SEs)",
             covered >= 930 && covered <= 970, msg);
  check_true("weighted slope: rms error < 1/3 of the unweighted fit's", 3 * sqrt(ss_w) < sqrt(ss_u), msg);
  check_true("Monte Carlo rows: fit marked weighted, interval kind ci95", kind_ok, "kind");
  /* the same values without standard errors: deterministic, a curvature band */
  for (size_t i = 0; i < nrows; i++) rows[i].w1_hi_se_normal = 0;
  ctr_scaling s;
  check_true("deterministic rows analysed", analyse(&s, 0) == CTR_OK, "status");
  check_true("deterministic, one replicate: unweighted, interval kind curvature",
             !s.groups[0].slope.weighted && !strcmp(s.groups[0].interval, "curvature"), s.groups[0].interval);
  ctr_scaling_free(&s);
}

/* W = s(d) g(N) with a data scale s(d) that is no power of d: the exponent of W / data scale is
 * 0 and the raw exponent equals the scale's; with an extra d^0.3 the relative one is 0.3. */
static void data_scale_exponent(void) {
  for (int extra = 0; extra < 2; extra++) {
    nrows = 0;
    for (int k = 0; k < 5; k++) {
      int d = 1 << (2 * k);
      double sc = sqrt(d + 0.5 * sqrt((double)d) + 3);
      for (int i = 2; i < 8; i++) {
        double N = Ngrid(i);
        add(d, 0, N, 1, sc * (extra ? pow(d, 0.3) : 1) * 0.1 * log(N) / N);
        rows[nrows - 1].data_scale = sc;
      }
    }
    ctr_scaling s;
    check_true("data-scale family analysed", analyse(&s, 0) == CTR_OK, "status");
    double worst = 0, worst_raw = 0;
    for (size_t i = 0; i < s.ndexp; i++) {
      worst = fmax(worst, fabs(s.dexp[i].rel_fit.slope - 0.3 * extra));
      worst_raw = fmax(worst_raw, fabs(s.dexp[i].fit.slope - s.dexp[i].scale_fit.slope - 0.3 * extra));
    }
    check_true("one d exponent per N", s.ndexp == 6, "ndexp");
    check_worst(extra ? "W = s(d) d^0.3 g(N): exponent of W/data scale = 0.3"
                      : "W = s(d) g(N): exponent of W/data scale = 0", worst, 1e-12, "rel");
    check_worst("raw exponent - data scale's exponent = relative exponent", worst_raw, 1e-12, "raw");
    ctr_scaling_free(&s);
  }
}

/* W = A d^0.5 ln N / N on a fine N grid: N* at W = 2 eps has N* / ln N* = A d^0.5 / (2 eps), so
 * the log(N* / ln N*) regression gives beta_ln = 1, alpha_ln = 0.5 (to the interpolation error),
 * while log N* gives beta > 1; the bound's values follow 1/(1 - 5/ln N*) at the same N*. */
static void nstar_conventions(void) {
  nrows = 0;
  for (int k = 0; k < 3; k++)
    for (int e = 0; e < 4; e++) {
      int d = 1 << (2 * k);
      double eps = pow(10, -2 - 0.5 * e);
      for (int i = 0; i <= 200; i++) {
        double N = round(pow(10, 1 + 0.03 * i));
        add(d, eps, N, 1, 0.5 * sqrt(d) * log(N) / N);
      }
    }
  ctr_scaling s;
  check_true("N* convention data analysed", analyse(&s, 0) == CTR_OK, "status");
  const ctr_nstar_fit *f = &s.nfit[0];
  char msg[200];
  snprintf(msg, sizeof msg, "beta %.4f beta_ln %.4f alpha %.4f alpha_ln %.4f; bound %.3f %.3f", f->beta,
           f->beta_ln, f->alpha, f->alpha_ln, f->bound_beta, f->bound_beta_ln);
  printf("# N* conventions: %s\n", msg);
  check_true("N* fit ok on 12 crossings", s.nnfit == 1 && f->ok && f->n == 12, msg);
  check_close("W = A ln N / N: beta_ln of log(N*/ln N*) = 1", f->beta_ln, 1, 0, 1e-2);
  check_close("W = A sqrt(d) ln N / N: alpha_ln = 0.5", f->alpha_ln, 0.5, 0, 1e-2);
  check_true("log N* regression: beta above 1.05 (the ln N factor)", f->beta > 1.05, msg);
  double l = 0;
  for (size_t i = 0; i < s.nnstar; i++) l += log(s.nstar[i].nstar) / (double)s.nnstar;
  check_rel("bound's beta = 1/(1 - 5/ln N*) at the geometric mean N*", f->bound_beta, 1 / (1 - 5 / l), 1e-12);
  check_rel("bound's beta_ln = (1 - 1/ln N*)/(1 - 5/ln N*)", f->bound_beta_ln, (1 - 1 / l) / (1 - 5 / l), 1e-12);
  check_rel("bound's alpha = 5/2 its beta", f->bound_alpha, 2.5 * f->bound_beta, 1e-15);
  ctr_scaling_free(&s);
}

/* Held-out constant: W = 0.75 C0 shape at asymptotic N (c1 ln N / N <= 0.05),
 * one planted point at u = 3, and pre-asymptotic N = 10..100 at u = 100 that C must ignore
 * (and that are counted as exceeding it: 12 of the 16 pre-asymptotic points, N = 316 is not).
 * Either the planted point is in the training half (C_train = C, nothing held out exceeds) or
 * in the held-out half (it, and only it, exceeds C_train); planting it at each asymptotic point
 * in turn exercises both. Vacuous points against a direct count. Returns 1 when held out. */
static int held_out_case(int pk, int pi, int verbose) {
  nrows = 0;
  double C0 = 0.02;
  size_t n_asym = 0, vac = 0, known = 0;
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 12; i++) {
      int d = 1 << k;
      double N = Ngrid(i), shape = pow(d, 2.5) * pow(log(N), 5) / N;
      double u = N < 300 ? 100 : (k == pk && i == pi ? 3 : 0.75);
      add(d, 0, N, 1, C0 * shape * u);
      rows[nrows - 1].c1 = 4, rows[nrows - 1].data_scale = 0.5 * sqrt(d);
      n_asym += 4 * log(N) / N <= 0.05;
    }
  ctr_scaling s;
  if (analyse(&s, 0)) return check_true("held-out data analysed", 0, "status"), -1;
  const ctr_bound_constant *c = &s.consts[0];
  int shape_ok = 1;
  for (size_t g = 0; g < s.ngroups; g++)
    for (size_t k = 0; k < s.groups[g].nN; k++) {
      const ctr_scaling_group *q = &s.groups[g];
      known++, vac += 3 * C0 * q->shape[k] > q->scale[k];
      shape_ok &= fabs(q->shape[k] / (pow(q->d, 2.5) * pow(log(q->N[k]), 5) / q->N[k]) - 1) < 1e-12;
    }
  char msg[200];
  snprintf(msg, sizeof msg, "planted d=%d N=%.3g: C %.6g asym %d from N %.3g; held out %zu, exceed %zu, "
           "C_train %.6g", 1 << pk, Ngrid(pi), c->C, c->asymptotic, c->n_asym, c->test_n, c->test_exceed, c->C_train);
  int planted_in_train = fabs(c->C_train / (3 * C0) - 1) < 1e-12;
  int ok = fabs(c->C / (3 * C0) - 1) < 1e-12 && c->asymptotic && c->n_asym == 1000 &&
           c->test_n == n_asym / 2 && c->pre_n == 16 && c->pre_exceed == 12 &&
           (planted_in_train ? c->test_exceed == 0 : c->test_exceed == 1 && c->C_train < 0.9 * 3 * C0);
  if (verbose || !ok) {
    printf("# held-out constant: %s\n", msg);
    check_true("shape is L^3 d^2.5 ln^5 N / N with L = 1 when unknown", shape_ok, "shape");
    check_true("vacuous points: C shape > data scale, counted directly", c->vacuous == vac && c->points == known, msg);
    size_t cn = 0;
    for (size_t e = 0; e < s.ncN; e++) cn += s.cN[e].asymptotic;
    check_true("C(N): one entry per N, asymptotic from N = 1000", s.ncN == 12 && cn == 8, "cN");
  }
  if (!ok) check_true("C = 3 C0 from asymptotic N only; held-out exceed count matches the split", 0, msg);
  ctr_scaling_free(&s);
  return !planted_in_train;
}

static void held_out_constant(void) {
  int held = 0, cases = 0, bad = 0;
  for (int k = 0; k < 4; k++)
    for (int i = 4; i < 12; i++) {
      int r = held_out_case(k, i, k == 0 && i == 4);
      cases++, held += r == 1, bad += r < 0;
    }
  char msg[96];
  snprintf(msg, sizeof msg, "planted point held out in %d of %d cases", held, cases);
  printf("# %s\n", msg);
  check_true("held-out check: C from asymptotic N, exceed count right whichever half the planted point is in, both halves seen",
             !bad && held > 0 && held < cases, msg);
}

/* The default metric is the theorem's N(0, I) quantity for every engine (the grid used to get
 * w1_hi_qN, chain and distill coupling_l1_qN); SE columns by name; labels. */
static void default_metric(void) {
  static const char *const engines[] = {"ct", "cd", "grid", "chain", "distill"};
  for (int i = 0; i < 5; i++) {
    ctr_point r;
    ctr_point_clear(&r);
    ctr_point_set_str(r.engine, sizeof r.engine, engines[i]);
    r.w1_hi_normal = 1, r.w1_hi_qN = 2, r.coupling_l1_qN = 3;
    char name[80];
    snprintf(name, sizeof name, "default metric of %s is w1_hi_normal", engines[i]);
    check_true(name, !strcmp(ctr_scaling_auto_metric(engines[i]), "w1_hi_normal") &&
                         ctr_scaling_metric(&r, "auto") == 1 && ctr_scaling_metric(&r, NULL) == 1, engines[i]);
  }
  const ctr_field *a = ctr_scaling_se_field("coupling_l1_qN"), *b = ctr_scaling_se_field("auto");
  check_true("SE column of coupling_l1_qN is coupling_l1_se_qN", a && !strcmp(a->name, "coupling_l1_se_qN"), "se");
  check_true("SE column of the default is w1_hi_se_normal", b && !strcmp(b->name, "w1_hi_se_normal"), "se");
  check_true("w2_normal has no SE column (deterministic)", !ctr_scaling_se_field("w2_normal"), "se");
  char what[96], in[32];
  ctr_scaling_metric_label("auto", what, sizeof what, in, sizeof in);
  check_true("label: W1 upper bound, input N(0, I)", !strcmp(what, "W1 upper bound") && !strcmp(in, "N(0, I)"), what);
  ctr_scaling_metric_label("coupling_rms_qN", what, sizeof what, in, sizeof in);
  check_true("label: coupling RMS, input q_N", !strncmp(what, "coupling", 8) && strstr(what, "RMS") && !strcmp(in, "q_N"), what);
}

/* W <= C shape + eps + eps_F for learned rows (analysis/scaling_learned.c): C from the ct rows
 * of the same target (W = 2 shape: C = 2), learned groups built to hold and to fail. */
static void learned_check(void) {
  nrows = 0;
  const double Ns[3] = {10, 100, 1000}, e = 0.05, f = 0.01;
  for (int i = 0; i < 3; i++) {
    add(2, 0, Ns[i], 1, 2.0 / Ns[i]);
    rows[nrows - 1].bound_shape = 1.0 / Ns[i];
    for (int g = 0; g < 2; g++) { /* train_n 100: 1.9 shape + eps + eps_F; 10: 3 shape at N = 100 */
      add(2, 0, Ns[i], 1, (g == 0 || i != 1 ? 1.9 : 3.0) / Ns[i] + e + f);
      ctr_point *r = &rows[nrows - 1];
      ctr_point_set_str(r->engine, sizeof r->engine, "learned");
      r->bound_shape = 1.0 / Ns[i], r->train_n = g ? 10 : 100, r->eps_learned = e, r->eps_F = f;
    }
  }
  ctr_scaling s;
  ctr_scaling_opts o;
  ctr_scaling_opts_default(&o);
  o.bootstrap = 0;
  ctr_error err;
  for (int pass = 0; pass < 2; pass++) {
    if (ctr_scaling_run(rows, nrows, &o, &s, &err)) {
      check_true("learned check: analysis ran", 0, err.msg);
      return;
    }
    const ctr_scaling_group *ok = NULL, *bad = NULL;
    for (size_t i = 0; i < s.ngroups; i++)
      if (s.groups[i].eps_meas) *(s.groups[i].first->train_n == 100 ? &ok : &bad) = &s.groups[i];
    char msg[512];
    snprintf(msg, sizeof msg, "C %g (%s); held %zu/%zu and %zu/%zu; C needed %g and %g at N = %g",
             ok ? ok->learned_C : NAN, ok ? ok->learned_C_from : "", ok ? ok->learned_held : 0,
             ok ? ok->learned_n : 0, bad ? bad->learned_held : 0, bad ? bad->learned_n : 0,
             ok ? ok->learned_C_need : NAN, bad ? bad->learned_C_need : NAN, bad ? bad->worst_N : NAN);
    printf("# %s\n", msg);
    if (pass == 0)
      check_true("learned check: C = 2 from the ct rows; 1.9 shape + eps + eps_F holds at 3/3 N, "
                 "3 shape at N = 100 fails there (2/3), C needed 1.9 and 3",
                 ok && bad && fabs(ok->learned_C - 2) < 1e-12 && strstr(ok->learned_C_from, "ct") &&
                     ok->learned_held == 3 && ok->learned_n == 3 && bad->learned_held == 2 &&
                     fabs(ok->learned_C_need - 1.9) < 1e-9 && fabs(bad->learned_C_need - 3) < 1e-9 &&
                     bad->worst_N == 100, msg);
    else
      check_true("learned check: --C 3.5 holds for both groups",
                 ok && bad && ok->learned_C == 3.5 && bad->learned_held == 3 && !strcmp(bad->learned_C_from, "--C"), msg);
    ctr_scaling_free(&s);
    o.learned_C = 3.5;
  }
  nrows = 0;
}

int main(void) {
  gsl_set_error_handler_off();
  learned_check();
  exact_cases();
  default_metric();
  weighted_fit_formula();
  weighted_slope();
  data_scale_exponent();
  nstar_conventions();
  held_out_constant();
  nstar_checks();
  slope_coverage();
  d_exponent();
  bootstrap_coverage();
  return check_summary();
}
