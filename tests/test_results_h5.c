/* test_results_h5.c: round trip, append on reopen, crash safety, refusal of
 * foreign files, reading older layouts, and that docs/results-format.md names
 * every column.
 *
 * usage: test_results_h5 DOCS/results-format.md [KEEP.h5]
 * KEEP.h5, if given, receives a copy of the round-trip file (for check_h5py.py). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "core/point.h"
#include "store/results_h5.h"

static int failures = 0;
static char dir[] = "/tmp/ctr_test_h5_XXXXXX";

#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (cond) {                                                                                    \
      printf("ok - ");                                                                             \
    } else {                                                                                       \
      printf("not ok - ");                                                                         \
      failures++;                                                                                  \
    }                                                                                              \
    printf(__VA_ARGS__);                                                                           \
    printf("\n");                                                                                  \
  } while (0)

static void path_in_dir(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/%s", dir, name);
}

/* Row I with a distinctive value in every field: large/negative integers, NaN,
 * -0, infinities, subnormals, and strings longer than their field (truncated). */
static void make_row(ctr_point *p, int i) {
  static const double specials[] = {NAN, -0.0, INFINITY, -INFINITY, 4.9e-324, 1e308, 3.141592653589793, -1.5};
  ctr_point_clear(p);
  for (size_t k = 0; k < ctr_point_nfields; k++) {
    const ctr_field *f = &ctr_point_fields[k];
    char *at = (char *)p + f->offset;
    switch (f->kind) {
    case CTR_KIND_I64: *(int64_t *)at = (INT64_C(1) << 62) - (int64_t)(1000 * k) - i; break;
    case CTR_KIND_I32: *(int32_t *)at = -(int32_t)(100000 * (k + 1)) - i; break;
    case CTR_KIND_F64: *(double *)at = (k + (size_t)i) % 3 == 0 ? specials[(k + (size_t)i) % 8]
                                                               : (double)k / 7.0 + i * 1e-17;
      break;
    case CTR_KIND_STR: {
      char s[400];
      int n = snprintf(s, sizeof s, "%s,row \"%d\",", f->name, i);
      for (; n < 300; n++) s[n] = (char)('a' + (n + i) % 26);
      s[n] = '\0';
      ctr_point_set_str(at, f->size, s);
      break;
    }
    }
  }
}

/* Field-by-field byte comparison (the struct itself may have padding). */
static const char *first_diff(const ctr_point *a, const ctr_point *b) {
  for (size_t k = 0; k < ctr_point_nfields; k++) {
    const ctr_field *f = &ctr_point_fields[k];
    if (memcmp((const char *)a + f->offset, (const char *)b + f->offset, f->size) != 0)
      return f->name;
  }
  return NULL;
}

static void test_round_trip(const char *keep) {
  char path[256];
  path_in_dir(path, sizeof path, "rt.h5");
  ctr_run_info info = {"ctrate sweep --spec x.toml", "[sweep]\nd = [2, 4]\n", 8,
                       18446744073709551557ULL, "", 0, NULL, NULL};
  ctr_error err = {0};
  ctr_results *r = NULL;
  ctr_point rows[4];
  for (int i = 0; i < 4; i++) make_row(&rows[i], i);
  rows[2].w2_qN = NAN;

  ctr_status s = ctr_results_open(path, &info, &r, &err);
  CHECK(s == CTR_OK, "create %s (%s)", path, s ? err.msg : "");
  for (int i = 0; i < 3 && s == CTR_OK; i++) s = ctr_results_append(r, &rows[i], &err);
  CHECK(s == CTR_OK, "append 3 rows (%s)", s ? err.msg : "");
  CHECK(ctr_results_close(r, &err) == CTR_OK, "close");

  ctr_run_info other = {"ignored on reopen", "", 1, 1, "", 0, NULL, NULL};
  s = ctr_results_open(path, &other, &r, &err);
  CHECK(s == CTR_OK, "reopen existing file (%s)", s ? err.msg : "");
  if (s == CTR_OK) s = ctr_results_append(r, &rows[3], &err);
  CHECK(s == CTR_OK, "append a 4th row after reopen (%s)", s ? err.msg : "");
  CHECK(ctr_results_close(r, &err) == CTR_OK, "close again");

  ctr_point *got = NULL;
  size_t n = 0;
  char *attrs = NULL;
  s = ctr_results_read(path, &got, &n, &attrs, &err);
  CHECK(s == CTR_OK && n == 4, "read back 4 rows (status %d, n %zu, %s)", s, n, s ? err.msg : "");
  for (size_t i = 0; i < n && i < 4; i++) {
    const char *d = first_diff(&rows[i], &got[i]);
    CHECK(!d, "row %zu identical byte for byte%s%s", i, d ? ", differs in " : "", d ? d : "");
  }
  CHECK(n == 4 && isnan(got[2].w2_qN), "NaN survives");
  CHECK(n == 4 && strlen(got[0].message) == sizeof got[0].message - 1, "long string truncated");
  const char *want[] = {"software = ctrate\n", "version = ", "created = ", "host = ",
                        "command_line = ctrate sweep --spec x.toml\n",
                        "spec = [sweep]\n    d = [2, 4]\n", "threads = 8\n",
                        "master_seed = 18446744073709551557\n",
                        "rng = Philox4x64-10 (Random123)\n", "row_layout = point_id,seed,replicate,target,"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    CHECK(attrs && strstr(attrs, want[i]), "attribute line \"%.*s\"", (int)strcspn(want[i], "\n"),
          want[i]);
  free(got);
  free(attrs);
  if (keep) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, keep);
    CHECK(system(cmd) == 0, "kept a copy at %s", keep);
  }
}

/* A child killed right after append returns must leave every appended row. */
static void test_kill(void) {
  char path[256];
  path_in_dir(path, sizeof path, "killed.h5");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    ctr_results *r = NULL;
    ctr_point p;
    make_row(&p, 7);
    if (ctr_results_open(path, NULL, &r, NULL) != CTR_OK) _exit(3);
    for (int i = 0; i < 2; i++)
      if (ctr_results_append(r, &p, NULL) != CTR_OK) _exit(4);
    raise(SIGKILL);
    _exit(5);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "writer killed by SIGKILL after 2 appends");
  ctr_point *got = NULL;
  size_t n = 0;
  ctr_error err = {0};
  ctr_status s = ctr_results_read(path, &got, &n, NULL, &err);
  CHECK(s == CTR_OK && n == 2, "killed file readable with 2 rows (%s)", s ? err.msg : "");
  free(got);
  ctr_results *r = NULL;
  s = ctr_results_open(path, NULL, &r, &err);
  CHECK(s == CTR_OK, "killed file can be reopened for append (%s)", s ? err.msg : "");
  ctr_results_close(r, NULL);
}

static void expect_input_error(ctr_status s, const ctr_error *err, const char *path,
                               const char *what) {
  CHECK(s == CTR_EINPUT && strstr(err->msg, path), "%s: CTR_EINPUT naming the file (%s)", what,
        err->msg);
}

static void test_refusals(void) {
  char text[256], missing[256], foreign[256];
  path_in_dir(text, sizeof text, "notes.txt");
  path_in_dir(missing, sizeof missing, "missing.h5");
  path_in_dir(foreign, sizeof foreign, "foreign.h5");
  FILE *fp = fopen(text, "w");
  if (fp) {
    fputs("not hdf5\n", fp);
    fclose(fp);
  }
  ctr_error err = {0};
  ctr_results *r = NULL;
  ctr_point *rows = NULL;
  size_t n = 0;
  expect_input_error(ctr_results_open(text, NULL, &r, &err), &err, text, "append to a text file");
  CHECK(strstr(err.msg, "not a ctrate result file"), "message says not a ctrate result file");
  expect_input_error(ctr_results_read(text, &rows, &n, NULL, &err), &err, text, "read a text file");
  expect_input_error(ctr_results_read(missing, &rows, &n, NULL, &err), &err, missing,
                     "read a missing file");

  const char *nodir = "/nonexistent-ctrate-dir/x.h5";
  ctr_status s = ctr_results_open(nodir, NULL, &r, &err);
  CHECK(s == CTR_EIO && strstr(err.msg, nodir), "create in a missing directory: CTR_EIO (%s)",
        err.msg);

  hid_t f = H5Fcreate(foreign, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  expect_input_error(ctr_results_read(foreign, &rows, &n, NULL, &err), &err, foreign,
                     "read an HDF5 file without ctrate attributes");
  expect_input_error(ctr_results_open(foreign, NULL, &r, &err), &err, foreign,
                     "append to an HDF5 file without ctrate attributes");
}

/* An "older" file: /points with only point_id and w2_normal, no row_layout. */
static void write_old_file(const char *path) {
  typedef struct {
    int64_t id;
    double w2;
  } old_row;
  old_row data[2] = {{5, 0.25}, {6, 0.5}};
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(old_row));
  H5Tinsert(t, "w2_normal", offsetof(old_row, w2), H5T_NATIVE_DOUBLE);
  H5Tinsert(t, "point_id", offsetof(old_row, id), H5T_NATIVE_INT64);
  hsize_t dim = 2;
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t ds = H5Dcreate2(f, "points", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  hid_t st = H5Tcopy(H5T_C_S1);
  H5Tset_size(st, 6);
  hid_t as = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, "software", st, as, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, st, "ctrate");
  H5Aclose(a);
  H5Sclose(as);
  H5Tclose(st);
  H5Dclose(ds);
  H5Fclose(f);
  H5Sclose(sp);
  H5Tclose(t);
}

static void test_old_layout(void) {
  char path[256];
  path_in_dir(path, sizeof path, "old.h5");
  write_old_file(path);
  ctr_point *rows = NULL;
  size_t n = 0;
  char *attrs = NULL;
  ctr_error err = {0};
  ctr_status s = ctr_results_read(path, &rows, &n, &attrs, &err);
  CHECK(s == CTR_OK && n == 2, "read a file with fewer columns (%s)", s ? err.msg : "");
  if (s == CTR_OK && n == 2) {
    CHECK(rows[1].point_id == 6 && rows[1].w2_normal == 0.5, "present columns read by name");
    CHECK(isnan(rows[1].w1_lo_normal) && rows[1].target[0] == '\0' && rows[1].d == 0,
          "missing columns stay cleared (NaN, empty, 0)");
    CHECK(attrs && strstr(attrs, "software = ctrate\n"), "fixed-length string attribute read");
  }
  free(rows);
  free(attrs);
  ctr_results *r = NULL;
  s = ctr_results_open(path, NULL, &r, &err);
  CHECK(s == CTR_EINPUT && strstr(err.msg, path), "refuse to append to a different layout (%s)",
        err.msg);
  if (s == CTR_OK) ctr_results_close(r, NULL);
}

/* docs/results-format.md must name every column as `name`. */
static void test_doc(const char *doc) {
  FILE *fp = fopen(doc, "rb");
  CHECK(fp != NULL, "open %s", doc);
  if (!fp) return;
  static char text[1 << 20];
  size_t len = fread(text, 1, sizeof text - 1, fp);
  text[len] = '\0';
  fclose(fp);
  int missing = 0;
  for (size_t k = 0; k < ctr_point_nfields; k++) {
    char key[80];
    snprintf(key, sizeof key, "`%s`", ctr_point_fields[k].name);
    if (!strstr(text, key)) {
      printf("# %s does not document column %s\n", doc, ctr_point_fields[k].name);
      missing++;
    }
  }
  CHECK(missing == 0, "%s documents all %zu columns", doc, ctr_point_nfields);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DOCS/results-format.md [KEEP.h5]\n", argv[0]);
    return 1;
  }
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  test_round_trip(argc > 2 ? argv[2] : NULL);
  test_kill();
  test_refusals();
  test_old_layout();
  test_doc(argv[1]);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) printf("# could not remove %s\n", dir);
  printf(failures ? "# %d failure(s)\n" : "# all passed\n", failures);
  return failures ? 1 : 0;
}
