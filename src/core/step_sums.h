/* core/step_sums.h: sums over steps t = 2..N of E||G_t|| and (E||G_t||^2)^(1/2) for zero-mean
 * Gaussian per-step errors G_t (theory.md §3: sum_t E||D_t||, sum_t E||e_t||).
 *
 * The RMS form is cheap and exact at every step. The L1 form needs a 1-D quadrature over
 * d directions per step, too costly at N = 1e6, so it is evaluated exactly at `probes`
 * log-spaced steps and, between them, the ratio L1/RMS (which lies in [sqrt(2/pi), 1]
 * and varies slowly in t) is interpolated linearly in log t. When N - 1 <= probes every
 * step is a probe and the sum is exact. Steps must be fed in increasing order. */
#ifndef CTR_CORE_STEP_SUMS_H
#define CTR_CORE_STEP_SUMS_H

#include <stdint.h>

typedef struct ctr_stepsum ctr_stepsum;

ctr_stepsum *ctr_stepsum_alloc(int64_t N, int probes); /* NULL when out of memory */
void ctr_stepsum_free(ctr_stepsum *s);

/* 1 if the caller must pass the exact L1 value of step t. */
int ctr_stepsum_is_probe(const ctr_stepsum *s, int64_t t);

/* The probe steps (increasing), and their count: lets a caller evaluate the L1 values of all
 * probes up front, e.g. in parallel, before feeding the steps in order. */
int ctr_stepsum_probe_steps(const ctr_stepsum *s, const int64_t **steps);

/* Record step t: its RMS and, at a probe step, its exact L1 (ignored otherwise). */
void ctr_stepsum_add(ctr_stepsum *s, int64_t t, double rms, double l1);

/* The next probe step to come (INT64_MAX when none is left). */
int64_t ctr_stepsum_next_probe(const ctr_stepsum *s);

/* Record steps t0..t0+n-1, none of them a probe (all before the next probe): the totals of n
 * calls of ctr_stepsum_add, added in the same order, with the weights log(t / t_a) from one log
 * and a log1p series in (t - t0) / t0 when the run is short against t0 (a log per step
 * otherwise); the weights then differ from the per-step logs by a few ulp. */
void ctr_stepsum_add_run(ctr_stepsum *s, int64_t t0, int n, const double *rms);

/* Totals; *exact = 1 when every step was a probe. */
void ctr_stepsum_finish(ctr_stepsum *s, double *l1, double *rms, int *exact);

#endif
