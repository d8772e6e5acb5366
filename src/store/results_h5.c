/* store/results_h5.c: result files in HDF5 (see store/results_h5.h, docs/results-format.md).
 *
 * /points is a plain chunked, extendible 1-D dataset of a compound type built
 * from ctr_point_fields (no H5TB: reading by field name with a partial memory
 * type is simpler with H5Dread directly). In memory the compound type uses the
 * offsets of ctr_point, so rows are written and read straight from the struct;
 * in the file the same type is packed, so the file layout does not depend on
 * the compiler's struct padding. Every HDF5 failure becomes a ctr_fail message
 * that starts with the file name. */
#include "store/results_h5.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>

#if defined(__has_include)
#if __has_include("core/version.h")
#include "core/version.h"
#endif
#endif
#ifndef CTR_VERSION
#define CTR_VERSION "unknown"
#endif

#define POINTS "points"
#define SOFTWARE "ctrate"
#define RNG_NAME "Philox4x64-10 (Random123)"
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

/* ---- errors ---------------------------------------------------------------- */

/* Innermost HDF5 error description: the most specific reason (errno text etc.). */
static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data) {
  if (n == 0 && e->desc) snprintf((char *)data, 200, "%s", e->desc);
  return 0;
}

/* Fail with CTR_EIO, "PATH: WHAT (hdf5 detail)". */
static ctr_status h5_fail(ctr_error *err, const char *path, const char *what) {
  char detail[200] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, detail);
  H5Eclear2(H5E_DEFAULT);
  if (detail[0])
    return ctr_fail(err, CTR_EIO, "%s: HDF5 failed to %s (%s)", path, what, detail);
  return ctr_fail(err, CTR_EIO, "%s: HDF5 failed to %s", path, what);
}

/* Library code must not print; HDF5 prints its error stack unless told not to. */
static void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static void close_type(hid_t t) {
  if (t >= 0) H5Tclose(t);
}

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
static hid_t point_memtype(hid_t filetype, const char **bad) {
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
    close_type(ft);
    if (rc < 0) {
      H5Tclose(mt);
      return -1;
    }
  }
  return mt;
}

/* "name1,name2,...": stored in the file to detect a layout change on reopen. */
static char *row_layout(void) {
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

/* ---- attributes: write ----------------------------------------------------- */

/* Scalar attribute NAME of file type FTYPE from VALUE in memory type MTYPE. */
static herr_t put_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *value) {
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = sp < 0 ? -1 : H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, mtype, value);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (sp >= 0) H5Sclose(sp);
  return rc;
}

/* Variable-length UTF-8 string: h5py returns it as str. */
static herr_t put_str(hid_t loc, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  herr_t rc = t < 0 ? -1 : 0;
  if (rc == 0) rc = H5Tset_size(t, H5T_VARIABLE);
  if (rc == 0) rc = H5Tset_cset(t, H5T_CSET_UTF8);
  if (rc == 0) {
    const char *v = value ? value : "";
    rc = put_attr(loc, name, t, t, &v);
  }
  close_type(t);
  return rc;
}

const char *ctr_results_version(void) { return CTR_VERSION; }

void ctr_results_now(char *buf, size_t n) {
  time_t now = time(NULL);
  struct tm tm;
  if (!localtime_r(&now, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%S%z", &tm))
    snprintf(buf, n, "unknown");
}

/* All root attributes; returns the name of the one that failed, or NULL. */
static const char *put_root_attrs(hid_t file, const ctr_run_info *info, const char *layout) {
  char created[64], host[256], h5ver[64];
  if (info && info->created && *info->created) snprintf(created, sizeof created, "%s", info->created);
  else ctr_results_now(created, sizeof created);
  if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "unknown");
  host[sizeof host - 1] = '\0';
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  snprintf(h5ver, sizeof h5ver, "%u.%u.%u", maj, min, rel);
  int threads = info ? info->threads : 0;
  unsigned long long seed = info ? info->master_seed : 0;

  if (put_str(file, "software", SOFTWARE) < 0) return "software";
  if (put_str(file, "version", CTR_VERSION) < 0) return "version";
  if (put_str(file, "created", created) < 0) return "created";
  if (put_str(file, "host", host) < 0) return "host";
  if (put_str(file, "command_line", info ? info->command_line : "") < 0) return "command_line";
  if (put_str(file, "spec", info ? info->spec_text : "") < 0) return "spec";
  if (put_str(file, "hdf5_version", h5ver) < 0) return "hdf5_version";
  if (put_str(file, "gsl_version", gsl_version) < 0) return "gsl_version";
  if (put_attr(file, "threads", H5T_STD_I32LE, H5T_NATIVE_INT, &threads) < 0) return "threads";
  if (put_str(file, "rng", RNG_NAME) < 0) return "rng";
  if (put_attr(file, "master_seed", H5T_STD_U64LE, H5T_NATIVE_ULLONG, &seed) < 0)
    return "master_seed";
  if (put_str(file, "row_layout", layout) < 0) return "row_layout";
  long long plan = info ? info->plan_points : 0;
  if (put_str(file, "shard", info && info->shard ? info->shard : "") < 0) return "shard";
  if (put_attr(file, "plan_points", H5T_STD_I64LE, H5T_NATIVE_LLONG, &plan) < 0)
    return "plan_points";
  return NULL;
}

/* ---- attributes: read ------------------------------------------------------ */

/* String attribute NAME (fixed or variable length) as a malloc'ed string;
 * NULL if absent, not a scalar string, or unreadable. */
static char *get_str(hid_t loc, const char *name) {
  if (H5Aexists(loc, name) <= 0) return NULL;
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t ft = a < 0 ? -1 : H5Aget_type(a);
  char *out = NULL;
  if (ft >= 0 && H5Tget_class(ft) == H5T_STRING) {
    hid_t mt = H5Tcopy(ft);
    if (H5Tis_variable_str(ft) > 0) {
      char *v = NULL;
      if (mt >= 0 && H5Aread(a, mt, &v) >= 0 && v) {
        out = malloc(strlen(v) + 1);
        if (out) strcpy(out, v);
        H5free_memory(v);
      }
    } else {
      size_t n = H5Tget_size(ft);
      out = mt < 0 || n == 0 ? NULL : calloc(n + 1, 1);
      if (out && (H5Tset_size(mt, n + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 ||
                  H5Aread(a, mt, out) < 0)) {
        free(out);
        out = NULL;
      }
    }
    close_type(mt);
  }
  close_type(ft);
  if (a >= 0) H5Aclose(a);
  return out;
}

/* Continuation lines of a multi-line value (the spec) are indented, so every
 * line that starts in column 0 begins a new "name = value". */
static void sb_value(ctr_text *b, const char *v) {
  for (const char *nl; (nl = strchr(v, '\n')) && nl[1]; v = nl + 1)
    ctr_text_add(b, "%.*s\n    ", (int)(nl - v), v);
  ctr_text_add(b, "%.*s", (int)strcspn(v, "\n"), v); /* a final newline is not part of the value */
}

/* One "name = value\n" line for attribute A. */
static void attr_line(ctr_text *b, hid_t loc, const char *name) {
  hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t ft = a < 0 ? -1 : H5Aget_type(a);
  hid_t sp = a < 0 ? -1 : H5Aget_space(a);
  H5T_class_t c = ft < 0 ? H5T_NO_CLASS : H5Tget_class(ft);
  hssize_t npts = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
  ctr_text_add(b, "%s = ", name);
  if (npts != 1) {
    ctr_text_add(b, "(%lld values)", (long long)npts);
  } else if (c == H5T_STRING) {
    char *v = get_str(loc, name);
    sb_value(b, v ? v : "(unreadable)");
    free(v);
  } else if (c == H5T_INTEGER && H5Tget_sign(ft) == H5T_SGN_NONE) {
    unsigned long long v = 0;
    if (H5Aread(a, H5T_NATIVE_ULLONG, &v) >= 0) ctr_text_add(b, "%llu", v);
  } else if (c == H5T_INTEGER) {
    long long v = 0;
    if (H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0) ctr_text_add(b, "%lld", v);
  } else if (c == H5T_FLOAT) {
    double v = 0;
    if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) ctr_text_add(b, "%.17g", v);
  } else {
    ctr_text_add(b, "(unsupported type)");
  }
  ctr_text_add(b, "\n");
  if (sp >= 0) H5Sclose(sp);
  close_type(ft);
  if (a >= 0) H5Aclose(a);
}

/* The attributes this module writes, in the order it writes them. */
static const char *const known_attrs[] = {
    "software", "version", "created", "host",   "command_line", "spec",
    "hdf5_version", "gsl_version", "threads", "rng", "master_seed", "row_layout",
    "shard", "plan_points"};
#define NKNOWN (sizeof known_attrs / sizeof known_attrs[0])

static herr_t other_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  for (size_t i = 0; i < NKNOWN; i++)
    if (strcmp(name, known_attrs[i]) == 0) return 0;
  attr_line(data, loc, name);
  return 0;
}

/* Known attributes first in a fixed order, then any others by name. */
static char *attrs_text(hid_t file) {
  ctr_text b = {0};
  for (size_t i = 0; i < NKNOWN; i++)
    if (H5Aexists(file, known_attrs[i]) > 0) attr_line(&b, file, known_attrs[i]);
  hsize_t idx = 0;
  H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, &idx, other_attr, &b);
  H5Eclear2(H5E_DEFAULT);
  if (b.oom || !b.p) {
    free(b.p);
    return b.oom ? NULL : calloc(1, 1);
  }
  return b.p;
}

/* ---- open / check ---------------------------------------------------------- */

/* PATH must exist and be a ctrate result file; opens it with FLAGS. */
static ctr_status open_checked(const char *path, unsigned flags, hid_t *file, ctr_error *err) {
  *file = -1;
  struct stat st;
  if (stat(path, &st) != 0)
    return ctr_fail(err, errno == ENOENT ? CTR_EINPUT : CTR_EIO, "%s: cannot open (%s)", path,
                    strerror(errno));
  if (H5Fis_hdf5(path) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return ctr_fail(err, CTR_EINPUT, "%s: not a ctrate result file (not an HDF5 file)", path);
  }
  hid_t f = H5Fopen(path, flags, H5P_DEFAULT);
  if (f < 0)
    return h5_fail(err, path, flags == H5F_ACC_RDWR ? "open the file for writing" : "open the file");
  char *sw = get_str(f, "software");
  int ok = sw && strcmp(sw, SOFTWARE) == 0;
  free(sw);
  if (!ok || H5Lexists(f, POINTS, H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    H5Fclose(f);
    return ctr_fail(err, CTR_EINPUT, "%s: not a ctrate result file (%s)", path,
                    ok ? "no /" POINTS " table" : "no software = \"ctrate\" attribute");
  }
  *file = f;
  return CTR_OK;
}

/* Rows in a 1-D dataset, or -1. */
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
  char *want = row_layout();
  char *have = get_str(r->file, "row_layout");
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
  ctr_status s = open_checked(r->path, H5F_ACC_RDWR, &r->file, err);
  if (s != CTR_OK) return s;
  if ((s = check_layout(r, err)) != CTR_OK) return s;
  r->points = H5Dopen2(r->file, POINTS, H5P_DEFAULT);
  if (r->points < 0) return h5_fail(err, r->path, "open /" POINTS);
  hssize_t n = dataset_rows(r->points);
  if (n < 0)
    return ctr_fail(err, CTR_EINPUT, "%s: not a ctrate result file (/" POINTS " is not 1-D)",
                    r->path);
  r->nrows = (hsize_t)n;
  return CTR_OK;
}

/* Chunked, extendible, compressed if the library has deflate. */
static hid_t create_points(hid_t file, hid_t memtype, hsize_t dim, hsize_t chunk) {
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
  close_type(ft);
  return ds;
}

static ctr_status create_new(ctr_results *r, const ctr_run_info *info, ctr_error *err) {
  r->file = H5Fcreate(r->path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (r->file < 0) return h5_fail(err, r->path, "create the file");
  r->points = create_points(r->file, r->memtype, 0, CHUNK_ROWS);
  if (r->points < 0) return h5_fail(err, r->path, "create /" POINTS);
  char *layout = row_layout();
  if (!layout) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", r->path);
  const char *bad = put_root_attrs(r->file, info, layout);
  free(layout);
  if (bad) {
    char what[64];
    snprintf(what, sizeof what, "write attribute %s", bad);
    return h5_fail(err, r->path, what);
  }
  if (H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) return h5_fail(err, r->path, "flush the file");
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
  h5_quiet();
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
  r->memtype = point_memtype(-1, NULL);
  if (r->memtype < 0) {
    ctr_status s = h5_fail(err, path, "build the row type");
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
static void sanitize(ctr_point *p) {
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
  sanitize(&clean);
  hsize_t grown = r->nrows + 1;
  if (H5Dset_extent(r->points, &grown) < 0) return h5_fail(err, r->path, "extend /" POINTS);
  if (write_row(r, &clean) < 0) {
    ctr_status s = h5_fail(err, r->path, "write a row");
    /* Drop the fill-value row so the table holds only complete rows. */
    H5Dset_extent(r->points, &r->nrows);
    H5Eclear2(H5E_DEFAULT);
    return s;
  }
  r->nrows = grown;
  /* One flushed unit per row: a kill after this returns loses nothing. */
  if (H5Fflush(r->file, H5F_SCOPE_GLOBAL) < 0) return h5_fail(err, r->path, "flush the file");
  return CTR_OK;
}

ctr_status ctr_results_close(ctr_results *r, ctr_error *err) {
  if (!r) return CTR_OK;
  char *path = r->path;
  r->path = NULL;
  ctr_status s = CTR_OK;
  if (release(r) < 0) s = h5_fail(err, path ? path : "(result file)", "close the file");
  free(path);
  return s;
}

/* ---- read ------------------------------------------------------------------ */

/* Read all rows of dataset DS (already checked to be 1-D) by field name. */
static ctr_status read_rows(const char *path, hid_t ds, ctr_point **rows, size_t *nrows,
                            ctr_error *err) {
  hssize_t n = dataset_rows(ds);
  hid_t ft = H5Dget_type(ds);
  if (n < 0 || ft < 0 || H5Tget_class(ft) != H5T_COMPOUND) {
    close_type(ft);
    return ctr_fail(err, CTR_EINPUT, "%s: not a ctrate result file (/" POINTS " is not a table)",
                    path);
  }
  const char *bad = NULL;
  hid_t mt = point_memtype(ft, &bad);
  close_type(ft);
  if (mt < 0 && bad)
    return ctr_fail(err, CTR_EINPUT, "%s: column %s has an incompatible type", path, bad);
  if (mt < 0) return h5_fail(err, path, "build the row type");
  ctr_point *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  if (!buf) {
    H5Tclose(mt);
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory for %lld rows", path, (long long)n);
  }
  /* Columns absent from the file keep these values (HDF5 converts compound
   * members in place over the existing buffer). */
  for (hssize_t i = 0; i < n; i++) ctr_point_clear(&buf[i]);
  herr_t rc = n ? H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
  H5Tclose(mt);
  if (rc < 0) {
    free(buf);
    return h5_fail(err, path, "read /" POINTS);
  }
  *rows = buf;
  *nrows = (size_t)n;
  return CTR_OK;
}

ctr_status ctr_results_read(const char *path, ctr_point **rows, size_t *nrows, char **attrs,
                            ctr_error *err) {
  *rows = NULL;
  *nrows = 0;
  if (attrs) *attrs = NULL;
  h5_quiet();
  if (!path || !*path) return ctr_fail(err, CTR_EINPUT, "result file name is empty");
  hid_t f;
  ctr_status s = open_checked(path, H5F_ACC_RDONLY, &f, err);
  if (s != CTR_OK) return s;
  hid_t ds = H5Dopen2(f, POINTS, H5P_DEFAULT);
  s = ds < 0 ? h5_fail(err, path, "open /" POINTS) : read_rows(path, ds, rows, nrows, err);
  if (s == CTR_OK && attrs && !(*attrs = attrs_text(f))) {
    free(*rows);
    *rows = NULL;
    *nrows = 0;
    s = ctr_fail(err, CTR_ENOMEM, "%s: out of memory reading attributes", path);
  }
  if (ds >= 0) H5Dclose(ds);
  H5Fclose(f);
  H5Eclear2(H5E_DEFAULT);
  return s;
}

/* ---- whole files ----------------------------------------------------------- */

/* Rows [0, n) in blocks of sanitized copies (no caller bytes beyond a string's NUL). */
static herr_t write_block_rows(hid_t ds, hid_t memtype, const ctr_point *const *rows, size_t n) {
  enum { BLOCK = 1024 };
  ctr_point *buf = malloc(sizeof *buf * BLOCK);
  herr_t rc = buf ? 0 : -1;
  for (size_t at = 0; rc >= 0 && at < n; at += BLOCK) {
    hsize_t start = at, count = n - at < BLOCK ? n - at : BLOCK;
    for (hsize_t i = 0; i < count; i++) buf[i] = *rows[at + i], sanitize(&buf[i]);
    hid_t fs = H5Dget_space(ds), ms = H5Screate_simple(1, &count, NULL);
    rc = fs < 0 || ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    if (rc >= 0) rc = H5Dwrite(ds, memtype, ms, fs, H5P_DEFAULT, buf);
    if (ms >= 0) H5Sclose(ms);
    if (fs >= 0) H5Sclose(fs);
  }
  free(buf);
  return rc;
}

static ctr_status write_whole(const char *tmp, const ctr_run_info *info, const ctr_point *const *rows,
                              size_t n, ctr_error *err) {
  hid_t mt = point_memtype(-1, NULL);
  hid_t f = mt < 0 ? -1 : H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t ds = f < 0 ? -1 : create_points(f, mt, n, 1024);
  char *layout = row_layout();
  const char *bad = ds < 0 ? "/" POINTS : !layout ? "row_layout" : NULL;
  if (!bad && write_block_rows(ds, mt, rows, n) < 0) bad = "rows";
  if (!bad) bad = put_root_attrs(f, info, layout);
  free(layout);
  herr_t rc = 0;
  if (ds >= 0 && H5Dclose(ds) < 0) rc = -1;
  if (f >= 0 && H5Fclose(f) < 0) rc = -1;
  if (mt >= 0) H5Tclose(mt);
  if (!bad && rc < 0) bad = "the file";
  if (!bad) return CTR_OK;
  char what[96];
  snprintf(what, sizeof what, "write %s", bad);
  return h5_fail(err, tmp, what);
}

ctr_status ctr_results_write_file(const char *path, const ctr_run_info *info,
                                  const ctr_point *const *rows, size_t n, ctr_error *err) {
  h5_quiet();
  size_t len = strlen(path);
  char *tmp = malloc(len + 5);
  if (!tmp) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", path);
  memcpy(tmp, path, len), memcpy(tmp + len, ".tmp", 5);
  ctr_status s = write_whole(tmp, info, rows, n, err);
  if (s == CTR_OK && rename(tmp, path) != 0)
    s = ctr_fail(err, CTR_EIO, "%s: cannot rename %s into place (%s)", path, tmp, strerror(errno));
  if (s != CTR_OK) unlink(tmp);
  free(tmp);
  H5Eclear2(H5E_DEFAULT);
  return s;
}

ctr_status ctr_results_meta_read(const char *path, ctr_results_meta *m, ctr_error *err) {
  memset(m, 0, sizeof *m);
  h5_quiet();
  hid_t f;
  ctr_status s = open_checked(path, H5F_ACC_RDONLY, &f, err);
  if (s != CTR_OK) return s;
  m->spec = get_str(f, "spec");
  m->version = get_str(f, "version");
  m->shard = get_str(f, "shard");
  m->created = get_str(f, "created");
  m->plan_points = -1;
  if (H5Aexists(f, "master_seed") > 0) {
    hid_t a = H5Aopen(f, "master_seed", H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_ULLONG, &m->master_seed) < 0) m->master_seed = 0;
    if (a >= 0) H5Aclose(a);
  }
  if (H5Aexists(f, "plan_points") > 0) {
    hid_t a = H5Aopen(f, "plan_points", H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, &m->plan_points) < 0) m->plan_points = -1;
    if (a >= 0) H5Aclose(a);
  }
  H5Fclose(f);
  H5Eclear2(H5E_DEFAULT);
  if (!m->spec) m->spec = calloc(1, 1);
  if (!m->shard) m->shard = calloc(1, 1);
  if (!m->created) m->created = calloc(1, 1);
  if (!m->version) m->version = calloc(1, 1);
  if (!m->spec || !m->shard || !m->created || !m->version) {
    ctr_results_meta_free(m);
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", path);
  }
  return CTR_OK;
}

void ctr_results_meta_free(ctr_results_meta *m) {
  free(m->spec), free(m->shard), free(m->created), free(m->version);
  memset(m, 0, sizeof *m);
}
