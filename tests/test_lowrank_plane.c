/* test_lowrank_plane: the lowrank engine with means in a plane (k = 2; engines/lowrank_plane.h,
 * theory.md §9.18) against independent computations of ideal CT:
 *   product  four modes at the corners (+-m, +-m) of a square in a tilted plane through the
 *            origin: in the plane's axes a product of two 1-D bimodal coordinates, so the product
 *            engine (engines/product.h) gives the exact W2 of both inputs (with the d - 2
 *            Gaussian complement coordinates as a second group) and the exact flow coupling
 *            E||f_N - Phi||^2 (coordinate-wise flows): the lowrank bracket must contain the
 *            exact W2 and its E||f_N - Phi||^2 must equal the product's, at d = 2, 5 and 1000;
 *   chain    three modes in a tilted plane with an offset, d = 2, 4, 8, 16: E||f_N - Phi||^2
 *            (q_N) against the backward chain's unbiased U-statistic within 4 standard errors;
 *   grid     d = 2: the same target on the 2-D grid engine directly (unrotated axes):
 *            E||f_N - Phi|| and E||f_N - Phi||^2 within 3 disc_err.
 *   square   (argument "square [CELLS]") the square at d = 2 through the plane engine with the
 *            semi-discrete W2 on (100 cells unless given): the solver converges, its bracket
 *            holds the product engine's exact W2, the estimate matches it within 3 times its
 *            error estimate plus both grids' refinement change.
 * With the argument "fast" only the product check at d = 2 and 5 runs; "gauss" only the
 * one-Gaussian semi-discrete check; "chain" the chain and grid checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/chain.h"
#include "engines/grid.h"
#include "engines/lowrank.h"
#include "engines/lowrank_plane.h"
#include "engines/product.h"
#include "targets/mixture.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) return NULL;
  return s;
}

/* Two orthonormal generic directions e1, e2 and an offset c orthogonal to both, |c| = cn. */
static void plane_basis(int d, double cn, double *e1, double *e2, double *c) {
  double *v[3] = {e1, e2, c};
  for (int i = 0; i < d; i++)
    e1[i] = (1 + i % 3) * (i % 2 ? -1.0 : 1.0), e2[i] = 1.0 / (1 + i) + (i % 4 == 1),
    c[i] = cos(1.3 * i + 0.2);
  if (d == 2) c[0] = c[1] = 0;
  for (int a = 0; a < 3 && a < d; a++) { /* Gram-Schmidt */
    for (int b = 0; b < a; b++) {
      double p = 0;
      for (int i = 0; i < d; i++) p += v[a][i] * v[b][i];
      for (int i = 0; i < d; i++) v[a][i] -= p * v[b][i];
    }
    double n = 0;
    for (int i = 0; i < d; i++) n += v[a][i] * v[a][i];
    for (int i = 0; i < d; i++) v[a][i] *= (a == 2 ? cn : 1.0) / sqrt(n);
  }
}

/* K components N(c + p_j1 e1 + p_j2 e2, sigma2 I). */
static ctr_mixture *plane_mixture(int d, int K, const double *w, const double *p, double cn,
                                  double sigma2) {
  double *e1 = malloc(sizeof(double) * d), *e2 = malloc(sizeof(double) * d);
  double *c = malloc(sizeof(double) * d), *mu = malloc(sizeof(double) * (size_t)K * d);
  ctr_mixture_cov *cov = malloc(sizeof *cov * (size_t)K);
  plane_basis(d, cn, e1, e2, c);
  for (int j = 0; j < K; j++) {
    for (int i = 0; i < d; i++) mu[(size_t)j * d + i] = c[i] + p[2 * j] * e1[i] + p[2 * j + 1] * e2[i];
    cov[j] = (ctr_mixture_cov){CTR_COV_ISO, &sigma2};
  }
  ctr_mixture *m = NULL;
  ctr_error err;
  if (ctr_mixture_alloc(K, d, w, mu, cov, &m, &err)) printf("# %s\n", err.msg);
  free(e1), free(e2), free(c), free(mu), free(cov);
  return m;
}

static ctr_status run(const ctr_schedule *s, const ctr_mixture *m, ctr_lowrank_result *r) {
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p);
  p.prod.lipschitz = 0;
  /* sized for a loaded test machine: the ODE-coupling cubature (225 flows a rectangle) is the
   * cost, along the separatrices of four modes */
  p.grid2.G = 101, p.grid2.Q = 8, p.grid2.cub_rel = 1e-4, p.grid2.cub_max = 400;
  p.plane_cells = 0; /* the semi-discrete W2 has its own check ("square"): spare its cost here */
  ctr_error err;
  clock_t t0 = clock();
  ctr_status st = ctr_lowrank_run(&p, s, m, r, &err);
  if (st) printf("# %s\n", err.msg);
  printf("# lowrank run: %.1f s of CPU\n", (double)(clock() - t0) / CLOCKS_PER_SEC);
  return st;
}

/* Square corners (+-1, +-1), equal weights, sigma = 0.3, N = 20. */
static void versus_product(int d, const ctr_schedule *s) {
  double w[4] = {0.25, 0.25, 0.25, 0.25}, p[8] = {-1, -1, -1, 1, 1, -1, 1, 1}, var = 0.09;
  ctr_mixture *m = plane_mixture(d, 4, w, p, 0, var);
  ctr_lowrank_result r;
  ctr_status st = run(s, m, &r);
  double pw[2] = {0.5, 0.5}, pmu[2] = {-1, 1}, pv[2] = {var, var}, one = 1, zero = 0;
  ctr_product_coord c[2] = {{2, pw, pmu, pv, 2}, {1, &one, &zero, pv, d - 2}};
  ctr_product_params pp;
  ctr_product_params_default(&pp);
  pp.lipschitz = 0, pp.grid.G = 801, pp.grid.Q = 16;
  ctr_product_result pr;
  ctr_error err;
  if (!st) st = ctr_product_run(&pp, s, d > 2 ? 2 : 1, c, &pr, &err);
  if (st) printf("# %s\n", err.msg);
  int ok = !st;
  char name[128];
  printf("# d = %d: N(0,I) W2 %.7g in [%.7g, %.7g] est %.7g; q_N W2 %.7g in [%.7g, %.7g] est %.7g; "
         "E||f-Phi||^2 lowrank %.8g product %.8g (disc %.2g); W1 product [%.6g, %.6g], lowrank "
         "[%.6g, %.6g]\n", d, pr.gauss.w2, r.gauss.w2_lo, r.gauss.w2_hi, r.gauss.w2, pr.qN.w2,
         r.qN.w2_lo, r.qN.w2_hi, r.qN.w2, r.qN.sq,
         pr.qN.sq, r.disc_max, pr.gauss.w1_lo, pr.gauss.l1, r.gauss.w1_lo, r.gauss.w1_hi);
  snprintf(name, sizeof name, "square d = %d: k = 2", d);
  check_true(name, ok && r.k == 2, "");
  for (int in = 0; in < 2; in++) {
    const ctr_lowrank_input *a = in ? &r.qN : &r.gauss;
    const ctr_product_input *b = in ? &pr.qN : &pr.gauss;
    double slack = 2 * r.disc_max + 1e-9;
    snprintf(name, sizeof name, "square d = %d, %s: w2_lo <= exact W2 <= w2_hi", d,
             in ? "q_N" : "N(0,I)");
    check_true(name, ok && a->w2_lo <= b->w2 + slack && b->w2 <= a->w2_hi + slack, "outside");
    snprintf(name, sizeof name, "square d = %d, %s: w1_lo <= product's W1 upper bound", d,
             in ? "q_N" : "N(0,I)");
    check_true(name, ok && a->w1_lo <= fmin(b->l1, b->w2) + slack, "above");
  }
  snprintf(name, sizeof name, "square d = %d: E||f_N - Phi||^2 = product's (1e-4 + 4 disc)", d);
  check_close(name, ok ? r.qN.sq : NAN, ok ? pr.qN.sq : 0, 1e-4,
              ok ? 4 * r.disc_max * sqrt(pr.qN.sq) : 0);
  ctr_mixture_free(m);
}

/* The square of versus_product at d = 2 through the plane engine directly, with the
 * semi-discrete W2 on (theory.md §9.23): its bracket alone must hold the product engine's exact
 * W2 of both inputs (to the two grids' refinement change), the solver must converge, and the
 * estimate must match the exact W2. */
static void versus_square_sd(const ctr_schedule *s, int cells) {
  double w[4] = {0.25, 0.25, 0.25, 0.25}, p[8] = {-1, -1, -1, 1, 1, -1, 1, 1}, var = 0.09;
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  gp.G = 101, gp.Q = 8, gp.cub_rel = 1e-4, gp.cub_max = 400; /* as run() above */
  ctr_plane_result r;
  ctr_error err;
  clock_t t0 = clock();
  ctr_status st = ctr_lowrank_plane(&gp, s, 4, w, p, var, 0, 1, cells, &r, &err);
  if (st) printf("# %s\n", err.msg);
  printf("# plane run with %d semi-discrete cells: %.1f s of CPU\n", cells,
         (double)(clock() - t0) / CLOCKS_PER_SEC);
  double pw[2] = {0.5, 0.5}, pmu[2] = {-1, 1}, pv[2] = {var, var};
  ctr_product_coord c[1] = {{2, pw, pmu, pv, 2}};
  ctr_product_params pp;
  ctr_product_params_default(&pp);
  pp.lipschitz = 0, pp.grid.G = 801, pp.grid.Q = 16;
  ctr_product_result pr;
  if (!st) st = ctr_product_run(&pp, s, 1, c, &pr, &err);
  if (st) printf("# %s\n", err.msg);
  int ok = !st;
  for (int in = 0; in < 2; in++) {
    const ctr_plane_input *q = r.in + in;
    double exact = ok ? (in ? pr.qN.w2 : pr.gauss.w2) : NAN;
    double lo = sqrt(fmax(q->sd.lo2, 0)), hi = sqrt(q->sd.hi2), est = sqrt(fmax(q->sd.est2, 0));
    double est_err = sqrt(q->sd.est2 + q->sd.est_err) - est, slack = 2 * (r.disc + pr.disc_max);
    printf("# square %s: exact W2 %.7g; semi-discrete [%.7g, %.7g], estimate %.7g +- %.2g; "
           "joined [%.7g, %.7g]; Newton %d%s (mass err %.2g), atoms %d, D %.3g, left out %.2g, "
           "grid disc %.2g, product disc %.2g\n", in ? "q_N" : "N(0,I)", exact, lo, hi, est,
           est_err, q->w2_lo, q->w2_hi, q->sd.newton, q->sd.unconverged ? " unconverged" : "",
           q->sd.mass_err, q->sd.atoms, q->sd.D, q->sd.left_out, r.disc, pr.disc_max);
    char name[128];
    snprintf(name, sizeof name, "square %s: the semi-discrete solver converged", in ? "q_N" : "N(0,I)");
    check_true(name, ok && !q->sd.unconverged && q->sd.mass_err <= 1e-6, "stalled");
    snprintf(name, sizeof name, "square %s: semi-discrete bracket holds the exact W2", in ? "q_N" : "N(0,I)");
    check_true(name, ok && lo <= exact + slack && exact <= hi + slack, "outside");
    snprintf(name, sizeof name, "square %s: semi-discrete estimate = exact W2", in ? "q_N" : "N(0,I)");
    check_close(name, ok ? est : NAN, exact, 0, ok ? 3 * est_err + slack : 0);
  }
}

static const double TRI_W[3] = {0.3, 0.3, 0.4}, TRI_P[6] = {-1, 0, 1, 0, 0, 1.2};

static void versus_chain(int d, int points, const ctr_schedule *s) {
  ctr_mixture *m = plane_mixture(d, 3, TRI_W, TRI_P, 0.5, 0.09);
  ctr_chain_params cp = {points, 4, 11, {0}, 0, 0};
  cp.error.kind = CTR_ERR_NONE;
  ctr_chain_result cr;
  ctr_lowrank_result r;
  ctr_error err;
  ctr_status st = ctr_chain_run(&cp, s, m, &cr, &err);
  if (st) printf("# %s\n", err.msg);
  if (!st) st = run(s, m, &r);
  double z = st ? NAN : (cr.sq - r.qN.sq) / cr.sq_se;
  printf("# | %2d | %.6g +- %.2g | %.6g | %.2f |\n", d, cr.sq, cr.sq_se, st ? NAN : r.qN.sq, z);
  char name[96];
  snprintf(name, sizeof name, "triangle d = %d: E||f_N - Phi||^2 within 4 chain SE", d);
  check_close(name, z, 0, 0, 4);
  ctr_mixture_free(m);
}

/* d = 2: the triangle on the 2-D grid engine in its own axes. */
static void versus_grid2d(const ctr_schedule *s) {
  ctr_mixture *m = plane_mixture(2, 3, TRI_W, TRI_P, 0, 0.09);
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  gp.G = 101, gp.Q = 8, gp.cub_rel = 1e-4, gp.cub_max = 400;
  ctr_grid_result *g = NULL;
  ctr_lowrank_result r;
  ctr_error err;
  ctr_status st = run(s, m, &r);
  if (!st) st = ctr_grid_run(&gp, s, m, &g, &err);
  if (st) printf("# %s\n", err.msg);
  int ok = !st;
  double tol = ok ? 3 * fmax(fmax(g->disc_max, r.disc_max), 1e-6) : 0;
  printf("# d = 2 triangle: lowrank %.7g %.7g, grid %.7g %.7g (disc %.2g, %.2g)\n", r.qN.l1,
         r.qN.sq, ok ? g->base.coupling : NAN, ok ? g->base.coupling_sq : NAN,
         ok ? g->disc_max : NAN, r.disc_max);
  check_close("triangle d = 2: E||f_N - Phi|| = 2-D grid (3 disc)", ok ? r.qN.l1 : NAN,
              ok ? g->base.coupling : 0, 0, tol);
  check_close("triangle d = 2: E||f_N - Phi||^2 = 2-D grid (6 disc |.|)", ok ? r.qN.sq : NAN,
              ok ? g->base.coupling_sq : 0, 0, ok ? 2 * tol * sqrt(g->base.coupling_sq) : 0);
  check_true("triangle d = 2: w2_lo(q_N) <= sqrt E||f_N - Phi||^2", ok &&
             r.qN.w2_lo <= sqrt(g->base.coupling_sq) + tol, "above");
  ctr_grid_result_free(g), ctr_mixture_free(m);
}

/* One isotropic Gaussian N(m, v I_2) as the plane's law (ctr_lowrank_plane called directly): ideal
 * CT's g_N is affine (the grid reproduces it to rounding), so both outputs are Gaussian, with the
 * mean and the isotropic scale read off g_N's values, and W2 against X_1's block
 * N(a_1 m, (a_1^2 v + s_1^2) I) is the closed form |dm|^2 + 2 (s_out - s_1')^2. The semi-discrete
 * bracket must hold it, be much tighter than 1e-2 relative, and the estimate must match it within
 * 3 times its own error estimate (+1e-6 relative). */
static void versus_gauss(const ctr_schedule *s) {
  double w = 1, mu[2] = {0.4, -0.3}, v = 0.25;
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  gp.G = 61, gp.Q = 6, gp.cub_rel = 1e-4, gp.cub_max = 200;
  ctr_plane_result pr;
  ctr_error err;
  ctr_status st = ctr_lowrank_plane(&gp, s, 1, &w, mu, v, 0, 1, 120, &pr, &err);
  if (st) printf("# %s\n", err.msg);
  /* the closed forms: the output of N(0, I) (input 0) and of q_N (input 1) */
  ctr_mixture_cov cov = {CTR_COV_ISO, &v};
  ctr_mixture *m = NULL;
  ctr_grid_result *g = NULL;
  if (!st) st = ctr_mixture_alloc(1, 2, &w, mu, &cov, &m, &err);
  if (!st) st = ctr_grid_run(&gp, s, m, &g, &err);
  int ok = !st;
  for (int in = 0; in < 2; in++) {
    double a1 = ok ? g->a1 : 0, s1 = ok ? g->s1 : 0, aN = ok ? g->aN : 0, sN = ok ? g->sN : 0;
    double c[2] = {in ? aN * mu[0] : 0, in ? aN * mu[1] : 0}, sd = in ? sqrt(aN * aN * v + sN * sN) : 1;
    double y0[2], yx[2], yy[2], x0[2] = {c[0], c[1]}, xx[2] = {c[0] + sd, c[1]}, xy[2] = {c[0], c[1] + sd};
    if (ok) ctr_grid_eval2(g, x0, y0), ctr_grid_eval2(g, xx, yx), ctr_grid_eval2(g, xy, yy);
    /* g affine and isotropic: the output is N(y0, so^2 I) with so = |g(c + sd e_1) - g(c)| */
    double so = hypot(yx[0] - y0[0], yx[1] - y0[1]), so2 = hypot(yy[0] - y0[0], yy[1] - y0[1]);
    double s1p = sqrt(a1 * a1 * v + s1 * s1);
    double dm2 = (y0[0] - a1 * mu[0]) * (y0[0] - a1 * mu[0]) + (y0[1] - a1 * mu[1]) * (y0[1] - a1 * mu[1]);
    double exact = sqrt(dm2 + 2 * (so - s1p) * (so - s1p));
    const ctr_plane_input *q = pr.in + in;
    printf("# gauss %s: exact W2 %.9g (output scale %.9g / %.9g), bracket [%.9g, %.9g], estimate "
           "%.9g +- %.2g; D %.3g, atoms %d, Newton %d%s (mass err %.2g), unlocated %d, left out "
           "%.2g, atoms' W2^2 in [%.9g, %.9g]\n",
           in ? "q_N" : "N(0,I)", exact, so, so2, q->w2_lo, q->w2_hi, q->w2, q->w2_err, q->sd.D,
           q->sd.atoms, q->sd.newton, q->sd.unconverged ? " unconverged" : "", q->sd.mass_err,
           q->sd.unlocated, q->sd.left_out, q->sd.sd_lo2, q->sd.sd_hi2);
    char name[128];
    snprintf(name, sizeof name, "gauss %s: output isotropic (scales equal to 1e-9)", in ? "q_N" : "N(0,I)");
    check_close(name, ok ? so2 : NAN, so, 1e-9, 0);
    /* the semi-discrete numbers alone (Gelbrich and Knothe-Rosenblatt are exact for Gaussians,
     * so the joined bracket would not test them) */
    double lo = sqrt(fmax(q->sd.lo2, 0)), hi = sqrt(q->sd.hi2), est = sqrt(fmax(q->sd.est2, 0));
    double est_err = sqrt(q->sd.est2 + q->sd.est_err) - est;
    printf("#   semi-discrete alone: [%.9g, %.9g], estimate %.9g +- %.2g\n", lo, hi, est, est_err);
    snprintf(name, sizeof name, "gauss %s: semi-discrete bracket holds the closed-form W2", in ? "q_N" : "N(0,I)");
    check_true(name, ok && lo <= exact * (1 + 1e-9) && exact <= hi * (1 + 1e-9), "outside");
    snprintf(name, sizeof name, "gauss %s: semi-discrete bracket width < 8e-2 relative", in ? "q_N" : "N(0,I)");
    check_true(name, ok && hi - lo < 8e-2 * exact, "wide");
    snprintf(name, sizeof name, "gauss %s: semi-discrete estimate = closed form (1e-5 rel)", in ? "q_N" : "N(0,I)");
    check_close(name, ok ? est : NAN, exact, 1e-5, 0);
  }
  ctr_grid_result_free(g), ctr_mixture_free(m);
}

/* The chain at d = 2..16 and the 2-D grid at d = 2. */
static void chain_checks(const ctr_schedule *s) {
  printf("# | d | chain E||f_N - Phi||^2 +- SE | lowrank | z |\n");
  int ds[4] = {2, 4, 8, 16};
  for (int i = 0; i < 4; i++) versus_chain(ds[i], 3000, s);
  versus_grid2d(s);
}

int main(int argc, char **argv) {
  gsl_set_error_handler_off();
  const char *mode = argc > 1 ? argv[1] : "full";
  int full = !strcmp(mode, "full"), fast = !strcmp(mode, "fast"), gauss = !strcmp(mode, "gauss");
  int chain = !strcmp(mode, "chain"), square = !strcmp(mode, "square");
  if (!(full || fast || gauss || chain || square)) {
    fprintf(stderr, "test_lowrank_plane: unknown mode '%s' (full, fast, gauss, chain, "
            "square [CELLS])\n", mode);
    return 2;
  }
  ctr_schedule *s = sched(20);
  if (!s) return 1;
  if (full || fast || gauss) versus_gauss(s);
  if (full || fast) versus_product(2, s), versus_product(5, s);
  if (full) versus_product(1000, s);
  if (full || chain) chain_checks(s);
  if (square) versus_square_sd(s, argc > 2 ? atoi(argv[2]) : 100);
  ctr_schedule_free(s);
  return check_summary();
}
