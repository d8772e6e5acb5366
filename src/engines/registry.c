#include "engines/registry.h"

static const char *const names[CTR_ENGINE_COUNT] = {"ct", "cd", "chain", "distill", "grid", "learned",
                                                    "product", "radial", "lowrank"};

const char *ctr_engine_name(ctr_engine_kind kind) { return names[kind]; }

ctr_status ctr_engine_parse(const char *name, ctr_engine_kind *kind, ctr_error *err) {
  int k = ctr_name_index(names, CTR_ENGINE_COUNT, name);
  if (k >= 0) {
    *kind = (ctr_engine_kind)k;
    return CTR_OK;
  }
  return ctr_fail(err, CTR_EINPUT, "engine '%s' is unknown (accepted: ct, cd, chain, distill, grid, "
                  "learned, product, radial, lowrank)",
                  name);
}

int ctr_engine_is_affine(ctr_engine_kind kind) {
  return kind == CTR_ENGINE_CT || kind == CTR_ENGINE_CD;
}
