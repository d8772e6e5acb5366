/* store/results_attrs.c: the root attributes of a result file (what the run was, which
 * ctrate wrote it) and the checks that a file is a ctrate result; HDF5 error reporting shared
 * with store/results_h5.c, which does the row I/O. Split from results_h5.c along that seam. */
#include "store/results_h5_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>

#if defined(__has_include)
#if __has_include("core/version.h")
#include "core/version.h"
#endif
#endif
#ifndef CTR_VERSION
#define CTR_VERSION "unknown"
#endif

#define POINTS CTR_H5_POINTS
#define SOFTWARE "ctrate"
#define RNG_NAME "Philox4x64-10 (Random123)"

/* ---- errors ---------------------------------------------------------------- */

/* Innermost HDF5 error description: the most specific reason (errno text etc.). */
static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data) {
  if (n == 0 && e->desc) snprintf((char *)data, 200, "%s", e->desc);
  return 0;
}

/* Fail with CTR_EIO, "PATH: WHAT (hdf5 detail)". */
ctr_status ctr_h5_fail(ctr_error *err, const char *path, const char *what) {
  int os = errno; /* HDF5 often leaves the OS reason only in errno */
  char detail[200] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, detail);
  if (!detail[0] && (os == ENOSPC || os == EDQUOT || os == EIO || os == EROFS || os == EACCES))
    snprintf(detail, sizeof detail, "%s", strerror(os));
  H5Eclear2(H5E_DEFAULT);
  if (detail[0])
    return ctr_fail(err, CTR_EIO, "%s: HDF5 failed to %s (%s)", path, what, detail);
  return ctr_fail(err, CTR_EIO, "%s: HDF5 failed to %s", path, what);
}

ctr_status ctr_h5_input(ctr_error *err, ctr_status s) {
  if (s == CTR_EIO && err) err->status = CTR_EINPUT;
  return s == CTR_EIO ? CTR_EINPUT : s;
}

/* Library code must not print; HDF5 prints its error stack unless told not to. */
void ctr_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void ctr_h5_close_type(hid_t t) {
  if (t >= 0) H5Tclose(t);
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
  ctr_h5_close_type(t);
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
const char *ctr_h5_put_root_attrs(hid_t file, const ctr_run_info *info, const char *layout) {
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
  /* a variable-length string lives in the global heap: no 64 KiB header limit */
  if (info && info->inputs && *info->inputs && put_str(file, "input_files", info->inputs) < 0)
    return "input_files";
  return NULL;
}

/* ---- attributes: read ------------------------------------------------------ */

/* String attribute NAME (fixed or variable length) as a malloc'ed string;
 * NULL if absent, not a scalar string, or unreadable. */
char *ctr_h5_get_str(hid_t loc, const char *name) {
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
    ctr_h5_close_type(mt);
  }
  ctr_h5_close_type(ft);
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
    char *v = ctr_h5_get_str(loc, name);
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
  ctr_h5_close_type(ft);
  if (a >= 0) H5Aclose(a);
}

/* The attributes this module writes, in the order it writes them. */
static const char *const known_attrs[] = {
    "software", "version", "created", "host",   "command_line", "spec",
    "hdf5_version", "gsl_version", "threads", "rng", "master_seed", "row_layout",
    "shard", "plan_points", "input_files"};
#define NKNOWN (sizeof known_attrs / sizeof known_attrs[0])

static herr_t other_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  for (size_t i = 0; i < NKNOWN; i++)
    if (strcmp(name, known_attrs[i]) == 0) return 0;
  attr_line(data, loc, name);
  return 0;
}

/* Known attributes first in a fixed order, then any others by name. */
char *ctr_h5_attrs_text(hid_t file) {
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
ctr_status ctr_h5_open_checked(const char *path, unsigned flags, hid_t *file, ctr_error *err) {
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
  if (f < 0 && flags == H5F_ACC_RDWR) return ctr_h5_fail(err, path, "open the file for writing");
  if (f < 0) return ctr_h5_input(err, ctr_h5_fail(err, path, "open the file (damaged or truncated?)"));
  char *sw = ctr_h5_get_str(f, "software");
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
ctr_status ctr_results_meta_read(const char *path, ctr_results_meta *m, ctr_error *err) {
  memset(m, 0, sizeof *m);
  ctr_h5_quiet();
  hid_t f;
  ctr_status s = ctr_h5_open_checked(path, H5F_ACC_RDONLY, &f, err);
  if (s != CTR_OK) return s;
  m->spec = ctr_h5_get_str(f, "spec");
  m->version = ctr_h5_get_str(f, "version");
  m->shard = ctr_h5_get_str(f, "shard");
  m->created = ctr_h5_get_str(f, "created");
  m->inputs = ctr_h5_get_str(f, "input_files");
  char *have = ctr_h5_get_str(f, "row_layout"), *want = ctr_results_row_layout();
  m->layout_current = have && want && !strcmp(have, want);
  free(have), free(want);
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
  if (!m->inputs) m->inputs = calloc(1, 1);
  if (!m->spec || !m->shard || !m->created || !m->version || !m->inputs) {
    ctr_results_meta_free(m);
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory", path);
  }
  return CTR_OK;
}

void ctr_results_meta_free(ctr_results_meta *m) {
  free(m->spec), free(m->shard), free(m->created), free(m->version), free(m->inputs);
  memset(m, 0, sizeof *m);
}

