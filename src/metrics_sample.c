#include "metrics_sample.h"

#include <stdlib.h>

#include "rng.h"
#include "wsample.h"

#define CTR_RNG_SAMPLED 11 /* Z for the model, then two X_1 samples: (seed, d, which) */
#define CTR_SLICE_DIRECTIONS 64

static ctr_status draw(const ctr_distill_params *p, const ctr_schedule *s, const ctr_mixture *m,
                       size_t n, double *y, double *x1a, double *x1b, ctr_error *err) {
  ctr_rng r;
  ctr_rng_init(&r, p->seed, CTR_RNG_SAMPLED, (uint64_t)m->d, 0);
  ctr_rng_normals(&r, n * (size_t)m->d, y);
  ctr_status st = ctr_distill_map(p, s, m, n, y, y, err);
  ctr_rng_init(&r, p->seed, CTR_RNG_SAMPLED, (uint64_t)m->d, 1);
  if (!st) st = ctr_mixture_sample_noised(m, s->a[1], s->s[1], &r, n, x1a, err);
  ctr_rng_init(&r, p->seed, CTR_RNG_SAMPLED, (uint64_t)m->d, 2);
  if (!st) st = ctr_mixture_sample_noised(m, s->a[1], s->s[1], &r, n, x1b, err);
  return st;
}

ctr_status ctr_sampled_w_distill(const ctr_distill_params *p, const ctr_schedule *s,
                                 const ctr_mixture *m, size_t n, ctr_sampled_w *out,
                                 ctr_error *err) {
  size_t nd = n * (size_t)m->d;
  double *y = ctr_dalloc(nd), *a = ctr_dalloc(nd), *b = ctr_dalloc(nd);
  ctr_status st = y && a && b ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "sampled W: out of memory");
  ctr_sample_bracket model, same;
  if (!st) st = draw(p, s, m, n, y, a, b, err);
  if (!st)
    st = ctr_sample_bracket_compute(n, (size_t)m->d, y, a, 1, CTR_SLICE_DIRECTIONS, p->seed,
                                    &model, err);
  if (!st)
    st = ctr_sample_bracket_compute(n, (size_t)m->d, b, a, 1, CTR_SLICE_DIRECTIONS, p->seed,
                                    &same, err);
  if (!st) {
    out->w1 = model.upper, out->floor = same.upper;
    out->sliced = model.sliced.mean, out->maxsliced = model.sliced.max_sliced;
    out->optimal = model.assign.optimal && same.assign.optimal;
  }
  free(y), free(a), free(b);
  return st;
}
