#include "core/rng.h"

#include <math.h>

#include <Random123/philox.h>
#include <gsl/gsl_rng.h>

/* Mix (seed, purpose, a, b) into the two key words with a splitmix64 finaliser, so that
 * nearby seeds give unrelated keys. */
static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void ctr_rng_init(ctr_rng *r, uint64_t seed, ctr_rng_purpose purpose, uint64_t a, uint64_t b) {
  r->key[0] = mix64(seed ^ mix64((uint64_t)purpose));
  r->key[1] = mix64(a ^ mix64(b + 0x632be59bd9b4e019ULL));
  r->counter = 0;
}

/* One Philox block gives four 64-bit words; we use the counter as (block, 0, 0, 0)
 * and keep only whole blocks, which keeps the stream a function of the index. */
static void block(ctr_rng *r, uint64_t out[4]) {
  philox4x64_ctr_t c = {{r->counter++, 0, 0, 0}};
  philox4x64_key_t k = {{r->key[0], r->key[1]}};
  philox4x64_ctr_t v = philox4x64(c, k);
  for (int i = 0; i < 4; i++) out[i] = v.v[i];
}

static double to_open_unit(uint64_t x) { return ((double)(x >> 11) + 0.5) * 0x1.0p-53; }

double ctr_rng_uniform(ctr_rng *r) {
  uint64_t w[4];
  block(r, w);
  return to_open_unit(w[0]);
}

void ctr_rng_normals(ctr_rng *r, size_t n, double *out) {
  for (size_t i = 0; i < n; i += 2) {
    uint64_t w[4];
    block(r, w);
    double rad = sqrt(-2.0 * log(to_open_unit(w[0]))), ang = 2.0 * M_PI * to_open_unit(w[1]);
    out[i] = rad * cos(ang);
    if (i + 1 < n) out[i + 1] = rad * sin(ang);
  }
}

/* The GSL adapter: the state is the ctr_rng itself; keyed after allocation (a gsl seed is one
 * word, a stream name four), so set does nothing. */
static void gsl_set(void *state, unsigned long int seed) {
  (void)seed;
  ctr_rng_init(state, 0, CTR_RNG_TEST, 0, 0);
}
static unsigned long int gsl_get(void *state) {
  uint64_t w[4];
  block(state, w);
  return (unsigned long int)(w[0] >> 32);
}
static double gsl_get_double(void *state) { return ctr_rng_uniform(state); }
static const gsl_rng_type philox_type = {"ctr_philox4x64", 0xffffffffUL, 0, sizeof(ctr_rng),
                                         gsl_set, gsl_get, gsl_get_double};

gsl_rng *ctr_rng_gsl_alloc(void) { return gsl_rng_alloc(&philox_type); }

void ctr_rng_gsl_key(gsl_rng *g, uint64_t seed, ctr_rng_purpose purpose, uint64_t a, uint64_t b) {
  ctr_rng_init(g->state, seed, purpose, a, b);
}

ctr_rng *ctr_rng_gsl_state(gsl_rng *g) { return g->state; }
