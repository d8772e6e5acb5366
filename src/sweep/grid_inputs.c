/* sweep/grid_inputs.c: the input files of a grid (covariance, mixture) pinned by content.
 *
 * A result must say exactly what it was computed from, and a resumed or re-run experiment must
 * use the same inputs. So each input file is checked (a regular file within a stated size: a
 * FIFO, a device or /dev/zero would hang or grow without bound), its SHA-256 computed, its path
 * made absolute (so --from works from any directory), and both written into the resolved spec
 * (`cov-file-sha256 = "..."`): a resume whose file changed then differs in its spec and is
 * refused, and --from refuses a file whose contents are no longer those of the run. The
 * contents themselves go into the result's input_files attribute. */
#include "sweep/param_grid.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sha256.h"

/* Read PATH whole (malloc'ed, NUL-terminated) if it is a regular file of at most
 * CTR_INPUT_MAX_BYTES. O_NONBLOCK: opening a FIFO must not wait for a writer. */
static ctr_status read_input(const char *opt, const char *path, char **data, size_t *n,
                             ctr_error *err) {
  *data = NULL, *n = 0;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return ctr_fail(err, CTR_EINPUT, "%s %s: cannot open (%s)", opt, path, strerror(errno));
  struct stat st;
  ctr_status s = CTR_OK;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    s = ctr_fail(err, CTR_EINPUT, "%s %s: not a regular file (accepted: a regular text file of at "
                 "most %lld bytes)", opt, path, (long long)CTR_INPUT_MAX_BYTES);
  else if (st.st_size > CTR_INPUT_MAX_BYTES)
    s = ctr_fail(err, CTR_EINPUT, "%s %s: %lld bytes (accepted: at most %lld)", opt, path,
                 (long long)st.st_size, (long long)CTR_INPUT_MAX_BYTES);
  else if (!(*data = malloc((size_t)st.st_size + 1)))
    s = ctr_fail(err, CTR_ENOMEM, "%s %s: out of memory", opt, path);
  while (!s && *n < (size_t)st.st_size) {
    ssize_t k = read(fd, *data + *n, (size_t)st.st_size - *n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) s = ctr_fail(err, CTR_EINPUT, "%s %s: read failed (%s)", opt, path,
                             k < 0 ? strerror(errno) : "file shrank while read");
    else *n += (size_t)k;
  }
  close(fd);
  if (s) free(*data), *data = NULL;
  else (*data)[*n] = '\0';
  return s;
}

/* One input: check, hash, compare with the pinned digest, make the path absolute. */
static ctr_status pin_one(ctr_grid *g, const char *opt, char **path, const char *pinned,
                          char hash[65], ctr_error *err) {
  char *data = NULL, *abs = NULL;
  size_t n = 0;
  ctr_status s = read_input(opt, *path, &data, &n, err);
  if (s) return s;
  ctr_sha256 c;
  ctr_sha256_init(&c);
  ctr_sha256_update(&c, data, n);
  ctr_sha256_hex(&c, hash);
  if (pinned && *pinned && strcmp(pinned, hash))
    s = ctr_fail(err, CTR_EINPUT, "%s %s: its contents changed (sha256 %s, the spec says %s); "
                 "refusing to mix two inputs in one experiment", opt, *path, hash, pinned);
  if (!s && !(abs = realpath(*path, NULL)))
    s = ctr_fail(err, CTR_EINPUT, "%s %s: %s", opt, *path, strerror(errno));
  if (!s) {
    free(*path), *path = abs;
    ctr_text_add(&g->inputs, "%s = %s\nsha256 = %s\nbytes = %zu\ncontents:\n%s%s", opt + 2, abs,
                 hash, n, data, n && data[n - 1] != '\n' ? "\n" : "");
  }
  free(data);
  return s;
}

/* The row's cov_source: the name as given if it fits its column, else the content digest. */
static void set_source(ctr_grid *g, const char *given, const char *hash) {
  size_t cap = sizeof g->base.cov_source;
  if (strlen(given) < cap) snprintf(g->base.cov_source, cap, "%s", given);
  else snprintf(g->base.cov_source, cap, "sha256:%s", hash);
}

ctr_status ctr_grid_pin_inputs(ctr_grid *g, ctr_error *err) {
  ctr_point_spec *b = &g->base;
  int want_cov = !b->is_mixture && b->target.kind == CTR_TARGET_FILE;
  int want_mix = b->is_mixture && b->mixture.kind == CTR_MIXTURE_FILE;
  if (want_cov && !g->cov_file)
    return ctr_fail(err, CTR_EINPUT, "--target file needs --cov-file FILE (a d x d covariance)");
  if (want_mix && !g->mixture_file)
    return ctr_fail(err, CTR_EINPUT, "--target mixture_file needs --mixture-file FILE");
  free(g->inputs.p);
  memset(&g->inputs, 0, sizeof g->inputs);
  ctr_status s = CTR_OK;
  char *given = NULL;
  if (want_cov && !(given = strdup(g->cov_file))) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  if (want_cov) s = pin_one(g, "--cov-file", &g->cov_file, g->cov_sha_pinned, g->cov_sha, err);
  if (want_cov && !s) b->target.cov_file = g->cov_file, set_source(g, given, g->cov_sha);
  free(given), given = NULL;
  if (!s && want_mix && !(given = strdup(g->mixture_file)))
    return ctr_fail(err, CTR_ENOMEM, "out of memory");
  if (!s && want_mix)
    s = pin_one(g, "--mixture-file", &g->mixture_file, g->mix_sha_pinned, g->mix_sha, err);
  if (!s && want_mix) b->mixture.file = g->mixture_file, set_source(g, given, g->mix_sha);
  free(given);
  if (!s && g->inputs.oom) s = ctr_fail(err, CTR_ENOMEM, "out of memory");
  return s;
}
