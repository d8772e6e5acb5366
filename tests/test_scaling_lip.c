/* test_scaling_lip: the exponent of L in ctrate fit (analysis/scaling_lip.c, theory.md §9.17) on
 * synthetic rows with a known exponent p: W = A L^p / N across widths sigma whose L differs (and
 * moves with N), so that the slope of log W on log L at fixed N is p exactly and N*(L, eps) obeys
 * log N* = p log L + log(1/eps) + log A exactly (log-linear curves: the interpolation is exact);
 * injected errors W = A L^p / N + eps (2 eps crossings, close to p and 1); Monte Carlo rows (ci95,
 * weighted, coverage of p over many noisy replicates); the interval and L-kind labels; rows with
 * no L or a failed one left out; and the same rows through a synthetic HDF5 result file, ctr_
 * analysis_write and /analysis/l_exponents, l_nstar read back with the HDF5 library. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "check.h"
#include "core/point.h"
#include "core/rng.h"
#include "analysis/scaling.h"
#include "store/analysis_h5.h"
#include "store/results_h5.h"

#define MAXROWS 4096
#define P 0.7 /* the known exponent of L */

static ctr_point rows[MAXROWS];
static size_t nrows;
static const double sig[4] = {0.2, 0.3, 0.5, 0.8};

static double Ngrid(int i, int n) { return round(10 * pow(1e5, (double)i / (n - 1))); }

/* log10 L of width i at N: 1/sigma + 0.1 i log10 N (a different drift per width) */
static double log10L(int i, double N, int drift) { return 1 / sig[i] + (drift ? 0.1 * i * log10(N) : 0); }

static ctr_point *add(const char *target, const char *engine, const char *kind, int i, double N,
                      double eps, int64_t seed, double W, double se, int drift) {
  ctr_point *r = &rows[nrows++];
  ctr_point_clear(r);
  ctr_point_set_str(r->target, sizeof r->target, target);
  ctr_point_set_str(r->engine, sizeof r->engine, engine);
  ctr_point_set_str(r->error, sizeof r->error, eps > 0 ? "fit-bias" : "none");
  ctr_point_set_str(r->schedule, sizeof r->schedule, "paper");
  ctr_point_set_str(r->lipschitz_kind, sizeof r->lipschitz_kind, kind);
  r->d = 4, r->K = 2, r->sigma = sig[i], r->eps = eps, r->N = (int64_t)N, r->seed = seed;
  r->c0 = 2, r->c1 = 4, r->point_id = (int64_t)nrows, r->w1_hi_normal = W, r->w1_hi_se_normal = se;
  r->log10_lipschitz = log10L(i, N, drift);
  r->lipschitz = pow(10, fmin(r->log10_lipschitz, 300));
  return r;
}

/* W = A L^p / N in log space (L up to 10^5.4 here, but keep it general) */
static double Wexact(int i, double N, int drift) {
  return exp(log(3.0) + P * log10L(i, N, drift) * M_LN10 - log(N));
}

static ctr_status analyse(ctr_scaling *s) {
  ctr_scaling_opts o;
  ctr_scaling_opts_default(&o);
  o.bootstrap = 0;
  ctr_error err;
  ctr_status st = ctr_scaling_run(rows, nrows, &o, s, &err);
  if (st) printf("# %s\n", err.msg);
  return st;
}

static const ctr_l_nstar *find_nstar(const ctr_scaling *s, const char *prefix, const char *source) {
  for (size_t i = 0; i < s->nlnstar; i++)
    if (!strncmp(s->lnstar[i].family, prefix, strlen(prefix)) && !strcmp(s->lnstar[i].source, source))
      return &s->lnstar[i];
  return NULL;
}

/* Three deterministic families: exact L drifting with N (two_modes grid), exact L fixed
 * (scale_mixture radial), injected eps (scale_mixture radial, eps = 1e-3, 1e-4). */
static void exact_families(void) {
  nrows = 0;
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 9; k++) {
      double N = Ngrid(k, 9);
      add("two_modes", "grid", "exact", i, N, 0, 1, Wexact(i, N, 1), 0, 1);
      add("scale_mixture", "radial", "lower", i, N, 0, 1, Wexact(i, N, 0), 0, 0);
    }
  for (int i = 0; i < 4; i++)
    for (int e = 0; e < 2; e++)
      for (int k = 0; k < 61; k++) {
        double N = Ngrid(k, 61), eps = e ? 1e-4 : 1e-3;
        add("scale_mixture", "radial", "lower", i, N, eps, 1, Wexact(i, N, 0) + eps, 0, 0);
      }
  /* rows without an L (kind "") or with a failed search take no part */
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 9; k++) {
      add("simplex", "chain", "", i, Ngrid(k, 9), 0, 1, Wexact(i, Ngrid(k, 9), 0), 0, 0);
      add("sphere", "chain", "failed", i, Ngrid(k, 9), 0, 1, Wexact(i, Ngrid(k, 9), 0), 0, 0);
    }
  ctr_scaling s;
  if (analyse(&s)) {
    check_true("analysis runs", 0, "failed");
    return;
  }
  size_t n2 = 0, nsc = 0, bad = 0;
  double worst = 0;
  for (size_t i = 0; i < s.nlexp; i++) {
    const ctr_l_exponent *e = &s.lexp[i];
    int tm = !strncmp(e->family, "two_modes", 9), sc = !strncmp(e->family, "scale_mixture", 13);
    n2 += tm, nsc += sc, bad += !tm && !sc;
    worst = fmax(worst, fabs(e->fit.slope - P));
    if (tm && (strcmp(e->interval, "curvature") || strcmp(e->lipschitz_kind, "exact") || e->n != 4)) bad++;
    if (sc && (strcmp(e->lipschitz_kind, "lower") || e->fit.weighted)) bad++;
  }
  printf("# %zu + %zu slopes of log W on log L, largest error %.2e\n", n2, nsc, worst);
  check_true("one L slope per N for each family (9 N), none for rows without an L", n2 == 9 && nsc == 9 && bad == 0, "");
  check_close("slope of log W on log L = p at every N (exact rows, L drifting with N)", worst, 0, 0, 1e-10);
  check_true("family label without sigma", strstr(s.lexp[0].family, "sigma") == NULL, s.lexp[0].family);
  const ctr_l_nstar *a = find_nstar(&s, "two_modes", "levels"), *b = find_nstar(&s, "scale_mixture", "levels");
  const ctr_l_nstar *c = find_nstar(&s, "scale_mixture", "injected");
  check_true("N*(L, eps) from levels for both error-free families, from injected eps for the third",
             a && b && c && a->ok && b->ok && c->ok && a->has_b && c->has_b, "missing");
  if (a && b && c) {
    printf("# levels: a = %.12f, %.12f, b = %.12f (%zu crossings); injected: a = %.4f [%.4f, %.4f], b = %.4f\n",
           a->a, b->a, a->b, a->n, c->a, c->a_lo, c->a_hi, c->b);
    check_close("N* levels (L drifting): a = p", a->a, P, 1e-9, 0);
    check_close("N* levels (L drifting): b = 1", a->b, 1, 1e-9, 0);
    check_close("N* levels (L fixed): a = p", b->a, P, 1e-9, 0);
    check_true("N* levels: 6 levels x 4 widths", a->n == 24 && a->widths == 4, "");
    check_close("N* injected (2 eps crossings): a = p within 0.02", c->a, P, 0, 0.02);
    check_close("N* injected: b = 1 within 0.02", c->b, 1, 0, 0.02);
    check_true("N* labels: curvature (deterministic), kinds exact / lower",
               !strcmp(a->interval, "curvature") && !strcmp(a->lipschitz_kind, "exact") &&
                   !strcmp(c->lipschitz_kind, "lower"), "");
    /* the bound's a = 3 / (1 - 5 / ln N*) at the geometric mean of the crossings */
    check_true("bound a = 3 b", fabs(a->bound_a - 3 * a->bound_b) < 1e-12 && a->bound_b > 1, "");
  }
  ctr_scaling_free(&s);
}

/* Monte Carlo rows: W observed with a 5% standard error, reported in w1_hi_se_normal. The
 * weighted slope's 95% interval (labelled ci95) covers p in about 95% of independent trials. */
static void mc_coverage(void) {
  ctr_rng rng;
  ctr_rng_init(&rng, 3, CTR_RNG_TEST, 3, 0);
  int covered = 0, trials = 400, labelled = 0;
  for (int t = 0; t < trials; t++) {
    nrows = 0;
    for (int i = 0; i < 4; i++) {
      double N = 1000, z, W = Wexact(i, N, 0);
      ctr_rng_normals(&rng, 1, &z);
      add("simplex_full", "chain", "lower", i, N, 0, 1, W * (1 + 0.05 * z), 0.05 * W, 0);
      add("simplex_full", "chain", "lower", i, 2000, 0, 1, Wexact(i, 2000, 0), 0.05 * Wexact(i, 2000, 0), 0);
    }
    ctr_scaling s;
    if (analyse(&s)) continue;
    for (size_t k = 0; k < s.nlexp; k++)
      if (s.lexp[k].N == 1000) {
        covered += s.lexp[k].fit.slope_lo <= P && P <= s.lexp[k].fit.slope_hi;
        labelled += !strcmp(s.lexp[k].interval, "ci95") && s.lexp[k].fit.weighted;
      }
    ctr_scaling_free(&s);
  }
  printf("# Monte Carlo: the ci95 of the L slope covered p in %d of %d trials\n", covered, trials);
  check_true("Monte Carlo rows: weighted, labelled ci95", labelled == trials, "");
  /* binomial(400, 0.95): sd 4.4; +-3 sd */
  check_true("L-slope ci95 covers p in 367..393 of 400", covered >= 367 && covered <= 393, "");
}

/* The rows of the exact families through a result file: write, read back, analyse, write
 * /analysis, and read /analysis/l_exponents and l_nstar with the HDF5 library. */
static void via_hdf5(void) {
  nrows = 0;
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 9; k++) add("two_modes", "grid", "exact", i, Ngrid(k, 9), 0, 1, Wexact(i, Ngrid(k, 9), 1), 0, 1);
  char path[] = "/tmp/test_scaling_lip_XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd), unlink(path);
  const ctr_point *ptr[MAXROWS];
  for (size_t i = 0; i < nrows; i++) ptr[i] = &rows[i];
  ctr_run_info info = {"test_scaling_lip", "", 1, 1, "", 0, NULL, ""};
  ctr_error err;
  ctr_point *back = NULL;
  size_t nback = 0;
  ctr_scaling s;
  ctr_scaling_opts o;
  ctr_scaling_opts_default(&o);
  o.bootstrap = 0;
  ctr_status st = ctr_results_write_file(path, &info, ptr, nrows, &err);
  if (!st) st = ctr_results_read(path, &back, &nback, NULL, &err);
  if (!st) st = ctr_scaling_run(back, nback, &o, &s, &err);
  if (!st) st = ctr_analysis_write(path, &s, "report", &err), ctr_scaling_free(&s);
  if (st) printf("# %s\n", err.msg);
  check_true("synthetic HDF5: written, read, analysed, /analysis written", !st, err.msg);
  double e[64] = {0}, a[4] = {0};
  int n[64] = {0};
  hsize_t dims[1] = {0};
  hid_t f = st ? -1 : H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  int ok = f >= 0 && H5LTget_dataset_info(f, "/analysis/l_exponents/exponent", dims, NULL, NULL) >= 0 &&
           dims[0] == 9 && H5LTread_dataset_double(f, "/analysis/l_exponents/exponent", e) >= 0 &&
           H5LTread_dataset_int(f, "/analysis/l_exponents/n_widths", n) >= 0 &&
           H5LTread_dataset_double(f, "/analysis/l_nstar/a", a) >= 0;
  double worst = 0;
  for (size_t i = 0; ok && i < 9; i++) worst = fmax(worst, fabs(e[i] - P)), ok &= n[i] == 4;
  if (f >= 0) H5Fclose(f);
  printf("# from the file: 9 exponents, largest error %.2e; N* a = %.12f\n", worst, a[0]);
  check_true("/analysis/l_exponents: 9 N, 4 widths each", ok, "");
  check_close("/analysis/l_exponents/exponent = p", worst, 0, 0, 1e-10);
  check_close("/analysis/l_nstar/a = p", a[0], P, 1e-9, 0);
  free(back);
  unlink(path);
}

int main(void) {
  exact_families();
  mc_coverage();
  via_hdf5();
  return check_summary();
}
