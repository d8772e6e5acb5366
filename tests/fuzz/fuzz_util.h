/* tests/fuzz/fuzz_util.h: helpers shared by the libFuzzer targets (tests/fuzz/README in
 * docs/robustness.md). Each target is one file defining LLVMFuzzerTestOneInput. */
#ifndef CTR_FUZZ_UTIL_H
#define CTR_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A private directory for this process's files (made once, removed at exit). */
static char fuzz_dir[64];
__attribute__((unused)) static void fuzz_cleanup(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
  if (system(cmd)) {
  }
}
__attribute__((unused)) static const char *fuzz_path(const char *name) {
  static char path[128];
  if (!fuzz_dir[0]) {
    snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/ctrate_fuzz.XXXXXX");
    if (!mkdtemp(fuzz_dir)) abort();
    atexit(fuzz_cleanup);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  }
  snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
  return path;
}

/* DATA written to the file NAME in the private directory; its path. */
__attribute__((unused)) static const char *fuzz_file(const char *name, const uint8_t *data, size_t size) {
  const char *p = fuzz_path(name);
  FILE *f = fopen(p, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f)) abort();
  return p;
}

/* DATA as a NUL-terminated string (malloc'ed). */
__attribute__((unused)) static char *fuzz_string(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

#endif
