/* store/results_h5.c: result files in HDF5 (see store/results_h5.h, docs/results-format.md).
 *
 * /points is a plain chunked, extendible 1-D dataset of a compound type built
 * from ctr_point_fields (no H5TB: reading by field name with a partial memory
 * type is simpler with H5Dread directly). In memory the compound type uses the
 * offsets of ctr_point, so rows are written and read straight from the struct;
 * in the file the same type is packed, so the file layout does not depend on
 * the compiler's struct padding. Every HDF5 failure becomes a ctr_fail message
 * that starts with the file name. */
#include "store/results_h5_io.h"
#include "store/safe_output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POINTS CTR_H5_POINTS
/* 64 rows of ~700 bytes: small enough that re-compressing the open chunk on
 * every flushed append stays cheap, large enough for good compression. */
#define CHUNK_ROWS 64
#define DEFLATE_LEVEL 4

struct ctr_results {
  hid_t file;
  hid_t points;
  hid_t memtype; /* compound with ctr_point offsets */
  hsize_t nrows;
  char *path;
};

/* ---- types ----------------------------------------------------------------- */

/* HDF5 type of one field (a new id; caller closes). */
static hid_t field_type(const ctr_field *f) {
  switch (f->kind) {
  case CTR_KIND_I64: return H5Tcopy(H5T_NATIVE_INT64);
  case CTR_KIND_I32: return H5Tcopy(H5T_NATIVE_INT32);
  case CTR_KIND_F64: return H5Tcopy(H5T_NATIVE_DOUBLE);
  case CTR_KIND_STR: break;
  }
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, f->size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* Can a file member of class C be converted into field F? */
static int class_fits(H5T_class_t c, const ctr_field *f) {
  if (f->kind == CTR_KIND_STR) return c == H5T_STRING;
  return c == H5T_INTEGER || c == H5T_FLOAT;
}

/* Memory compound with ctr_point offsets. With FILETYPE >= 0 only the fields
 * that FILETYPE has are included (reading older files); *BAD names the first
 * field whose file type cannot be converted. */
hid_t ctr_h5_point_memtype(hid_t filetype, const char **bad) {
  hid_t mt = H5Tcreate(H5T_COMPOUND, sizeof(ctr_point));
  if (mt < 0) return -1;
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    if (filetype >= 0) {
      int idx = H5Tget_member_index(filetype, f->name);
      if (idx < 0) continue;
      if (!class_fits(H5Tget_member_class(filetype, (unsigned)idx), f)) {
        if (bad) *bad = f->name;
        H5Tclose(mt);
        return -1;
      }
    }
    hid_t ft = field_type(f);
    herr_t rc = ft < 0 ? -1 : H5Tinsert(mt, f->name, f->offset, ft);
    ctr_h5_close_type(ft);
    if (rc < 0) {
      H5Tclose(mt);
      return -1;
    }
  }
  return mt;
}

/* "name1,name2,...": stored in the file to detect a layout change on reopen. */
char *ctr_results_row_layout(void) {
  size_t len = 1;
  for (size_t i = 0; i < ctr_point_nfields; i++) len += strlen(ctr_point_fields[i].name) + 1;
  char *s = malloc(len);
  if (!s) return NULL;
  s[0] = '\0';
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    if (i) strcat(s, ",");
    strcat(s, ctr_point_fields[i].name);
  }
  return s;
}

static hssize_t dataset_rows(hid_t ds) {
  hid_t sp = H5Dget_space(ds);
  if (sp < 0) return -1;
  hsize_t dim = 0;
  int rank = H5Sget_simple_extent_ndims(sp);
  if (rank == 1) H5Sget_simple_extent_dims(sp, &dim, NULL);
  H5Sclose(sp);
  return rank == 1 ? (hssize_t)dim : -1;
}

/* An existing file may take rows only if its layout is ours, column for column. */
static ctr_status check_layout(ctr_results *r, ctr_error *err) {
  char *want = ctr_results_row_layout();
  char *have = ctr_h5_get_str(r->file, "row_layout");
  int same = want && have && strcmp(want, have) == 0;
  free(want);
  free(have);
  if (!want) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", r->path);
  if (!same)
    return ctr_fail(err, CTR_EINPUT,
                    "%s: written by a ctrate with a different row layout; write to a new file",
                    r->path);
  return CTR_OK;
}

static ctr_status open_existing(ctr_results *r, ctr_error *err) {
  ctr_status s = ctr_h5_open_checked(r->path, H5F_ACC_RDWR, &r->file, err);
  if (s != CTR_OK) return s;
  if ((s = check_layout(r, err)) != CTR_OK) return s;
  r->points = H5Dopen2(r->file, POINTS, H5P_DEFAULT);
  if (r->points < 0) return ctr_h5_fail(err, r->path, "open /" POINTS);
  hssize_t n = dataset_rows(r->points);
  if (n < 0)
    return ctr_fail(err, CTR_EINPUT, "%s: not a ctrate result file (/" POINTS " is not 1-D)",
                    r->path);
  r->nrows = (hsize_t)n;
  return CTR_OK;
}

/* Chunked, extendible, compressed if the library has deflate. */
hid_t ctr_h5_create_points(hid_t file, hid_t memtype, hsize_t dim, hsize_t chunk) {
  hsize_t maxdim = H5S_UNLIMITED;
  hid_t ft = H5Tcopy(memtype);
  hid_t sp = H5Screate_simple(1, &dim, &maxdim);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t ds = -1;
  if (ft >= 0 && sp >= 0 && dcpl >= 0 && H5Tpack(ft) >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 &&
      (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0 || H5Pset_deflate(dcpl, DEFLATE_LEVEL) >= 0))
    ds = H5Dcreate2(file, POINTS, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (sp >= 0) H5Sclose(sp);
  ctr_h5_close_type(ft);
  return ds;
}

static ctr_status create_new(ctr_results *r, const ctr_run_info *info, ctr_error *err) {
  r->file = H5Fcreate(r->path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (r->file < 0) return ctr_h5_fail(err, r->path, "create the file");
  r->points = ctr_h5_create_points(r->file, r->memtype, 0, CHUNK_ROWS);
  if (r->points < 0) return ctr_h5_fail(err, r->path, "create /" POINTS);
  char *layout = ctr_results_row_layout();
  if (!layout) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", r->path);
  const char *bad = ctr_h5_put_root_attrs(r->file, info, layout);
  free(layout);
  if (bad) {
    char what[64];
    snprintf(what, sizeof what, "write attribute %s", bad);
    return ctr_h5_fail(err, r->path, what);
  }
  if (H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) return ctr_h5_fail(err, r->path, "flush the file");
  return CTR_OK;
}

/* Release handles without touching err (used on success and failure paths). */
static herr_t release(ctr_results *r) {
  herr_t rc = 0;
  if (r->points >= 0 && H5Dclose(r->points) < 0) rc = -1;
  if (r->memtype >= 0 && H5Tclose(r->memtype) < 0) rc = -1;
  if (r->file >= 0 && H5Fclose(r->file) < 0) rc = -1;
  free(r->path);
  free(r);
  return rc;
}

ctr_status ctr_results_open(const char *path, const ctr_run_info *info, ctr_results **out,
                            ctr_error *err) {
  *out = NULL;
  ctr_h5_quiet();
  if (!path || !*path) return ctr_fail(err, CTR_EINPUT, "result file name is empty");
  ctr_results *r = calloc(1, sizeof *r);
  char *p = malloc(strlen(path) + 1);
  if (!r || !p) {
    free(r);
    free(p);
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", path);
  }
  r->path = strcpy(p, path);
  r->file = r->points = -1;
  r->memtype = ctr_h5_point_memtype(-1, NULL);
  if (r->memtype < 0) {
    ctr_status s = ctr_h5_fail(err, path, "build the row type");
    release(r);
    return s;
  }
  struct stat st;
  int exists = stat(path, &st) == 0;
  ctr_status s = exists ? open_existing(r, err) : create_new(r, info, err);
  if (s != CTR_OK) {
    int made = !exists && r->file >= 0; /* never remove a file someone else created */
    release(r);
    /* A half-created file would later be refused as "not a ctrate result file". */
    if (made) unlink(path);
    H5Eclear2(H5E_DEFAULT);
    return s;
  }
  *out = r;
  return CTR_OK;
}

/* ---- append / close -------------------------------------------------------- */

/* A copy with every string NUL-terminated and zero-padded, so no stray bytes
 * from the caller's buffers reach the file. */
void ctr_h5_sanitize(ctr_point *p) {
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    if (f->kind != CTR_KIND_STR) continue;
    char *s = (char *)p + f->offset;
    s[f->size - 1] = '\0';
    size_t n = strlen(s);
    memset(s + n, 0, f->size - n);
  }
}

static herr_t write_row(ctr_results *r, const ctr_point *row) {
  hsize_t start = r->nrows, one = 1;
  hid_t fs = H5Dget_space(r->points);
  hid_t ms = H5Screate_simple(1, &one, NULL);
  herr_t rc = fs < 0 || ms < 0 ? -1 : 0;
  if (rc == 0) rc = H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &one, NULL);
  if (rc == 0) rc = H5Dwrite(r->points, r->memtype, ms, fs, H5P_DEFAULT, row);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc;
}

ctr_status ctr_results_append(ctr_results *r, const ctr_point *row, ctr_error *err) {
  if (!r || !row) return ctr_fail(err, CTR_EINPUT, "ctr_results_append: NULL argument");
  ctr_point clean = *row;
  ctr_h5_sanitize(&clean);
  hsize_t grown = r->nrows + 1;
  if (H5Dset_extent(r->points, &grown) < 0) return ctr_h5_fail(err, r->path, "extend /" POINTS);
  if (write_row(r, &clean) < 0) {
    ctr_status s = ctr_h5_fail(err, r->path, "write a row");
    /* Drop the fill-value row so the table holds only complete rows. */
    H5Dset_extent(r->points, &r->nrows);
    H5Eclear2(H5E_DEFAULT);
    return s;
  }
  r->nrows = grown;
  /* One flushed unit per row: a kill after this returns loses nothing. */
  if (H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) return ctr_h5_fail(err, r->path, "flush the file");
  return CTR_OK;
}

ctr_status ctr_results_close(ctr_results *r, ctr_error *err) {
  if (!r) return CTR_OK;
  char *path = r->path;
  r->path = NULL;
  ctr_status s = CTR_OK;
  if (release(r) < 0) s = ctr_h5_fail(err, path ? path : "(result file)", "close the file");
  free(path);
  return s;
}

/* ---- read ------------------------------------------------------------------ */

/* Is NAME one of the comma-separated names of LIST? */
static int in_list(const char *list, const char *name) {
  size_t k = strlen(name);
  for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
    if (!strncmp(p, name, k) && (p[k] == ',' || p[k] == '\0')) return 1;
  return 0;
}

/* The file type of the column FIELD can hold its values without loss or reinterpretation. */
static const char *column_type_problem(hid_t ft, unsigned idx, const ctr_field *f) {
  hid_t mt = H5Tget_member_type(ft, idx);
  H5T_class_t c = H5Tget_class(mt);
  size_t size = H5Tget_size(mt);
  const char *why = NULL;
  if (f->kind == CTR_KIND_STR && (c != H5T_STRING || H5Tis_variable_str(mt) > 0 || size > f->size))
    why = "a string column of the wrong kind or longer than its field";
  else if ((f->kind == CTR_KIND_I64 || f->kind == CTR_KIND_I32) && c != H5T_INTEGER)
    why = "not an integer";
  else if (f->kind == CTR_KIND_F64 && c != H5T_FLOAT)
    why = "not a floating-point number";
  ctr_h5_close_type(mt);
  return why;
}

/* /points must hold exactly the columns its file's schema (row_layout; a subset of this build's
 * for a file older than that attribute) lists, each of its field's type: a missing column would otherwise read as
 * a plausible 0, and an extra or mistyped one means the file is not what it claims. */
static ctr_status check_columns(const char *path, hid_t file, hid_t ft, hsize_t n,
                                ctr_error *err) {
  char *layout = ctr_h5_get_str(file, "row_layout");
  int older = !layout; /* before row_layout existed: absent columns read as cleared */
  if (!layout) layout = ctr_results_row_layout();
  if (!layout) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", path);
  ctr_status s = CTR_OK;
  for (size_t i = 0; !s && i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    int idx = H5Tget_member_index(ft, f->name);
    const char *why = idx < 0 ? NULL : column_type_problem(ft, (unsigned)idx, f);
    if (idx < 0 && !older && in_list(layout, f->name))
      s = ctr_fail(err, CTR_EINPUT, "%s: column %s is missing from /" POINTS " (the file's schema "
                   "lists it); refusing a table that would read it as 0", path, f->name);
    else if (why)
      s = ctr_fail(err, CTR_EINPUT, "%s: column %s of /" POINTS " has the wrong type (%s)", path,
                   f->name, why);
  }
  int nm = H5Tget_nmembers(ft);
  for (int i = 0; !s && i < nm; i++) {
    char *name = H5Tget_member_name(ft, (unsigned)i);
    int known = 0;
    for (size_t j = 0; name && j < ctr_point_nfields; j++) known |= !strcmp(name, ctr_point_fields[j].name);
    if (!name || !known || !in_list(layout, name))
      s = ctr_fail(err, CTR_EINPUT, "%s: /" POINTS " has a column '%s' that is not in %s schema; "
                   "refusing a table that does not match", path, name ? name : "?",
                   known ? "the file's" : "ctrate's");
    H5free_memory(name);
  }
  free(layout);
  /* Refuse before allocating: deflate cannot compress more than ~1032:1, so a larger extent
   * than the stored bytes allow is a sparse (forged or damaged) dataset. */
  if (!s && n > 0) {
    double stored = 0, raw = (double)n * (double)H5Tget_size(ft);
    hid_t ds = H5Dopen2(file, POINTS, H5P_DEFAULT);
    if (ds >= 0) stored = (double)H5Dget_storage_size(ds), H5Dclose(ds);
    if (n > CTR_RESULTS_MAX_ROWS || raw > 1100.0 * stored + 1e6)
      s = ctr_fail(err, CTR_EINPUT, "%s: /" POINTS " claims %llu rows but stores only %.0f bytes "
                   "(accepted: at most %lld rows, each backed by data); refusing it", path,
                   (unsigned long long)n, stored, (long long)CTR_RESULTS_MAX_ROWS);
  }
  return s;
}

/* An open result file read in blocks: the rows never need to fit in memory at once. */
struct ctr_results_reader {
  hid_t file, ds, memtype; /* memtype: only the columns the file has, at ctr_point offsets */
  hsize_t nrows;
  char *path;
};

void ctr_results_reader_close(ctr_results_reader *r) {
  if (!r) return;
  if (r->memtype >= 0) H5Tclose(r->memtype);
  if (r->ds >= 0) H5Dclose(r->ds);
  if (r->file >= 0) H5Fclose(r->file);
  H5Eclear2(H5E_DEFAULT);
  free(r->path);
  free(r);
}

/* Check dataset /points of R (columns, extent) and build the memory type it is read with. */
static ctr_status reader_setup(ctr_results_reader *r, ctr_error *err) {
  const char *path = r->path;
  r->ds = H5Dopen2(r->file, POINTS, H5P_DEFAULT);
  if (r->ds < 0) return ctr_h5_fail(err, path, "open /" POINTS);
  hssize_t n = dataset_rows(r->ds);
  hid_t ft = H5Dget_type(r->ds);
  if (n < 0 || ft < 0 || H5Tget_class(ft) != H5T_COMPOUND) {
    ctr_h5_close_type(ft);
    return ctr_fail(err, CTR_EINPUT, "%s: not a ctrate result file (/" POINTS " is not a table)",
                    path);
  }
  ctr_status cs = check_columns(path, r->file, ft, (hsize_t)n, err);
  if (cs) return ctr_h5_close_type(ft), cs;
  const char *bad = NULL;
  r->memtype = ctr_h5_point_memtype(ft, &bad);
  ctr_h5_close_type(ft);
  if (r->memtype < 0 && bad)
    return ctr_fail(err, CTR_EINPUT, "%s: column %s has an incompatible type", path, bad);
  if (r->memtype < 0) return ctr_h5_fail(err, path, "build the row type");
  r->nrows = (hsize_t)n;
  return CTR_OK;
}

ctr_status ctr_results_reader_open(const char *path, ctr_results_reader **out, size_t *nrows,
                                   char **attrs, ctr_error *err) {
  *out = NULL;
  if (nrows) *nrows = 0;
  if (attrs) *attrs = NULL;
  ctr_h5_quiet();
  if (!path || !*path) return ctr_fail(err, CTR_EINPUT, "result file name is empty");
  ctr_results_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    free(r);
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", path);
  }
  r->file = r->ds = r->memtype = -1;
  ctr_status s = ctr_h5_open_checked(path, H5F_ACC_RDONLY, &r->file, err);
  if (s == CTR_OK) s = reader_setup(r, err);
  if (s == CTR_OK && attrs && !(*attrs = ctr_h5_attrs_text(r->file)))
    s = ctr_fail(err, CTR_ENOMEM, "%s: out of memory reading attributes", path);
  if (s != CTR_OK) {
    ctr_results_reader_close(r);
    return s;
  }
  if (nrows) *nrows = (size_t)r->nrows;
  *out = r;
  return CTR_OK;
}

ctr_status ctr_results_reader_get(ctr_results_reader *r, size_t start, size_t count,
                                  ctr_point *rows, ctr_error *err) {
  if (start > r->nrows || count > r->nrows - start)
    return ctr_fail(err, CTR_EINPUT, "%s: rows %zu..%zu asked of a table of %llu", r->path, start,
                    start + count, (unsigned long long)r->nrows);
  /* Columns absent from the file keep these values (HDF5 converts compound
   * members in place over the existing buffer). */
  for (size_t i = 0; i < count; i++) ctr_point_clear(&rows[i]);
  if (!count) return CTR_OK;
  hsize_t at = start, k = count;
  hid_t fs = H5Dget_space(r->ds), ms = H5Screate_simple(1, &k, NULL);
  herr_t rc = fs < 0 || ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, &at, NULL, &k, NULL);
  if (rc >= 0) rc = H5Dread(r->ds, r->memtype, ms, fs, H5P_DEFAULT, rows);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (rc < 0) {
    ctr_status s = ctr_h5_input(err, ctr_h5_fail(err, r->path, "read /" POINTS " (damaged?)"));
    H5Eclear2(H5E_DEFAULT);
    return s;
  }
  return CTR_OK;
}

ctr_status ctr_results_read(const char *path, ctr_point **rows, size_t *nrows, char **attrs,
                            ctr_error *err) {
  *rows = NULL;
  *nrows = 0;
  ctr_results_reader *r;
  size_t n = 0;
  ctr_status s = ctr_results_reader_open(path, &r, &n, attrs, err);
  if (s != CTR_OK) return s;
  ctr_point *buf = malloc((n ? n : 1) * sizeof *buf);
  if (!buf) s = ctr_fail(err, CTR_ENOMEM, "%s: out of memory for %zu rows", path, n);
  else s = ctr_results_reader_get(r, 0, n, buf, err);
  ctr_results_reader_close(r);
  if (s != CTR_OK) {
    free(buf);
    if (attrs) free(*attrs), *attrs = NULL;
    return s;
  }
  *rows = buf;
  *nrows = n;
  return CTR_OK;
}
