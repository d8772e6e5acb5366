#include "core/point.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define CTR_FIELD_ENTRY(kind, name, size, doc)                                                     \
  {#name, CTR_KIND_##kind, offsetof(ctr_point, name), sizeof(((ctr_point *)0)->name), doc},

const ctr_field ctr_point_fields[] = {CTR_POINT_FIELDS(CTR_FIELD_ENTRY)};
const size_t ctr_point_nfields = sizeof ctr_point_fields / sizeof ctr_point_fields[0];

const ctr_field *ctr_point_field(const char *name) {
  for (size_t i = 0; i < ctr_point_nfields; i++)
    if (strcmp(ctr_point_fields[i].name, name) == 0) return &ctr_point_fields[i];
  return NULL;
}

void ctr_point_clear(ctr_point *p) {
  memset(p, 0, sizeof *p);
  for (size_t i = 0; i < ctr_point_nfields; i++)
    if (ctr_point_fields[i].kind == CTR_KIND_F64)
      *(double *)((char *)p + ctr_point_fields[i].offset) = NAN;
}

void ctr_point_set_str(char *field, size_t size, const char *value) {
  if (!value) value = "";
  size_t n = strlen(value);
  if (n >= size) n = size - 1;
  memcpy(field, value, n);
  field[n] = '\0';
}

int ctr_point_field_cmp(const ctr_point *a, const ctr_point *b, const ctr_field *f) {
  const char *pa = (const char *)a + f->offset, *pb = (const char *)b + f->offset;
  switch (f->kind) {
  case CTR_KIND_I64: {
    int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return (x > y) - (x < y);
  }
  case CTR_KIND_I32: {
    int32_t x = *(const int32_t *)pa, y = *(const int32_t *)pb;
    return (x > y) - (x < y);
  }
  case CTR_KIND_F64: {
    double x = *(const double *)pa, y = *(const double *)pb;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
  }
  case CTR_KIND_STR: return strncmp(pa, pb, f->size);
  }
  return 0;
}
