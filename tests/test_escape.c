/* test_escape.c: core/escape.h. Every special character of each language maps to its documented
 * escape; a decoder written here (independent of the escaper's table) reads every escaped
 * random string back to the input (control characters as '?' or ' '); a cut never splits an
 * escape; and, when gnuplot is installed, gnuplot's own enhanced-text parser (svg terminal)
 * prints the escaped strings as the literal input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/escape.h"

typedef size_t (*esc_fn)(const char *, char *, size_t);

static void expect(const char *name, esc_fn f, const char *in, const char *want) {
  char buf[512];
  f(in, buf, sizeof buf);
  char detail[1400];
  snprintf(detail, sizeof detail, "'%s' -> '%s', want '%s'", in, buf, want);
  check_true(name, strcmp(buf, want) == 0, detail);
}

static size_t gp_plain(const char *s, char *b, size_t n) { return ctr_escape_gp_enhanced(s, 0, b, n); }
static size_t gp_space(const char *s, char *b, size_t n) { return ctr_escape_gp_enhanced(s, 1, b, n); }

/* ---- decoders: the inverse of each language's escaping, from its rules ------------------ */

/* LaTeX text: \X for X in {}$&#_% ; \^{} \~{}; \textbackslash{} \textless{} \textgreater{}
 * \textbar{}. Any other backslash, or a bare special, is an error (returns -1). */
static int latex_decode(const char *s, char *out) {
  static const char *const words[][2] = {{"\\textbackslash{}", "\\"}, {"\\textless{}", "<"},
                                         {"\\textgreater{}", ">"},    {"\\textbar{}", "|"},
                                         {"\\^{}", "^"},              {"\\~{}", "~"}};
  size_t k = 0;
  while (*s) {
    if (*s == '\\') {
      int hit = 0;
      for (size_t w = 0; w < sizeof words / sizeof words[0] && !hit; w++)
        if (!strncmp(s, words[w][0], strlen(words[w][0])))
          out[k++] = words[w][1][0], s += strlen(words[w][0]), hit = 1;
      if (!hit && s[1] && strchr("{}$&#_%", s[1])) out[k++] = s[1], s += 2, hit = 1;
      if (!hit) return -1;
    } else if (strchr("{}$&#^_%~<>|", *s)) {
      return -1; /* a special that LaTeX would act on */
    } else {
      out[k++] = *s++;
    }
  }
  out[k] = '\0';
  return 0;
}

/* Markdown: \X is X for the escaped set; &lt; &gt;; a bare | ` * [ ] < > is an error. */
static int md_decode(const char *s, char *out) {
  size_t k = 0;
  while (*s) {
    if (*s == '\\' && s[1] && strchr("\\|`*[]", s[1])) out[k++] = s[1], s += 2;
    else if (!strncmp(s, "&lt;", 4)) out[k++] = '<', s += 4;
    else if (!strncmp(s, "&gt;", 4)) out[k++] = '>', s += 4;
    else if (strchr("\\|`*[]<>\n\r", *s)) return -1;
    else out[k++] = *s++;
  }
  out[k] = '\0';
  return 0;
}

/* gnuplot enhanced: \X is X; a bare ^ _ @ & ~ { } \ is markup (an error); U+2223 is '|'. */
static int gp_decode(const char *s, char *out) {
  size_t k = 0;
  while (*s) {
    if (*s == '\\' && s[1] && strchr("^_@&~{}\\", s[1])) out[k++] = s[1], s += 2;
    else if (!strncmp(s, "\xe2\x88\xa3", 3)) out[k++] = '|', s += 3;
    else if (strchr("^_@&~{}\\|", *s)) return -1;
    else out[k++] = *s++;
  }
  out[k] = '\0';
  return 0;
}

/* The input as the escaper must render it: control characters replaced by CTL. */
static void expected(const char *in, char ctl, char *out) {
  for (; *in; in++) *out++ = (unsigned char)*in < 0x20 || *in == 0x7f ? ctl : *in;
  *out = '\0';
}

static void random_roundtrips(void) {
  static const char alphabet[] = "ab_{}$&#^%~\\<>|`*[]@'\"\n\r\t\x1b\x7f x1";
  srand(12345);
  int bad[3] = {0, 0, 0}, cut_bad[3] = {0, 0, 0};
  char in[64], esc[1200], dec[1200], want[64], detail[3][1300] = {"", "", ""};
  for (int t = 0; t < 20000; t++) {
    int len = rand() % 40;
    for (int i = 0; i < len; i++) in[i] = alphabet[rand() % (int)(sizeof alphabet - 1)];
    in[len] = '\0';
    for (int lang = 0; lang < 3; lang++) {
      esc_fn f = lang == 0 ? ctr_escape_latex : lang == 1 ? ctr_escape_md : gp_plain;
      int (*dfn)(const char *, char *) = lang == 0 ? latex_decode : lang == 1 ? md_decode : gp_decode;
      expected(in, lang == 1 ? ' ' : '?', want);
      size_t n = f(in, esc, sizeof esc);
      if (n != strlen(esc) || dfn(esc, dec) || strcmp(dec, want)) {
        if (!bad[lang]++) snprintf(detail[lang], sizeof detail[lang], "'%s' -> '%s'", in, esc);
      }
      /* every cut: a prefix of the whole escaped text that decodes to a prefix of the input */
      size_t cut = (size_t)(rand() % 30) + 1;
      char small[32];
      f(in, small, cut);
      if (strlen(small) >= cut || strncmp(small, esc, strlen(small)) || dfn(small, dec) ||
          strncmp(dec, want, strlen(dec)))
        cut_bad[lang]++;
    }
  }
  const char *names[3] = {"latex", "markdown", "gnuplot enhanced"};
  for (int lang = 0; lang < 3; lang++) {
    char name[160];
    snprintf(name, sizeof name, "%s: 20000 random strings of specials decode back to the input", names[lang]);
    check_true(name, !bad[lang], detail[lang]);
    snprintf(name, sizeof name, "%s: a cut output is a whole-escape prefix that decodes to a prefix", names[lang]);
    check_true(name, !cut_bad[lang], "a cut split an escape");
  }
}

/* gnuplot itself: the svg terminal writes enhanced text as <tspan>s; an escaped string must
 * come out as one literal run equal to the input (XML entities undone). */
static void gnuplot_renders_literally(void) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
    printf("ok - gnuplot renders escaped text literally # SKIP gnuplot not installed\n");
    return;
  }
  static const char *const cases[] = {"a_b^c", "x{1}@2&3~4", "back\\slash\\_", "two|keys",
                                      "{/Symbol s} ^{10}", "a\\\\b__c^^"};
  char dir[] = "/tmp/ctrate_escape.XXXXXX";
  if (!mkdtemp(dir)) return;
  int ok = 1;
  char detail[600] = "";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0] && ok; i++) {
    char esc[256], cmd[1300], svg[1200], line[1024], got[512] = "";
    ctr_escape_gp_enhanced(cases[i], 0, esc, sizeof esc);
    snprintf(svg, sizeof svg, "%s/t.svg", dir);
    /* the escaped text inside a single-quoted gnuplot string, as ctrate passes it (a script
     * file: no shell between, as ctrate's execlp has none) */
    char gp[1200];
    snprintf(gp, sizeof gp, "%s/t.gp", dir);
    FILE *g = fopen(gp, "w");
    if (!g) break;
    fprintf(g, "set terminal svg enhanced; set output '%s'\nunset border; unset tics\n"
            "set label 1 '%s' at 0,0\nplot [0:1][-1:1] 2 notitle\n", svg, esc);
    fclose(g);
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", gp);
    if (system(cmd) != 0) ok = 0, snprintf(detail, sizeof detail, "gnuplot failed on '%s'", esc);
    unlink(gp);
    FILE *f = fopen(svg, "r");
    while (ok && f && fgets(line, sizeof line, f)) {
      char *p = strstr(line, "<text>");
      if (!p) continue;
      /* the label's one <text> line: its characters without the tags, XML entities undone */
      size_t k = 0;
      for (int intag = 0; *p && k + 1 < sizeof got; p++) {
        if (*p == '<') intag = 1;
        else if (*p == '>') intag = 0;
        else if (intag || *p == '\n') continue;
        else if (!strncmp(p, "&amp;", 5)) got[k++] = '&', p += 4;
        else if (!strncmp(p, "&lt;", 4)) got[k++] = '<', p += 3;
        else if (!strncmp(p, "&gt;", 4)) got[k++] = '>', p += 3;
        else got[k++] = *p;
      }
      got[k] = '\0';
      break;
    }
    if (f) fclose(f);
    char want[256];
    snprintf(want, sizeof want, "%s", cases[i]);
    for (char *q = strchr(want, '|'); q; q = strchr(want, '|')) { /* '|' is shown as U+2223 */
      memmove(q + 3, q + 1, strlen(q + 1) + 1), memcpy(q, "\xe2\x88\xa3", 3);
    }
    if (ok && strcmp(got, want))
      ok = 0, snprintf(detail, sizeof detail, "'%s' escaped '%s' rendered '%s'", cases[i], esc, got);
    unlink(svg);
  }
  rmdir(dir);
  check_true("gnuplot (svg, enhanced) renders escaped text as the literal input", ok, detail);
}

int main(void) {
  expect("latex: each special", ctr_escape_latex, "\\{}$&#^_%~",
         "\\textbackslash{}\\{\\}\\$\\&\\#\\^{}\\_\\%\\~{}");
  expect("latex: < > | and a control character", ctr_escape_latex, "a<b>c|d\ne",
         "a\\textless{}b\\textgreater{}c\\textbar{}d?e");
  expect("latex: a command cannot get through", ctr_escape_latex, "\\immediate\\write18{rm}",
         "\\textbackslash{}immediate\\textbackslash{}write18\\{rm\\}");
  expect("gnuplot: each special", gp_plain, "^_@&~{}\\", "\\^\\_\\@\\&\\~\\{\\}\\\\");
  expect("gnuplot: '_' as a space, '|' as U+2223", gp_space, "two_modes|x", "two modes\xe2\x88\xa3x");
  expect("markdown: | and a newline", ctr_escape_md, "a|b\nc", "a\\|b c");
  expect("markdown: \\ ` * [ ] < >", ctr_escape_md, "\\`*[]<>", "\\\\\\`\\*\\[\\]&lt;&gt;");
  expect("plain line: controls", ctr_escape_line, "a\nb\x1b[2J", "a?b?[2J");
  expect("plain names are unchanged", ctr_escape_latex, "isotropic", "isotropic");
  char tiny[12];
  ctr_escape_latex("ab\\c", tiny, sizeof tiny);
  check_true("latex: a cut stops before an escape that does not fit", !strcmp(tiny, "ab"), tiny);
  random_roundtrips();
  gnuplot_renders_literally();
  return check_summary();
}
