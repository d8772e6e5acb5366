/* Fuzz target: the list and range parser of every command-line value (core/parse.h). */
#include "core/parse.h"
#include "fuzz_util.h"

static ctr_status parse_name(const char *s, int *k, ctr_error *err) {
  *k = (int)strlen(s);
  return *k < 8 ? CTR_OK : ctr_fail(err, CTR_EINPUT, "name '%s' too long", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fuzz_string(data, size);
  ctr_error err;
  double *d = NULL, x;
  int64_t *i = NULL, k;
  int *names = NULL;
  size_t n = 0;
  if (!ctr_arg_double_list("--eps", s, 0, 1e6, &d, &n, &err)) {
    for (size_t j = 0; j < n; j++)
      if (!(d[j] >= 0 && d[j] <= 1e6)) abort(); /* the promised range */
  }
  free(d);
  if (!ctr_arg_int_list("--N", s, 2, 100000000, &i, &n, &err)) {
    for (size_t j = 0; j < n; j++)
      if (i[j] < 2 || i[j] > 100000000 || (j && i[j] == i[j - 1])) abort();
  }
  free(i);
  ctr_arg_name_list("--engine", s, parse_name, &names, &n, &err);
  free(names);
  ctr_arg_double("--x", s, -1e300, 1e300, &x, &err);
  ctr_arg_int("--k", s, -5, 5, &k, &err);
  free(s);
  return 0;
}
