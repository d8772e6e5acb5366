/* store/results_h5_io.h: private to store/: what results_h5.c (row I/O) and results_attrs.c
 * (root attributes, file checks) share. Not for other layers: use store/results_h5.h. */
#ifndef CTR_STORE_RESULTS_H5_IO_H
#define CTR_STORE_RESULTS_H5_IO_H

#include <hdf5.h>

#include "store/results_h5.h"

#define CTR_H5_POINTS "points"

/* Fail with CTR_EIO, "PATH: HDF5 failed to WHAT (innermost HDF5 reason)". */
ctr_status ctr_h5_fail(ctr_error *err, const char *path, const char *what);
/* A failure reading a file the user gave: bad input (exit 2), not an I/O fault. */
ctr_status ctr_h5_input(ctr_error *err, ctr_status s);
/* Library code must not print; HDF5 prints its error stack unless told not to. */
void ctr_h5_quiet(void);
void ctr_h5_close_type(hid_t t);
/* All root attributes; returns the name of the one that failed, or NULL. */
const char *ctr_h5_put_root_attrs(hid_t file, const ctr_run_info *info, const char *layout);
/* String attribute NAME as a malloc'ed string; NULL if absent or unreadable. */
char *ctr_h5_get_str(hid_t loc, const char *name);
/* "name1,name2,...": this build's columns, stored as row_layout (malloc'ed). */
char *ctr_results_row_layout(void);
/* Root attributes as "name = value" lines (malloc'ed; NULL when out of memory). */
char *ctr_h5_attrs_text(hid_t file);
/* PATH must exist and be a ctrate result file; opens it with FLAGS. */
ctr_status ctr_h5_open_checked(const char *path, unsigned flags, hid_t *file, ctr_error *err);

/* Memory compound with ctr_point offsets; with FILETYPE >= 0 only the fields FILETYPE has (*BAD:
 * the first whose file type cannot be converted). */
hid_t ctr_h5_point_memtype(hid_t filetype, const char **bad);
/* /points in FILE: DIM rows of MEMTYPE packed, chunked by CHUNK rows, extendible, deflated. */
hid_t ctr_h5_create_points(hid_t file, hid_t memtype, hsize_t dim, hsize_t chunk);
/* Every string field of P NUL-terminated and zero-padded (no stray caller bytes in a file). */
void ctr_h5_sanitize(ctr_point *p);

#endif
