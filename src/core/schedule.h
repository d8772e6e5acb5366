/* core/schedule.h: the forward noise schedule (theory.md §1).
 *
 * Steps t = 1..N. Arrays are 1-based (index 0 is unused) and hold, for every t,
 * beta_t, a_t = sqrt(abar_t) and s_t = sqrt(1 - abar_t), all computed without
 * cancellation: log abar_t is a running sum of log1p(-beta_k) and s_t comes from
 * expm1, so s_1 = sqrt(beta_1) ~ 1e-7 keeps its digits. */
#ifndef CTR_CORE_SCHEDULE_H
#define CTR_CORE_SCHEDULE_H

#include <stdint.h>

#include "core/common.h"

typedef enum {
  CTR_SCHED_PAPER,
  CTR_SCHED_LINEAR,
  CTR_SCHED_COSINE,
  CTR_SCHED_KARRAS,
  CTR_SCHED_CURRICULUM
} ctr_schedule_kind;

typedef struct {
  ctr_schedule_kind kind;
  int64_t N;       /* number of steps, 2 <= N <= CTR_SCHEDULE_NMAX */
  double c0, c1;   /* paper: beta_1 = N^-c0, saturation c1 log N / N; need c1 > c0 > 0 */
  double beta_min; /* linear (DDPM): betas at N = 1000, rescaled by 1000/N */
  double beta_max;
  double cosine_s; /* cosine (Nichol-Dhariwal) offset, >= 0 */
  /* karras (EDM): sigma grid with exponent rho between sigma_min (t = 1, least noisy) and
   * sigma_max (t = N), abar_t = 1 / (1 + sigma_t^2) (theory.md §13.1) */
  double rho, sigma_min, sigma_max;
  /* curriculum (improved CT, Song and Dhariwal 2023; theory.md §13.5): training stages
   * k = 0..K on the karras grids of N_k = 1 + (curriculum_n0 - 1) 2^k points, the last one
   * N_K = N. The schedule itself is the final stage's karras grid: every engine here sees only
   * that one (the stages change the training cost, not the result). */
  int64_t curriculum_n0;
} ctr_schedule_params;

/* karras: abar_N = 1 / (1 + sigma_max^2) must be at most this (sigma_max >= 31.6), so that
 * q_N is within a_N <= 0.032 data scales of N(0, I) */
#define CTR_SCHEDULE_KARRAS_ABAR_N_MAX 1e-3

#define CTR_SCHEDULE_NMAX 100000000LL /* 1e8: arrays of 3 x 8 bytes per step */

typedef struct {
  int64_t N;
  double *beta;     /* beta[t], t = 1..N */
  double *log_abar; /* log abar_t = sum_{k<=t} log1p(-beta_k) */
  double *a;        /* a_t = sqrt(abar_t) */
  double *s;        /* s_t = sqrt(1 - abar_t) = sqrt(-expm1(log abar_t)) */
} ctr_schedule;

/* Documented defaults: paper schedule, c0 = 2, c1 = 4 (theory.md §1.2: c0 = 2, c1 in [4, 16]; c1 = 4 keeps N >= 9 valid);
 * linear 1e-4 .. 0.02 (DDPM); cosine s = 0.008; karras rho = 7, sigma 0.002 .. 80 (EDM);
 * curriculum_n0 = 11 (improved CT's s0 = 10 intervals).
 * N is left at 1000. */
void ctr_schedule_params_default(ctr_schedule_params *p);

/* karras sigma_t, t = 1..N (t = 1 is sigma_min): exposed for tests. */
double ctr_schedule_karras_sigma(const ctr_schedule_params *p, int64_t t);

/* curriculum: the number of stages K + 1 (N = 1 + (n0 - 1) 2^K; the check refuses other N),
 * 1 for every other schedule. */
int ctr_schedule_curriculum_stages(const ctr_schedule_params *p);

/* curriculum: stage k's grid as karras parameters (N_k = 1 + (n0 - 1) 2^k, 0 <= k <= K). Nested:
 * stage k's step t is stage k+1's step 2t - 1 with the same sigma, log abar, a and s (the
 * u_t of theory.md §13.1 are the same doubles), which is how a stage's learned functions map onto
 * the next grid. Other schedules: a copy of p (k must be 0). */
void ctr_schedule_curriculum_stage(const ctr_schedule_params *p, int k, ctr_schedule_params *out);

/* Parse "paper", "linear", "cosine", "karras", "curriculum"; CTR_EINPUT naming the accepted names. */
ctr_status ctr_schedule_kind_parse(const char *name, ctr_schedule_kind *kind, ctr_error *err);
const char *ctr_schedule_kind_name(ctr_schedule_kind kind);

/* Refuse parameters that do not give a valid schedule (every beta_t in (0, 1)),
 * with a message naming the value and what would be accepted. */
ctr_status ctr_schedule_check(const ctr_schedule_params *p, ctr_error *err);

/* Check, allocate and fill. Free with ctr_schedule_free (NULL-safe). */
ctr_status ctr_schedule_alloc(const ctr_schedule_params *p, ctr_schedule **out, ctr_error *err);
void ctr_schedule_free(ctr_schedule *s);

/* c_t = a_{t-1} - a_t s_{t-1}/s_t, cancellation-free (theory.md §2), t >= 2. */
double ctr_schedule_c(const ctr_schedule *s, int64_t t);

/* abar_N = exp(log abar_N) (may be tiny: report it, theory.md §1). */
double ctr_schedule_abar_N(const ctr_schedule *s);

#endif
