/* Fuzz target: the HDF5 result reader (store/results_h5.h), structure-aware: the input decides
 * which columns /points has and of which type, how many rows, the row_layout and version
 * attributes and the row bytes; the file is built with the HDF5 API and read back with
 * ctr_results_read and ctr_results_meta_read. (Raw byte-level fuzzing of the HDF5 library's own
 * parser is out of scope: its findings would be HDF5's.) Whatever is accepted must have every
 * column of the schema and rows as written. */
#include "core/point.h"
#include "fuzz_util.h"
#include "store/results_h5.h"

static size_t take(const uint8_t **d, size_t *n, void *out, size_t k) {
  size_t m = *n < k ? *n : k;
  memset(out, 0, k);
  memcpy(out, *d, m);
  *d += m, *n -= m;
  return m;
}

static void put_vstr(hid_t f, const char *name, const char *v) {
  hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
  H5Tset_size(t, H5T_VARIABLE);
  hid_t a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, &v);
  H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t ctl[16];
  take(&data, &size, ctl, sizeof ctl);
  const char *path = fuzz_path("f.h5");
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) abort();
  /* columns: each field kept unless its control bit says drop; type possibly changed */
  hid_t ft = H5Tcreate(H5T_COMPOUND, 16 * ctr_point_nfields + 64);
  size_t off = 0;
  char layout[4096] = "";
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *fl = &ctr_point_fields[i];
    int bits = (ctl[i % 12] >> (i % 8)) & 1;
    if (!(ctl[12] & 1) && !bits) continue; /* ctl[12] bit 0: keep all */
    hid_t mt;
    if (fl->kind == CTR_KIND_STR) mt = H5Tcopy(H5T_C_S1), H5Tset_size(mt, 1 + ctl[13] % 200);
    else mt = H5Tcopy(ctl[14] & 2 ? H5T_NATIVE_INT32 : (ctl[14] & 4 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE));
    H5Tinsert(ft, fl->name, off, mt);
    off += H5Tget_size(mt);
    H5Tclose(mt);
    if (!(ctl[15] & 1)) snprintf(layout + strlen(layout), sizeof layout - strlen(layout), "%s%s",
                                 layout[0] ? "," : "", fl->name);
  }
  if (ctl[15] & 2) { /* an extra column */
    H5Tinsert(ft, "bogus", off, H5T_NATIVE_DOUBLE);
    off += 8;
  }
  if (off == 0) off = 8, H5Tinsert(ft, "point_id", 0, H5T_NATIVE_INT64);
  H5Tset_size(ft, off);
  hsize_t rows = ctl[14] >> 4, maxd = H5S_UNLIMITED, chunk = 4;
  hid_t sp = H5Screate_simple(1, &rows, &maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  hid_t ds = H5Dcreate2(f, "points", ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (rows) {
    unsigned char *buf = calloc((size_t)rows, off);
    take(&data, &size, buf, (size_t)rows * off);
    H5Dwrite(ds, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    free(buf);
  }
  H5Dclose(ds), H5Pclose(dcpl), H5Sclose(sp), H5Tclose(ft);
  char *spec = fuzz_string(data, size);
  put_vstr(f, "software", ctl[13] & 1 ? "ctrate" : "other");
  put_vstr(f, "version", ctr_results_version());
  put_vstr(f, "spec", spec);
  if (!(ctl[15] & 4)) put_vstr(f, "row_layout", layout);
  H5Fclose(f);
  free(spec);
  ctr_point *out = NULL;
  size_t n = 0;
  char *attrs = NULL;
  ctr_error err;
  if (!ctr_results_read(path, &out, &n, &attrs, &err) && n != rows) abort();
  free(out), free(attrs);
  ctr_results_meta m;
  if (!ctr_results_meta_read(path, &m, &err)) ctr_results_meta_free(&m);
  return 0;
}
