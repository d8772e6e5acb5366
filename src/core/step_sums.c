#include "core/step_sums.h"

#include <math.h>
#include <stdlib.h>

struct ctr_stepsum {
  int64_t *probe; /* increasing probe steps, probe[0] = 2, probe[np-1] = N */
  int np, next;   /* count, index of the next probe to come */
  double l1, rms; /* totals so far (closed segments and probe steps) */
  double s0, s1;  /* open segment: sum rms_t and sum w(t) rms_t */
  double ratio_prev;
  double inv_lseg; /* 1 / log(tb / ta) of the open segment: one log per step, not two */
  int exact;
};

ctr_stepsum *ctr_stepsum_alloc(int64_t N, int probes) {
  ctr_stepsum *s = calloc(1, sizeof *s);
  if (probes < 2) probes = 2;
  int64_t steps = N - 1;
  int cap = steps <= probes ? (int)steps : probes;
  if (s) s->probe = malloc(sizeof(int64_t) * (size_t)(cap > 0 ? cap : 1));
  if (!s || !s->probe) return ctr_stepsum_free(s), NULL;
  s->exact = steps <= probes;
  for (int i = 0; i < cap; i++) {
    int64_t t = s->exact ? 2 + i
                         : (int64_t)llround(2.0 * pow((double)N / 2.0, (double)i / (cap - 1)));
    if (s->np == 0 || t > s->probe[s->np - 1]) s->probe[s->np++] = t;
  }
  if (s->np > 0) s->probe[s->np - 1] = N;
  return s;
}

void ctr_stepsum_free(ctr_stepsum *s) {
  if (!s) return;
  free(s->probe);
  free(s);
}

int ctr_stepsum_probe_steps(const ctr_stepsum *s, const int64_t **steps) {
  *steps = s->probe;
  return s->np;
}

int ctr_stepsum_is_probe(const ctr_stepsum *s, int64_t t) {
  return s->next < s->np && s->probe[s->next] == t;
}

void ctr_stepsum_add(ctr_stepsum *s, int64_t t, double rms, double l1) {
  s->rms += rms;
  if (ctr_stepsum_is_probe(s, t)) {
    double ratio = rms > 0 ? l1 / rms : 1.0;
    /* close the segment since the previous probe: r(t) = r_a + (r_b - r_a) w(t) */
    s->l1 += s->ratio_prev * s->s0 + (ratio - s->ratio_prev) * s->s1 + l1;
    s->s0 = s->s1 = 0;
    s->ratio_prev = ratio;
    s->next++;
    if (s->next < s->np)
      s->inv_lseg = 1.0 / log((double)s->probe[s->next] / (double)s->probe[s->next - 1]);
    return;
  }
  double w = log((double)t / (double)s->probe[s->next - 1]) * s->inv_lseg;
  s->s0 += rms;
  s->s1 += w * rms;
}

int64_t ctr_stepsum_next_probe(const ctr_stepsum *s) {
  return s->next < s->np ? s->probe[s->next] : INT64_MAX;
}

/* log1p(u) for 0 <= u <= 2^-6 to degree 10: the alternating series' first omitted term is
 * u^11 / 11 <= 2^-60 u / 11, below an ulp of u - u^2/2. */
static double log1p_small(double u) {
  double p = 1.0 / 10;
  for (int k = 9; k >= 1; k--) p = 1.0 / k - u * p;
  return u * p;
}

void ctr_stepsum_add_run(ctr_stepsum *s, int64_t t0, int n, const double *rms) {
  enum { PIECE = 256 };
  double w[PIECE], ta = (double)s->probe[s->next - 1];
  int series = (double)(n - 1) <= 0x1p-6 * (double)t0;
  double L0 = series ? log((double)t0 / ta) : 0, it = 1.0 / (double)t0;
  for (int i0 = 0; i0 < n; i0 += PIECE) {
    int m = n - i0 < PIECE ? n - i0 : PIECE;
    if (series) /* the loop gcc vectorises: no call per step */
      for (int i = 0; i < m; i++) w[i] = (L0 + log1p_small((double)(i0 + i) * it)) * s->inv_lseg;
    else
      for (int i = 0; i < m; i++) w[i] = log((double)(t0 + i0 + i) / ta) * s->inv_lseg;
    double r = s->rms, a = s->s0, b = s->s1;
    for (int i = 0; i < m; i++) {
      double x = rms[i0 + i];
      r += x, a += x, b += w[i] * x;
    }
    s->rms = r, s->s0 = a, s->s1 = b;
  }
}

void ctr_stepsum_finish(ctr_stepsum *s, double *l1, double *rms, int *exact) {
  *l1 = s->l1;
  *rms = s->rms;
  *exact = s->exact;
}
