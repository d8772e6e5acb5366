/* store/results_write.c: whole result files (see store/results_h5.h): a new file is written to
 * an exclusive temporary beside its path (store/safe_output.h), row block by row block, and
 * renamed into place only once complete, so the path holds the old file or the new one, never
 * a torn one. The block writer lets `ctrate merge` copy rows without holding them all. */
#include "store/results_h5_io.h"
#include "store/safe_output.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rows per chunk of a whole file: large for compression, which a whole file pays once. */
#define WHOLE_CHUNK_ROWS 1024

struct ctr_results_writer {
  char *path, *tmp;
  int fd;
  hid_t file, ds, memtype;
  size_t nrows;
};

static void writer_free(ctr_results_writer *w) {
  if (w->ds >= 0) H5Dclose(w->ds);
  if (w->file >= 0) H5Fclose(w->file);
  if (w->memtype >= 0) H5Tclose(w->memtype);
  if (w->fd >= 0) close(w->fd);
  H5Eclear2(H5E_DEFAULT);
  free(w->path), free(w->tmp), free(w);
}

void ctr_results_writer_abandon(ctr_results_writer *w) {
  if (!w) return;
  char *tmp = w->tmp;
  w->tmp = NULL;
  writer_free(w);
  if (tmp) ctr_tmp_discard(tmp), free(tmp);
}

ctr_status ctr_results_writer_open(const char *path, const ctr_run_info *info, size_t nrows,
                                   ctr_results_writer **out, ctr_error *err) {
  ctr_h5_quiet();
  *out = NULL;
  ctr_results_writer *w = calloc(1, sizeof *w);
  if (!w || !(w->path = strdup(path))) return free(w), ctr_fail(err, CTR_ENOMEM, "out of memory");
  w->fd = -1, w->file = w->ds = w->memtype = -1, w->nrows = nrows;
  /* An exclusive new name (never a planted PATH.tmp symlink), fsync'ed and renamed whole. */
  ctr_status s = ctr_tmp_create(path, &w->tmp, &w->fd, err);
  if (s) return writer_free(w), s;
  char *layout = ctr_results_row_layout();
  w->memtype = ctr_h5_point_memtype(-1, NULL);
  w->file = w->memtype < 0 ? -1 : H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  w->ds = w->file < 0 ? -1 : ctr_h5_create_points(w->file, w->memtype, nrows, WHOLE_CHUNK_ROWS);
  const char *bad = w->ds < 0 ? "/" CTR_H5_POINTS : !layout ? "row_layout" : NULL;
  if (!bad) bad = ctr_h5_put_root_attrs(w->file, info, layout);
  free(layout);
  if (bad) {
    char what[96];
    snprintf(what, sizeof what, "write %s", bad);
    s = ctr_h5_fail(err, w->tmp, what);
    ctr_results_writer_abandon(w);
    return s;
  }
  *out = w;
  return CTR_OK;
}

ctr_status ctr_results_writer_put(ctr_results_writer *w, ctr_point *rows, const size_t *at,
                                  size_t count, ctr_error *err) {
  if (!count) return CTR_OK;
  int contiguous = 1;
  for (size_t i = 0; i < count; i++) {
    if (at[i] >= w->nrows)
      return ctr_fail(err, CTR_EINPUT, "%s: row %zu of a file of %zu rows", w->path, at[i],
                      w->nrows);
    contiguous &= at[i] == at[0] + i;
    ctr_h5_sanitize(&rows[i]);
  }
  hsize_t k = count, start = at[0], *coord = NULL;
  hid_t fs = H5Dget_space(w->ds), ms = H5Screate_simple(1, &k, NULL);
  herr_t rc = fs < 0 || ms < 0 ? -1 : 0;
  if (rc >= 0 && contiguous) rc = H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &k, NULL);
  else if (rc >= 0) { /* scattered rows (shards interleave): element i of the buffer to at[i] */
    if (!(coord = malloc(sizeof *coord * count))) rc = -1;
    for (size_t i = 0; coord && i < count; i++) coord[i] = at[i];
    if (coord) rc = H5Sselect_elements(fs, H5S_SELECT_SET, count, coord);
  }
  if (rc >= 0) rc = H5Dwrite(w->ds, w->memtype, ms, fs, H5P_DEFAULT, rows);
  free(coord);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc < 0 ? ctr_h5_fail(err, w->tmp, "write rows") : CTR_OK;
}

ctr_status ctr_results_writer_commit(ctr_results_writer *w, ctr_error *err) {
  herr_t rc = H5Dclose(w->ds);
  w->ds = -1;
  if (H5Fclose(w->file) < 0) rc = -1;
  w->file = -1;
  ctr_status s = rc < 0 ? ctr_h5_fail(err, w->tmp, "write the file") : CTR_OK;
  if (s) return ctr_results_writer_abandon(w), s;
  s = ctr_tmp_commit(w->tmp, w->fd, w->path, err); /* removes the temporary on failure */
  writer_free(w);
  return s;
}

ctr_status ctr_results_write_file(const char *path, const ctr_run_info *info,
                                  const ctr_point *const *rows, size_t n, ctr_error *err) {
  enum { BLOCK = 1024 };
  ctr_results_writer *w = NULL;
  ctr_point *buf = malloc(sizeof *buf * BLOCK);
  size_t *at = malloc(sizeof *at * BLOCK);
  ctr_status s = buf && at ? ctr_results_writer_open(path, info, n, &w, err)
                           : ctr_fail(err, CTR_ENOMEM, "out of memory");
  for (size_t i0 = 0; !s && i0 < n; i0 += BLOCK) { /* sanitized copies: the caller's rows stay */
    size_t k = n - i0 < BLOCK ? n - i0 : BLOCK;
    for (size_t i = 0; i < k; i++) buf[i] = *rows[i0 + i], at[i] = i0 + i;
    s = ctr_results_writer_put(w, buf, at, k, err);
  }
  if (!s) s = ctr_results_writer_commit(w, err);
  else ctr_results_writer_abandon(w);
  free(buf), free(at);
  return s;
}
