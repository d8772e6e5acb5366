/* lip1d_cli.c: the exact 1-D Lipschitz constant of two_modes, for tests/ref_lip1d.py.
 *
 * usage: lip1d_cli M SIGMA N C0 C1 [W SIGMA2]
 * Prints "log_L_N1 %.17g L_N1 %.17g L %.17g t %lld k %lld x_at %.17g" for the mixture
 * (1 - W) N(-M, SIGMA^2) + W N(M, SIGMA2^2) (default W = 1/2, SIGMA2 = SIGMA) on the paper
 * schedule. Exit 0, 2 bad usage, 1 failure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "targets/lip_exact.h"

int main(int argc, char **argv) {
  if (argc != 6 && argc != 8) {
    fprintf(stderr, "usage: lip1d_cli M SIGMA N C0 C1 [W SIGMA2]\n");
    return 2;
  }
  gsl_set_error_handler_off();
  double M = atof(argv[1]), sg = atof(argv[2]);
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = atoll(argv[3]), sp.c0 = atof(argv[4]), sp.c1 = atof(argv[5]);
  ctr_error err;
  ctr_schedule *s = NULL;
  ctr_mixture *m = NULL;
  double W = argc == 8 ? atof(argv[6]) : 0.5, sg2 = argc == 8 ? atof(argv[7]) : sg;
  double w[2] = {1 - W, W}, mu[2] = {-M, M}, v = sg * sg, v2 = sg2 * sg2;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &v}, {CTR_COV_ISO, &v2}};
  ctr_status st = ctr_schedule_alloc(&sp, &s, &err);
  if (!st) st = ctr_mixture_alloc(2, 1, w, mu, cov, &m, &err);
  ctr_mix1d m1 = {2, m ? m->log_weight : NULL, mu, (double[]){v, v2}};
  ctr_flow_span span;
  double lg = 0, xa = 0, ya = 0;
  ctr_lip_exact ex;
  if (!st) st = ctr_flow_span_steps(s, s->N, 1, &span, &err);
  if (!st) st = ctr_lip1d_map(&m1, &span, &lg, &xa, &ya, &err);
  if (!st) st = ctr_lip_exact_compute(m, s, &ex, &err);
  if (st) {
    fprintf(stderr, "lip1d_cli: %s\n", err.msg);
    return 1;
  }
  printf("log_L_N1 %.17g L_N1 %.17g L %.17g t %lld k %lld x_at %.17g y_at %.17g\n", lg, exp(lg),
         ex.L, (long long)ex.t, (long long)ex.k, xa, ya);
  ctr_mixture_free(m), ctr_schedule_free(s);
  return 0;
}
