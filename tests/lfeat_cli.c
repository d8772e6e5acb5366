/* lfeat_cli.c: for tests/ref_lfeat.py. Runs the feature class (engines/learned_features.h) on a
 * two-mode mixture up to step 2 and prints, one per line: the class (kind M m sd w ridge), the
 * features (a_j b_j), the fitted coefficients, then the n training pairs (x_j y_j) of step 2,
 * regenerated here from the engine's documented streams (data, noise, component; f_1 = id).
 * usage: lfeat_cli rff|rbf M n ridge seed */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "engines/learned_features.h"

int main(int argc, char **argv) {
  if (argc != 6) return fprintf(stderr, "usage: lfeat_cli rff|rbf M n ridge seed\n"), 2;
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
