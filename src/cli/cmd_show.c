/* cmd_show.c: `ctrate show FILE [--csv] [--columns a,b,c]`: print a result file.
 *
 * Default output is for people (attributes, then a fixed-width table of a few
 * columns at 6 significant digits); --csv is for programs (every column, doubles
 * with 17 digits so they round-trip). Column names are those of core/point.h, so the
 * same names work here, in h5py and in pandas. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/report.h"
#include "core/point.h"
#include "store/results_h5.h"

#define EXIT_USAGE 2

static const char *const default_columns[] = {
    "point_id",  "target",       "d",            "N",     "engine",         "error",
    "eps",       "w2_normal",    "w1_lo_normal", "w1_hi_normal", "w2_qN", "coupling_l1_qN",
    "sum_D_l1",  "lipschitz",    "status",       "wall_time"};
#define NDEFAULT (sizeof default_columns / sizeof default_columns[0])

static void usage(FILE *out) {
  fputs("usage: ctrate show FILE [--csv] [--columns a,b,c]\n"
        "\n"
        "Print a ctrate result file: its attributes and a table of its rows.\n"
        "\n"
        "  --csv             print CSV with a header row instead (all columns unless\n"
        "                    --columns is given; numbers at full precision)\n"
        "  --columns LIST    comma-separated column names to print\n"
        "  -h, --help        show this help\n"
        "\n"
        "Column names and meanings: docs/results-format.md.\n",
        out);
}

/* ---- column selection ------------------------------------------------------ */

static void list_columns(FILE *out) {
  for (size_t i = 0; i < ctr_point_nfields; i++)
    fprintf(out, "%s%s", i ? ", " : "", ctr_point_fields[i].name);
  fputc('\n', out);
}

/* Parse "a,b,c" into *cols (malloc'ed); returns 0, or 2 after a message. */
static int parse_columns(const char *list, const ctr_field ***cols, size_t *ncols) {
  size_t cap = 1;
  for (const char *p = list; *p; p++) cap += *p == ',';
  const ctr_field **out = malloc(cap * sizeof *out);
  char *copy = malloc(strlen(list) + 1);
  if (!out || !copy) {
    free(out);
    free(copy);
    fputs("ctrate show: out of memory\n", stderr);
    return 1;
  }
  strcpy(copy, list);
  size_t n = 0;
  /* Manual split rather than strtok so that empty names ("a,,b") are errors. */
  for (char *tok = copy, *next; tok; tok = next) {
    next = strchr(tok, ',');
    if (next) *next++ = '\0';
    const ctr_field *f = ctr_point_field(tok);
    if (!f) {
      fprintf(stderr, "ctrate show: unknown column '%s'; valid columns are:\n", tok);
      list_columns(stderr);
      free(out);
      free(copy);
      return EXIT_USAGE;
    }
    out[n++] = f;
  }
  free(copy);
  *cols = out;
  *ncols = n;
  return 0;
}

/* Default subset for the table, or every column for CSV. */
static int default_selection(int csv, const ctr_field ***cols, size_t *ncols) {
  const ctr_field **out = malloc(ctr_point_nfields * sizeof *out);
  if (!out) {
    fputs("ctrate show: out of memory\n", stderr);
    return 1;
  }
  size_t n = 0;
  if (csv) {
    for (size_t i = 0; i < ctr_point_nfields; i++) out[n++] = &ctr_point_fields[i];
  } else {
    for (size_t i = 0; i < NDEFAULT; i++) {
      const ctr_field *f = ctr_point_field(default_columns[i]);
      if (f) out[n++] = f; /* tolerate a column renamed in core/point.h */
    }
  }
  *cols = out;
  *ncols = n;
  return 0;
}

/* ---- formatting ------------------------------------------------------------ */

/* A result file is data, not a terminal script: control characters (ESC sequences, CR, BS...)
 * from its strings are shown as '?' (newlines too, except between attribute lines). */
static void printable(char *s, int keep_newlines) {
  for (; *s; s++)
    if (((unsigned char)*s < 0x20 && !(keep_newlines && *s == '\n')) || *s == 0x7f) *s = '?';
}

static void csv_field(const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    if (*s == '"') putchar('"');
    putchar(*s);
  }
  putchar('"');
}

/* Rows are read a block at a time: `show` runs in bounded memory on a file of any size. */
#define BLOCK_ROWS 2048

typedef struct {
  ctr_results_reader *r;
  size_t nrows;
  ctr_point *buf; /* BLOCK_ROWS rows */
  const ctr_field **cols;
  size_t ncols;
} show_src;

/* Calls EACH(src, row, arg) on every row in order; returns 0 or the exit status after a message. */
static int for_rows(show_src *src, void (*each)(const show_src *, const ctr_point *, void *),
                    void *arg) {
  for (size_t at = 0; at < src->nrows; at += BLOCK_ROWS) {
    size_t k = src->nrows - at < BLOCK_ROWS ? src->nrows - at : BLOCK_ROWS;
    ctr_error err = {0};
    ctr_status s = ctr_results_reader_get(src->r, at, k, src->buf, &err);
    if (s) return fprintf(stderr, "ctrate show: %s\n", err.msg), s == CTR_EINPUT ? EXIT_USAGE : 1;
    for (size_t i = 0; i < k; i++) each(src, &src->buf[i], arg);
  }
  return 0;
}

static void csv_row(const show_src *src, const ctr_point *row, void *arg) {
  (void)arg;
  char cell[512];
  for (size_t j = 0; j < src->ncols; j++) {
    if (j) putchar(',');
    ctr_report_value(row, src->cols[j], cell, sizeof cell, 1);
    printable(cell, 1); /* CSV quotes a newline; other controls are shown as '?' */
    csv_field(cell);
  }
  putchar('\n');
}

static int print_csv(show_src *src) {
  for (size_t j = 0; j < src->ncols; j++) printf("%s%s", j ? "," : "", src->cols[j]->name);
  putchar('\n');
  return for_rows(src, csv_row, NULL);
}

/* Fixed-width table: strings left-aligned, numbers right-aligned. Two passes over the file:
 * the widths first, then the rows. */
static void widen(const show_src *src, const ctr_point *row, void *arg) {
  int *width = arg;
  char cell[512];
  for (size_t j = 0; j < src->ncols; j++) {
    ctr_report_value(row, src->cols[j], cell, sizeof cell, 0);
    printable(cell, 0);
    if ((int)strlen(cell) > width[j]) width[j] = (int)strlen(cell);
  }
}

static void table_row(const show_src *src, const ctr_point *row, void *arg) {
  const int *width = arg;
  char cell[512];
  for (size_t j = 0; j < src->ncols; j++) {
    ctr_report_value(row, src->cols[j], cell, sizeof cell, 0);
    printable(cell, 0);
    printf("%s%*s", j ? "  " : "", src->cols[j]->kind == CTR_KIND_STR ? -width[j] : width[j],
           cell);
  }
  putchar('\n');
}

static int print_table(show_src *src) {
  size_t ncols = src->ncols;
  const ctr_field **cols = src->cols;
  int *width = malloc((ncols ? ncols : 1) * sizeof *width);
  if (!width) return fputs("ctrate show: out of memory\n", stderr), 1;
  for (size_t j = 0; j < ncols; j++) width[j] = (int)strlen(cols[j]->name);
  int rc = for_rows(src, widen, width);
  if (!rc) {
    for (size_t j = 0; j < ncols; j++)
      printf("%s%*s", j ? "  " : "", cols[j]->kind == CTR_KIND_STR ? -width[j] : width[j],
             cols[j]->name);
    putchar('\n');
    rc = for_rows(src, table_row, width);
  }
  if (!rc && src->nrows == 0) puts("(no rows)");
  free(width);
  return rc;
}

/* ---- command --------------------------------------------------------------- */

typedef struct {
  int csv;
  const char *columns; /* NULL: default selection */
  const char *file;
} show_opts;

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, show_opts *o) {
  static const struct option longopts[] = {{"csv", no_argument, NULL, 'c'},
                                           {"columns", required_argument, NULL, 'C'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  optind = 1;
  opterr = 0; /* our own messages, prefixed "ctrate show:" */
  for (int c; (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1;) {
    switch (c) {
    case 'c': o->csv = 1; break;
    case 'C': o->columns = optarg; break;
    case 'h': usage(stdout); return 0;
    case ':':
      fprintf(stderr, "ctrate show: missing value for '%s' (see ctrate show --help)\n",
              argv[optind - 1]);
      return EXIT_USAGE;
    default: /* the wording of every subcommand */
      if (optopt)
        fprintf(stderr, "ctrate show: unknown option '-%c' (see ctrate show --help)\n", optopt);
      else
        fprintf(stderr, "ctrate show: unknown option '%s' (see ctrate show --help)\n",
                argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if (argc - optind != 1) {
    fputs(argc - optind < 1 ? "ctrate show: no result file given\n"
                            : "ctrate show: give exactly one result file\n",
          stderr);
    usage(stderr);
    return EXIT_USAGE;
  }
  o->file = argv[optind];
  return -1;
}

int ctr_cmd_show(int argc, char **argv) {
  show_opts o = {0, NULL, NULL};
  int rc = parse_args(argc, argv, &o);
  if (rc >= 0) return rc;

  const ctr_field **cols = NULL;
  size_t ncols = 0;
  rc = o.columns ? parse_columns(o.columns, &cols, &ncols)
                 : default_selection(o.csv, &cols, &ncols);
  if (rc) return rc;

  show_src src = {NULL, 0, malloc(BLOCK_ROWS * sizeof(ctr_point)), cols, ncols};
  char *attrs = NULL;
  ctr_error err = {0};
  ctr_status s = src.buf ? ctr_results_reader_open(o.file, &src.r, &src.nrows,
                                                   o.csv ? NULL : &attrs, &err)
                         : ctr_fail(&err, CTR_ENOMEM, "out of memory");
  if (s != CTR_OK) {
    fprintf(stderr, "ctrate show: %s\n", err.msg);
    free(src.buf);
    free(cols);
    return s == CTR_EINPUT ? EXIT_USAGE : 1;
  }
  if (o.csv) {
    rc = print_csv(&src);
  } else {
    printable(attrs, 1);
    fputs(attrs, stdout);
    putchar('\n');
    rc = print_table(&src);
  }
  ctr_results_reader_close(src.r);
  free(attrs);
  free(src.buf);
  free(cols);
  /* A full disk or closed pipe must not look like success. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fputs("ctrate show: error writing output\n", stderr);
    return 1;
  }
  return rc;
}
