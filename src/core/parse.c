#include "core/parse.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ctr_status ctr_arg_double(const char *opt, const char *text, double lo, double hi, double *out,
                          ctr_error *err) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || errno == ERANGE || !isfinite(v))
    return ctr_fail(err, CTR_EINPUT, "%s '%s' is not a finite number (accepted: %g to %g)", opt,
                    text, lo, hi);
  if (v < lo || v > hi)
    return ctr_fail(err, CTR_EINPUT, "%s %s is out of range (accepted: %g to %g)", opt, text, lo,
                    hi);
  *out = v;
  return CTR_OK;
}

ctr_status ctr_arg_int(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out,
                       ctr_error *err) {
  double v;
  if (ctr_arg_double(opt, text, (double)lo, (double)hi, &v, err) || v != floor(v))
    return ctr_fail(err, CTR_EINPUT, "%s '%s' is not an integer in range (accepted: %lld to %lld)",
                    opt, text, (long long)lo, (long long)hi);
  *out = (int64_t)v;
  return CTR_OK;
}

/* Split "lo:hi:count" into a log-spaced list; values stay real (the int form rounds). */
static ctr_status log_range(const char *opt, const char *text, double lo, double hi, double **out,
                            size_t *n, ctr_error *err) {
  char *buf = strdup(text), *a = buf, *b, *c; /* never a fixed buffer: no silent truncation */
  if (!buf) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  if (!(b = strchr(a, ':')) || !(c = strchr(b + 1, ':')) || strchr(c + 1, ':'))
    return free(buf), ctr_fail(err, CTR_EINPUT, "%s '%s': a range is lo:hi:count", opt, text);
  *b++ = '\0', *c++ = '\0';
  double x0, x1, cnt;
  ctr_status st = ctr_arg_double(opt, a, lo, hi, &x0, err);
  if (!st) st = ctr_arg_double(opt, b, lo, hi, &x1, err);
  if (!st && ctr_arg_double(opt, c, 1, 10000, &cnt, err))
    st = ctr_fail(err, CTR_EINPUT, "%s '%s': the count '%s' of the log range lo:hi:count is "
                  "invalid (accepted: an integer in 1..10000)", opt, text, c);
  free(buf);
  if (st) return st;
  if (x0 <= 0 || x1 < x0 || cnt != floor(cnt))
    return ctr_fail(err, CTR_EINPUT,
                    "%s '%s': a log range needs 0 < lo <= hi and an integer count in 1..10000", opt,
                    text);
  *n = (size_t)cnt;
  *out = malloc(sizeof(double) * *n);
  if (!*out) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  /* x1 / x0 overflows when lo is tiny (a fuzzed 3e-308:207:9 gave inf): then in log space.
   * Otherwise the ratio's power, which keeps decades exact (1e-3:1e-1:5 gives 0.01). */
  const double ratio = x1 / x0, l0 = log(x0), span = log(x1) - l0;
  for (size_t i = 0; i < *n; i++) {
    const double t = *n == 1 ? 0 : (double)i / (double)(*n - 1);
    (*out)[i] = isfinite(ratio) ? x0 * pow(ratio, t) : exp(l0 + span * t);
  }
  if (*n > 1) (*out)[*n - 1] = x1;
  return CTR_OK;
}

ctr_status ctr_arg_double_list(const char *opt, const char *text, double lo, double hi,
                               double **out, size_t *n, ctr_error *err) {
  *out = NULL, *n = 0;
  if (strchr(text, ':')) return log_range(opt, text, lo, hi, out, n, err);
  size_t cap = 1;
  for (const char *q = text; *q; q++) cap += *q == ',';
  *out = malloc(sizeof(double) * cap);
  if (!*out) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  char *copy = strdup(text), *save = NULL;
  ctr_status st = copy ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "out of memory");
  for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; !st && tok;
       tok = strtok_r(NULL, ",", &save))
    st = ctr_arg_double(opt, tok, lo, hi, &(*out)[(*n)++], err);
  free(copy);
  if (!st && *n == 0) st = ctr_fail(err, CTR_EINPUT, "%s: empty list", opt);
  if (st) free(*out), *out = NULL, *n = 0;
  return st;
}

ctr_status ctr_arg_int_list(const char *opt, const char *text, int64_t lo, int64_t hi,
                            int64_t **out, size_t *n, ctr_error *err) {
  double *v;
  size_t m;
  int range = strchr(text, ':') != NULL;
  ctr_status st = ctr_arg_double_list(opt, text, (double)lo, (double)hi, &v, &m, err);
  if (st) return st;
  *out = malloc(sizeof(int64_t) * m), *n = 0;
  if (!*out) return free(v), ctr_fail(err, CTR_ENOMEM, "out of memory");
  for (size_t i = 0; i < m && !st; i++) {
    double x = range ? round(v[i]) : v[i];
    if (x != floor(x))
      st = ctr_fail(err, CTR_EINPUT, "%s: %g is not an integer (accepted: integers %lld to %lld)",
                    opt, x, (long long)lo, (long long)hi);
    else if (*n == 0 || (int64_t)x != (*out)[*n - 1]) (*out)[(*n)++] = (int64_t)x;
  }
  free(v);
  if (st) free(*out), *out = NULL, *n = 0;
  return st;
}

ctr_status ctr_arg_name_list(const char *opt, const char *text,
                             ctr_status (*parse)(const char *, int *, ctr_error *), int **out,
                             size_t *n, ctr_error *err) {
  size_t cap = 1;
  for (const char *q = text; *q; q++) cap += *q == ',';
  *out = malloc(sizeof(int) * cap), *n = 0;
  char *copy = strdup(text), *save = NULL;
  ctr_status st = *out && copy ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "out of memory");
  for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; !st && tok;
       tok = strtok_r(NULL, ",", &save))
    st = parse(tok, &(*out)[(*n)++], err);
  free(copy);
  if (!st && *n == 0) st = ctr_fail(err, CTR_EINPUT, "%s: empty list", opt);
  if (st) free(*out), *out = NULL, *n = 0;
  (void)opt;
  return st;
}
