/* test_curriculum.c: the improved-CT doubling curriculum (core/schedule.c, theory.md §13.5).
 *
 * 1. The stage ladder against improved CT's own formula (Song and Dhariwal 2023, Sec. 3.4):
 *    N(k) = min(s0 2^floor(k / K'), s1) + 1 over training iterations k = 0..K-1 with
 *    K' = floor(K / (log2(s1 / s0) + 1)); its distinct values are our stage grids.
 * 2. Nesting, bit for bit: stage k's (sigma, log abar, a, s) at t are stage k+1's at 2t - 1.
 * 3. The schedule is the final stage's karras grid: with one stage (N = n0) and with several, every
 *    array equals karras at the same N bit for bit, and so do the rows of the ct and learned
 *    engines (theory.md §13.5: no engine here depends on the earlier stages).
 * 4. Refusals (CTR_EINPUT with a message naming the accepted values). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/schedule.h"
#include "simulate/point_run.h"

static void curriculum(int64_t N, int64_t n0, ctr_schedule_params *p) {
  ctr_schedule_params_default(p);
  p->kind = CTR_SCHED_CURRICULUM, p->N = N, p->curriculum_n0 = n0;
}

static int same_arrays(const ctr_schedule *a, const ctr_schedule *b) {
  if (a->N != b->N) return 0;
  size_t n = (size_t)a->N + 1;
  return !memcmp(a->beta + 1, b->beta + 1, (n - 1) * sizeof(double)) &&
         !memcmp(a->log_abar + 1, b->log_abar + 1, (n - 1) * sizeof(double)) &&
         !memcmp(a->a + 1, b->a + 1, (n - 1) * sizeof(double)) &&
         !memcmp(a->s + 1, b->s + 1, (n - 1) * sizeof(double));
}

static void check_ladder(void) {
  const int64_t s0 = 10, s1 = 1280, K = 8000; /* iCT: s0 = 10, s1 = 1280 */
  int64_t Kp = K / 8;                         /* log2(1280 / 10) + 1 = 8 */
  int64_t seen[64];
  int nseen = 0;
  for (int64_t k = 0; k < K; k++) {
    int64_t m = s0 << (k / Kp);
    int64_t Nk = (m < s1 ? m : s1) + 1;
    if (!nseen || seen[nseen - 1] != Nk) seen[nseen++] = Nk;
  }
  ctr_schedule_params p, q;
  curriculum(s1 + 1, s0 + 1, &p);
  int stages = ctr_schedule_curriculum_stages(&p), ok = stages == nseen;
  for (int k = 0; ok && k < stages; k++) {
    ctr_schedule_curriculum_stage(&p, k, &q);
    ok = q.N == seen[k] && q.kind == CTR_SCHED_KARRAS;
  }
  char msg[80];
  snprintf(msg, sizeof msg, "%d stages, iCT formula gives %d", stages, nseen);
  check_true("curriculum n0 = 11, N = 1281: stages are iCT's N(k) = min(10 2^floor(k/K'), 1280) + 1",
             ok, msg);
  ctr_schedule_params k1;
  ctr_schedule_params_default(&k1);
  check_true("other schedules have one stage", ctr_schedule_curriculum_stages(&k1) == 1, "");
}

static void check_nested(int64_t n0, int K) {
  ctr_schedule_params p, q;
  curriculum(1 + ((n0 - 1) << K), n0, &p);
  ctr_schedule *prev = NULL;
  ctr_error err = {0};
  int ok = 1;
  char where[120] = "";
  for (int k = 0; ok && k <= K; k++) {
    ctr_schedule *cur = NULL;
    ctr_schedule_curriculum_stage(&p, k, &q);
    if (ctr_schedule_alloc(&q, &cur, &err)) {
      check_true("curriculum stage alloc", 0, err.msg);
      ctr_schedule_free(prev);
      return;
    }
    for (int64_t t = 1; prev && ok && t <= prev->N; t++) {
      int64_t u = 2 * t - 1;
      ok = prev->log_abar[t] == cur->log_abar[u] && prev->a[t] == cur->a[u] && prev->s[t] == cur->s[u] &&
           ctr_schedule_karras_sigma(&q, u) == ctr_schedule_karras_sigma(&(ctr_schedule_params){
                                                    .kind = CTR_SCHED_KARRAS, .N = prev->N, .rho = q.rho,
                                                    .sigma_min = q.sigma_min, .sigma_max = q.sigma_max},
                                                t);
      if (!ok)
        snprintf(where, sizeof where, "stage %d t = %lld vs stage %d t = %lld", k - 1, (long long)t, k,
                 (long long)u);
    }
    ctr_schedule_free(prev);
    prev = cur;
  }
  ctr_schedule_free(prev);
  char name[120];
  snprintf(name, sizeof name, "curriculum n0 = %lld, %d doublings: stage grids nested bit for bit",
           (long long)n0, K);
  check_true(name, ok, where);
}

static void check_equals_karras(int64_t N, int64_t n0) {
  ctr_schedule_params p, k;
  curriculum(N, n0, &p);
  ctr_schedule_params_default(&k);
  k.kind = CTR_SCHED_KARRAS, k.N = N;
  ctr_schedule *a = NULL, *b = NULL;
  ctr_error err = {0};
  ctr_status st = ctr_schedule_alloc(&p, &a, &err);
  if (!st) st = ctr_schedule_alloc(&k, &b, &err);
  char name[120];
  snprintf(name, sizeof name, "curriculum N = %lld, n0 = %lld (%d stages) = karras N = %lld bit for bit",
           (long long)N, (long long)n0, ctr_schedule_curriculum_stages(&p), (long long)N);
  check_true(name, !st && same_arrays(a, b), err.msg);
  ctr_schedule_free(a), ctr_schedule_free(b);
}

static int run_row(ctr_schedule_kind kind, ctr_engine_kind engine, ctr_point *row) {
  ctr_point_spec spec;
  ctr_point_spec_default(&spec);
  spec.schedule.kind = kind, spec.schedule.N = 41, spec.schedule.curriculum_n0 = 11;
  spec.target.d = 3, spec.target.kind = CTR_TARGET_GEOMETRIC;
  spec.engine.engine = engine;
  spec.learned.train_n = 100;
  ctr_error err = {0};
  return ctr_point_run(&spec, 0, row, &err) == CTR_OK;
}

static void check_rows(void) {
  const ctr_engine_kind engines[] = {CTR_ENGINE_CT, CTR_ENGINE_LEARNED};
  const char *names[] = {"ct", "learned"};
  for (int e = 0; e < 2; e++) {
    ctr_point a, b;
    int ok = run_row(CTR_SCHED_CURRICULUM, engines[e], &a) && run_row(CTR_SCHED_KARRAS, engines[e], &b);
    ok = ok && isfinite(a.w1_hi_normal) && a.w1_hi_normal == b.w1_hi_normal &&
         a.w2_normal == b.w2_normal && a.curriculum_stages == 3 && a.curriculum_n0 == 11 &&
         b.curriculum_stages == 0 && (e == 0 || a.eps_learned == b.eps_learned);
    char name[120], msg[120];
    snprintf(name, sizeof name, "%s row, N = 41: curriculum (3 stages) = karras bit for bit", names[e]);
    snprintf(msg, sizeof msg, "W %.17g vs %.17g, stages %d", a.w1_hi_normal, b.w1_hi_normal,
             a.curriculum_stages);
    check_true(name, ok, msg);
  }
}

static void refuse(const char *name, ctr_schedule_params *p, const char *needle) {
  ctr_error err = {0};
  ctr_schedule *s = NULL;
  ctr_status st = ctr_schedule_alloc(p, &s, &err);
  check_true(name, st == CTR_EINPUT && s == NULL && strstr(err.msg, needle) != NULL, err.msg);
  ctr_schedule_free(s);
}

static void check_refusals(void) {
  ctr_schedule_params p;
  curriculum(100, 11, &p);
  refuse("curriculum refuses N = 100 off the ladder from 11 (names 81 and 161)", &p, "81 or 161");
  curriculum(81, 1, &p);
  refuse("curriculum refuses n0 = 1", &p, "n0");
  curriculum(81, 82, &p);
  refuse("curriculum refuses n0 > N", &p, "n0");
  curriculum(81, 11, &p), p.sigma_max = 10;
  refuse("curriculum refuses sigma_max = 10 (abar_N > 1e-3)", &p, "abar_N");
  curriculum(81, 11, &p), p.sigma_min = 90;
  refuse("curriculum refuses a non-monotone abar (sigma_min > sigma_max)", &p, "decrease");
  curriculum(2, 2, &p);
  ctr_error err = {0};
  check_true("curriculum accepts N = n0 = 2 (one stage)", ctr_schedule_check(&p, &err) == CTR_OK &&
             ctr_schedule_curriculum_stages(&p) == 1, err.msg);
}

int main(void) {
  check_ladder();
  check_nested(11, 7);
  check_nested(6, 10);
  check_nested(2, 12);
  check_equals_karras(11, 11);  /* one stage */
  check_equals_karras(1281, 11);
  check_equals_karras(10241, 11);
  check_rows();
  check_refusals();
  return check_summary();
}
