/* core/rng.h: counter-based random streams (Random123 Philox4x64-10).
 *
 * A stream is named by (seed, purpose, a, b): the same name gives the same numbers
 * whatever the thread count, the sharding or the order in which points are run.
 * Draw i of a stream is a pure function of its name and i. */
#ifndef CTR_CORE_RNG_H
#define CTR_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Purposes: one per use, so that no two uses ever share numbers (all listed here). */
typedef enum {
  CTR_RNG_ROTATION = 1, /* Haar rotation of the covariance (keyed by seed, d) */
  CTR_RNG_MEAN = 2,     /* random mean direction (seed, d) */
  CTR_RNG_ERRDIR = 3,   /* direction of bias errors (seed, d) */
  CTR_RNG_ERRMAT = 4,   /* random symmetric matrix of fit-matrix errors (seed, d) */
  CTR_RNG_SLICE = 5,    /* sliced-W directions (seed, d, direction) */
  CTR_RNG_MIXTURE = 6,  /* geometry of random mixture presets (seed, d, K | ball << 32) */
  CTR_RNG_CHAIN_START = 7, /* chain engine: starting point x_i ~ q_N (seed, d, i) */
  CTR_RNG_CHAIN_STEP = 8,  /* chain engine: chain j from point i (seed, i, j) */
  CTR_RNG_DISTILL_START = 9, /* distill engine: x_i ~ q_N (seed, d, i) */
  CTR_RNG_LIPSCHITZ = 10,    /* starting points of the empirical Lipschitz constant (seed, d) */
  CTR_RNG_SAMPLED = 11,      /* sampled W: Z, then two X_1 samples (seed, d, 3 rep + which) */
  CTR_RNG_BOOTSTRAP = 12,    /* ctrate fit: replicate resampling (fit seed, group) */
  CTR_RNG_CHAIN_START_NORMAL = 13,   /* chain engine: starting point Z_i ~ N(0, I) (seed, d, i) */
  CTR_RNG_DISTILL_START_NORMAL = 14, /* distill engine: Z_i ~ N(0, I) (seed, d, i) */
  CTR_RNG_LIPSCHITZ_START = 15,      /* Lipschitz lower bound: extra random starts (seed, d) */
  CTR_RNG_LEARNED_DATA = 30,  /* learned engine: data xi (seed, t or 0 when fixed, d) */
  CTR_RNG_LEARNED_NOISE = 31, /* learned engine: noise Z of step t (seed, t, d) */
  CTR_RNG_LEARNED_COMPONENT = 32, /* learned, mixtures: component of X_0 (seed, t or 0, d) */
  CTR_RNG_LEARNED_FEATURES = 33,  /* learned, rff: frequencies and phases (seed, M, 0) */
  CTR_RNG_LEARNED_MOMENTS = 34,   /* learned, moments route: Bartlett factor of step t (seed, t, d) */
  CTR_RNG_TEST = 99     /* tests and Monte Carlo checks */
} ctr_rng_purpose;

typedef struct {
  uint64_t key[2];
  uint64_t counter;
} ctr_rng;

void ctr_rng_init(ctr_rng *r, uint64_t seed, ctr_rng_purpose purpose, uint64_t a, uint64_t b);

/* Uniform in the open interval (0, 1), 53 random bits. */
double ctr_rng_uniform(ctr_rng *r);

/* n standard normals (Box-Muller on pairs of uniforms). */
void ctr_rng_normals(ctr_rng *r, size_t n, double *out);

/* A gsl_rng whose state is a ctr_rng stream, so that GSL's samplers (gsl_ran_chisq, ...) draw
 * from named, thread-independent streams: alloc once, key with ctr_rng_gsl_key (the stream
 * (seed, purpose, a, b) from its start), free with gsl_rng_free. ctr_rng_gsl_state gives the
 * same stream for ctr_rng_normals, continuing where GSL's draws stopped. NULL when out of
 * memory. gsl_rng_get returns the top 32 bits of one Philox block, gsl_rng_uniform
 * ctr_rng_uniform. */
gsl_rng *ctr_rng_gsl_alloc(void);
void ctr_rng_gsl_key(gsl_rng *g, uint64_t seed, ctr_rng_purpose purpose,
                     uint64_t a, uint64_t b);
ctr_rng *ctr_rng_gsl_state(gsl_rng *g);

#endif
