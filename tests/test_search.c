/* test_search: the multi-start Nelder-Mead driver (analysis/nm_search.h) on functions whose
 * minimum is known (a bound reached through the sin map, Rosenbrock, a double well whose deeper
 * well only the second start finds), its budget and failure paths; the scale-mixture family of
 * ctrate search (sweep/search_scale.h): the parameter map, the Gaussian's exponent against its
 * closed form, and the search against a brute-force grid of the same objective. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "analysis/nm_search.h"
#include "check.h"
#include "sweep/search_scale.h"

static double unit(double z) { return 0.5 * (1 + sin(z)); }

/* (x0 - 1.2)^2 + (x1 - 0.3)^2 with x = (1 + sin z)/2 in [0, 1]: minimum at x0 = 1 (bound). */
static ctr_status bounded(const double *z, double *v, void *ctx, ctr_error *err) {
  (void)ctx, (void)err;
  double a = unit(z[0]) - 1.2, b = unit(z[1]) - 0.3;
  *v = a * a + b * b;
  return CTR_OK;
}

static ctr_status rosenbrock(const double *z, double *v, void *ctx, ctr_error *err) {
  (void)ctx, (void)err;
  double a = 1 - z[0], b = z[1] - z[0] * z[0];
  *v = a * a + 100 * b * b;
  return CTR_OK;
}

/* (z^2 - 1)^2 + 0.3 z: a shallow well near z = 0.96 and a deeper one near z = -1.04 */
static ctr_status well(const double *z, double *v, void *ctx, ctr_error *err) {
  (void)ctx, (void)err;
  *v = (z[0] * z[0] - 1) * (z[0] * z[0] - 1) + 0.3 * z[0];
  return CTR_OK;
}

static ctr_status failing(const double *z, double *v, void *ctx, ctr_error *err) {
  int *calls = ctx;
  if (++*calls == 5) return ctr_fail(err, CTR_ENUMERIC, "planted failure");
  return rosenbrock(z, v, NULL, err);
}

static void test_driver(void) {
  ctr_nm_result r;
  ctr_error err = {0};
  double x0[4] = {0.1, -0.2};
  /* size_tol 1e-6: at the bound f changes by ~dz^2, so dz < 1e-8 is below f's resolution */
  ctr_nm_params p = {.n = 2, .starts = 1, .x0 = x0, .step = 0.5, .size_tol = 1e-6,
                     .max_evals = 2000, .max_iter = 10000};
  ctr_status st = ctr_nm_minimise(&p, bounded, NULL, NULL, NULL, &r, &err);
  if (!st && r.converged != 1) snprintf(err.msg, sizeof err.msg, "not converged: %d evals", r.evals);
  check_true("bounded: converges", !st && r.converged == 1, err.msg);
  check_close("bounded: x0 on its bound 1", unit(r.x[0]), 1, 0, 1e-11);
  check_close("bounded: x1 interior 0.3", unit(r.x[1]), 0.3, 0, 1e-6);
  check_close("bounded: minimum 0.04", r.f, 0.04, 1e-10, 0);

  double rz[2] = {-1.2, 1};
  p.x0 = rz;
  st = ctr_nm_minimise(&p, rosenbrock, NULL, NULL, NULL, &r, &err);
  check_true("rosenbrock: converges", !st && r.converged == 1, err.msg);
  check_close("rosenbrock: x = 1", r.x[0], 1, 0, 1e-6);
  check_close("rosenbrock: y = 1", r.x[1], 1, 0, 1e-6);

  p.max_evals = 20;
  st = ctr_nm_minimise(&p, rosenbrock, NULL, NULL, NULL, &r, &err);
  check_true("budget: stops within max_evals + n + 1", !st && r.evals <= 20 + 3 &&
             r.evals >= 20 && r.converged == 0, "evals out of range or converged");

  double w0[2] = {2, -2};
  ctr_nm_params q = {.n = 1, .starts = 2, .x0 = w0, .step = 0.1, .size_tol = 1e-10,
                     .max_evals = 1000, .max_iter = 10000};
  st = ctr_nm_minimise(&q, well, NULL, NULL, NULL, &r, &err);
  /* the deeper well: 4z^3 - 4z + 0.3 = 0, root near -1.04 (Newton) */
  double z = -1;
  for (int i = 0; i < 50; i++) z -= (4 * z * z * z - 4 * z + 0.3) / (12 * z * z - 4);
  check_true("double well: the second start wins", !st && r.start == 1 && r.converged == 2,
             "wrong start");
  check_close("double well: deeper minimum", r.x[0], z, 0, 1e-6);

  int calls = 0;
  p.max_evals = 1000;
  st = ctr_nm_minimise(&p, failing, &calls, NULL, NULL, &r, &err);
  check_true("failure: objective's status returned", st == CTR_ENUMERIC &&
             strstr(err.msg, "planted"), err.msg);
  p.n = 0;
  check_true("bad params: CTR_EINPUT", ctr_nm_minimise(&p, rosenbrock, NULL, NULL, NULL, &r,
                                                        &err) == CTR_EINPUT, "accepted n = 0");
}

static void test_decode(void) {
  ctr_scale_family f;
  ctr_scale_family_default(&f);
  f.K = 4, f.w_min = 0.1, f.v_min = 0.01, f.v_max = 2;
  double z[7], w[4], v[4], m, worst = 0;
  for (int t = 0; t < 200; t++) {
    for (int i = 0; i < 7; i++) z[i] = 10 * sin(1.7 * t + 3.1 * i); /* arbitrary reals */
    ctr_scale_decode(&f, z, w, v, &m);
    double s = 0;
    for (int k = 0; k < 4; k++) {
      s += w[k];
      if (w[k] < f.w_min || v[k] < f.v_min || v[k] > f.v_max) worst = INFINITY;
    }
    worst = fmax(worst, fabs(s - 1));
  }
  check_worst("decode: weights sum to 1, all in bounds", worst, 4e-16, "out of bounds");
  for (int i = 0; i < 7; i++) z[i] = -M_PI / 2;
  z[0] = M_PI / 2, z[3] = M_PI / 2; /* first weight at its top, first variance at v_max */
  ctr_scale_decode(&f, z, w, v, &m);
  check_close("decode: corner weight 1 - 3 w_min", w[0], 0.7, 1e-15, 0);
  check_true("decode: bounds reached exactly", w[1] == 0.1 && v[0] == 2 && v[1] == 0.01,
             "bound not reached");
}

/* ln(E|Z_d| / sqrt d), Z ~ N(0, I_d): the Gaussian's W1 / data_scale up to a factor free of d */
static double log_mean_norm(double d) {
  return 0.5 * log(2.0) + lgamma((d + 1) / 2) - lgamma(d / 2) - 0.5 * log(d);
}

static void test_gaussian(void) {
  ctr_scale_family f;
  ctr_scale_family_default(&f);
  f.K = 2, f.v_min = f.v_max = 0.3, f.schedule.N = 30, f.ndims = 3;
  f.dims[0] = 2, f.dims[1] = 16, f.dims[2] = 400;
  double z[3] = {0.4, -1, 2}, w[2], v[2], m;
  ctr_scale_value val;
  ctr_error err = {0};
  ctr_scale_decode(&f, z, w, v, &m);
  f.metric = CTR_SCALE_W2;
  ctr_status st = ctr_scale_eval(&f, w, v, 0, &val, &err);
  check_true("gaussian: evaluates", !st, err.msg);
  check_close("gaussian W2: relative exponent 0", val.exponent, 0, 0, 1e-11);
  f.metric = CTR_SCALE_W1;
  st = ctr_scale_eval(&f, w, v, 0, &val, &err);
  /* W1 = |c - b| E|Z_d| (both laws N(0, . I)): LS slope of ln(E|Z_d| / sqrt d) on ln d */
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < 3; i++) {
    double x = log((double)f.dims[i]), y = log_mean_norm((double)f.dims[i]);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  double want = (sxy - sx * sy / 3) / (sxx - sx * sx / 3);
  check_true("gaussian W1: evaluates", !st, err.msg);
  check_close("gaussian W1: exponent = slope of E|Z_d| / sqrt d (lgamma)", val.exponent, want,
              1e-9, 0);
}

/* The product family (sweep/search_product.h): the decode reaches its bounds; W2 of a product of
 * d identical coordinates is sqrt(d) W2_1 and its data scale sqrt(d) scale_1 (theory.md §9.10),
 * so the W2 exponent is 0 whatever (m, sigma): a wrong count, scale or metric would not be. The
 * L constraint: an infeasible point computes no W and ranks above every feasible value. */
static void test_product_family(void) {
  ctr_scale_family f;
  ctr_scale_family_default(&f);
  f.family = CTR_SEARCH_PRODUCT, f.m_min = 0.5, f.m_max = 1.5, f.v_min = 0.04, f.v_max = 0.25;
  f.schedule.N = 20, f.grid_G = 201, f.grid_Q = 8, f.ndims = 3;
  f.dims[0] = 2, f.dims[1] = 30, f.dims[2] = 1000;
  double z[2] = {M_PI / 2, -M_PI / 2}, w[2], v[2], m;
  ctr_scale_decode(&f, z, w, v, &m);
  check_true("product decode: corners m_max, sqrt(v_min)", m == 1.5 && sqrt(v[0]) == 0.2 &&
             v[1] == v[0] && w[0] == 0.5 && w[1] == 0.5, "not at the corner");
  z[0] = 0.3, z[1] = 0.7;
  ctr_scale_decode(&f, z, w, v, &m);
  ctr_scale_value val;
  ctr_error err = {0};
  f.metric = CTR_SCALE_W2;
  ctr_status st = ctr_scale_eval(&f, w, v, m, &val, &err);
  check_true("product W2: evaluates", !st && val.feasible, err.msg);
  check_close("product W2: relative exponent 0", val.exponent, 0, 0, 1e-12);
  check_close("product: data scale (d (m^2 + sigma^2))^(1/2)", val.scale[2],
              sqrt(1000 * (m * m + v[0])), 1e-14, 0);
  f.metric = CTR_SCALE_W1;
  st = ctr_scale_eval(&f, w, v, m, &val, &err);
  /* min(E||u||, W2) / scale rises towards the rms ratio as ||u|| concentrates: exponent > 0 */
  check_true("product W1 (upper bound): exponent in (0, 0.1)", !st && val.exponent > 0 &&
             val.exponent < 0.1, err.msg);
  f.max_log10_L = 0; /* L > 1 for every bimodal coordinate: infeasible */
  st = ctr_scale_eval(&f, w, v, m, &val, &err);
  check_true("product: infeasible under max_log10_L = 0, no W computed", !st && !val.feasible &&
             val.excess > 0 && isnan(val.exponent) && val.W[0] == 0, err.msg);
  check_true("product: the penalty ranks above every feasible value",
             ctr_scale_objective(&val) > CTR_SEARCH_INFEASIBLE, "not above");
}

static ctr_status family_objective(const double *z, double *value, void *ctx, ctr_error *err) {
  const ctr_scale_family *f = ctx;
  double w[CTR_SCALE_KMAX], v[CTR_SCALE_KMAX], m, zz[3] = {0, z[0], z[1]};
  ctr_scale_value val;
  ctr_scale_decode(f, zz, w, v, &m); /* the weight's z stays 0: w_min = 1/2 fixes the weights */
  ctr_status st = ctr_scale_eval(f, w, v, 0, &val, err);
  *value = -val.exponent;
  return st;
}

/* Equal weights (w_min = 1/2), two variances in [1/16, 1], d = 4 and 16 at N = 10 on a coarse
 * radial grid: the exponent on a 9 x 9 grid of log-variances (brute force, symmetric in the two
 * variances), then the search from two starts must find at least the grid's best value, near
 * the grid's best point. */
static void test_brute_force(void) {
  ctr_scale_family f;
  ctr_scale_family_default(&f);
  f.K = 2, f.w_min = 0.5, f.schedule.N = 10, f.grid_G = 51, f.grid_Q = 4, f.ndims = 2;
  f.dims[0] = 4, f.dims[1] = 16;
  double w[2] = {0.5, 0.5}, v[2], best = -INFINITY, bu[2] = {0, 0};
  ctr_error err = {0};
  ctr_status st = CTR_OK;
  for (int i = 0; !st && i <= 8; i++)
    for (int j = 0; !st && j <= i; j++) {
      ctr_scale_value val;
      v[0] = f.v_min * exp(log(f.v_max / f.v_min) * i / 8.0);
      v[1] = f.v_min * exp(log(f.v_max / f.v_min) * j / 8.0);
      st = ctr_scale_eval(&f, w, v, 0, &val, &err);
      if (!st && val.exponent > best) best = val.exponent, bu[0] = i / 8.0, bu[1] = j / 8.0;
      printf("# grid u = (%.3f, %.3f): exponent %.6f\n", i / 8.0, j / 8.0, val.exponent);
    }
  check_true("brute force: grid evaluates", !st, err.msg);
  double z3[6], z0[4];
  ctr_scale_starts(&f, 2, z3);
  for (int k = 0; k < 2; k++) z0[2 * k] = z3[3 * k + 1], z0[2 * k + 1] = z3[3 * k + 2];
  ctr_nm_params p = {.n = 2, .starts = 2, .x0 = z0, .step = 0.5, .size_tol = 1e-4,
                     .max_evals = 400, .max_iter = 10000};
  ctr_nm_result r;
  st = ctr_nm_minimise(&p, family_objective, &f, NULL, NULL, &r, &err);
  check_true("brute force: search runs", !st, err.msg);
  double vv[2], u[2], m, zb[3] = {0, r.x[0], r.x[1]};
  ctr_scale_decode(&f, zb, w, vv, &m);
  for (int k = 0; k < 2; k++) u[k] = log(vv[k] / f.v_min) / log(f.v_max / f.v_min);
  if (u[0] < u[1]) { double t = u[0]; u[0] = u[1], u[1] = t; } /* the grid's order */
  printf("# search: u = (%.4f, %.4f), exponent %.8f, %d evals, %d converged; grid best %.8f at "
         "(%.3f, %.3f)\n", u[0], u[1], -r.f, r.evals, r.converged, best, bu[0], bu[1]);
  check_true("brute force: search >= best of 45 grid points", -r.f >= best - 1e-9, "below the grid");
  check_true("brute force: search within a grid step of the grid's best",
             fabs(u[0] - bu[0]) <= 0.125 && fabs(u[1] - bu[1]) <= 0.125, "elsewhere");
}

/* No argument: the fast checks. "brute": the brute-force comparison (reference suite: some
 * 400 radial runs, ~30 s of one core). */
int main(int argc, char **argv) {
  gsl_set_error_handler_off(); /* as ctrate: a GSL failure is a status, never an abort */
  if (argc > 1 && !strcmp(argv[1], "brute")) {
    test_brute_force();
    return check_summary();
  }
  test_driver();
  test_decode();
  test_gaussian();
  test_product_family();
  return check_summary();
}
