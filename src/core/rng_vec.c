#include "core/rng_vec.h"

#include <math.h>
#include <stdint.h>

#include <Random123/philox.h>

#if defined(CTR_HAVE_SLEEF) && defined(__SSE2__)
#include <emmintrin.h>
#include <sleef.h>
#define CTR_RNG_VEC_SLEEF 1
#endif

/* Uniform in (0, 1) from the top 53 bits, as core/rng.c does. */
static double to_open_unit(uint64_t x) { return ((double)(x >> 11) + 0.5) * 0x1.0p-53; }

void ctr_rng_normals_vec(ctr_rng *r, size_t n, double *out) {
  philox4x64_key_t k = {{r->key[0], r->key[1]}};
  for (size_t i = 0; i < n; i += 4) {
    philox4x64_ctr_t c = {{r->counter++, 0, 0, 0}};
    philox4x64_ctr_t v = philox4x64(c, k);
    double z[4];
#ifdef CTR_RNG_VEC_SLEEF
    /* radii sqrt(-2 log u) of both pairs in one vector, then both angles */
    __m128d u = _mm_set_pd(to_open_unit(v.v[2]), to_open_unit(v.v[0]));
    __m128d rad = _mm_sqrt_pd(_mm_mul_pd(_mm_set1_pd(-2.0), Sleef_logd2_u10(u)));
    __m128d ang = _mm_set_pd(2.0 * to_open_unit(v.v[3]), 2.0 * to_open_unit(v.v[1]));
    Sleef___m128d_2 sc = Sleef_sincospid2_u05(ang); /* x: sin, y: cos */
    double rr[2], sn[2], cs[2];
    _mm_storeu_pd(rr, rad), _mm_storeu_pd(sn, sc.x), _mm_storeu_pd(cs, sc.y);
    z[0] = rr[0] * cs[0], z[1] = rr[0] * sn[0], z[2] = rr[1] * cs[1], z[3] = rr[1] * sn[1];
#else
    for (int p = 0; p < 2; p++) {
      double rad = sqrt(-2.0 * log(to_open_unit(v.v[2 * p])));
      double ang = 2.0 * M_PI * to_open_unit(v.v[2 * p + 1]);
      z[2 * p] = rad * cos(ang), z[2 * p + 1] = rad * sin(ang);
    }
#endif
    for (size_t j = 0; j < 4 && i + j < n; j++) out[i + j] = z[j];
  }
}
