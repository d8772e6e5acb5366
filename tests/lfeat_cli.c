/* lfeat_cli.c: for tests/ref_lfeat.py. Runs the feature class (engines/learned_features.h) on a
 * two-mode mixture up to step 2 and prints, one per line: the class (kind M m sd w ridge), the
 * features (a_j b_j), the fitted coefficients, then the n training pairs (x_j y_j) of step 2,
 * regenerated here from the engine's documented streams (data, noise, component; f_1 = id).
 * usage: lfeat_cli rff|rbf M n ridge seed [2]
 * With a 6th argument 2: the d = 2 class (engines/learned_features2.h) on three modes, printing
 * the class (kind M m0 m1 Li00 Li10 Li11 w ridge), the features (a_j0 a_j1 b_j), the (M + 3)
 * coefficient rows (two outputs), then the n pairs (x0 x1 y0 y1) of step 2 from
 * ctr_lfeat2_pairs (the teacher f_1 is the identity, so y is the teacher's input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "engines/learned_features.h"
#include "engines/learned_features2.h"

static int run2(const ctr_lfeat_params *p, const ctr_schedule *s, const char *kind) {
  ctr_error err = {0};
  double w[3] = {0.3, 0.3, 0.4}, mu[6] = {0, 1, -0.87, -0.5, 0.87, -0.5};
  double v0 = 0.04, v1[2] = {0.02, 0.06}, S2[4] = {0.05, 0.02, 0.02, 0.03};
  ctr_mixture_cov cov[3] = {{CTR_COV_ISO, &v0}, {CTR_COV_DIAG, v1}, {CTR_COV_FULL, S2}};
  ctr_mixture *m = NULL;
  ctr_lfeat2_result *r = NULL;
  if (ctr_mixture_alloc(3, 2, w, mu, cov, &m, &err) || ctr_lfeat2_run(p, s, m, &r, &err))
    return fprintf(stderr, "%s\n", err.msg), 1;
  const ctr_lfeat2_fn *f = &r->f;
  printf("%s %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", kind, f->M, f->m[0], f->m[1], f->Li[0],
         f->Li[2], f->Li[3], f->w, p->base.ridge);
  for (int j = 0; j < f->M; j++) printf("%.17g %.17g %.17g\n", f->a[2 * j], f->a[2 * j + 1], f->b[j]);
  for (int j = 0; j < f->M + 3; j++) printf("%.17g %.17g\n", f->coef[2 * j], f->coef[2 * j + 1]);
  size_t n = (size_t)p->base.train_n;
  double *x = malloc(2 * n * sizeof *x), *xp = malloc(2 * n * sizeof *xp);
  if (!x || !xp) return 1;
  ctr_lfeat2_pairs(&p->base, s, m, 2, x, xp);
  for (size_t j = 0; j < n; j++) printf("%.17g %.17g %.17g %.17g\n", x[2 * j], x[2 * j + 1], xp[2 * j], xp[2 * j + 1]);
  free(x), free(xp);
  ctr_lfeat2_result_free(r), ctr_mixture_free(m);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6 && argc != 7) return fprintf(stderr, "usage: lfeat_cli rff|rbf M n ridge seed [2]\n"), 2;
  ctr_error err = {0};
  ctr_lfeat_params p;
  ctr_lfeat_params_default(&p);
  if (ctr_lfeat_kind_parse(argv[1], &p.kind, &err)) return fprintf(stderr, "%s\n", err.msg), 2;
  p.M = atoi(argv[2]), p.base.train_n = atoll(argv[3]), p.base.ridge = atof(argv[4]);
  p.base.seed = (uint64_t)atoll(argv[5]), p.base.stop_t = 2, p.centres = CTR_LFEAT_QUANTILE;
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 10, sp.c0 = 1, sp.c1 = 2;
  double w[2] = {0.4, 0.6}, mu[2] = {-1, 1}, var[2] = {0.09, 0.25};
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, var}, {CTR_COV_ISO, var + 1}};
  ctr_schedule *s = NULL;
  if (argc == 7) {
    if (ctr_schedule_alloc(&sp, &s, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    int rc = run2(&p, s, argv[1]);
    ctr_schedule_free(s);
    return rc;
  }
  ctr_mixture *m = NULL;
  ctr_lfeat_result *r = NULL;
  if (ctr_schedule_alloc(&sp, &s, &err) || ctr_mixture_alloc(2, 1, w, mu, cov, &m, &err) ||
      ctr_lfeat_run(&p, s, m, &r, &err))
    return fprintf(stderr, "%s\n", err.msg), 1;
  const ctr_lfeat_fn *f = &r->f;
  printf("%s %d %.17g %.17g %.17g %.17g\n", argv[1], f->M, f->m, f->sd, f->w, p.base.ridge);
  for (int j = 0; j < f->M; j++) printf("%.17g %.17g\n", f->a[j], f->b[j]);
  for (int j = 0; j < f->M + 2; j++) printf("%.17g\n", f->coef[j]);
  size_t n = (size_t)p.base.train_n;
  double *xi = malloc(n * sizeof *xi), *z = malloc(n * sizeof *z);
  ctr_rng rd, rn, rc;
  ctr_rng_init(&rd, p.base.seed, CTR_RNG_LEARNED_DATA, 2, 1);
  ctr_rng_normals(&rd, n, xi);
  ctr_rng_init(&rn, p.base.seed, CTR_RNG_LEARNED_NOISE, 2, 1);
  ctr_rng_normals(&rn, n, z);
  ctr_rng_init(&rc, p.base.seed, CTR_RNG_LEARNED_COMPONENT, 2, 1);
  for (size_t j = 0; j < n; j++) {
    int k = ctr_rng_uniform(&rc) > w[0];
    double x0 = mu[k] + sqrt(var[k]) * xi[j];
    printf("%.17g %.17g\n", s->a[2] * x0 + s->s[2] * z[j], s->a[1] * x0 + s->s[1] * z[j]);
  }
  free(xi), free(z);
  ctr_lfeat_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
  return 0;
}
