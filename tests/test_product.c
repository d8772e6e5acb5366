/* test_product: the product engine (engines/product.h, theory.md §9.10) against independent
 * computations: E||u|| of discrete and Gaussian laws by enumeration and closed form; in d = 1
 * the coupling against the grid's exact W1, W2 and its ODE coupling; d identical coordinates
 * against sqrt(d) times the 1-D values; a two-group product against its groups; the memo of
 * per-law runs (engines/product_cache.h) against fresh runs, bit for bit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "check.h"
#include "engines/grid.h"
#include "engines/product.h"
#include "engines/product_cache.h"
#include "targets/input_mismatch.h"
#include "targets/mixture.h"

/* E||u|| of 3 distinct discrete laws, by enumeration of the 2 x 3 x 2 atoms. */
static void norm_enumerated(void) {
  double u0[] = {-0.3, 1.2}, w0[] = {0.4, 0.6}, u1[] = {0, 0.5, -2}, w1[] = {0.2, 0.5, 0.3};
  double u2[] = {0.7, 1e-3}, w2[] = {0.9, 0.1}, want = 0, got, e;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 3; b++)
      for (int c = 0; c < 2; c++)
        want += w0[a] * w1[b] * w2[c] * sqrt(u0[a] * u0[a] + u1[b] * u1[b] + u2[c] * u2[c]);
  ctr_product_law L[3] = {{2, u0, w0, 1}, {3, u1, w1, 1}, {2, u2, w2, 1}};
  ctr_error err;
  ctr_status st = ctr_product_norm_mean(3, L, &got, &e, &err);
  check_rel("norm_mean: 3 distinct discrete laws = enumeration", st ? NAN : got, want, 1e-12);
  /* one law shared by 40 coordinates: u_i in {0.1, 2} w.p. {0.7, 0.3}: binomial sum */
  double v[] = {0.1, 2}, pv[] = {0.7, 0.3};
  int n = 40;
  want = 0;
  for (int k = 0; k <= n; k++) /* k coordinates at 2 */
    want += exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + k * log(0.3) +
                (n - k) * log(0.7)) * sqrt(k * 4.0 + (n - k) * 0.01);
  ctr_product_law B = {2, v, pv, n};
  st = ctr_product_norm_mean(1, &B, &got, &e, &err);
  check_rel("norm_mean: 40 identical two-point laws = binomial sum", st ? NAN : got, want, 1e-12);
}

/* u_i ~ N(0, 1) iid in d = 1e4 (80-node Gauss-Hermite law): E||u|| = sqrt(2) G((d+1)/2)/G(d/2);
 * and scale invariance (u -> 1e-6 u). */
static void norm_gaussian(void) {
  gsl_integration_fixed_workspace *hw =
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, 80, 0.0, 1.0, 0.0, 0.0);
  const double *x = gsl_integration_fixed_nodes(hw), *wt = gsl_integration_fixed_weights(hw);
  double u[80], w[80], us[80];
  for (int j = 0; j < 80; j++) u[j] = M_SQRT2 * x[j], w[j] = wt[j] / sqrt(M_PI), us[j] = 1e-6 * u[j];
  gsl_integration_fixed_free(hw);
  ctr_error err;
  for (int d = 1; d <= 10000; d *= 100) {
    double got, e, want = M_SQRT2 * exp(lgamma((d + 1) / 2.0) - lgamma(d / 2.0));
    if (d == 1) { /* the discrete law's own E|u| (80 nodes are not N(0, 1) at this digit) */
      want = 0;
      for (int j = 0; j < 80; j++) want += w[j] * fabs(u[j]);
    }
    ctr_product_law L = {80, u, w, d};
    ctr_status st = ctr_product_norm_mean(1, &L, &got, &e, &err);
    char name[96];
    snprintf(name, sizeof name, "norm_mean: Gaussian coordinates, d = %d, closed form", d);
    double tol = d == 1 ? 1e-12 : 1e-11; /* lgamma(5000.5) - lgamma(5000) loses ~4e-12 */
    check_rel(name, st ? NAN : got, want, tol);
    L.u = us;
    st = ctr_product_norm_mean(1, &L, &got, &e, &err);
    snprintf(name, sizeof name, "norm_mean: scaled by 1e-6, d = %d", d);
    check_rel(name, st ? NAN : got, 1e-6 * want, tol);
  }
}

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) return NULL;
  return s;
}

/* Two modes at +-1, width 0.3, weights 0.3/0.7, N = 60: d = 1 against the grid engine run
 * directly with its ODE coupling; then d = 1e4 identical coordinates. */
static void product_vs_grid(void) {
  ctr_schedule *s = sched(60);
  double w[2] = {0.3, 0.7}, mu[2] = {-1, 1}, var[2] = {0.09, 0.09};
  ctr_product_coord c = {2, w, mu, var, 1};
  ctr_product_params p;
  ctr_product_params_default(&p);
  p.grid.G = 801, p.grid.Q = 16;
  ctr_product_result r1, rd;
  ctr_error err;
  ctr_status st = ctr_product_run(&p, s, 1, &c, &r1, &err);
  if (st) printf("# %s\n", err.msg);
  /* the grid itself, with its ODE-flow-map coupling */
  ctr_mixture *m = NULL;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, var}, {CTR_COV_ISO, var + 1}};
  ctr_grid_params gp = p.grid;
  gp.coupling = 1;
  ctr_grid_result *g = NULL;
  if (!st) st = ctr_mixture_alloc(2, 1, w, mu, cov, &m, &err);
  if (!st) st = ctr_grid_run(&gp, s, m, &g, &err);
  int ok = !st;
  check_close("d = 1: monotone coupling E|u| (N(0,1) input) = the grid's exact W1",
              ok ? r1.gauss.l1 : NAN, ok ? g->base.w1_gauss : 0, 1e-7, 0);
  check_close("d = 1: E|u| (q_N input) = the grid's exact W1", ok ? r1.qN.l1 : NAN,
              ok ? g->base.w1_qN : 0, 1e-7, 0);
  check_close("d = 1: E|f_N - Phi| with exact transport = the grid's ODE coupling",
              ok ? r1.qN.l1 : NAN, ok ? g->base.coupling : 0, 1e-6, 0);
  check_close("d = 1: node E u^2 = the grid's W2^2 (N(0,1) input)", ok ? r1.gauss.sq : NAN,
              ok ? g->base.w2_gauss * g->base.w2_gauss : 0, 1e-7, 0);
  check_close("d = 1: node E u^2 = the grid's E|f_N - Phi|^2 (q_N input)", ok ? r1.qN.sq : NAN,
              ok ? g->base.coupling_sq : 0, 1e-6, 0);
  c.count = 10000, p.lipschitz = 0;
  if (!st) st = ctr_product_run(&p, s, 1, &c, &rd, &err);
  ok = !st;
  check_close("d = 1e4 identical: W2 = sqrt(d) W2_1 (N(0,I))", ok ? rd.gauss.w2 : NAN,
              100 * r1.gauss.w2, 1e-12, 0);
  check_close("d = 1e4 identical: W2 = sqrt(d) W2_1 (q_N)", ok ? rd.qN.w2 : NAN,
              100 * r1.qN.w2, 1e-12, 0);
  check_close("d = 1e4 identical: W1 lower bound = sqrt(d) W1_1", ok ? rd.qN.w1_lo : NAN,
              100 * r1.qN.w1_lo, 1e-12, 0);
  int br = ok && rd.gauss.w1_lo <= rd.gauss.l1 && rd.gauss.l1 <= rd.gauss.w2 * (1 + 1e-9) &&
           rd.qN.w1_lo <= rd.qN.l1 && rd.qN.l1 <= rd.qN.w2 * (1 + 1e-9);
  check_close("d = 1e4: bracket w1_lo <= E||u|| <= W2 (both inputs)", br, 1, 0, 0);
  /* E||u|| concentrates: sqrt(d E u^2) (1 - Var(u^2) / (8 d (E u^2)^2) + ...) */
  check_close("d = 1e4: E||u|| -> W2 as d grows (within 1e-3)", ok ? rd.qN.l1 / rd.qN.w2 : NAN, 1,
              1e-3, 0);
  check_close("d = 1e4: data scale = sqrt(d Var X_0,1)", ok ? rd.data_scale : NAN,
              100 * sqrt(0.09 + 1 - 0.16), 1e-14, 0);
  printf("# d = 1: W1 %.6e E|u| %.6e W2 %.6e L %.6e node_err %.2e disc %.2e\n", r1.qN.w1_lo,
         r1.qN.l1, r1.qN.w2, r1.L, r1.node_err, r1.disc_max);
  printf("# d = 1e4: lo %.6e E||u|| %.6e W2 %.6e\n", rd.qN.w1_lo, rd.qN.l1, rd.qN.w2);
  ctr_grid_result_free(g), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* The atlas presets as mixtures: product_bimodal in d = 3 (8 corners, data scale
 * sqrt(d (m^2 + sigma^2))) and scale_mixture (K = 3: variances sigma^2, sigma, 1; data scale
 * sqrt(d mean(v_k))). */
static void presets(void) {
  ctr_mixture_params p;
  ctr_mixture_params_default(&p);
  p.kind = CTR_MIXTURE_PRODUCT_BIMODAL, p.d = 3, p.m = 1.5, p.sigma = 0.2;
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_status st = ctr_mixture_from_params(&p, &m, &err);
  int corners = !st && m->K == 8;
  for (int k = 0; corners && k < 8; k++)
    for (int i = 0; i < 3; i++) corners &= fabs(m->mu[k * 3 + i]) == 1.5;
  for (int k = 0; corners && k < 8; k++) /* all distinct: the sign pattern is k's bits */
    for (int j = 0; j < k; j++)
      corners &= m->mu[k * 3] != m->mu[j * 3] || m->mu[k * 3 + 1] != m->mu[j * 3 + 1] ||
                 m->mu[k * 3 + 2] != m->mu[j * 3 + 2];
  check_true("product_bimodal d = 3: 8 distinct corners (+-m)^3", corners, "");
  check_rel("product_bimodal d = 3: data scale sqrt(d (m^2 + sigma^2))",
            st ? NAN : ctr_mixture_data_scale(m), sqrt(3 * (2.25 + 0.04)), 1e-14);
  ctr_mixture_free(m), m = NULL;
  p.d = 17;
  check_true("product_bimodal d = 17 as a mixture: refused",
             ctr_mixture_from_params(&p, &m, &err) == CTR_EINPUT, err.msg);
  p.kind = CTR_MIXTURE_SCALE, p.d = 5, p.K = 3, p.sigma = 0.5;
  st = ctr_mixture_from_params(&p, &m, &err);
  double want[3] = {0.25, 0.5, 1}, e = 0;
  for (int k = 0; !st && k < 3; k++) e = fmax(e, fabs(m->lam[m->lam_off[k]] - want[k]));
  for (int i = 0; !st && i < 15; i++) e = fmax(e, fabs(m->mu[i]));
  check_close("scale_mixture K = 3: variances sigma^2, sigma, 1 and means 0", st ? NAN : e, 0, 0,
              1e-15);
  check_rel("scale_mixture K = 3: data scale sqrt(d mean v_k)", st ? NAN : ctr_mixture_data_scale(m),
            sqrt(5 * 1.75 / 3), 1e-14);
  ctr_mixture_free(m);
}

/* The memo: a hit (another count of the same law) and every near-miss of the key (schedule N,
 * a variance's last bit, G, lipschitz) must give exactly the bits of a fresh run; two threads
 * asking for one key at once compute it once. */
static int run_memo(const ctr_product_params *p, const ctr_schedule *s, ctr_product_coord c,
                    int memo, ctr_product_result *r) {
  ctr_error err;
  ctr_product_cache_enable(memo);
  ctr_status st = ctr_product_run(p, s, 1, &c, r, &err);
  ctr_product_cache_enable(1);
  if (st) printf("# %s\n", err.msg);
  return st == CTR_OK;
}

static void memo_case(const char *what, const ctr_product_params *p, const ctr_schedule *s,
                      ctr_product_coord c, int want_hit) {
  ctr_product_result got, fresh;
  long h0, m0, h1, m1;
  ctr_product_cache_stats(&h0, &m0);
  int ok = run_memo(p, s, c, 1, &got);
  ctr_product_cache_stats(&h1, &m1);
  ok &= run_memo(p, s, c, 0, &fresh);
  char name[160];
  snprintf(name, sizeof name, "memo, %s: %s", what, want_hit ? "a hit" : "a miss");
  check_true(name, ok && (want_hit ? h1 == h0 + 1 && m1 == m0 : h1 == h0 && m1 == m0 + 1), "");
  snprintf(name, sizeof name, "memo, %s: the result's bits = a fresh run's", what);
  check_true(name, ok && memcmp(&got, &fresh, sizeof got) == 0, "");
}

static void product_memo(void) {
  ctr_schedule *s = sched(40), *s2 = sched(41);
  double w[2] = {0.5, 0.5}, mu[2] = {-1, 1}, var[2] = {0.09, 0.09}, var2[2] = {0.09, 0.09};
  var2[1] = nextafter(var2[1], 1);
  ctr_product_params p;
  ctr_product_params_default(&p);
  p.grid.G = 301, p.grid.Q = 10;
  ctr_product_cache_clear();
  memo_case("first run", &p, s, (ctr_product_coord){2, w, mu, var, 1}, 0);
  memo_case("same law, d = 1000", &p, s, (ctr_product_coord){2, w, mu, var, 1000}, 1);
  memo_case("N = 41", &p, s2, (ctr_product_coord){2, w, mu, var, 1000}, 0);
  memo_case("a variance one ulp up", &p, s, (ctr_product_coord){2, w, mu, var2, 1000}, 0);
  ctr_product_params p2 = p;
  p2.grid.G = 303;
  memo_case("G = 303", &p2, s, (ctr_product_coord){2, w, mu, var, 1000}, 0);
  p2 = p, p2.lipschitz = 0;
  memo_case("without L", &p2, s, (ctr_product_coord){2, w, mu, var, 1000}, 0);
  memo_case("same law, d = 7", &p, s, (ctr_product_coord){2, w, mu, var, 7}, 1);
  ctr_product_result a, b, fresh;
  ctr_product_cache_clear(); /* two threads, one key: computed once, both bit-equal */
  long h0, m0, h1, m1;
  ctr_product_cache_stats(&h0, &m0);
  int oks[2] = {0, 0};
#pragma omp parallel num_threads(2)
  {
    int t = omp_get_thread_num();
    if (t < 2) oks[t] = run_memo(&p, s2, (ctr_product_coord){2, w, mu, var, 50}, 1, t ? &b : &a);
  }
  ctr_product_cache_stats(&h1, &m1);
  int ok = run_memo(&p, s2, (ctr_product_coord){2, w, mu, var, 50}, 0, &fresh);
  int nt = oks[0] + oks[1];
  check_true("memo, two threads: one run computed, one copied (or one thread only)",
             ok && (nt == 2 ? h1 - h0 == 1 && m1 - m0 == 1 : h1 - h0 == 0 && m1 - m0 == 1), "");
  check_true("memo, two threads: the bits of a fresh run", ok && oks[0] &&
             memcmp(&a, &fresh, sizeof a) == 0 && (!oks[1] || memcmp(&b, &fresh, sizeof b) == 0),
             "");
  ctr_schedule_free(s), ctr_schedule_free(s2);
}

int main(void) {
  presets();
  gsl_set_error_handler_off();
  norm_enumerated();
  norm_gaussian();
  product_vs_grid();
  product_memo();
  return check_summary();
}
