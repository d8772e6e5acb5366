/* Fuzz target: the covariance file reader (target "file"): the first byte picks d in 1..8,
 * the rest is the file. */
#include "fuzz_util.h"
#include "targets/gaussian.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  ctr_target_params p;
  ctr_target_params_default(&p);
  p.kind = CTR_TARGET_FILE;
  p.d = 1 + data[0] % 8;
  p.cov_file = fuzz_file("cov", data + 1, size - 1);
  ctr_target *t = NULL;
  ctr_error err;
  if (!ctr_target_alloc(&p, &t, &err))
    for (int i = 0; i < t->d; i++)
      if (!(t->lambda[i] >= 0)) abort(); /* a PSD covariance has no negative variance */
  ctr_target_free(t);
  return 0;
}
