/* Fuzz target: the mixture file reader. */
#include "fuzz_util.h"
#include "targets/mixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_mixture_read(fuzz_file("mix", data, size), &m, &err);
  ctr_mixture_free(m);
  return 0;
}
