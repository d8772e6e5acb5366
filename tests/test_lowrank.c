/* test_lowrank: the lowrank engine (engines/lowrank.h, theory.md §9.13) against independent
 * computations: the norm integral's Gaussian block against the Gaussian norm mean of
 * wasserstein/gaussian.h; d = 1 against the 1-D grid engine; k = 0 against the affine engine;
 * invariance under rotation of the line; refusals. The 2-D grid and chain comparisons are the
 * reference test test_lowrank_chain.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/affine.h"
#include "engines/grid.h"
#include "engines/lowrank.h"
#include "metrics/gaussian_metrics.h"
#include "targets/mixture.h"
#include "wasserstein/gaussian.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) return NULL;
  return s;
}

/* K components N(c + t_j e, sigma2 I) in d dims (e, c given, length d). */
static ctr_mixture *line_mixture(int d, int K, const double *w, const double *t, const double *e,
                                 const double *c, double sigma2) {
  double *mu = malloc(sizeof(double) * (size_t)K * d);
  ctr_mixture_cov *cov = malloc(sizeof *cov * (size_t)K);
  for (int j = 0; j < K; j++) {
    for (int i = 0; i < d; i++) mu[(size_t)j * d + i] = c[i] + t[j] * e[i];
    cov[j] = (ctr_mixture_cov){CTR_COV_ISO, &sigma2};
  }
  ctr_mixture *m = NULL;
  ctr_error err;
  if (ctr_mixture_alloc(K, d, w, mu, cov, &m, &err)) printf("# %s\n", err.msg);
  free(mu), free(cov);
  return m;
}

/* The Gaussian block of the norm integral: alone against ctr_gauss_norm_mean (an independent
 * quadrature of the same identity, theory.md §4.9), and joined to a discrete law against the
 * mixture over its atoms of Gaussian norm means with the atom as a zero-variance coordinate. */
static void norm_gauss_block(void) {
  enum { n = 4 };
  double nu[n + 1] = {0.7, 0, -0.2, 0.05, 0}, s2[n + 1] = {0.3, 0.01, 0.02, 0, 0};
  double mult[n + 1] = {1, 997, 1, 1, 1}, got, e, want;
  ctr_product_gauss g = {n, nu, s2, mult};
  ctr_error err;
  ctr_status st = ctr_product_norm_mean_gauss(0, NULL, &g, &got, &e, &err);
  if (!st) st = ctr_gauss_norm_mean(n, nu, s2, mult, &want, &err);
  check_rel("Gaussian block alone (d = 1000) = ctr_gauss_norm_mean", st ? NAN : got, want, 1e-10);
  double u[3] = {-0.4, 0.1, 2.5}, wu[3] = {0.2, 0.5, 0.3};
  ctr_product_law L = {3, u, wu, 1};
  st = ctr_product_norm_mean_gauss(1, &L, &g, &got, &e, &err);
  want = 0;
  for (int a = 0; a < 3 && !st; a++) {
    double v;
    nu[n] = u[a];
    st = ctr_gauss_norm_mean(n + 1, nu, s2, mult, &v, &err);
    want += wu[a] * v;
  }
  check_rel("discrete law + Gaussian block = mixture of Gaussian norm means", st ? NAN : got, want,
            1e-10);
}

static ctr_status run(const ctr_schedule *s, const ctr_mixture *m, int G, int Q,
                      ctr_lowrank_result *r) {
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p);
  p.prod.grid.G = G, p.prod.grid.Q = Q;
  ctr_error err;
  ctr_status st = ctr_lowrank_run(&p, s, m, r, &err);
  if (st) printf("# %s\n", err.msg);
  return st;
}

/* d = 1, three modes: the span is the whole line, so lowrank is the 1-D grid engine. */
static void versus_grid1d(void) {
  ctr_schedule *s = sched(60);
  double w[3] = {0.3, 0.2, 0.5}, t[3] = {-1, 0.2, 1.5}, e = 1, c = 0;
  ctr_mixture *m = line_mixture(1, 3, w, t, &e, &c, 0.09);
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 1);
  gp.G = 801, gp.Q = 16;
  ctr_grid_result *g = NULL;
  ctr_lowrank_result r;
  ctr_error err;
  ctr_status st = run(s, m, 801, 16, &r);
  if (!st) st = ctr_grid_run(&gp, s, m, &g, &err);
  int ok = !st;
  check_true("d = 1: k = 1, no complement", ok && r.k == 1 && r.gauss.w2_compl == 0, "");
  check_rel("d = 1: W2 (N(0,1)) = grid", ok ? r.gauss.w2 : NAN, ok ? g->base.w2_gauss : 0, 1e-12);
  check_rel("d = 1: W2 (q_N) = grid", ok ? r.qN.w2 : NAN, ok ? g->base.w2_qN : 0, 1e-12);
  check_rel("d = 1: W1 lower (N(0,1)) = grid's exact W1", ok ? r.gauss.w1_lo : NAN,
            ok ? g->base.w1_gauss : 0, 1e-12);
  check_rel("d = 1: W1 upper (q_N) = grid's exact W1 (monotone coupling)", ok ? r.qN.w1_hi : NAN,
            ok ? g->base.w1_qN : 0, 1e-7);
  check_rel("d = 1: E|f_N - Phi| = the grid's ODE coupling", ok ? r.qN.l1 : NAN,
            ok ? g->base.coupling : 0, 1e-6);
  printf("# d = 1: W2 %.9g (grid %.9g), W1 [%.9g, %.9g], L %.6g, disc %.2g\n", r.qN.w2,
         ok ? g->base.w2_qN : NAN, r.qN.w1_lo, r.qN.w1_hi, r.L, r.disc_max);
  ctr_grid_result_free(g), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* k = 0: two components with one mean; the affine engine on N(mu, sigma^2 I) (its metrics). */
static void versus_affine(void) {
  ctr_schedule *s = sched(200);
  enum { d = 5 };
  double w[2] = {0.5, 0.5}, t[2] = {0, 0}, e[d] = {1, 0, 0, 0, 0}, c[d] = {0.3, -0.4, 1.2, 0, 0};
  ctr_mixture *m = line_mixture(d, 2, w, t, e, c, 0.49);
  ctr_lowrank_result r;
  ctr_status st = run(s, m, 801, 16, &r);
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.d = d, tp.lambda = 0.49, tp.mean_norm = 1.3, tp.seed = 5; /* |c| = 1.3 */
  ctr_affine_params ap;
  ctr_affine_params_default(&ap);
  ctr_target *tg = NULL;
  ctr_affine_result *ar = NULL;
  ctr_gauss_metrics gm;
  ctr_error err;
  if (!st) st = ctr_target_alloc(&tp, &tg, &err);
  if (!st) st = ctr_affine_run(&ap, s, tg, &ar, &err);
  if (!st) st = ctr_gauss_metrics_compute(ar, tg, &gm, &err);
  int ok = !st;
  check_true("k = 0: recognised", ok && r.k == 0, "");
  double got[8] = {r.gauss.w2, r.gauss.w1_lo, r.gauss.w1_hi, r.qN.w2, r.qN.w1_lo, r.qN.w1_hi,
                   r.qN.l1, r.L};
  double want[8] = {gm.normal.w2, gm.normal.w1_lo, gm.normal.w1_hi, gm.qN.w2, gm.qN.w1_lo,
                    gm.qN.w1_hi, gm.qN.coupling_l1, gm.lipschitz};
  const char *what[8] = {"W2 N(0,I)", "W1 lo N(0,I)", "W1 hi N(0,I)", "W2 q_N", "W1 lo q_N",
                         "W1 hi q_N", "E||f_N - Phi|| q_N", "L"};
  for (int i = 0; i < 8; i++) {
    char name[96];
    snprintf(name, sizeof name, "k = 0: %s = affine engine (1e-12)", what[i]);
    check_rel(name, ok ? got[i] : NAN, ok ? want[i] : 0, 1e-12);
  }
  check_rel("k = 0: data scale sqrt(d sigma^2)", r.data_scale, sqrt(d * 0.49), 1e-15);
  ctr_affine_result_free(ar), ctr_target_free(tg), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* The same two-mode problem along e_1 (c along e_2) and along a generic direction (c generic,
 * orthogonal to it) in d = 6: every metric is rotation invariant. */
static void rotation(void) {
  ctr_schedule *s = sched(60);
  enum { d = 6 };
  double w[2] = {0.3, 0.7}, t[2] = {-0.9, 1.1}, e1[d] = {1, 0, 0, 0, 0, 0};
  double c1[d] = {0, 0.7, 0, 0, 0, 0}, e[d] = {1, -2, 0.5, 3, -1, 2}, c[d] = {2, 1, 0, 0, 0, 0};
  double ne = 0, ce = 0, nc = 0;
  for (int i = 0; i < d; i++) ne += e[i] * e[i];
  for (int i = 0; i < d; i++) e[i] /= sqrt(ne), ce += c[i] * e[i];
  for (int i = 0; i < d; i++) c[i] -= ce * e[i], nc += c[i] * c[i];
  for (int i = 0; i < d; i++) c[i] *= 0.7 / sqrt(nc);
  ctr_mixture *ma = line_mixture(d, 2, w, t, e1, c1, 0.16), *mb = line_mixture(d, 2, w, t, e, c, 0.16);
  ctr_lowrank_result a, b;
  ctr_status st = run(s, ma, 801, 16, &a);
  if (!st) st = run(s, mb, 801, 16, &b);
  int ok = !st;
  double worst = 0;
  double va[9] = {a.gauss.w2, a.gauss.w1_lo, a.gauss.w1_hi, a.qN.w2, a.qN.w1_lo, a.qN.w1_hi,
                  a.qN.sq, a.L, a.data_scale};
  double vb[9] = {b.gauss.w2, b.gauss.w1_lo, b.gauss.w1_hi, b.qN.w2, b.qN.w1_lo, b.qN.w1_hi,
                  b.qN.sq, b.L, b.data_scale};
  for (int i = 0; i < 9; i++) worst = fmax(worst, fabs(va[i] - vb[i]) / fabs(va[i]));
  check_worst("d = 6: rotated line and offset give the same metrics (relative)", ok ? worst : 1,
              1e-8, "metrics differ");
  int br = ok && a.gauss.w1_lo <= a.gauss.w1_hi && a.gauss.w1_hi <= a.gauss.w2 &&
           a.qN.w1_lo <= a.qN.w1_hi && a.qN.w1_hi <= a.qN.w2 && a.gauss.w2_compl > 0;
  check_true("d = 6: w1_lo <= w1_hi <= W2, complement present", br, "bracket out of order");
  check_close("d = 6: W2^2 = span^2 + complement^2", ok ? a.qN.w2 * a.qN.w2 : NAN,
              a.qN.w2_span * a.qN.w2_span + a.qN.w2_compl * a.qN.w2_compl, 1e-14, 0);
  ctr_mixture_free(ma), ctr_mixture_free(mb), ctr_schedule_free(s);
}

static void refusals(void) {
  ctr_schedule *s = sched(20);
  ctr_error err;
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p);
  ctr_lowrank_result r;
  double w[4] = {0.3, 0.3, 0.2, 0.2}, mu[12] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  double v1 = 0.1, v2 = 0.2;
  double dg[3] = {0.1, 0.1, 0.2};
  ctr_mixture_cov iso1 = {CTR_COV_ISO, &v1}, iso2 = {CTR_COV_ISO, &v2}, dia = {CTR_COV_DIAG, dg};
  ctr_mixture_cov widths[4] = {iso1, iso2, iso1, iso1}, diag[4] = {iso1, dia, iso1, iso1};
  ctr_mixture_cov same[4] = {iso1, iso1, iso1, iso1};
  ctr_mixture_cov *cases[3] = {widths, diag, same};
  const char *what[3] = {"different widths", "a diagonal non-isotropic component",
                         "means spanning three dimensions (k = 3)"};
  for (int i = 0; i < 3; i++) {
    ctr_mixture *m = NULL;
    ctr_status st = ctr_mixture_alloc(4, 3, w, mu, cases[i], &m, &err);
    if (!st) st = ctr_lowrank_run(&p, s, m, &r, &err);
    char name[96];
    snprintf(name, sizeof name, "refused: %s", what[i]);
    check_true(name, st == CTR_EINPUT, "not refused");
    printf("#   %s\n", err.msg);
    ctr_mixture_free(m);
  }
  ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  norm_gauss_block();
  versus_affine();
  versus_grid1d();
  rotation();
  refusals();
  return check_summary();
}
