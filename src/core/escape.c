/* core/escape.c: strings made literal for LaTeX, gnuplot enhanced text, markdown and plain
 * lines (see core/escape.h). One table-driven writer: each byte maps to its replacement. */
#include "core/escape.h"

#include <string.h>

typedef const char *(*mapper)(unsigned char c, int opt);

static int is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

/* Writes S through MAP (NULL: the byte itself), never cutting a replacement. */
static size_t escape_with(const char *s, mapper map, int opt, char *buf, size_t n) {
  size_t k = 0;
  char one[2] = {0, 0};
  for (; s && *s; s++) {
    const char *r = map((unsigned char)*s, opt);
    if (!r) one[0] = *s, r = one;
    size_t len = strlen(r);
    if (k + len + 1 > n) break;
    memcpy(buf + k, r, len), k += len;
  }
  if (n) buf[k] = '\0';
  return k;
}

static const char *latex_map(unsigned char c, int opt) {
  (void)opt;
  switch (c) {
  case '\\': return "\\textbackslash{}";
  case '{': return "\\{";
  case '}': return "\\}";
  case '$': return "\\$";
  case '&': return "\\&";
  case '#': return "\\#";
  case '^': return "\\^{}";
  case '_': return "\\_";
  case '%': return "\\%";
  case '~': return "\\~{}";
  case '<': return "\\textless{}";
  case '>': return "\\textgreater{}";
  case '|': return "\\textbar{}";
  default: return is_control(c) ? "?" : NULL;
  }
}

static const char *gp_map(unsigned char c, int underscore_space) {
  switch (c) {
  case '_': return underscore_space ? " " : "\\_";
  case '^': return "\\^";
  case '@': return "\\@";
  case '&': return "\\&";
  case '~': return "\\~";
  case '{': return "\\{";
  case '}': return "\\}";
  case '\\': return "\\\\";
  case '|': return "\xe2\x88\xa3";
  default: return is_control(c) ? "?" : NULL;
  }
}

static const char *md_map(unsigned char c, int opt) {
  (void)opt;
  switch (c) {
  case '\\': return "\\\\";
  case '|': return "\\|";
  case '`': return "\\`";
  case '*': return "\\*";
  case '[': return "\\[";
  case ']': return "\\]";
  case '<': return "&lt;";
  case '>': return "&gt;";
  default: return is_control(c) ? " " : NULL;
  }
}

static const char *line_map(unsigned char c, int opt) {
  (void)opt;
  return is_control(c) ? "?" : NULL;
}

size_t ctr_escape_latex(const char *s, char *buf, size_t n) {
  return escape_with(s, latex_map, 0, buf, n);
}

size_t ctr_escape_gp_enhanced(const char *s, int underscore_space, char *buf, size_t n) {
  return escape_with(s, gp_map, underscore_space, buf, n);
}

size_t ctr_escape_md(const char *s, char *buf, size_t n) { return escape_with(s, md_map, 0, buf, n); }

size_t ctr_escape_line(const char *s, char *buf, size_t n) {
  return escape_with(s, line_map, 0, buf, n);
}
