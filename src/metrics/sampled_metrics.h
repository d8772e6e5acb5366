/* metrics/sampled_metrics.h: sampled Wasserstein distances between a model's output and the target X_1,
 * each with the same-law floor beside it (theory.md §7: between n-point samples the bias decays
 * like n^(-1/d), so a sampled W means something only where it clearly exceeds the floor). */
#ifndef CTR_METRICS_SAMPLED_METRICS_H
#define CTR_METRICS_SAMPLED_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "engines/distill.h"

/* Every value is a mean over 4 independent replicates (fresh Z and fresh target samples). */
typedef struct {
  double w1;        /* exact W1 between n samples of f_N(N(0, I)) and n samples of X_1 */
  double floor;     /* exact W1 between two independent n-samples of X_1 */
  double sliced, maxsliced; /* sliced and max-sliced W1 of the first pair */
  double gelbrich;  /* Gelbrich lower bound on W2 of the first pair (theory.md §7) */
  int optimal;      /* every assignment certified optimal */
} ctr_sampled_w;

/* Distillation's output for Z ~ N(0, I) against X_1 = a_1 X_0 + s_1 Z', n >= 2. */
ctr_status ctr_sampled_w_distill(const ctr_distill_params *p, const ctr_schedule *s,
                                 const ctr_mixture *m, size_t n, ctr_sampled_w *out,
                                 ctr_error *err);

#endif
