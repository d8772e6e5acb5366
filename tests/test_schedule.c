/* test_schedule.c: checks of core/schedule.c (theory.md §1) against long double
 * recomputations of the same betas, direct evaluations of the schedule formulas and the
 * asymptotic abar_N of the paper's schedule; and the refusals of invalid parameters.
 * Prints "ok - name" or "FAIL - name: got .. want .."; exits 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/schedule.h"

static const char *kname(ctr_schedule_kind k) {
  return k == CTR_SCHED_PAPER ? "paper" : k == CTR_SCHED_LINEAR ? "linear" : "cosine";
}

/* Parameters valid at this N: the paper's c0 = 2, c1 = 8 where c1 log N / N < 1, else
 * smaller constants; linear with the DDPM betas where beta_max 1000/N < 1, else smaller. */
static void params_for(ctr_schedule_kind kind, int64_t N, ctr_schedule_params *p) {
  ctr_schedule_params_default(p);
  p->kind = kind, p->N = N;
  p->c0 = 2, p->c1 = 8, p->beta_min = 1e-4, p->beta_max = 0.02, p->cosine_s = 0.008;
  if (kind == CTR_SCHED_PAPER && N == 2) p->c0 = 0.5, p->c1 = 1;  /* r = 0.35 */
  if (kind == CTR_SCHED_PAPER && N == 10) p->c0 = 1, p->c1 = 2;   /* r = 0.46 */
  if (kind == CTR_SCHED_LINEAR && N <= 10) p->beta_max = 1e-3;    /* 1000/N beta_max = 0.5, 0.1 */
}

/* long double recomputation of log abar_t from the schedule's own betas (a_t, s_t are
 * recomputed from it only where needed: x87 transcendental functions are slow). */
typedef struct {
  long double *la;
} ld_sched;

static int ld_alloc(const ctr_schedule *s, ld_sched *L) {
  size_t n = (size_t)s->N + 1;
  L->la = malloc(n * sizeof(long double));
  if (!L->la) return 0;
  long double acc = 0;
  L->la[0] = 0;
  for (int64_t t = 1; t <= s->N; t++) {
    acc += log1pl(-(long double)s->beta[t]);
    L->la[t] = acc;
  }
  return 1;
}

static long double ld_a(const ld_sched *L, int64_t t) { return expl(0.5L * L->la[t]); }
static long double ld_s(const ld_sched *L, int64_t t) { return sqrtl(-expm1l(L->la[t])); }

/* phi_t - phi_{t-1} without losing digits near either end: from phi = atan2(s, a) while
 * phi < pi/4, else from psi = pi/2 - phi = atan2(a, s). */
static long double ld_dphi(const ld_sched *L, int64_t t) {
  long double a = ld_a(L, t), s = ld_s(L, t), ap = ld_a(L, t - 1), sp = ld_s(L, t - 1);
  if (s < a) return atan2l(s, a) - atan2l(sp, ap);
  return atan2l(ap, sp) - atan2l(a, s);
}

static void ld_free(ld_sched *L) { free(L->la); }

/* Generic properties at one (kind, N). */
static void check_generic(ctr_schedule_kind kind, int64_t N) {
  char name[200], where[200];
  ctr_schedule_params p;
  params_for(kind, N, &p);
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  ctr_status st = ctr_schedule_alloc(&p, &s, &err);
  snprintf(name, sizeof name, "%s N=%lld: alloc", kname(kind), (long long)N);
  if (st) {
    printf("FAIL - %s: status %d (%s)\n", name, (int)st, err.msg);
    n_fail++;
    return;
  }
  pass(name);

  double worst_unit = 0, worst_la = 0;
  int64_t bad_beta = 0, bad_a = 0, bad_s = 0, t_unit = 0, t_la = 0;
  ld_sched L;
  if (!ld_alloc(s, &L)) {
    printf("FAIL - out of memory\n");
    exit(1);
  }
  for (int64_t t = 1; t <= N; t++) {
    double b = s->beta[t];
    if (!(b > 0 && b < 1) && !bad_beta) bad_beta = t;
    double u = fabs(s->a[t] * s->a[t] + s->s[t] * s->s[t] - 1.0);
    if (u > worst_unit) worst_unit = u, t_unit = t;
    if (t > 1 && !(s->a[t] <= s->a[t - 1]) && !bad_a) bad_a = t;
    if (t > 1 && !(s->s[t] >= s->s[t - 1]) && !bad_s) bad_s = t;
    double e = (double)(fabsl((long double)s->log_abar[t] - L.la[t]) / fabsl(L.la[t]));
    if (e > worst_la) worst_la = e, t_la = t;
  }
  snprintf(name, sizeof name, "%s N=%lld: every beta_t in (0,1)", kname(kind), (long long)N);
  snprintf(where, sizeof where, "first bad t = %lld, beta = %.17g", (long long)bad_beta,
           bad_beta ? s->beta[bad_beta] : 0.0);
  check_true(name, bad_beta == 0, where);
  snprintf(name, sizeof name, "%s N=%lld: a_t^2 + s_t^2 == 1", kname(kind), (long long)N);
  snprintf(where, sizeof where, "at t = %lld", (long long)t_unit);
  check_worst(name, worst_unit, 1e-15, where);
  snprintf(name, sizeof name, "%s N=%lld: a non-increasing, a_N < a_1", kname(kind), (long long)N);
  snprintf(where, sizeof where, "a_t > a_{t-1} first at t = %lld, or a_N = %.17g vs a_1 = %.17g",
           (long long)bad_a, s->a[N], s->a[1]);
  check_true(name, bad_a == 0 && s->a[N] < s->a[1], where);
  snprintf(name, sizeof name, "%s N=%lld: s non-decreasing, s_N > s_1", kname(kind), (long long)N);
  snprintf(where, sizeof where, "s_t < s_{t-1} first at t = %lld", (long long)bad_s);
  check_true(name, bad_s == 0 && s->s[N] > s->s[1], where);
  snprintf(name, sizeof name, "%s N=%lld: s_1 == sqrt(beta_1)", kname(kind), (long long)N);
  check_rel(name, s->s[1], (double)sqrtl((long double)s->beta[1]), 1e-15);
  snprintf(name, sizeof name, "%s N=%lld: log_abar == long double sum of log1p(-beta)",
           kname(kind), (long long)N);
  snprintf(where, sizeof where, "at t = %lld: %.17g vs %.20Lg", (long long)t_la, s->log_abar[t_la],
           L.la[t_la]);
  check_worst(name, worst_la, 1e-13, where);
  { /* information only: what the log_abar error does to a_t and s_t */
    double wa = 0, ws = 0;
    int64_t stride = N > 1000 ? N / 1000 : 1;
    for (int64_t t = 1; t <= N; t += stride) {
      long double a = ld_a(&L, t), sv = ld_s(&L, t);
      if (a > 1e-3L) wa = fmax(wa, (double)(fabsl(s->a[t] - a) / a));
      ws = fmax(ws, (double)(fabsl(s->s[t] - sv) / sv));
    }
    printf("# info %s N=%lld: worst rel error of a_t (where a_t > 1e-3) %.3g, of s_t %.3g\n",
           kname(kind), (long long)N, wa, ws);
  }
  /* exp's condition number is |log abar_N|: the 1e-13 allowed on log abar becomes
   * 1e-13 |log abar_N| on abar_N (~1e-11 at N = 1e7, where log abar_N = -98) */
  snprintf(name, sizeof name, "%s N=%lld: abar_N == exp(log_abar_N)", kname(kind), (long long)N);
  check_rel(name, ctr_schedule_abar_N(s), (double)expl(L.la[N]),
            1e-13 * fmax(1.0, (double)fabsl(L.la[N])));

  /* c_t against the sine form sin(phi_t - phi_{t-1}) / sin(phi_t), in long double from
   * the long double a, s (phi by atan2l): loses at most ~6 of long double's 19 digits. */
  double worst_c = 0;
  int64_t t_c = 0;
  int64_t ts[] = {2, 3, 4, 10, 100, N / 10, N / 3, N / 2, N - 1, N};
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
    int64_t t = ts[i];
    if (t < 2 || t > N) continue;
    long double want = sinl(ld_dphi(&L, t)) / ld_s(&L, t); /* sin(phi_t) = s_t */
    double e = (double)(fabsl((long double)ctr_schedule_c(s, t) - want) / fabsl(want));
    if (e > worst_c) worst_c = e, t_c = t;
  }
  snprintf(name, sizeof name, "%s N=%lld: c_t == sin(phi_t - phi_{t-1})/sin(phi_t)", kname(kind),
           (long long)N);
  snprintf(where, sizeof where, "at t = %lld", (long long)t_c);
  /* c_t carries a_{t-1}, whose relative error is 0.5 |log abar| times that of log abar */
  check_worst(name, worst_c, 1e-12 * fmax(1.0, 0.1 * (double)fabsl(L.la[N])), where);

  /* Betas against a direct long double evaluation of each family's formula. */
  double worst_b = 0;
  int64_t t_b = 0;
  long double r = (long double)p.c1 * logl((long double)N) / (long double)N;
  long double b1 = powl((long double)N, -(long double)p.c0);
  for (int64_t t = 1; t <= N; t++) {
    long double want;
    if (kind == CTR_SCHED_PAPER) {
      if (t == 1) want = b1;
      else {
        /* (1 + r) would round r to 1e-15 relative in long double: use log1pl(r) */
        long double g = b1 * expl((long double)(t - 1) * log1pl(r));
        want = r * (g < 1.0L ? g : 1.0L);
      }
    } else if (kind == CTR_SCHED_LINEAR) {
      long double sc = 1000.0L / (long double)N;
      want = sc * ((long double)p.beta_min + ((long double)p.beta_max - (long double)p.beta_min) *
                                                 (long double)(t - 1) / (long double)(N - 1));
    } else {
      /* abar(t) = f(t)/f(0), beta_t = 1 - f(t)/f(t-1), f = cos^2(((t/N + s)/(1+s)) pi/2),
       * clipped at 0.999 (Nichol and Dhariwal) */
      long double sv = (long double)p.cosine_s, pi2 = 1.5707963267948966192313216916397514L;
      /* In long double, with cos^2 g0 - cos^2 g1 = sin(g1 - g0) sin(g1 + g0) (1 - ratio would
       * lose 8+ digits where beta ~ 1e-8), g1 - g0 = pi/2 / (N (1 + s)) exactly, and
       * near t = N the cosines taken as sines of the exact complements pi/2 - g. */
      long double den = (long double)N * (1 + sv), unit = pi2 / den;
      long double g0 = (((long double)(t - 1) / N + sv) / (1 + sv)) * pi2;
      long double g1 = (((long double)t / N + sv) / (1 + sv)) * pi2;
      long double h0 = unit * (long double)(N - t + 1), h1 = unit * (long double)(N - t);
      long double c0 = 2 * t < N ? cosl(g0) : sinl(h0);
      long double sum = 2 * t < N ? sinl(g0 + g1) : sinl(h0 + h1);
      want = sinl(unit) * sum / (c0 * c0);
      if (want > 0.999L) want = 0.999L;
    }
    double e = (double)(fabsl((long double)s->beta[t] - want) / fabsl(want));
    if (e > worst_b) worst_b = e, t_b = t;
  }
  snprintf(name, sizeof name, "%s N=%lld: beta_t == formula of theory.md §1 (long double)",
           kname(kind), (long long)N);
  snprintf(where, sizeof where, "at t = %lld: %.17g", (long long)t_b, s->beta[t_b]);
  check_worst(name, worst_b, 1e-13, where);

  /* Paper schedule: where it saturates, beta == c1 log N / N exactly (to rounding). */
  if (kind == CTR_SCHED_PAPER && N >= 1000) {
    snprintf(name, sizeof name, "paper N=%lld: beta_N == c1 log N / N", (long long)N);
    check_rel(name, s->beta[N], (double)r, 1e-15);
  }
  ld_free(&L);
  ctr_schedule_free(s);
}

/* abar_N ~ e^-1 N^-(c1 - c0) when c1 log N / N is small. */
static void check_abar_asymptotic(void) {
  struct {
    int64_t N;
    double c0, c1;
  } cases[] = {{1000000, 2, 8}, {1000000, 2, 4}, {10000000, 2, 8}, {100000, 1, 3}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ctr_schedule_params p;
    params_for(CTR_SCHED_PAPER, cases[i].N, &p);
    p.c0 = cases[i].c0, p.c1 = cases[i].c1;
    ctr_schedule *s = NULL;
    ctr_error err = {0};
    char name[160], det[200];
    snprintf(name, sizeof name, "paper N=%lld c0=%g c1=%g: abar_N within a factor 2 of e^-1 "
                                "N^-(c1-c0)", (long long)cases[i].N, p.c0, p.c1);
    if (ctr_schedule_alloc(&p, &s, &err)) {
      printf("FAIL - %s: %s\n", name, err.msg);
      n_fail++;
      continue;
    }
    double got = ctr_schedule_abar_N(s);
    double want = exp(-1.0) * pow((double)p.N, -(p.c1 - p.c0));
    snprintf(det, sizeof det, "got %.6g want %.6g (ratio %.4g)", got, want, got / want);
    check_true(name, got > want / 2 && got < want * 2, det);
    ctr_schedule_free(s);
  }
}

/* Refusals: CTR_EINPUT and the message names the offending value. */
static void check_refusal(const char *name, const ctr_schedule_params *p, const char *needle) {
  ctr_error err = {0};
  ctr_schedule *s = NULL;
  ctr_status st = ctr_schedule_alloc(p, &s, &err);
  ctr_error err2 = {0};
  ctr_status st2 = ctr_schedule_check(p, &err2);
  char det[800];
  snprintf(det, sizeof det, "got status %d / check %d, message '%s', want %d with '%s'", (int)st,
           (int)st2, err.msg, (int)CTR_EINPUT, needle);
  check_true(name,
             st == CTR_EINPUT && st2 == CTR_EINPUT && s == NULL && strstr(err.msg, needle) != NULL,
             det);
  if (s) ctr_schedule_free(s);
}

static void check_refusals(void) {
  ctr_schedule_params p;
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.N = 1;
  check_refusal("refuse N=1", &p, "N = 1 ");
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.N = 10, p.c0 = 2, p.c1 = 8; /* c1 log N / N = 1.842 */
  check_refusal("refuse c1 log N / N >= 1 (N=10, c1=8)", &p, "1.842");
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.c0 = 3, p.c1 = 2.5;
  check_refusal("refuse c1 <= c0 (c1=2.5, c0=3)", &p, "2.5");
  p.c0 = 3, p.c1 = 3;
  check_refusal("refuse c1 == c0 (3)", &p, "3");
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.c0 = NAN;
  check_refusal("refuse c0 = NAN", &p, "nan");
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.c1 = -1;
  check_refusal("refuse c1 = -1", &p, "-1");
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.c0 = INFINITY;
  check_refusal("refuse c0 = INFINITY", &p, "inf");
  params_for(CTR_SCHED_LINEAR, 1000, &p);
  p.N = 10; /* beta_max 1000/N = 2 */
  check_refusal("refuse linear beta_max*1000/N >= 1 (N=10, beta_max=0.02)", &p, "= 2 ");
  params_for(CTR_SCHED_LINEAR, 1000, &p);
  p.N = 20; /* exactly 1 */
  check_refusal("refuse linear beta_max*1000/N == 1 (N=20)", &p, "N = 20");
  params_for(CTR_SCHED_COSINE, 1000, &p);
  p.cosine_s = -0.1;
  check_refusal("refuse cosine_s = -0.1", &p, "-0.1");
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.N = CTR_SCHEDULE_NMAX + 1;
  check_refusal("refuse N > NMAX", &p, "100000001");
  /* and the boundary just inside is accepted */
  params_for(CTR_SCHED_PAPER, 1000, &p);
  p.N = 2, p.c0 = 0.5, p.c1 = 2.8; /* 2.8 ln 2 / 2 = 0.970 */
  ctr_error err = {0};
  check_true("accept paper N=2, c1=2.8 (c1 log N / N = 0.970)", ctr_schedule_check(&p, &err) == 0,
             err.msg);
}

int main(void) {
  gsl_set_error_handler_off();
  int64_t Ns[] = {2, 10, 1000, 1000000, 10000000};
  ctr_schedule_kind kinds[] = {CTR_SCHED_PAPER, CTR_SCHED_LINEAR, CTR_SCHED_COSINE};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; i < sizeof Ns / sizeof Ns[0]; i++) check_generic(kinds[k], Ns[i]);
  /* N = 1e7, paper: beta_1 = N^-2 = 1e-14 and s_1 = 1e-7 keeps its digits */
  {
    ctr_schedule_params p;
    params_for(CTR_SCHED_PAPER, 10000000, &p);
    ctr_schedule *s = NULL;
    ctr_error err = {0};
    if (ctr_schedule_alloc(&p, &s, &err) == CTR_OK) {
      /* exp(-c0 log N) can be off by |c0 log N| 2^-53 = 3.6e-15 relative; pow would be exact */
      check_rel("paper N=1e7: beta_1 == 1e-14", s->beta[1], 1e-14, 1e-14);
      check_rel("paper N=1e7: s_1 == 1e-7", s->s[1], 1e-7, 1e-15);
      ctr_schedule_free(s);
    } else {
      printf("FAIL - paper N=1e7 alloc: %s\n", err.msg);
      n_fail++;
    }
  }
  check_abar_asymptotic();
  check_refusals();
  printf("# %d passed, %d failed\n", n_ok, n_fail);
  return n_fail ? 1 : 0;
}
