/* core/rng_vec.h: standard normals from a Philox stream (core/rng.h) at vector speed.
 *
 * Four normals per Philox block (two Box-Muller pairs from its four words; ctr_rng_normals
 * uses two words per pair and one block per pair), with SLEEF's vector log (1 ULP) and
 * sincospi (0.506 ULP: the angle 2 pi u is formed exactly as sincospi(2u)) when the library is
 * built with SLEEF, libm otherwise. A different sequence from ctr_rng_normals, but like it a
 * pure function of the stream's name and position: n normals consume ceil(n / 4) blocks. */
#ifndef CTR_CORE_RNG_VEC_H
#define CTR_CORE_RNG_VEC_H

#include <stddef.h>

#include "core/rng.h"

void ctr_rng_normals_vec(ctr_rng *r, size_t n, double *out);

#endif
