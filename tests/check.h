/* check.h: the tests' reporting: one "ok - name" or "FAIL - name: got .. want .." line per
 * check, a count, and the exit status (0 when every check passed). Header-only. */
#ifndef CTR_TEST_CHECK_H
#define CTR_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int n_fail = 0, n_ok = 0;

static inline void pass(const char *name) {
  printf("ok - %s\n", name);
  n_ok++;
}

/* |got - want| <= max(rel |want|, abs), and got finite */
static inline void check_close(const char *name, double got, double want, double rel, double abs) {
  double e = fabs(got - want);
  if (isfinite(got) && (e <= fmax(rel * fabs(want), abs) || got == want)) pass(name);
  else {
    printf("FAIL - %s: got %.17g want %.17g (abs err %.3g, rel err %.3g; tol rel %.3g abs %.3g)\n",
           name, got, want, e, e / fabs(want), rel, abs);
    n_fail++;
  }
}

static inline void check_rel(const char *name, double got, double want, double tol) {
  check_close(name, got, want, tol, 0);
}

/* A worst-case summary: worst is the largest error found, lim the limit. */
static inline void check_worst(const char *name, double worst, double lim, const char *where) {
  if (worst <= lim) {
    printf("ok - %s (worst %.3g <= %.3g)\n", name, worst, lim);
    n_ok++;
  } else {
    printf("FAIL - %s: got worst %.3g want <= %.3g (%s)\n", name, worst, lim, where);
    n_fail++;
  }
}

static inline void check_true(const char *name, int cond, const char *detail) {
  if (cond) pass(name);
  else {
    printf("FAIL - %s: %s\n", name, detail);
    n_fail++;
  }
}

static inline int check_summary(void) {
  printf("# %d passed, %d failed\n", n_ok, n_fail);
  return n_fail ? 1 : 0;
}

#endif
