/* test_semidiscrete: the semi-discrete W2 solver (wasserstein/semidiscrete.h, theory.md §9.22)
 * against independent computations:
 *   poly      mass, first and second moments of a 3-component isotropic mixture over convex
 *             polygons (one holding a centre, one beside the centres, a thin one, one in the far
 *             tail where the fan's triangles would cancel, one huge) against nested adaptive
 *             quadrature in x and y (gsl_integration_qag), and the edge integrals against qag;
 *   single    n = 1: W2^2 = sum_k w_k (|c_k - y_1|^2 + 2 S), closed form;
 *   gauss     nu = N(c, S I), atoms the product quantile quantiser of N(c', S' I) (equal-mass
 *             cells, conditional means): W2^2 must lie in [W_G^2 - D, W_G^2 + D (2 sqrt(S/S') - 1)],
 *             W_G the Gaussian closed form and D the quantiser's distortion (both closed form,
 *             derived in §9.22), at n = 20^2 and 40^2 (the bracket narrows like 1/n);
 *   duality   dual <= primal_hi everywhere, and at convergence (primal_hi - dual) / dual < 1e-9;
 *   lattice   atoms on a square lattice with equal weights (co-circular lifts: qhull's "Qt"),
 *             and collinear atoms (qhull refuses: the all-pairs fallback): both converge with
 *             cell masses that sum to 1;
 *   threads   the same problem on 1 and 2 threads gives the same bits;
 *   wide      atoms spread 3x wider than nu converge (the affine start);
 *   input     duplicate atoms, masses not summing to 1, n = 0, S <= 0 -> CTR_EINPUT. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "check.h"
#include "wasserstein/semidiscrete.h"
#include "wasserstein/semidiscrete_cells.h"

/* ---- brute force: nested qag over a convex polygon ---- */
typedef struct {
  const double *px, *py;
  int nv;
  double cx, cy, S, rx, ry; /* component, and the reference point of the second moment */
  int what;                 /* 0 mass, 1 x-moment about c, 2 y-moment about c, 3 |y - r|^2 */
  double x;
  gsl_integration_workspace *wi;
} bf_ctx;

static double bf_inner(double y, void *v) {
  bf_ctx *b = v;
  double dx = b->x - b->cx, dy = y - b->cy;
  double r = exp(-(dx * dx + dy * dy) / (2 * b->S)) / (2 * M_PI * b->S);
  switch (b->what) {
  case 0: return r;
  case 1: return dx * r;
  case 2: return dy * r;
  default: return ((b->x - b->rx) * (b->x - b->rx) + (y - b->ry) * (y - b->ry)) * r;
  }
}

static double bf_outer(double x, void *v) {
  bf_ctx *b = v;
  double lo = INFINITY, hi = -INFINITY;
  for (int j = 0; j < b->nv; j++) { /* the vertical line's chord of the convex polygon */
    int j1 = (j + 1) % b->nv;
    double x0 = b->px[j], x1 = b->px[j1], y0 = b->py[j], y1 = b->py[j1];
    if ((x < fmin(x0, x1)) || (x > fmax(x0, x1))) continue;
    double yy = x0 == x1 ? y0 : y0 + (x - x0) / (x1 - x0) * (y1 - y0);
    lo = fmin(lo, yy), hi = fmax(hi, yy);
    if (x0 == x1) lo = fmin(lo, y1), hi = fmax(hi, y1);
  }
  if (!(hi > lo)) return 0;
  b->x = x;
  gsl_function f = {bf_inner, b};
  double r, e;
  /* split at the component's centre row so that qag sees the peak at an end point */
  double mid = fmin(fmax(b->cy, lo), hi);
  double sum = 0;
  if (mid > lo) gsl_integration_qag(&f, lo, mid, 0, 1e-13, 1000, GSL_INTEG_GAUSS61, b->wi, &r, &e), sum += r;
  if (hi > mid) gsl_integration_qag(&f, mid, hi, 0, 1e-13, 1000, GSL_INTEG_GAUSS61, b->wi, &r, &e), sum += r;
  return sum;
}

static double brute(const double *px, const double *py, int nv, double cx, double cy, double S,
                    int what, double rx, double ry) {
  bf_ctx b = {px, py, nv, cx, cy, S, rx, ry, what, 0, gsl_integration_workspace_alloc(1000)};
  gsl_integration_workspace *wo = gsl_integration_workspace_alloc(1000);
  double xs[16];
  int nx = 0;
  for (int j = 0; j < nv; j++) xs[nx++] = px[j];
  xs[nx++] = cx;
  for (int a = 1; a < nx; a++) /* sort the break points */
    for (int c = a; c > 0 && xs[c - 1] > xs[c]; c--) {
      double t = xs[c];
      xs[c] = xs[c - 1], xs[c - 1] = t;
    }
  double xmin = xs[0], xmax = xs[nx - 1];
  for (int j = 0; j < nv; j++) xmin = fmin(xmin, px[j]), xmax = fmax(xmax, px[j]);
  gsl_function f = {bf_outer, &b};
  double sum = 0;
  for (int a = 0; a + 1 < nx; a++) {
    double lo = fmax(xs[a], xmin), hi = fmin(xs[a + 1], xmax), r, e;
    double pmin = INFINITY, pmax = -INFINITY;
    for (int j = 0; j < nv; j++) pmin = fmin(pmin, px[j]), pmax = fmax(pmax, px[j]);
    lo = fmax(lo, pmin), hi = fmin(hi, pmax);
    if (hi <= lo) continue;
    gsl_integration_qag(&f, lo, hi, 0, 1e-12, 1000, GSL_INTEG_GAUSS61, wo, &r, &e);
    sum += r;
  }
  gsl_integration_workspace_free(wo), gsl_integration_workspace_free(b.wi);
  return sum;
}

typedef struct {
  double ax, ay, bx, by, cx, cy, S;
} seg_ctx;
static double seg_f(double t, void *v) {
  seg_ctx *s = v;
  double x = s->ax + t * (s->bx - s->ax) - s->cx, y = s->ay + t * (s->by - s->ay) - s->cy;
  return exp(-(x * x + y * y) / (2 * s->S)) / (2 * M_PI * s->S) * hypot(s->bx - s->ax, s->by - s->ay);
}

static void test_poly(void) {
  const double w[3] = {0.5, 0.3, 0.2}, c[6] = {0, 0, 2.0, 0.5, -1.0, 1.5}, S = 0.4;
  /* polygons, counter-clockwise */
  struct { int nv; double x[6], y[6]; const char *name; } P[] = {
      {3, {-0.5, 1.0, 0.2}, {-0.4, -0.3, 0.9}, "triangle holding c_0"},
      {4, {0.5, 1.4, 1.5, 0.6}, {-1.5, -1.6, -0.6, -0.7}, "quad beside the centres"},
      {3, {-0.3, 3.0, 3.0}, {-0.2, 0.6, 0.62}, "thin sliver"},
      {4, {5.0, 6.5, 6.5, 5.0}, {-4.0, -4.0, -2.5, -2.5}, "far tail (mass ~3e-13, 6 sd out)"},
      {5, {-30, 30, 35, 0, -30}, {-30, -30, 10, 35, 30}, "huge pentagon"},
  };
  for (size_t t = 0; t < sizeof P / sizeof P[0]; t++) {
    ctr_sd_poly p = {P[t].nv, P[t].nv, P[t].x, P[t].y, NULL};
    double got[4] = {0}, want[4] = {0}, err[4] = {0};
    const double rx = 0.7, ry = -0.2; /* second moment about a point that is no centre */
    for (int k = 0; k < 3; k++) {
      ctr_sd_moments mo;
      ctr_sd_poly_gauss(&p, c[2 * k], c[2 * k + 1], S, 1e-18, &mo);
      double ux = c[2 * k] - rx, uy = c[2 * k + 1] - ry;
      got[0] += w[k] * mo.m0, got[1] += w[k] * (mo.m1x + c[2 * k] * mo.m0);
      got[2] += w[k] * (mo.m1y + c[2 * k + 1] * mo.m0);
      got[3] += w[k] * (mo.m2 + 2 * (ux * mo.m1x + uy * mo.m1y) + (ux * ux + uy * uy) * mo.m0);
      err[0] += w[k] * mo.e0;
      double b0 = 0;
      for (int q = 0; q < 4; q++) { /* first moments about c_k, shifted to the origin */
        double b = brute(P[t].x, P[t].y, P[t].nv, c[2 * k], c[2 * k + 1], S, q, rx, ry);
        if (q == 0) b0 = b;
        if (q == 1) b += c[2 * k] * b0;
        if (q == 2) b += c[2 * k + 1] * b0;
        want[q] += w[k] * b;
      }
    }
    const char *qn[4] = {"mass", "first moment x", "first moment y", "second moment"};
    for (int q = 0; q < 4; q++) {
      char name[160];
      snprintf(name, sizeof name, "poly %s: %s against nested qag", P[t].name, qn[q]);
      check_close(name, got[q], want[q], 1e-10, 1e-300);
    }
    char name[160];
    snprintf(name, sizeof name, "poly %s: mass error estimate %.2g within the target (1e-18 or "
             "1e-13 of the mass)", P[t].name, err[0]);
    check_true(name, err[0] <= fmax(1e-18, 1e-13 * got[0]), "estimate too large");
  }
  /* edge integrals: a segment through a centre, one in the tail */
  double segs[3][4] = {{-1, -0.5, 1.5, 0.7}, {3.0, 3.0, 5.0, 2.0}, {0.2, 0.1, 0.2, 0.1 + 1e-3}};
  gsl_integration_workspace *wk = gsl_integration_workspace_alloc(1000);
  for (int s = 0; s < 3; s++) {
    seg_ctx sc = {segs[s][0], segs[s][1], segs[s][2], segs[s][3], c[2], c[3], S};
    gsl_function f = {seg_f, &sc};
    double r, e;
    gsl_integration_qag(&f, 0, 1, 0, 1e-13, 1000, GSL_INTEG_GAUSS61, wk, &r, &e);
    double got = ctr_sd_segment_gauss(segs[s][0], segs[s][1], segs[s][2], segs[s][3], c[2], c[3], S);
    char name[120];
    snprintf(name, sizeof name, "segment %d: int rho dl against qag", s);
    check_close(name, got, r, 1e-11, 1e-300);
  }
  gsl_integration_workspace_free(wk);
}

static void test_single(void) {
  const double w[2] = {0.6, 0.4}, c[4] = {0.5, -1.0, -2.0, 0.3}, y[2] = {0.1, 0.2}, m[1] = {1};
  ctr_sd_gmix nu = {2, w, c, 0.8};
  double psi[1] = {0.3}, want = 0;
  for (int k = 0; k < 2; k++)
    want += w[k] * (pow(c[2 * k] - y[0], 2) + pow(c[2 * k + 1] - y[1], 2) + 2 * nu.S);
  ctr_sd_result r;
  ctr_error err;
  ctr_status st = ctr_semidiscrete_w2(1, y, m, &nu, NULL, psi, &r, &err);
  check_true("single atom: solver succeeds", st == CTR_OK, err.msg);
  check_close("single atom: dual = sum_k w_k (|c_k - y|^2 + 2 S)", r.dual, want, 1e-12, 0);
  check_close("single atom: primal_hi = the same", r.primal_hi, want, 1e-12, 0);
}

/* The product quantile quantiser of N(c', S' I): n1 equal-mass intervals per axis, the atoms
 * their conditional means; D its distortion E|X - q(X)|^2 (closed form). */
static void quantiser(int n1, const double *cp, double Sp, double *y, double *m, double *D) {
  double *b = malloc((size_t)n1 * sizeof *b), sb2 = 0;
  for (int j = 0; j < n1; j++) {
    double lo = j ? gsl_cdf_ugaussian_Pinv((double)j / n1) : -INFINITY;
    double hi = j + 1 < n1 ? gsl_cdf_ugaussian_Pinv((double)(j + 1) / n1) : INFINITY;
    double plo = isfinite(lo) ? exp(-0.5 * lo * lo) : 0, phi = isfinite(hi) ? exp(-0.5 * hi * hi) : 0;
    b[j] = n1 * (plo - phi) / sqrt(2 * M_PI); /* E[Z | Z in cell] */
    sb2 += b[j] * b[j] / n1;
  }
  for (int a = 0; a < n1; a++)
    for (int c = 0; c < n1; c++) {
      int i = a * n1 + c;
      y[2 * i] = cp[0] + sqrt(Sp) * b[a], y[2 * i + 1] = cp[1] + sqrt(Sp) * b[c];
      m[i] = 1.0 / ((double)n1 * n1);
    }
  *D = 2 * Sp * (1 - sb2);
  free(b);
}

static void test_gauss(void) {
  const double c[2] = {0.3, -0.2}, cp[2] = {0, 0}, w[1] = {1}, S = 1.0, Sp = 0.7;
  ctr_sd_gmix nu = {1, w, c, S};
  double WG = c[0] * c[0] + c[1] * c[1] + 2 * pow(sqrt(S) - sqrt(Sp), 2);
  double prev_width = INFINITY;
  for (int n1 = 20; n1 <= 40; n1 += 20) {
    int n = n1 * n1;
    double *y = malloc(2 * (size_t)n * sizeof *y), *m = malloc((size_t)n * sizeof *m);
    double *psi = calloc((size_t)n, sizeof *psi), D;
    quantiser(n1, cp, Sp, y, m, &D);
    ctr_sd_params p;
    ctr_sd_params_default(&p);
    p.mass_tol = 1e-12;
    ctr_sd_result r;
    ctr_error err;
    ctr_status st = ctr_semidiscrete_w2(n, y, m, &nu, &p, psi, &r, &err);
    char name[200];
    snprintf(name, sizeof name, "gauss n = %d: converges (%d Newton steps, mass error %.2g)", n,
             r.newton_steps, r.mass_err);
    check_true(name, st == CTR_OK && r.mass_err <= 1e-12, err.msg);
    /* Newton with the exact Hessian converges quadratically (6-7 steps measured); a Hessian off
     * by a constant factor converges linearly, or stalls in the damping */
    snprintf(name, sizeof name, "gauss n = %d: at most 12 Newton steps", n);
    check_true(name, r.newton_steps <= 12, "too many steps: is the Hessian off?");
    /* the coupling (q(X), T(X)), T the linear Gaussian map, costs hi; it is optimal here,
     * since T maps the product cells to products of intervals, which are Laguerre cells */
    double lo = WG - D, hi = WG + D * (2 * sqrt(S / Sp) - 1);
    printf("# gauss n = %d: dual %.15g primal_hi %.15g bracket [%.15g, %.15g] (W_G^2 %.15g, D %.3g)"
           " quad_err %.2g\n", n, r.dual, r.primal_hi, lo, hi, WG, D, r.quad_err);
    snprintf(name, sizeof name, "gauss n = %d: [dual, primal_hi] inside [W_G^2 - D, W_G^2 + D (2 "
             "sqrt(S/S') - 1)] up to 1e-12", n);
    check_true(name, r.dual >= lo - 1e-12 && r.primal_hi <= hi + 1e-12, "outside the bracket");
    snprintf(name, sizeof name, "gauss n = %d: dual = W_G^2 + D (2 sqrt(S/S') - 1) (exact: the "
             "quantiser's cells mapped by the Gaussian map are Laguerre cells)", n);
    check_close(name, r.dual, hi, 1e-12, 0);
    snprintf(name, sizeof name, "gauss n = %d: dual <= primal_hi", n);
    check_true(name, r.dual <= r.primal_hi, "dual above primal");
    snprintf(name, sizeof name, "gauss n = %d: (primal_hi - dual) / dual = %.2g < 1e-9", n,
             (r.primal_hi - r.dual) / r.dual);
    check_true(name, (r.primal_hi - r.dual) / r.dual < 1e-9, "gap too wide");
    snprintf(name, sizeof name, "gauss n = %d: bracket narrows (width %.3g)", n, hi - lo);
    check_true(name, hi - lo < 0.5 * prev_width, "bracket did not narrow");
    prev_width = hi - lo;
    free(y), free(m), free(psi);
  }
}

/* A 3-component nu against random-ish atoms: dual <= primal_hi after every Newton budget, the
 * gap at convergence, and 1 against 2 threads. */
static void test_duality_threads(void) {
  const double w[3] = {0.45, 0.35, 0.2}, c[6] = {0, 0, 1.5, 0.4, -0.6, 1.2};
  ctr_sd_gmix nu = {3, w, c, 0.25};
  int n = 500;
  double *y = malloc(2 * (size_t)n * sizeof *y), *m = malloc((size_t)n * sizeof *m);
  double *psi = malloc((size_t)n * sizeof *psi), *psi2 = malloc((size_t)n * sizeof *psi2), ms = 0;
  for (int i = 0; i < n; i++) { /* a deterministic scatter (golden-angle spiral) with uneven masses */
    double r = 1.6 * sqrt((i + 0.5) / n), a = 2.399963229728653 * i;
    y[2 * i] = 0.4 + r * cos(a), y[2 * i + 1] = 0.4 + 0.8 * r * sin(a);
    m[i] = 1 + 0.5 * sin(0.37 * i), ms += m[i];
  }
  for (int i = 0; i < n; i++) m[i] /= ms;
  ctr_sd_params p;
  ctr_sd_params_default(&p);
  ctr_sd_result r;
  ctr_error err;
  p.mass_tol = 1e-12;
  memset(psi, 0, (size_t)n * sizeof *psi);
  omp_set_num_threads(1);
  ctr_status st = ctr_semidiscrete_w2(n, y, m, &nu, &p, psi, &r, &err);
  char name[200];
  snprintf(name, sizeof name, "3-component nu: converges in <= 12 steps (%d, mass error %.2g, "
           "quad_err %.2g)", r.newton_steps, r.mass_err, r.quad_err);
  check_true(name, st == CTR_OK && r.newton_steps <= 12, err.msg);
  snprintf(name, sizeof name, "3-component nu: (primal_hi - dual) / dual = %.2g < 1e-9",
           (r.primal_hi - r.dual) / r.dual);
  check_true(name, r.dual <= r.primal_hi && (r.primal_hi - r.dual) / r.dual < 1e-9, "gap");
  /* unconverged psi (1, 2, 3 steps): both bounds must still hold around the converged W2^2 */
  double W = r.dual, *psi3 = calloc((size_t)n, sizeof *psi3);
  int ok = 1;
  /* 1, 2, 3 steps, then stopped early at mass errors 1e-2 .. 1e-6, where the mass-error
   * terms of primal_hi are what keeps it above W2^2 */
  const double tols[6] = {1e-12, 1e-12, 1e-12, 1e-2, 1e-4, 1e-6};
  for (int budget = 1; budget <= 6; budget++) {
    ctr_sd_result rb;
    memset(psi3, 0, (size_t)n * sizeof *psi3);
    p.max_newton = budget <= 3 ? budget : 100, p.mass_tol = tols[budget - 1];
    ctr_semidiscrete_w2(n, y, m, &nu, &p, psi3, &rb, &err);
    printf("# after %d Newton steps: dual %.12g primal_hi %.12g mass error %.2g (W2^2 %.12g)\n",
           rb.newton_steps, rb.dual, rb.primal_hi, rb.mass_err, W);
    ok &= rb.dual <= W * (1 + 1e-12) && rb.primal_hi >= W * (1 - 1e-12);
  }
  p.max_newton = 100, p.mass_tol = 1e-12;
  free(psi3);
  check_true("3-component nu: dual <= W2^2 <= primal_hi after 1, 2, 3 Newton steps and at mass errors 1e-2, 1e-4, 1e-6", ok, "crossed");
  ctr_sd_result r2;
  memset(psi2, 0, (size_t)n * sizeof *psi2);
  omp_set_num_threads(2);
  ctr_semidiscrete_w2(n, y, m, &nu, &p, psi2, &r2, &err);
  check_true("3-component nu: 1 and 2 threads give the same bits",
             r.dual == r2.dual && r.primal_hi == r2.primal_hi && !memcmp(psi, psi2, (size_t)n * sizeof *psi),
             "thread count changed the result");
  free(y), free(m), free(psi), free(psi2);
}

static void test_degenerate(void) {
  const double w[1] = {1}, c[2] = {0.05, 0.02};
  ctr_sd_gmix nu = {1, w, c, 1.0};
  int n1 = 12, n = n1 * n1;
  double *y = malloc(2 * (size_t)n * sizeof *y), *m = malloc((size_t)n * sizeof *m);
  double *psi = calloc((size_t)n, sizeof *psi);
  for (int i = 0; i < n; i++) y[2 * i] = -2.2 + 0.4 * (i / n1), y[2 * i + 1] = -2.2 + 0.4 * (i % n1), m[i] = 1.0 / n;
  ctr_sd_result r;
  ctr_error err;
  ctr_status st = ctr_semidiscrete_w2(n, y, m, &nu, NULL, psi, &r, &err);
  char name[200];
  snprintf(name, sizeof name, "lattice 12 x 12 (co-circular lifts at psi = 0): converges (%d steps, "
           "mass error %.2g, W2^2 in [%.10g, %.10g])", r.newton_steps, r.mass_err, r.dual, r.primal_hi);
  check_true(name, st == CTR_OK && r.dual <= r.primal_hi, err.msg);
  /* collinear atoms: qhull cannot build a 3-D hull; the all-pairs fallback must */
  n = 7;
  for (int i = 0; i < n; i++) y[2 * i] = -1.5 + 0.5 * i, y[2 * i + 1] = 0.1 * (-1.5 + 0.5 * i), m[i] = 1.0 / n, psi[i] = 0;
  st = ctr_semidiscrete_w2(n, y, m, &nu, NULL, psi, &r, &err);
  snprintf(name, sizeof name, "7 collinear atoms: converges (%d steps, mass error %.2g)",
           r.newton_steps, r.mass_err);
  check_true(name, st == CTR_OK && r.dual <= r.primal_hi, err.msg);
  free(y), free(m), free(psi);
}

/* Atoms spread 3x wider than nu (the product quantiles of N(0, 9 I) against three components
 * of sd 0.2 on the unit circle): from psi = 0 the outer Voronoi cells hold ~e^-400 of nu and the
 * damped iteration did not converge in 100 steps; the affine start (theory §9.22) must. */
static void test_wide(void) {
  const double w[3] = {1 / 3., 1 / 3., 1 / 3.}, c[6] = {1, 0, -0.5, 0.8660254, -0.5, -0.8660254};
  ctr_sd_gmix nu = {3, w, c, 0.04};
  int n1 = 20, n = n1 * n1;
  double *y = malloc(2 * (size_t)n * sizeof *y), *m = malloc((size_t)n * sizeof *m);
  double *psi = calloc((size_t)n, sizeof *psi);
  for (int a = 0; a < n1; a++)
    for (int b = 0; b < n1; b++) {
      int i = a * n1 + b;
      y[2 * i] = 3 * gsl_cdf_ugaussian_Pinv((a + 0.5) / n1);
      y[2 * i + 1] = 3 * gsl_cdf_ugaussian_Pinv((b + 0.5) / n1) + 0.01 * a;
      m[i] = 1.0 / n;
    }
  ctr_sd_result r;
  ctr_error err;
  ctr_status st = ctr_semidiscrete_w2(n, y, m, &nu, NULL, psi, &r, &err);
  char name[200];
  snprintf(name, sizeof name, "atoms 3x wider than nu: converges in <= 30 steps (%d, mass error "
           "%.2g, gap %.2g)", r.newton_steps, r.mass_err, (r.primal_hi - r.dual) / r.dual);
  check_true(name, st == CTR_OK && r.newton_steps <= 30 && r.dual <= r.primal_hi &&
             (r.primal_hi - r.dual) / r.dual < 1e-9, err.msg);
  free(y), free(m), free(psi);
}

static void test_input(void) {
  const double w[1] = {1}, c[2] = {0, 0};
  ctr_sd_gmix nu = {1, w, c, 1.0}, bad = {1, w, c, 0.0};
  double y[4] = {0, 0, 0, 0}, m[2] = {0.5, 0.5}, psi[2] = {0, 0};
  ctr_sd_result r;
  ctr_error err;
  struct { const char *name; ctr_status st; } cases[4];
  cases[0].name = "duplicate atoms", cases[0].st = ctr_semidiscrete_w2(2, y, m, &nu, NULL, psi, &r, &err);
  printf("#   %s\n", err.msg);
  y[2] = 1;
  m[1] = 0.6;
  cases[1].name = "masses summing to 1.1", cases[1].st = ctr_semidiscrete_w2(2, y, m, &nu, NULL, psi, &r, &err);
  printf("#   %s\n", err.msg);
  m[1] = 0.5;
  cases[2].name = "n = 0", cases[2].st = ctr_semidiscrete_w2(0, y, m, &nu, NULL, psi, &r, &err);
  printf("#   %s\n", err.msg);
  cases[3].name = "S = 0", cases[3].st = ctr_semidiscrete_w2(2, y, m, &bad, NULL, psi, &r, &err);
  printf("#   %s\n", err.msg);
  for (int k = 0; k < 4; k++) {
    char name[120];
    snprintf(name, sizeof name, "bad input: %s -> CTR_EINPUT", cases[k].name);
    check_true(name, cases[k].st == CTR_EINPUT, "wrong status");
  }
}

int main(void) {
  gsl_set_error_handler_off();
  test_poly();
  test_single();
  test_gauss();
  test_duality_threads();
  test_degenerate();
  test_wide();
  test_input();
  return check_summary();
}
