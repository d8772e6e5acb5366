/* test_affine.c: checks of the affine CT/CD engine (engines/affine.c) and of the Gaussian
 * metrics built on it (metrics/gaussian_metrics.c), theory.md §2, §4, §6:
 *   a. brute-force Monte Carlo consistency training (least squares, step by step)
 *   b. the flow map's closed form against the probability-flow ODE (GSL rk8pd)
 *   c. the tower property with an independent uncentred recursion (long double)
 *   d. diag path vs full-matrix path, fit-matrix
 *   e. CT vs CD (equal for affine maps)
 *   f. coupling E||f_N - Phi|| against Monte Carlo
 *   g. error models: sizes, eps = 0, monotonicity
 *   h. per-step sums: exact vs interpolated L1, RMS against a long double recomputation
 * Prints "ok - name" or "FAIL - name: got .. want .."; exits 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "check.h"
#include "fixtures.h"
#include "engines/affine.h"
#include "metrics/gaussian_metrics.h"
#include "core/rng.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

static ctr_schedule *make_sched(int64_t N, double c0, double c1) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.kind = CTR_SCHED_PAPER, p.N = N, p.c0 = c0, p.c1 = c1;
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  die_if(ctr_schedule_alloc(&p, &s, &err), &err, "schedule alloc");
  return s;
}

static ctr_target *make_target(ctr_target_kind kind, int d, double lambda, int rotate,
                               double mean_norm) {
  ctr_target_params p;
  ctr_target_params_default(&p);
  p.kind = kind, p.d = d, p.lambda = lambda, p.rotate = rotate, p.mean_norm = mean_norm;
  p.lambda_min = 0.01, p.lambda_max = 1.0, p.seed = 1;
  ctr_target *t = NULL;
  ctr_error err = {0};
  die_if(ctr_target_alloc(&p, &t, &err), &err, "target alloc");
  return t;
}

static ctr_affine_result *run(const ctr_schedule *s, const ctr_target *tg, ctr_engine_kind eng,
                              ctr_errmodel_kind kind, double eps, int full, int probes) {
  ctr_affine_params p;
  ctr_affine_params_default(&p);
  p.engine = eng, p.error.kind = kind, p.error.eps = eps, p.force_full = full, p.probes = probes;
  p.seed = 1;
  ctr_affine_result *r = NULL;
  ctr_error err = {0};
  die_if(ctr_affine_run(&p, s, tg, &r, &err), &err, "ctr_affine_run");
  return r;
}

static void metrics(const ctr_affine_result *r, const ctr_target *tg, ctr_gauss_metrics *m) {
  ctr_error err = {0};
  die_if(ctr_gauss_metrics_compute(r, tg, m, &err), &err, "ctr_gauss_metrics_compute");
}

/* Engine slope (eigen-coordinates, d x d row-major) and offset beta_N. */
static void engine_affine(const ctr_affine_result *r, const ctr_target *tg, double *A, double *b) {
  int d = tg->d;
  for (int i = 0; i < d; i++) {
    for (int j = 0; j < d; j++)
      A[i * d + j] = r->full ? r->Delta[i * d + j] : 0.0;
    int g = tg->group[i];
    A[i * d + i] += r->G[g] + (r->full ? 0.0 : r->delta[g]);
    b[i] = r->full ? r->beta[i] : r->u[i] * r->bcoef[g];
  }
}

static const char *const err_names[] = {"none",       "fit-bias",   "fit-scale",
                                        "fit-matrix", "score-bias", "score-scale"};

/* The ten metric values of one run, in a fixed order, with names. */
static void metric_vec(const ctr_gauss_metrics *m, double *v) {
  const ctr_input_metrics *in[2] = {&m->normal, &m->qN};
  for (int k = 0; k < 2; k++) {
    v[5 * k + 0] = in[k]->w2, v[5 * k + 1] = in[k]->w1_lo, v[5 * k + 2] = in[k]->w1_hi;
    v[5 * k + 3] = in[k]->coupling_l1, v[5 * k + 4] = in[k]->coupling_rms;
  }
}
static const char *const metric_names[] = {"w2_normal", "w1_lo_normal", "w1_hi_normal",
                                           "coupling_l1_normal", "coupling_rms_normal",
                                           "w2_qN", "w1_lo_qN", "w1_hi_qN", "coupling_l1_qN",
                                           "coupling_rms_qN"};

/* Compare all ten metrics of two runs: worst relative discrepancy (abs floor) as one check. */
static void compare_metrics(const char *name, const ctr_gauss_metrics *m1,
                            const ctr_gauss_metrics *m2, double rel, double abs) {
  double v1[10], v2[10], worst = 0;
  int iw = 0;
  metric_vec(m1, v1), metric_vec(m2, v2);
  int finite = 1;
  for (int k = 0; k < 10; k++) {
    if (!isfinite(v1[k]) || !isfinite(v2[k])) finite = 0;
    double e = fabs(v1[k] - v2[k]) / fmax(rel * fabs(v2[k]), abs); /* in units of tolerance */
    if (v1[k] == v2[k]) e = 0;
    if (e > worst) worst = e, iw = k;
  }
  if (finite && worst <= 1.0) {
    printf("ok - %s (worst %s: %.3g of tolerance)\n", name, metric_names[iw], worst);
    n_ok++;
  } else {
    printf("FAIL - %s: %s got %.17g want %.17g (rel err %.3g; tol rel %.3g abs %.3g)\n", name,
           metric_names[iw], v1[iw], v2[iw], fabs(v1[iw] - v2[iw]) / fabs(v2[iw]), rel, abs);
    n_fail++;
  }
}

/* ---------------- a. brute-force Monte Carlo consistency training ---------------- */

/* Solve the 3x3 system M x = y by Gaussian elimination with partial pivoting. */
static void solve3(double M[3][3], double y[3], double x[3]) {
  double a[3][4];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 3; j++) a[i][j] = M[i][j];
    a[i][3] = y[i];
  }
  for (int c = 0; c < 3; c++) {
    int p = c;
    for (int i = c + 1; i < 3; i++)
      if (fabs(a[i][c]) > fabs(a[p][c])) p = i;
    for (int j = 0; j < 4; j++) {
      double t = a[c][j];
      a[c][j] = a[p][j], a[p][j] = t;
    }
    for (int i = c + 1; i < 3; i++) {
      double f = a[i][c] / a[c][c];
      for (int j = c; j < 4; j++) a[i][j] -= f * a[c][j];
    }
  }
  for (int i = 2; i >= 0; i--) {
    double acc = a[i][3];
    for (int j = i + 1; j < 3; j++) acc -= a[i][j] * x[j];
    x[i] = acc / a[i][i];
  }
}

/* One Monte Carlo CT run (d = 2, diagonal covariance, Q = identity): fresh samples at
 * every step, f_t fitted by least squares of f_{t-1}(X'_{t-1}) on (X'_t, 1).
 * Output: F (2x2 row-major) and b such that f_N(x) = F x + b. */
static void mc_ct(const ctr_schedule *s, const double *mu, const double *lam, int n,
                  uint64_t seed, double F[4], double b[2]) {
  double Fp[4] = {1, 0, 0, 1}, bp[2] = {0, 0};
  double *z = malloc(sizeof(double) * 4 * (size_t)n);
  if (!z) exit(1);
  for (int64_t t = 2; t <= s->N; t++) {
    ctr_rng r;
    ctr_rng_init(&r, seed, CTR_RNG_TEST, 1000 + (uint64_t)t, 7);
    ctr_rng_normals(&r, 4 * (size_t)n, z);
    double at = s->a[t], st = s->s[t], ap = s->a[t - 1], sp = s->s[t - 1];
    /* centre the regressor at its exact mean a_t mu for conditioning */
    double M[3][3] = {{0}}, Y[2][3] = {{0}};
    for (int k = 0; k < n; k++) {
      const double *g = z + 4 * (size_t)k;
      double x0[2] = {mu[0] + sqrt(lam[0]) * g[0], mu[1] + sqrt(lam[1]) * g[1]};
      double xt[2] = {at * x0[0] + st * g[2], at * x0[1] + st * g[3]};
      double xp[2] = {ap * x0[0] + sp * g[2], ap * x0[1] + sp * g[3]};
      double tgt[2] = {Fp[0] * xp[0] + Fp[1] * xp[1] + bp[0], Fp[2] * xp[0] + Fp[3] * xp[1] + bp[1]};
      double reg[3] = {xt[0] - at * mu[0], xt[1] - at * mu[1], 1.0};
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) M[i][j] += reg[i] * reg[j];
        Y[0][i] += reg[i] * tgt[0], Y[1][i] += reg[i] * tgt[1];
      }
    }
    double c0[3], c1[3];
    solve3(M, Y[0], c0), solve3(M, Y[1], c1);
    /* f_t(x) = C (x - a_t mu) + c  =>  F = C, b = c - C a_t mu */
    Fp[0] = c0[0], Fp[1] = c0[1], Fp[2] = c1[0], Fp[3] = c1[1];
    bp[0] = c0[2] - (c0[0] * at * mu[0] + c0[1] * at * mu[1]);
    bp[1] = c1[2] - (c1[0] * at * mu[0] + c1[1] * at * mu[1]);
  }
  memcpy(F, Fp, sizeof Fp), memcpy(b, bp, sizeof bp);
  free(z);
}

static void test_mc_ct(void) {
  double diag[2] = {0.5, 2.0};
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.kind = CTR_TARGET_DIAGONAL, tp.d = 2, tp.diag = diag, tp.ndiag = 2, tp.mean_norm = 1;
  tp.seed = 1;
  ctr_target *tg = NULL;
  ctr_error err = {0};
  die_if(ctr_target_alloc(&tp, &tg, &err), &err, "a: target");
  check_true("a: diagonal target has Q = identity", tg->Q == NULL, "Q != NULL");
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.kind = CTR_SCHED_PAPER, sp.N = 6, sp.c0 = 1, sp.c1 = 2;
  check_true("a: paper N=6 c0=1 c1=2 is valid", ctr_schedule_check(&sp, &err) == CTR_OK, err.msg);
  ctr_schedule *s = make_sched(6, 1, 2);
  ctr_affine_result *r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_NONE, 0, 0, 0);
  double A[4], beta[2], eng[6], flow[6];
  engine_affine(r, tg, A, beta);
  /* engine as f_N(x) = A x + (a_1 mu - A a_N mu + beta), Q = identity */
  for (int i = 0; i < 4; i++) eng[i] = A[i];
  for (int i = 0; i < 2; i++)
    eng[4 + i] = r->a1 * tg->mu[i] - (A[2 * i] * tg->mu[0] + A[2 * i + 1] * tg->mu[1]) * r->aN +
                 beta[i];
  /* the flow map Phi_{N->1}: slope G, delta = 0 (what CT would be without its shrink) */
  for (int i = 0; i < 4; i++) flow[i] = 0;
  for (int i = 0; i < 2; i++) {
    flow[3 * i] = r->G[tg->group[i]];
    flow[4 + i] = r->a1 * tg->mu[i] - r->G[tg->group[i]] * r->aN * tg->mu[i];
  }
  enum { NSEED = 16 };
  int n = 200000;
  double est[NSEED][6];
  for (int k = 0; k < NSEED; k++) mc_ct(s, tg->mu, diag, n, 100 + (uint64_t)k, est[k], est[k] + 4);
  const char *qn[6] = {"F11", "F12", "F21", "F22", "b1", "b2"};
  double worst_z = 0, min_flow_z = INFINITY;
  for (int q = 0; q < 6; q++) {
    double m = 0, v = 0;
    for (int k = 0; k < NSEED; k++) m += est[k][q];
    m /= NSEED;
    for (int k = 0; k < NSEED; k++) v += (est[k][q] - m) * (est[k][q] - m);
    double se = sqrt(v / (NSEED - 1) / NSEED);
    double z = fabs(m - eng[q]) / se, zf = fabs(m - flow[q]) / se;
    printf("# a: %s MC %.10f +- %.2g (se), engine %.10f (%.2f se), flow map %.10f (%.1f se)\n",
           qn[q], m, se, eng[q], z, flow[q], zf);
    char name[120], det[240];
    snprintf(name, sizeof name, "a: MC CT %s == engine within 5 standard errors", qn[q]);
    snprintf(det, sizeof det, "got MC %.10f want %.10f (%.2f se, se = %.3g)", m, eng[q], z, se);
    check_true(name, z <= 5.0, det);
    if (z > worst_z) worst_z = z;
    /* entries where CT and the flow map differ (diagonal slopes, offsets) */
    if (fabs(flow[q] - eng[q]) > 0) {
      snprintf(name, sizeof name, "a: MC CT %s rejects the flow map (delta = 0) at 5 se", qn[q]);
      snprintf(det, sizeof det, "flow map %.10f only %.2f se from MC %.10f", flow[q], zf, m);
      check_true(name, zf > 5.0, det);
      if (fabs(flow[q] - eng[q]) > 1e-3 && zf < min_flow_z) min_flow_z = zf;
    }
  }
  printf("# a: worst engine discrepancy %.2f se; flow map at least %.1f se away; CT shrink "
         "%.3g / %.3g relative\n", worst_z, min_flow_z, -r->delta[0] / r->G[0],
         -r->delta[1] / r->G[1]);
  ctr_affine_result_free(r);
  ctr_schedule_free(s);
  ctr_target_free(tg);
}

/* ---------------- b. flow map vs the probability-flow ODE ---------------- */

typedef struct {
  double lam, mu;
} ode_par;

static int ode_rhs(double phi, const double y[], double dydt[], void *params) {
  const ode_par *p = params;
  double a = cos(phi), s = sin(phi);
  double D = p->mu + a * p->lam / (a * a * p->lam + s * s) * (y[0] - a * p->mu);
  dydt[0] = (a * y[0] - D) / s;
  return GSL_SUCCESS;
}

static void test_ode(void) {
  ctr_schedule *s = make_sched(1000, 2, 8);
  double lams[] = {0.02, 0.3, 1.0, 4.0, 25.0}, xs[] = {-2.5, 0.0, 0.4, 3.0};
  double phiN = atan2(s->s[s->N], s->a[s->N]), phi1 = atan2(s->s[1], s->a[1]);
  double worst = 0;
  char where[200] = "";
  for (size_t il = 0; il < sizeof lams / sizeof lams[0]; il++) {
    ctr_target *tg = make_target(CTR_TARGET_ISOTROPIC, 1, lams[il], 0, 0.8);
    ctr_affine_result *r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_NONE, 0, 0, 0);
    ode_par par = {lams[il], tg->mu[0]};
    gsl_odeiv2_system sys = {ode_rhs, NULL, 1, &par};
    for (size_t ix = 0; ix < sizeof xs / sizeof xs[0]; ix++) {
      gsl_odeiv2_driver *drv =
          gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, -1e-4, 1e-13, 1e-13);
      double phi = phiN, y[1] = {xs[ix]};
      int st = gsl_odeiv2_driver_apply(drv, &phi, phi1, y);
      gsl_odeiv2_driver_free(drv);
      double want = r->a1 * par.mu + r->G[0] * (xs[ix] - r->aN * par.mu);
      double e = st == GSL_SUCCESS ? fabs(y[0] - want) / fmax(1.0, fabs(want)) : INFINITY;
      if (e > worst) {
        worst = e;
        snprintf(where, sizeof where, "lambda = %g, x = %g: ODE %.17g, closed form %.17g (st %d)",
                 lams[il], xs[ix], y[0], want, st);
      }
    }
    ctr_affine_result_free(r);
    ctr_target_free(tg);
  }
  check_worst("b: Phi_{N->1}(x) closed form (engine G, a_1, a_N) == PF-ODE rk8pd, N=1000", worst,
              1e-10, where);
  ctr_schedule_free(s);
}

/* ---------------- c. tower property, uncentred recursion ---------------- */

static void test_tower(void) {
  int64_t N = 1000;
  ctr_schedule *s = make_sched(N, 2, 8);
  double lams[] = {0.05, 0.3, 1.0, 4.0};
  for (size_t il = 0; il < sizeof lams / sizeof lams[0]; il++) {
    ctr_target *tg = make_target(CTR_TARGET_ISOTROPIC, 1, lams[il], 0, 0.7);
    ctr_affine_result *r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_NONE, 0, 0, 0);
    long double lam = lams[il], mu = tg->mu[0], A = 1, b = 0; /* f_1 = identity */
    long double target = (long double)s->a[1] * mu;
    double worst = 0;
    int64_t tw = 0;
    for (int64_t t = 2; t <= N; t++) {
      /* f*_t(x) = E[f_{t-1}((s'/s) x + c X_0) | X_t = x], E[X_0 | x] = (s^2/v) mu + (a lam/v) x */
      long double a = s->a[t], sv = s->s[t], ap = s->a[t - 1], sp = s->s[t - 1];
      long double v = a * a * lam + sv * sv, c = ap - a * sp / sv;
      long double m = (a * ap * lam + sv * sp) / v;
      b = A * c * (sv * sv / v) * mu + b;
      A = A * m;
      long double mean = A * a * mu + b; /* E f_t(X_t), X_t ~ q_t */
      double e = (double)(fabsl(mean - target) / fabsl(target));
      if (e > worst) worst = e, tw = t;
    }
    char name[160], where[160];
    snprintf(name, sizeof name, "c: lambda=%g: mean of f_t(q_t) == a_1 mu at every t (N=1000)",
             lams[il]);
    snprintf(where, sizeof where, "at t = %lld", (long long)tw);
    check_worst(name, worst, 1e-12, where);
    snprintf(name, sizeof name, "c: lambda=%g: uncentred slope A_N == engine G + delta", lams[il]);
    check_close(name, r->G[0] + r->delta[0], (double)A, 1e-10, 0);
    snprintf(name, sizeof name, "c: lambda=%g: uncentred offset b_N == a_1 mu - A a_N mu + beta",
             lams[il]);
    double eng_b = r->a1 * tg->mu[0] - (r->G[0] + r->delta[0]) * r->aN * tg->mu[0] +
                   r->u[0] * r->bcoef[0];
    check_close(name, eng_b, (double)b, 1e-10, 0);
    ctr_affine_result_free(r);
    ctr_target_free(tg);
  }
  ctr_schedule_free(s);
}

/* ---------------- d. diag path vs full path ---------------- */

static void test_paths(void) {
  ctr_schedule *s = make_sched(500, 2, 8);
  ctr_target *tg = make_target(CTR_TARGET_GEOMETRIC, 3, 1, 1, 0.7);
  int d = tg->d;
  ctr_errmodel_kind kinds[] = {CTR_ERR_NONE, CTR_ERR_FIT_BIAS, CTR_ERR_FIT_SCALE,
                               CTR_ERR_SCORE_BIAS, CTR_ERR_SCORE_SCALE};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    ctr_affine_result *rd = run(s, tg, CTR_ENGINE_CT, kinds[k], 0.05, 0, 0);
    ctr_affine_result *rf = run(s, tg, CTR_ENGINE_CT, kinds[k], 0.05, 1, 0);
    char name[200];
    snprintf(name, sizeof name, "d: %s: paths are diag (force_full=0) and full (force_full=1)",
             err_names[kinds[k]]);
    check_true(name, rd->full == 0 && rf->full == 1, "wrong path");
    ctr_gauss_metrics md, mf;
    metrics(rd, tg, &md), metrics(rf, tg, &mf);
    snprintf(name, sizeof name, "d: %s: full-path metrics == diag-path metrics",
             err_names[kinds[k]]);
    compare_metrics(name, &mf, &md, 1e-9, 1e-12);
    /* the maps themselves */
    double Ad[9], bd[3], Af[9], bf[3], wa = 0, wb = 0;
    engine_affine(rd, tg, Ad, bd), engine_affine(rf, tg, Af, bf);
    for (int i = 0; i < d * d; i++) wa = fmax(wa, fabs(Ad[i] - Af[i]));
    for (int i = 0; i < d; i++) wb = fmax(wb, fabs(bd[i] - bf[i]));
    snprintf(name, sizeof name, "d: %s: full slope and offset == diag ones", err_names[kinds[k]]);
    check_worst(name, fmax(wa, wb), 1e-13, "max abs difference");
    snprintf(name, sizeof name, "d: %s: per-step sums equal on both paths", err_names[kinds[k]]);
    double e = fmax(fmax(fabs(rd->sum_D_l1 - rf->sum_D_l1), fabs(rd->sum_D_rms - rf->sum_D_rms)),
                    fmax(fabs(rd->sum_e_l1 - rf->sum_e_l1), fabs(rd->sum_e_rms - rf->sum_e_rms)));
    check_worst(name, e, 1e-15, "max abs difference");
    snprintf(name, sizeof name, "d: %s: lipschitz and shrink_max equal on both paths",
             err_names[kinds[k]]);
    check_worst(name, fmax(fabs(md.lipschitz - mf.lipschitz), fabs(md.shrink_max - mf.shrink_max)),
                1e-13, "max abs difference");
    ctr_affine_result_free(rd), ctr_affine_result_free(rf);
  }
  /* fit-matrix: full path only */
  ctr_affine_result *r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_MATRIX, 0.05, 0, 0);
  ctr_gauss_metrics m;
  metrics(r, tg, &m);
  double v[10];
  metric_vec(&m, v);
  int fin = 1;
  for (int i = 0; i < 10; i++) fin = fin && isfinite(v[i]) && v[i] >= 0;
  check_true("d: fit-matrix takes the full path", r->full == 1, "diag path");
  check_true("d: fit-matrix metrics finite and >= 0", fin, "non-finite or negative metric");
  check_close("d: fit-matrix sum_e_rms == eps", r->sum_e_rms, 0.05, 1e-12, 0);
  {
    char det[160];
    snprintf(det, sizeof det, "sum_e_l1 %.17g not in [sqrt(2/pi), 1] x %.17g", r->sum_e_l1,
             r->sum_e_rms);
    check_true("d: fit-matrix sum_e_l1 in [sqrt(2/pi), 1] sum_e_rms",
               r->sum_e_l1 <= r->sum_e_rms * (1 + 1e-12) &&
                   r->sum_e_l1 >= sqrt(2 / M_PI) * r->sum_e_rms * (1 - 1e-12),
               det);
  }
  /* the off-diagonal part of the slope is non-zero (the error does not commute) */
  double offd = 0;
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++)
      if (i != j) offd = fmax(offd, fabs(r->Delta[i * d + j]));
  {
    char det[120];
    snprintf(det, sizeof det, "max |off-diagonal Delta| = %.3g", offd);
    check_true("d: fit-matrix slope has off-diagonal terms", offd > 1e-6, det);
  }
  ctr_affine_result_free(r);
  ctr_target_free(tg);
  ctr_schedule_free(s);
}

/* ---------------- e. CT vs CD ---------------- */

static void test_ct_cd(void) {
  ctr_schedule *s = make_sched(1000, 2, 8);
  ctr_target *tg = make_target(CTR_TARGET_GEOMETRIC, 4, 1, 0, 0.7);
  ctr_errmodel_kind kinds[] = {CTR_ERR_NONE, CTR_ERR_FIT_BIAS, CTR_ERR_SCORE_SCALE,
                               CTR_ERR_FIT_SCALE, CTR_ERR_SCORE_BIAS};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    ctr_affine_result *rc = run(s, tg, CTR_ENGINE_CT, kinds[k], 0.05, 0, 0);
    ctr_affine_result *rd = run(s, tg, CTR_ENGINE_CD, kinds[k], 0.05, 0, 0);
    ctr_gauss_metrics mc, md;
    metrics(rc, tg, &mc), metrics(rd, tg, &md);
    char name[200];
    snprintf(name, sizeof name, "e: %s: CD metrics == CT metrics (N=1000, d=4)",
             err_names[kinds[k]]);
    compare_metrics(name, &md, &mc, 1e-8, 1e-14);
    double wd = 0;
    for (int j = 0; j < tg->ndistinct; j++)
      wd = fmax(wd, fabs(rc->delta[j] - rd->delta[j]) / fabs(rc->delta[j]));
    snprintf(name, sizeof name, "e: %s: CD slope deviation delta == CT's", err_names[kinds[k]]);
    check_worst(name, wd, 1e-8, "max relative difference of delta");
    ctr_affine_result_free(rc), ctr_affine_result_free(rd);
  }
  ctr_target_free(tg);
  ctr_schedule_free(s);
}

/* ---------------- f. coupling against Monte Carlo ---------------- */

static void test_coupling_mc(void) {
  ctr_schedule *s = make_sched(100, 2, 8);
  ctr_target *tg = make_target(CTR_TARGET_GEOMETRIC, 3, 1, 1, 0.7);
  ctr_affine_result *r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_BIAS, 0.02, 0, 0);
  ctr_gauss_metrics m;
  metrics(r, tg, &m);
  int d = 3;
  /* everything in ORIGINAL coordinates, Phi from my own G = sqrt(v_1 / v_N) */
  const double *Q = tg->Q;
  double A[9], beta[3], Fo[9], fo[3], Po[9], po[3], G[3], Vh[3];
  engine_affine(r, tg, A, beta);
  int64_t N = s->N;
  for (int i = 0; i < d; i++) {
    double l = tg->lambda[i];
    double v1 = s->a[1] * s->a[1] * l + s->s[1] * s->s[1];
    double vN = s->a[N] * s->a[N] * l + s->s[N] * s->s[N];
    G[i] = sqrt(v1 / vN), Vh[i] = sqrt(vN);
  }
  /* f_N(x) = Q [a_1 mu~ + A (Q^T x - a_N mu~) + beta] = Fo x + fo;  Phi(x) = Po x + po */
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      double f = 0, p = 0;
      for (int k = 0; k < d; k++)
        for (int l = 0; l < d; l++) f += Q[i * d + k] * A[k * d + l] * Q[j * d + l];
      for (int k = 0; k < d; k++) p += Q[i * d + k] * G[k] * Q[j * d + k];
      Fo[i * d + j] = f, Po[i * d + j] = p;
    }
  for (int i = 0; i < d; i++) {
    double qb = 0;
    for (int k = 0; k < d; k++) qb += Q[i * d + k] * beta[k];
    fo[i] = s->a[1] * tg->mu[i] + qb, po[i] = s->a[1] * tg->mu[i];
    for (int j = 0; j < d; j++) {
      fo[i] -= Fo[i * d + j] * s->a[N] * tg->mu[j];
      po[i] -= Po[i * d + j] * s->a[N] * tg->mu[j];
    }
  }
  int n = 1000000;
  for (int input = 0; input < 2; input++) {
    ctr_rng rng;
    ctr_rng_init(&rng, 5, CTR_RNG_TEST, 2, (uint64_t)input);
    double s1 = 0, s2 = 0, q1 = 0, q2 = 0, z[3], x[3];
    for (int k = 0; k < n; k++) {
      ctr_rng_normals(&rng, 3, z);
      if (input == 0) memcpy(x, z, sizeof z); /* N(0, I) */
      else                                    /* q_N = a_N mu + Q V_N^(1/2) Z */
        for (int i = 0; i < d; i++) {
          x[i] = s->a[N] * tg->mu[i];
          for (int j = 0; j < d; j++) x[i] += Q[i * d + j] * Vh[j] * z[j];
        }
      double n2 = 0;
      for (int i = 0; i < d; i++) {
        double xi = fo[i] - po[i];
        for (int j = 0; j < d; j++) xi += (Fo[i * d + j] - Po[i * d + j]) * x[j];
        n2 += xi * xi;
      }
      double nn = sqrt(n2);
      s1 += nn, s2 += nn * nn, q1 += n2, q2 += n2 * n2;
    }
    double m1 = s1 / n, se1 = sqrt((s2 / n - m1 * m1) / (n - 1));
    double mq = q1 / n, seq = sqrt((q2 / n - mq * mq) / (n - 1));
    const ctr_input_metrics *im = input == 0 ? &m.normal : &m.qN;
    const char *in = input == 0 ? "normal" : "qN";
    char name[160], det[240];
    double z1 = fabs(m1 - im->coupling_l1) / se1;
    double zq = fabs(mq - im->coupling_rms * im->coupling_rms) / seq;
    printf("# f: %s: MC E||xi|| %.8g +- %.2g vs coupling_l1 %.8g (%.2f se); MC E||xi||^2 %.8g "
           "+- %.2g vs coupling_rms^2 %.8g (%.2f se)\n", in, m1, se1, im->coupling_l1, z1, mq, seq,
           im->coupling_rms * im->coupling_rms, zq);
    snprintf(name, sizeof name, "f: coupling_l1_%s == MC E||f_N(X) - Phi(X)|| (5 se, n = 1e6)", in);
    snprintf(det, sizeof det, "got %.10g want MC %.10g (%.2f se, se %.3g)", im->coupling_l1, m1,
             z1, se1);
    check_true(name, z1 <= 5, det);
    snprintf(name, sizeof name, "f: coupling_rms_%s^2 == MC E||f_N(X) - Phi(X)||^2 (5 se)", in);
    snprintf(det, sizeof det, "got %.10g want MC %.10g (%.2f se, se %.3g)",
             im->coupling_rms * im->coupling_rms, mq, zq, seq);
    check_true(name, zq <= 5, det);
    /* and the W1 bracket is consistent with the coupling and W2 */
    snprintf(name, sizeof name, "f: %s: w1_lo <= w1_hi <= min(coupling_l1, w2)", in);
    snprintf(det, sizeof det, "lo %.10g hi %.10g coupling_l1 %.10g w2 %.10g", im->w1_lo, im->w1_hi,
             im->coupling_l1, im->w2);
    check_true(name,
               im->w1_lo <= im->w1_hi * (1 + 1e-12) &&
                   im->w1_hi <= fmin(im->coupling_l1, im->w2) * (1 + 1e-10),
               det);
  }
  ctr_affine_result_free(r);
  ctr_target_free(tg);
  ctr_schedule_free(s);
}

/* ---------------- g. error models ---------------- */

static void test_errors(void) {
  ctr_schedule *s = make_sched(500, 2, 8);
  ctr_target *tg = make_target(CTR_TARGET_GEOMETRIC, 3, 1, 1, 0.7);
  double eps = 0.05;
  ctr_affine_result *r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_BIAS, eps, 0, 0);
  check_close("g: fit-bias sum_e_l1 == eps", r->sum_e_l1, eps, 1e-12, 0);
  check_close("g: fit-bias sum_e_rms == eps", r->sum_e_rms, eps, 1e-12, 0);
  ctr_affine_result_free(r);
  r = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_SCALE, eps, 0, 0);
  check_close("g: fit-scale sum_e_rms == eps", r->sum_e_rms, eps, 1e-12, 0);
  {
    char det[160];
    snprintf(det, sizeof det, "sum_e_l1 %.17g vs sum_e_rms %.17g", r->sum_e_l1, r->sum_e_rms);
    check_true("g: fit-scale sum_e_l1 in [sqrt(2/pi), 1] sum_e_rms",
               r->sum_e_l1 <= r->sum_e_rms * (1 + 1e-12) &&
                   r->sum_e_l1 >= sqrt(2 / M_PI) * r->sum_e_rms * (1 - 1e-12),
               det);
  }
  ctr_affine_result_free(r);
  /* eps = 0: every kind gives the error-free metrics */
  ctr_affine_result *r0 = run(s, tg, CTR_ENGINE_CT, CTR_ERR_NONE, 0, 0, 0);
  ctr_gauss_metrics m0;
  metrics(r0, tg, &m0);
  /* fit-matrix takes the full path: compare it with none on the full path too (path
   * agreement itself is part d) */
  ctr_affine_result *r0f = run(s, tg, CTR_ENGINE_CT, CTR_ERR_NONE, 0, 1, 0);
  ctr_gauss_metrics m0f;
  metrics(r0f, tg, &m0f);
  ctr_affine_result_free(r0f);
  for (int k = CTR_ERR_FIT_BIAS; k <= CTR_ERR_SCORE_SCALE; k++) {
    r = run(s, tg, CTR_ENGINE_CT, (ctr_errmodel_kind)k, 0, 0, 0);
    ctr_gauss_metrics mk;
    metrics(r, tg, &mk);
    const ctr_gauss_metrics *ref = k == CTR_ERR_FIT_MATRIX ? &m0f : &m0;
    char name[160];
    double v0[10], vk[10];
    metric_vec(ref, v0), metric_vec(&mk, vk);
    int exact = 1;
    for (int i = 0; i < 10; i++) exact = exact && v0[i] == vk[i];
    /* same arithmetic with zero perturbations: bitwise or last-ulp equal */
    snprintf(name, sizeof name, "g: %s eps=0 metrics == none%s (%s)", err_names[k],
             k == CTR_ERR_FIT_MATRIX ? " on the full path" : "", exact ? "bitwise" : "not bitwise");
    compare_metrics(name, &mk, ref, 1e-14, 1e-15);
    snprintf(name, sizeof name, "g: %s eps=0 sum_e == 0", err_names[k]);
    check_true(name, r->sum_e_l1 == 0 && r->sum_e_rms == 0, "non-zero sum_e");
    ctr_affine_result_free(r);
  }
  /* large fit errors increase W2 */
  for (int k = CTR_ERR_FIT_BIAS; k <= CTR_ERR_FIT_MATRIX; k++) {
    double prevn = m0.normal.w2, prevq = m0.qN.w2;
    double epss[] = {0.5, 1.0, 2.0};
    for (int e = 0; e < 3; e++) {
      r = run(s, tg, CTR_ENGINE_CT, (ctr_errmodel_kind)k, epss[e], 0, 0);
      ctr_gauss_metrics mk;
      metrics(r, tg, &mk);
      char name[160], det[200];
      snprintf(name, sizeof name, "g: %s eps=%g: W2 (both inputs) > W2 at smaller eps",
               err_names[k], epss[e]);
      snprintf(det, sizeof det, "w2_normal %.6g (before %.6g), w2_qN %.6g (before %.6g)",
               mk.normal.w2, prevn, mk.qN.w2, prevq);
      check_true(name, mk.normal.w2 > prevn && mk.qN.w2 > prevq, det);
      prevn = mk.normal.w2, prevq = mk.qN.w2;
      ctr_affine_result_free(r);
    }
  }
  ctr_affine_result_free(r0);
  ctr_target_free(tg);
  ctr_schedule_free(s);
}

/* ---------------- h. per-step sums ---------------- */

static void test_stepsums(void) {
  int64_t N = 2000;
  ctr_schedule *s = make_sched(N, 2, 8);
  ctr_target *tg = make_target(CTR_TARGET_GEOMETRIC, 5, 1, 0, 0);
  ctr_affine_result *rx = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_SCALE, 0.05, 0, 100000);
  ctr_affine_result *ri = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_SCALE, 0.05, 0, 0);
  check_true("h: probes=100000 at N=2000: sums_exact == 1", rx->sums_exact == 1, "not exact");
  check_true("h: default probes at N=2000, d=5: sums_exact == 0", ri->sums_exact == 0,
             "claims exact");
  /* documented accuracy of the default 128 probes: a few 1e-4 (the ratio has a kink where
   * the schedule saturates); a bug in the interpolation would be off by far more */
  check_close("h: sum_D_l1 interpolated == exact (5e-4)", ri->sum_D_l1, rx->sum_D_l1, 5e-4, 0);
  check_close("h: sum_e_l1 interpolated == exact (1e-4, fit-scale)", ri->sum_e_l1, rx->sum_e_l1,
              1e-4, 0);
  check_true("h: sum_D_rms identical", ri->sum_D_rms == rx->sum_D_rms, "differs");
  check_true("h: sum_e_rms identical", ri->sum_e_rms == rx->sum_e_rms, "differs");
  printf("# h: sum_D_l1 exact %.12g interpolated %.12g (rel %.3g)\n", rx->sum_D_l1, ri->sum_D_l1,
         fabs(ri->sum_D_l1 / rx->sum_D_l1 - 1));
  { /* the interpolation converges: the error falls with more probes, below 1e-4 at 512 */
    int pr[] = {128, 256, 512};
    double prev = INFINITY, e512 = 0;
    int mono = 1;
    for (int i = 0; i < 3; i++) {
      ctr_affine_result *rp = run(s, tg, CTR_ENGINE_CT, CTR_ERR_FIT_SCALE, 0.05, 0, pr[i]);
      double e = fabs(rp->sum_D_l1 / rx->sum_D_l1 - 1);
      printf("# h: probes %d: sum_D_l1 rel error %.3g\n", pr[i], e);
      mono = mono && e < prev;
      prev = e, e512 = e;
      ctr_affine_result_free(rp);
    }
    check_true("h: sum_D_l1 interpolation error decreases with probes (128, 256, 512)", mono,
               "not decreasing");
    check_worst("h: sum_D_l1 with probes=512 == exact", e512, 1e-4, "relative error");
  }
  /* sum_t (E_{q_t}||D_t||^2)^(1/2) recomputed: D_t(x) = -G_t (1 - cos theta_t)(x - a_t mu),
   * E = v_1 (1 - cos theta_t)^2 per coordinate, cos theta_t from its definition (long double) */
  long double tot = 0;
  for (int64_t t = 2; t <= N; t++) {
    long double a = s->a[t], sv = s->s[t], ap = s->a[t - 1], sp = s->s[t - 1], acc = 0;
    for (int i = 0; i < tg->d; i++) {
      long double l = tg->lambda[i], v = a * a * l + sv * sv, vp = ap * ap * l + sp * sp;
      long double v1 = (long double)s->a[1] * s->a[1] * l + (long double)s->s[1] * s->s[1];
      long double omc = 1.0L - (a * ap * l + sv * sp) / sqrtl(v * vp);
      acc += v1 * omc * omc;
    }
    tot += sqrtl(acc);
  }
  check_close("h: sum_D_rms == long double recomputation from cos theta_t", rx->sum_D_rms,
              (double)tot, 1e-9, 0);
  /* sum_D_l1 between sqrt(2/pi) and 1 times sum_D_rms */
  {
    char det[160];
    snprintf(det, sizeof det, "l1 %.17g rms %.17g", rx->sum_D_l1, rx->sum_D_rms);
    check_true("h: sqrt(2/pi) sum_D_rms <= sum_D_l1 <= sum_D_rms",
               rx->sum_D_l1 <= rx->sum_D_rms && rx->sum_D_l1 >= sqrt(2 / M_PI) * rx->sum_D_rms,
               det);
  }
  ctr_affine_result_free(rx), ctr_affine_result_free(ri);
  ctr_target_free(tg);
  ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  test_mc_ct();
  test_ode();
  test_tower();
  test_paths();
  test_ct_cd();
  test_coupling_mc();
  test_errors();
  test_stepsums();
  printf("# %d passed, %d failed\n", n_ok, n_fail);
  return n_fail ? 1 : 0;
}
