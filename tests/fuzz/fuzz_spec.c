/* Fuzz target: the spec reader (libconfig text -> grid) and the resolved spec it writes, which
 * must read back to the same resolved spec. */
#include "fuzz_util.h"
#include "sweep/param_grid.h"
#include "sweep/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  char *s = fuzz_string(data, size);
  ctr_grid g;
  ctr_error err;
  char *out = NULL;
  ctr_grid_init(&g);
  if (!ctr_spec_load_text("fuzz", s, &g, &out, &err) && ctr_grid_count(&g) <= 100000) {
    char *desc = ctr_grid_describe(&g);
    ctr_grid g2;
    ctr_grid_init(&g2);
    if (desc && ctr_spec_load_text("fuzz:described", desc, &g2, NULL, &err)) abort();
    char *desc2 = desc ? ctr_grid_describe(&g2) : NULL;
    if (desc && (!desc2 || strcmp(desc, desc2))) abort(); /* a resolved spec is a fixed point */
    free(desc), free(desc2);
    ctr_grid_free(&g2);
  }
  free(out);
  ctr_grid_free(&g);
  free(s);
  return 0;
}
