#include "metrics/sampled_metrics.h"

#include <stdlib.h>

#include "core/rng.h"
#include "wasserstein/sampled.h"

#define CTR_SLICE_DIRECTIONS 64
#define CTR_SAMPLED_REPLICATES 4 /* one draw is too noisy to set beside a floor (theory.md §7) */

/* Replicate rep: the model's output for n fresh Z and two fresh n-samples of X_1. */
static ctr_status draw(const ctr_distill_params *p, const ctr_schedule *s, const ctr_mixture *m,
                       size_t n, int rep, double *y, double *x1a, double *x1b, ctr_error *err) {
  ctr_rng r;
  uint64_t b = 3 * (uint64_t)rep;
  ctr_rng_init(&r, p->seed, CTR_RNG_SAMPLED, (uint64_t)m->d, b);
  ctr_rng_normals(&r, n * (size_t)m->d, y);
  ctr_status st = ctr_distill_map(p, s, m, n, y, y, err);
  ctr_rng_init(&r, p->seed, CTR_RNG_SAMPLED, (uint64_t)m->d, b + 1);
  if (!st) st = ctr_mixture_sample_noised(m, s->a[1], s->s[1], &r, n, x1a, err);
  ctr_rng_init(&r, p->seed, CTR_RNG_SAMPLED, (uint64_t)m->d, b + 2);
  if (!st) st = ctr_mixture_sample_noised(m, s->a[1], s->s[1], &r, n, x1b, err);
  return st;
}

ctr_status ctr_sampled_w_distill(const ctr_distill_params *p, const ctr_schedule *s,
                                 const ctr_mixture *m, size_t n, ctr_sampled_w *out,
                                 ctr_error *err) {
  size_t nd = n * (size_t)m->d;
  double *y = ctr_dalloc(nd), *a = ctr_dalloc(nd), *b = ctr_dalloc(nd);
  ctr_status st = y && a && b ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "sampled W: out of memory");
  *out = (ctr_sampled_w){.optimal = 1};
  for (int rep = 0; !st && rep < CTR_SAMPLED_REPLICATES; rep++) {
    ctr_sample_bracket model, same;
    st = draw(p, s, m, n, rep, y, a, b, err);
    if (!st)
      st = ctr_sample_bracket_compute(n, (size_t)m->d, y, a, 1, CTR_SLICE_DIRECTIONS, p->seed,
                                      &model, err);
    if (!st)
      st = ctr_sample_bracket_compute(n, (size_t)m->d, b, a, 1, CTR_SLICE_DIRECTIONS, p->seed,
                                      &same, err);
    double gb = 0;
    if (!st) st = ctr_gelbrich_w2((size_t)m->d, n, y, n, a, &gb, err);
    if (st) break;
    out->gelbrich += gb / CTR_SAMPLED_REPLICATES;
    out->w1 += model.upper / CTR_SAMPLED_REPLICATES;
    out->floor += same.upper / CTR_SAMPLED_REPLICATES;
    out->sliced += model.sliced.mean / CTR_SAMPLED_REPLICATES;
    out->maxsliced += model.sliced.max_sliced / CTR_SAMPLED_REPLICATES;
    out->optimal = out->optimal && model.assign.optimal && same.assign.optimal;
  }
  free(y), free(a), free(b);
  return st;
}
