/* Spec files: each libconfig setting becomes the text its flag would take, then goes through
 * ctr_grid_apply, so the spec and the command line share one parser and one set of ranges. */
#include "sweep/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <libconfig.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTR_SPEC_MAX_BYTES (16 << 20)

enum { KIND_FLAG, KIND_LIST, KIND_NUMBER, KIND_TEXT };

static int option_kind(const ctr_grid_option *o) {
  if (!o->has_arg) return KIND_FLAG;
  if (!strcmp(o->meta, "LIST") || !strcmp(o->meta, "V1,V2,..")) return KIND_LIST;
  if (!strcmp(o->meta, "NAME") || !strcmp(o->meta, "FILE") || !strcmp(o->meta, "HEX")) return KIND_TEXT;
  return KIND_NUMBER;
}

static size_t edit_distance(const char *a, const char *b) {
  size_t n = strlen(b), row[64], prev;
  if (n >= 64) return 64;
  for (size_t j = 0; j <= n; j++) row[j] = j;
  for (size_t i = 1; a[i - 1]; i++) {
    prev = row[0], row[0] = i;
    for (size_t j = 1; j <= n; j++) {
      size_t sub = prev + (a[i - 1] != b[j - 1]), del = row[j] + 1, ins = row[j - 1] + 1;
      prev = row[j];
      row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
  }
  return row[n];
}

static const char *nearest_key(const char *key) {
  const char *best = "output";
  size_t dbest = edit_distance(key, best);
  for (const ctr_grid_option *o = ctr_grid_option_table; o->name; o++) {
    size_t dist = edit_distance(key, o->name);
    if (dist < dbest) dbest = dist, best = o->name;
  }
  return best;
}

/* A scalar setting appended as the text a flag would carry (no length limit: a spec string is
 * never truncated); 0 if it is not a number or a string. */
static int scalar_text(const config_setting_t *s, ctr_text *b) {
  switch (config_setting_type(s)) {
  case CONFIG_TYPE_INT: ctr_text_add(b, "%d", config_setting_get_int(s)); return 1;
  case CONFIG_TYPE_INT64: ctr_text_add(b, "%lld", config_setting_get_int64(s)); return 1;
  case CONFIG_TYPE_FLOAT: ctr_text_add(b, "%.17g", config_setting_get_float(s)); return 1;
  case CONFIG_TYPE_STRING: ctr_text_add(b, "%s", config_setting_get_string(s)); return 1;
  }
  return 0;
}

static const char *type_name(int type) {
  static const char *const names[] = {"nothing", "a group", "an integer", "an integer",
                                      "a number", "a string", "a boolean", "an array", "a list"};
  return type >= 0 && type <= CONFIG_TYPE_LIST ? names[type] : "unknown";
}

/* The flag text of setting S for option O (a list becomes "a,b,c"). */
static ctr_status setting_text(const config_setting_t *s, const ctr_grid_option *o, ctr_text *buf,
                               const char *where, ctr_error *err) {
  int kind = option_kind(o), type = config_setting_type(s);
  static const char *const wanted[] = {"true or false", "a list [a, b, ...] or a string",
                                       "a number or a list [a, b, ...]",
                                       "a string or a list [\"a\", \"b\", ...]"};
  int many = (config_setting_is_array(s) || config_setting_is_list(s)) && strcmp(o->meta, "FILE");
  int ok = (kind == KIND_FLAG && type == CONFIG_TYPE_BOOL) ||
           (kind == KIND_NUMBER && (config_setting_is_number(s) || many)) ||
           (kind == KIND_TEXT && (type == CONFIG_TYPE_STRING || many)) ||
           (kind == KIND_LIST && (config_setting_is_scalar(s) || config_setting_is_array(s) ||
                                  config_setting_is_list(s)) && type != CONFIG_TYPE_BOOL);
  if (!ok)
    return ctr_fail(err, CTR_EINPUT, "%s: %s must be %s, not %s", where, o->name, wanted[kind],
                    type_name(type));
  if (kind == KIND_FLAG) return ctr_text_add(buf, "%d", config_setting_get_bool(s)), CTR_OK;
  if (config_setting_is_scalar(s)) return scalar_text(s, buf), CTR_OK;
  int n = config_setting_length(s);
  if (n == 0)
    return ctr_fail(err, CTR_EINPUT, "%s: %s is an empty list (the sweep would have no points)",
                    where, o->name);
  for (int i = 0; i < n; i++) {
    const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
    if (i) ctr_text_add(buf, ",");
    if (!scalar_text(e, buf))
      return ctr_fail(err, CTR_EINPUT, "%s: %s: element %d is %s (accepted: numbers or strings)",
                      where, o->name, i + 1, type_name(config_setting_type(e)));
  }
  return CTR_OK;
}

static ctr_status apply_setting(const config_setting_t *s, const char *name, ctr_grid *g,
                                char **output, ctr_error *err) {
  const char *key = config_setting_name(s);
  char where[600];
  snprintf(where, sizeof where, "%.560s%s:%u", name, strlen(name) > 560 ? "..." : "",
           config_setting_source_line(s)); /* a message only */
  if (!strcmp(key, "output")) {
    if (config_setting_type(s) != CONFIG_TYPE_STRING)
      return ctr_fail(err, CTR_EINPUT, "%s: output must be a string (a file name), not %s", where,
                      type_name(config_setting_type(s)));
    if (output) free(*output), *output = strdup(config_setting_get_string(s));
    return CTR_OK;
  }
  const ctr_grid_option *o = ctr_grid_option_table;
  while (o->name && strcmp(o->name, key)) o++;
  if (!o->name)
    return ctr_fail(err, CTR_EINPUT, "%s: unknown key '%s' (did you mean '%s'? see ctrate sweep "
                    "--help for every key)", where, key, nearest_key(key));
  ctr_text text = {0};
  ctr_status st = setting_text(s, o, &text, where, err);
  if (!st && (text.oom || !text.p)) st = ctr_fail(err, CTR_ENOMEM, "%s: out of memory", where);
  if (st || (option_kind(o) == KIND_FLAG && !strcmp(text.p, "0"))) return free(text.p), st;
  st = ctr_grid_apply(g, o->code, text.p, err);
  free(text.p);
  if (st != CTR_OK) {
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    return ctr_fail(err, st, "%s: %s: %s", where, key, msg);
  }
  return CTR_OK;
}

static ctr_status apply_config(config_t *c, const char *name, ctr_grid *g, char **output,
                               ctr_error *err) {
  config_setting_t *root = config_root_setting(c);
  int n = config_setting_length(root);
  for (int i = 0; i < n; i++) {
    ctr_status st = apply_setting(config_setting_get_elem(root, (unsigned)i), name, g, output, err);
    if (st) return st;
  }
  return CTR_OK;
}

static ctr_status parse_error(config_t *c, const char *name, ctr_error *err) {
  const char *why = config_error_text(c);
  const char *file = config_error_file(c); /* an @include'd file, when the error is there */
  if (file && *file) name = file;
  const char *hint = why && strstr(why, "mismatched element type")
                         ? " (an array [..] holds one type: numbers or strings, not both)"
                         : "";
  return ctr_fail(err, CTR_EINPUT, "%s:%d: syntax error: %s%s", name, config_error_line(c),
                  why ? why : "unreadable", hint);
}

/* TEXT with every integer literal inside [..] written as a float ("0" -> "0.0"), so that
 * libconfig reads eps = [0, 1e-3] (an array holds one type). Line numbers are kept.
 * malloc'ed; NULL when out of memory. */
static char *floats_in_arrays(const char *text) {
  size_t n = strlen(text);
  char *out = malloc(3 * n + 1), *o = out;
  int depth = 0;
  if (!out) return NULL;
  for (const char *p = text; *p;) {
    if (*p == '"') { /* a string, escapes included */
      *o++ = *p++;
      while (*p && *p != '"') {
        if (*p == '\\' && p[1]) *o++ = *p++;
        *o++ = *p++;
      }
      if (*p) *o++ = *p++;
    } else if (*p == '#' || (*p == '/' && p[1] == '/')) {
      while (*p && *p != '\n') *o++ = *p++;
    } else if (*p == '/' && p[1] == '*') {
      const char *e = strstr(p + 2, "*/");
      size_t len = e ? (size_t)(e + 2 - p) : strlen(p);
      memcpy(o, p, len), o += len, p += len;
    } else if (depth && (isalnum((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.')) {
      const char *q = p + 1; /* a whole token: 1e-3, 0x1F, 10L, -2 */
      while (isalnum((unsigned char)*q) || *q == '.' || ((*q == '-' || *q == '+') && strchr("eE", q[-1])))
        q++;
      size_t digits = strspn(p + (*p == '-' || *p == '+'), "0123456789");
      memcpy(o, p, (size_t)(q - p)), o += q - p;
      if (digits && digits == (size_t)(q - p) - (*p == '-' || *p == '+')) *o++ = '.', *o++ = '0';
      p = q;
    } else {
      depth += (*p == '[') - (*p == ']');
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

static int mixed_array(config_t *c) {
  const char *why = config_error_text(c);
  return why && strstr(why, "mismatched element type");
}

ctr_status ctr_spec_load_text(const char *name, const char *text, ctr_grid *g, char **output,
                              ctr_error *err) {
  config_t c;
  config_init(&c);
  int ok = config_read_string(&c, text) == CONFIG_TRUE;
  if (!ok && mixed_array(&c)) { /* retry with the integers of arrays as floats */
    char *fixed = floats_in_arrays(text);
    config_destroy(&c), config_init(&c);
    ok = fixed && config_read_string(&c, fixed) == CONFIG_TRUE;
    free(fixed);
  }
  ctr_status st = ok ? apply_config(&c, name, g, output, err) : parse_error(&c, name, err);
  config_destroy(&c);
  return st;
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long n = -1;
  if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
      (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
    buf[n] = '\0';
  else
    free(buf), buf = NULL;
  if (f) fclose(f);
  return buf;
}

ctr_status ctr_spec_load_file(const char *path, ctr_grid *g, char **output, ctr_error *err) {
  struct stat sb;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block the open */
  if (fd < 0) return ctr_fail(err, CTR_EINPUT, "%s: cannot read the spec file (%s)", path, strerror(errno));
  int bad = fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > CTR_SPEC_MAX_BYTES;
  close(fd);
  if (bad)
    return ctr_fail(err, CTR_EINPUT, "%s: not a spec file (accepted: a regular file of at most %d "
                    "bytes)", path, CTR_SPEC_MAX_BYTES);
  config_t c;
  config_init(&c);
  char *dir = strdup(path), *base = dir ? dirname(dir) : NULL; /* @include is relative to it */
  if (base) config_set_include_dir(&c, base);
  int ok = config_read_file(&c, path) == CONFIG_TRUE;
  if (!ok && mixed_array(&c)) { /* eps = [0, 1e-3]: read again with the integers as floats */
    char *text = read_text(path);
    config_destroy(&c);
    if (text) {
      ctr_status st = ctr_spec_load_text(path, text, g, output, err);
      return free(text), free(dir), st;
    }
    config_init(&c);
    if (base) config_set_include_dir(&c, base);
    ok = config_read_file(&c, path) == CONFIG_TRUE;
  }
  ctr_status st = ok ? apply_config(&c, path, g, output, err) : parse_error(&c, path, err);
  config_destroy(&c);
  free(dir);
  return st;
}
