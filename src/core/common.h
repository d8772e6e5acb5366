/* core/common.h: status codes and the error record every library call fills.
 *
 * Library code never prints and never exits: it returns a ctr_status and, on
 * failure, writes a one-line message into a ctr_error that names the offending
 * value and the accepted range. The command line maps CTR_EINPUT to exit 2 and
 * everything else to exit 1. */
#ifndef CTR_CORE_COMMON_H
#define CTR_CORE_COMMON_H

#include <stddef.h>

typedef enum {
  CTR_OK = 0,
  CTR_EINPUT = 1,   /* bad parameter or input file: the caller's fault (exit 2) */
  CTR_ENOMEM = 2,   /* allocation failed */
  CTR_ENUMERIC = 3, /* a numerical routine failed or produced a non-finite value */
  CTR_EIO = 4       /* a file could not be read or written */
} ctr_status;

typedef struct {
  ctr_status status;
  char msg[512];
} ctr_error;

/* Record a failure (printf-style message) and return its status, so that
 * `return ctr_fail(err, CTR_EINPUT, "...", ...);` reads naturally. err may be NULL. */
ctr_status ctr_fail(ctr_error *err, ctr_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *ctr_strerror(ctr_status status);

/* Index of name in a table of n names, or -1: the one lookup behind every family's
 * `_parse` (schedules, targets, engines, error models). */
int ctr_name_index(const char *const *names, int n, const char *name);

/* A growing text buffer (p is NUL-terminated once anything was added); running out of memory
 * is sticky (oom) and checked once at the end, so building text needs no error paths. */
typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} ctr_text;
void ctr_text_add(ctr_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation helpers that return NULL on failure (never abort). */
double *ctr_dalloc(size_t n); /* zero-initialised doubles */

#endif
