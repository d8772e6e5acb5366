/* bench_affine.c: wall time of the affine engine (diag path, engine ct, error none) on the
 * paper schedule (c0 = 2, c1 = 8, set explicitly) and a geometric spectrum (lambda from 1
 * down to 0.01).
 *
 * For each case (d, N) the whole point (ctr_schedule_alloc + ctr_target_alloc +
 * ctr_affine_run + ctr_gauss_metrics_compute) is run a few times; the best wall time
 * (omp_get_wtime) of ctr_affine_run alone and of the whole point is reported, with
 * updates per second = (N - 1) * distinct eigenvalues / seconds, and W2 for input q_N.
 *
 * usage: bench_affine [D N]...   (default: 1024 1e5  4 1e6  64 1e6); one JSON line per case.
 * Exit status 1 if a case fails, 2 on bad usage. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <omp.h>

#include "engines/affine.h"
#include "metrics/gaussian_metrics.h"
#include "core/schedule.h"
#include "targets/gaussian.h"

typedef struct {
  double t_engine, t_point; /* best seconds */
  double w2_qN, sum_D_rms;
  int nd;
} bench_out;

static int run_once(int d, int64_t N, double *t_engine, double *t_point, bench_out *o) {
  ctr_error err = {0};
  ctr_schedule_params sp;
  ctr_target_params tp;
  ctr_affine_params ep;
  ctr_schedule_params_default(&sp);
  ctr_target_params_default(&tp);
  ctr_affine_params_default(&ep);
  sp.kind = CTR_SCHED_PAPER, sp.c0 = 2.0, sp.c1 = 8.0, sp.N = N; /* explicit: defaults may move */
  tp.kind = CTR_TARGET_GEOMETRIC, tp.d = d, tp.lambda_min = 0.01, tp.lambda_max = 1.0;
  ctr_schedule *s = NULL;
  ctr_target *tg = NULL;
  ctr_affine_result *r = NULL;
  ctr_gauss_metrics m;
  double t0 = omp_get_wtime(), t1 = 0, t2 = 0;
  ctr_status st = ctr_schedule_alloc(&sp, &s, &err);
  if (!st) st = ctr_target_alloc(&tp, &tg, &err);
  if (!st) {
    t1 = omp_get_wtime();
    st = ctr_affine_run(&ep, s, tg, &r, &err);
    t2 = omp_get_wtime();
  }
  if (!st) st = ctr_gauss_metrics_compute(r, tg, &m, &err);
  double t3 = omp_get_wtime();
  if (!st) {
    *t_engine = t2 - t1, *t_point = t3 - t0;
    o->w2_qN = m.qN.w2, o->sum_D_rms = r->sum_D_rms, o->nd = r->nd;
  } else {
    fprintf(stderr, "bench_affine: d = %d, N = %lld: %s\n", d, (long long)N, err.msg);
  }
  ctr_affine_result_free(r);
  ctr_target_free(tg);
  ctr_schedule_free(s);
  return st ? -1 : 0;
}

static int bench_case(int d, int64_t N) {
  /* repeat until ~1 s of engine time or 7 runs, at least 3 */
  bench_out o = {INFINITY, INFINITY, 0, 0, 0};
  double total = 0;
  int reps = 0;
  for (; reps < 7 && (reps < 3 || total < 1.0); reps++) {
    double te, tp;
    if (run_once(d, N, &te, &tp, &o)) return -1;
    total += te;
    if (te < o.t_engine) o.t_engine = te;
    if (tp < o.t_point) o.t_point = tp;
  }
  double upd = (double)(N - 1) * o.nd;
  printf("{\"impl\": \"c\", \"d\": %d, \"N\": %lld, \"nd\": %d, \"reps\": %d, "
         "\"w2\": %.17g, \"sum_D_rms\": %.17g, \"seconds\": %.6g, \"seconds_point\": %.6g, "
         "\"updates_per_s\": %.6g, \"updates_per_s_point\": %.6g}\n",
         d, (long long)N, o.nd, reps, o.w2_qN, o.sum_D_rms, o.t_engine, o.t_point,
         upd / o.t_engine, upd / o.t_point);
  fflush(stdout);
  return 0;
}

static int parse_case(const char *ds, const char *ns, int *d, int64_t *N) {
  char *end;
  long dv = strtol(ds, &end, 10);
  if (*end || dv < 1 || dv > CTR_TARGET_DMAX) return -1;
  double nv = strtod(ns, &end); /* accepts 1e6 */
  if (*end || !(nv >= 2 && nv <= (double)CTR_SCHEDULE_NMAX) || nv != floor(nv)) return -1;
  *d = (int)dv, *N = (int64_t)nv;
  return 0;
}

int main(int argc, char **argv) {
  static const char *const defaults[] = {"1024", "1e5", "4", "1e6", "64", "1e6"};
  const char *const *args = (const char *const *)argv + 1;
  int nargs = argc - 1;
  if (nargs == 0) args = defaults, nargs = 6;
  if (nargs % 2) {
    fprintf(stderr, "usage: bench_affine [D N]...   (e.g. bench_affine 1024 1e5 4 1e6)\n");
    return 2;
  }
  int rc = 0;
  for (int k = 0; k < nargs; k += 2) {
    int d;
    int64_t N;
    if (parse_case(args[k], args[k + 1], &d, &N)) {
      fprintf(stderr, "bench_affine: bad case '%s %s' (accepted: D in 1..%d, N in 2..1e8)\n",
              args[k], args[k + 1], CTR_TARGET_DMAX);
      return 2;
    }
    if (bench_case(d, N)) rc = 1;
  }
  return rc;
}
