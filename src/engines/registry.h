/* engines/registry.h: the registry of engines, so that the CLI, the rows and --help share one list.
 *   ct, cd   Gaussian targets, closed form (engines/affine.h)
 *   chain    ideal CT on any target by backward chains (engines/chain.h)
 *   distill  consistency distillation on any target, DDIM composition (engines/distill.h)
 *   grid     ideal CT in d = 1, exact up to a discretisation it estimates (engines/grid.h)
 *   learned  CT from samples, affine class, Gaussian targets (engines/learned.h)
 *   product  ideal CT on product targets in any d, coordinate-wise by the 1-D grid
 *            (engines/product.h)
 *   radial   ideal CT on rotation-invariant targets (mean-0 isotropic components) in any d,
 *            exact up to a discretisation it estimates (engines/radial.h)
 *   lowrank  ideal CT on mixtures with one shared isotropic width whose means lie on a line, in
 *            any d: the 1-D grid on the line, the Gaussian closed form on its complement
 *            (engines/lowrank.h)
 * A Gaussian target given to chain or distill runs as a one-component mixture. */
#ifndef CTR_ENGINES_REGISTRY_H
#define CTR_ENGINES_REGISTRY_H

#include "core/common.h"

typedef enum {
  CTR_ENGINE_CT,
  CTR_ENGINE_CD,
  CTR_ENGINE_CHAIN,
  CTR_ENGINE_DISTILL,
  CTR_ENGINE_GRID,
  CTR_ENGINE_LEARNED,
  CTR_ENGINE_PRODUCT,
  CTR_ENGINE_RADIAL,
  CTR_ENGINE_LOWRANK
} ctr_engine_kind;

#define CTR_ENGINE_COUNT 9

ctr_status ctr_engine_parse(const char *name, ctr_engine_kind *kind, ctr_error *err);
const char *ctr_engine_name(ctr_engine_kind kind);

/* 1 for ct and cd, which need a Gaussian target. */
int ctr_engine_is_affine(ctr_engine_kind kind);

#endif
