/* Fuzz target: the sweep journal reader (store/sweep_journal.c): the input is PATH.journal of a
 * 64-point sweep resumed with no PATH. Every row it keeps must lie in the plan, once.
 * CTR_FUZZ_MAKE_SEED=FILE writes a valid journal of 5 rows to FILE (the seed corpus). */
#include "fuzz_util.h"
#include "store/sweep_journal.h"

static ctr_store_params params(const char *path, int resume) {
  ctr_store_params p = {path, {"fuzz", "fuzz", 1, 1, "", 64, "2026-01-01T00:00:00+0000", NULL},
                        resume, 0, 1e9};
  return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *seed = getenv("CTR_FUZZ_MAKE_SEED");
  if (!seed) return 0;
  const char *path = fuzz_path("seed.h5");
  ctr_store_params p = params(path, 0);
  ctr_store *s = NULL;
  ctr_error err;
  if (ctr_store_open(&p, &s, &err)) abort();
  for (int i = 0; i < 5; i++) {
    ctr_point row;
    ctr_point_clear(&row);
    row.point_id = 3 * i + 1, row.d = i + 1, row.N = 100;
    if (ctr_store_add(s, &row, &err)) abort();
  }
  char cmd[512];
  snprintf(cmd, sizeof cmd, "cp '%s.journal' '%s'", path, seed);
  if (system(cmd)) abort();
  ctr_store_close(s, &err);
  exit(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_path("r.h5");
  char journal[160];
  snprintf(journal, sizeof journal, "%s.journal", path);
  unlink(path);
  fuzz_file("r.h5.journal", data, size);
  ctr_store_params p = params(path, 1);
  ctr_store *s = NULL;
  ctr_error err;
  if (!ctr_store_open(&p, &s, &err)) {
    unsigned char seen[64] = {0};
    for (size_t i = 0; i < ctr_store_count(s); i++) {
      int64_t id = ctr_store_row(s, i)->point_id;
      if (id < 0 || id >= 64 || seen[id]++) abort();
    }
    ctr_store_close(s, &err);
  }
  unlink(path), unlink(journal);
  return 0;
}
