/* fixtures.h: the schedules and targets the engine tests share. Header-only. */
#ifndef CTR_TEST_FIXTURES_H
#define CTR_TEST_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "targets/mixture.h"
#include "core/schedule.h"

/* A setup step that must not fail: report it as a failed check and stop the program. */
static inline void die_if(ctr_status st, const ctr_error *err, const char *what) {
  if (st) {
    printf("FAIL - %s: status %d (%s)\n", what, (int)st, err->msg);
    printf("# %d passed, %d failed (aborted)\n", n_ok, n_fail + 1);
    exit(1);
  }
}

/* The default paper schedule (c0 = 2, c1 = 4) with N steps. */
static inline ctr_schedule *fixture_schedule(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.N = N;
  ctr_schedule *s = NULL;
  ctr_error e = {0};
  die_if(ctr_schedule_alloc(&p, &s, &e), &e, "schedule alloc");
  return s;
}

/* 1-D mixture of two equal-weight modes at -1 and +1 of standard deviation sigma. */
static inline ctr_mixture *fixture_two_modes(double sigma) {
  double w[2] = {0.5, 0.5}, mu[2] = {-1, 1}, var = sigma * sigma;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &var}, {CTR_COV_ISO, &var}};
  ctr_mixture *m = NULL;
  ctr_error e;
  if (ctr_mixture_alloc(2, 1, w, mu, cov, &m, &e)) printf("# mixture: %s\n", e.msg);
  return m;
}

#endif
