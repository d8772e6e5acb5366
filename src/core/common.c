#include "core/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ctr_status ctr_fail(ctr_error *err, ctr_status status, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->status = status;
  }
  return status;
}

const char *ctr_strerror(ctr_status status) {
  switch (status) {
  case CTR_OK: return "success";
  case CTR_EINPUT: return "invalid input";
  case CTR_ENOMEM: return "out of memory";
  case CTR_ENUMERIC: return "numerical failure";
  case CTR_EIO: return "input/output error";
  }
  return "unknown status";
}

double *ctr_dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

int ctr_name_index(const char *const *names, int n, const char *name) {
  for (int k = 0; k < n; k++)
    if (strcmp(name, names[k]) == 0) return k;
  return -1;
}

void ctr_text_add(ctr_text *t, const char *fmt, ...) {
  if (t->oom) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (t->len + (size_t)n + 1 > t->cap) {
    size_t cap = 2 * t->cap + (size_t)n + 256;
    char *q = realloc(t->p, cap);
    if (!q) {
      t->oom = 1;
      return;
    }
    t->p = q, t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}
