/* wassign_cli.c: the exact assignment W1 and W2 of two point sets, for tests/ref_pot.py.
 *
 * usage: wassign_cli FILE N D [DENSE_MAX_BYTES]
 * FILE holds 2 N D native-endian float64: x[N][D] then y[N][D], row-major. DENSE_MAX_BYTES
 * (default the library's) bounds the stored cost matrix; 0 forces the recomputing path.
 * Prints "W<p> <value %.17g> optimal <0|1> iterations <k> peak_kb <m>" for p = 1 and 2, m the
 * process's peak resident memory so far (VmHWM, kB; -1 where /proc is missing). Exit 0, or 2
 * on bad input, 1 on a library failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "wasserstein/assignment.h"

static int parse_size(const char *s, size_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-') return 0;
  *out = (size_t)v;
  return 1;
}

static double *read_points(const char *path, size_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  double *buf = malloc(count * sizeof(double));
  int ok = buf && fread(buf, sizeof(double), count, f) == count && fgetc(f) == EOF;
  fclose(f);
  if (ok) return buf;
  free(buf);
  return NULL;
}

/* Peak resident set of this process image in kB (Linux /proc), or -1. */
static long peak_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  gsl_set_error_handler_off();
  size_t n, d, dense_max = CTR_ASSIGN_DENSE_MAX;
  if (argc < 4 || argc > 5 || !parse_size(argv[2], &n) || !parse_size(argv[3], &d) ||
      (argc == 5 && !parse_size(argv[4], &dense_max))) {
    fprintf(stderr, "usage: wassign_cli FILE N D [DENSE_MAX_BYTES]\n");
    return 2;
  }
  double *pts = n && d ? read_points(argv[1], 2 * n * d) : NULL;
  if (!pts) {
    fprintf(stderr, "wassign_cli: cannot read %zu doubles from %s\n", 2 * n * d, argv[1]);
    return 2;
  }
  int rc = 0;
  for (int p = 1; p <= 2 && rc == 0; p++) {
    ctr_error err;
    ctr_assign_status st;
    double w;
    ctr_status s = ctr_assign_wp_limit(n, d, pts, pts + n * d, p, dense_max, NULL, &w, &st, &err);
    if (s != CTR_OK) {
      fprintf(stderr, "wassign_cli: %s\n", err.msg);
      rc = s == CTR_EINPUT ? 2 : 1;
    } else {
      printf("W%d %.17g optimal %d iterations %ld peak_kb %ld\n", p, w, st.optimal, st.iterations,
             peak_kb());
    }
  }
  free(pts);
  return rc;
}
