#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
