/* test_presets: the families of theory.md §9.14 (simplex_full, aniso_modes, scale_tail,
 * cloud_ball_kd, cloud_sphere_kd, cloud_ball_d2, cloud_sphere_d2, scale_pair) and the earlier growing families (scale_mixture,
 * product_bimodal): component counts, weights summing to 1, the data scale
 * (E||X - E X||^2)^(1/2) against its closed form where there is one and against a Monte Carlo
 * estimate from 20000 draws of X_0 (within 4 standard errors), and refusals of bad parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/rng.h"
#include "targets/input_mismatch.h"
#include "targets/mixture.h"

/* Monte Carlo of E||X - E X||^2 with the exact mean: mean and standard error of the draws. */
static void mc_scale2(const ctr_mixture *m, size_t n, double *mean, double *se) {
  int d = m->d;
  double *x = malloc(sizeof(double) * n * d), *mu = malloc(sizeof(double) * d), s1 = 0, s2 = 0;
  ctr_rng r;
  ctr_error err;
  ctr_rng_init(&r, 99, CTR_RNG_SAMPLED, (uint64_t)d, 77);
  ctr_mixture_mean(m, mu);
  if (ctr_mixture_sample(m, &r, n, x, &err)) printf("# %s\n", err.msg);
  for (size_t j = 0; j < n; j++) {
    double y = 0;
    for (int i = 0; i < d; i++) y += (x[j * d + i] - mu[i]) * (x[j * d + i] - mu[i]);
    s1 += y, s2 += y * y;
  }
  *mean = s1 / n, *se = sqrt(fmax(s2 / n - *mean * *mean, 0) / (n - 1));
  free(x), free(mu);
}

/* closed: the closed-form data scale, or NAN where it depends on random points. */
static void family(const char *name, ctr_mixture_params p, int K_want, double closed) {
  ctr_mixture *m = NULL;
  ctr_error err;
  char what[128];
  ctr_status st = ctr_mixture_from_params(&p, &m, &err);
  if (st) printf("# %s\n", err.msg);
  snprintf(what, sizeof what, "%s d = %d: %d components", name, p.d, K_want);
  check_true(what, !st && m->K == K_want && ctr_mixture_preset_K(&p) == K_want, "wrong count");
  if (st) return;
  double sw = 0;
  for (int k = 0; k < m->K; k++) sw += m->weight[k];
  snprintf(what, sizeof what, "%s d = %d: weights sum to 1", name, p.d);
  check_close(what, sw, 1, 1e-13, 0);
  double ds = ctr_mixture_data_scale(m), mc, se;
  if (!isnan(closed)) {
    snprintf(what, sizeof what, "%s d = %d: data scale = closed form", name, p.d);
    check_rel(what, ds, closed, 1e-13);
  }
  mc_scale2(m, 20000, &mc, &se);
  snprintf(what, sizeof what, "%s d = %d: data scale^2 = Monte Carlo within 4 SE", name, p.d);
  check_close(what, ds * ds, mc, 0, 4 * se);
  printf("#   data scale %.6g, Monte Carlo %.6g +- %.2g (z = %.2f)\n", ds, sqrt(mc),
         se / (2 * sqrt(mc)), (mc - ds * ds) / se);
  ctr_mixture_free(m);
}

static ctr_mixture_params params(ctr_mixture_preset kind, int d, int K, double sigma) {
  ctr_mixture_params p;
  ctr_mixture_params_default(&p);
  p.kind = kind, p.d = d, p.K = K, p.sigma = sigma, p.m = 1.5, p.radius = 2;
  return p;
}

static void refused(const char *what, ctr_mixture_params p) {
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_status st = ctr_mixture_from_params(&p, &m, &err);
  check_true(what, st == CTR_EINPUT, "not refused");
  if (st == CTR_EINPUT) printf("#   %s\n", err.msg);
  ctr_mixture_free(m);
}

int main(void) {
  for (int d = 3; d <= 40; d += 37) {
    double s2 = 0.09;
    /* simplex_full: vertices at norm R around 0, weights 1/(d+1): R^2 + d sigma^2 */
    family("simplex_full", params(CTR_MIXTURE_SIMPLEX_FULL, d, 2, 0.3), d + 1,
           sqrt(4 + d * s2));
    /* aniso_modes: m^2 along e_1 plus, per coordinate, the average of sigma^2 and 1 */
    family("aniso_modes", params(CTR_MIXTURE_ANISO, d, 2, 0.3), 2, sqrt(2.25 + d * (s2 + 1) / 2));
    /* scale_tail K = 6: d sigma^2 sum_k 4^k 8^-k / sum_k 8^-k */
    double a = 0, z = 0;
    for (int k = 0; k < 6; k++) a += pow(0.5, k), z += pow(0.125, k);
    family("scale_tail", params(CTR_MIXTURE_SCALE_TAIL, d, 6, 0.3), 6, sqrt(d * s2 * a / z));
    family("cloud_ball_kd", params(CTR_MIXTURE_CLOUD_BALL_KD, d, 2, 0), 2 * d, NAN);
    family("cloud_sphere_kd", params(CTR_MIXTURE_CLOUD_SPHERE_KD, d, 3, 0), 3 * d, NAN);
    family("scale_mixture", params(CTR_MIXTURE_SCALE, d, 2, 0.5), 2, sqrt(d * (0.25 + 1) / 2));
    /* scale_pair m = 0.3 (weight of the sd-0.3 shell), R = 2: d (m sigma^2 + (1 - m) R^2) */
    ctr_mixture_params sp = params(CTR_MIXTURE_SCALE_PAIR, d, 5, 0.3);
    sp.m = 0.3;
    family("scale_pair", sp, 2, sqrt(d * (0.3 * s2 + 0.7 * 4)));
  }
  /* K d^2 points: d = 3 (9 K) and d = 12 (144 K) */
  for (int d = 3; d <= 12; d += 9) {
    family("cloud_ball_d2", params(CTR_MIXTURE_CLOUD_BALL_D2, d, 1, 0), d * d, NAN);
    family("cloud_sphere_d2", params(CTR_MIXTURE_CLOUD_SPHERE_D2, d, 2, 0), 2 * d * d, NAN);
  }
  family("product_bimodal", params(CTR_MIXTURE_PRODUCT_BIMODAL, 5, 2, 0.3), 32,
         sqrt(5 * (2.25 + 0.09)));
  /* scale_tail's second moment is bounded in K: (7/4) d sigma^2 at most */
  ctr_mixture_params p = params(CTR_MIXTURE_SCALE_TAIL, 2, 40, 1);
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_status st = ctr_mixture_from_params(&p, &m, &err);
  check_true("scale_tail K = 40: data scale^2 below (7/4) d sigma^2",
             !st && ctr_mixture_data_scale(m) * ctr_mixture_data_scale(m) < 3.5, "");
  ctr_mixture_free(m);
  refused("scale_tail: sigma = 0 refused", params(CTR_MIXTURE_SCALE_TAIL, 3, 4, 0));
  refused("scale_tail: K = 41 refused", params(CTR_MIXTURE_SCALE_TAIL, 3, 41, 0.3));
  refused("cloud_sphere_kd: K d beyond the component limit refused",
          params(CTR_MIXTURE_CLOUD_SPHERE_KD, 100000, 100, 0));
  refused("cloud_sphere_d2: K d^2 beyond the component limit refused",
          params(CTR_MIXTURE_CLOUD_SPHERE_D2, 2000, 1, 0));
  refused("scale_pair: m = 1.5 (a weight above 1) refused", params(CTR_MIXTURE_SCALE_PAIR, 3, 2, 0.3));
  refused("cloud_ball_kd: K = 0 refused", params(CTR_MIXTURE_CLOUD_BALL_KD, 3, 0, 0));
  refused("aniso_modes: sigma = -1 refused", params(CTR_MIXTURE_ANISO, 3, 2, -1));
  refused("simplex_full: d = 0 refused", params(CTR_MIXTURE_SIMPLEX_FULL, 0, 2, 0.3));
  ctr_mixture_params bad = params(CTR_MIXTURE_SIMPLEX_FULL, 3, 2, 0.3);
  bad.radius = NAN;
  refused("simplex_full: radius NaN refused", bad);
  return check_summary();
}
