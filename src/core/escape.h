/* core/escape.h: arbitrary strings (target names, labels, paths, attributes read from a result
 * file) made safe and literal for the language they are written into.
 *
 * Each function writes the escaped form of S into BUF (size N >= 1, always NUL-terminated) and
 * returns the length it wrote. Output that does not fit is cut before the escape sequence that
 * would overflow, never inside one, so a cut string is still valid text of its language.
 * Control characters (0x00-0x1f, 0x7f; newlines included) are written as '?' (markdown: a space):
 * a name is one line of text, never a line break into the document. */
#ifndef CTR_CORE_ESCAPE_H
#define CTR_CORE_ESCAPE_H

#include <stddef.h>

/* LaTeX text mode: \ { } $ & # ^ _ % ~ become \textbackslash{} \{ \} \$ \& \# \^{} \_ \% \~{};
 * < > | become \textless{} \textgreater{} \textbar{} (OT1 fonts print other glyphs for them). */
size_t ctr_escape_latex(const char *s, char *buf, size_t n);

/* gnuplot enhanced text (the pdf and png terminals): ^ _ @ & ~ { } \ are escaped with a
 * backslash; with UNDERSCORE_SPACE '_' is written as a space instead (two_modes -> "two modes").
 * '|' separates the keys ctrate hands to its gnuplot scripts, so it is written as U+2223 (the
 * "divides" bar). The result goes inside a single-quoted gnuplot string, whose quote the caller
 * doubles (cmd_plot's gp_str). */
size_t ctr_escape_gp_enhanced(const char *s, int underscore_space, char *buf, size_t n);

/* Markdown table cell or inline text: \ | ` * [ ] < > are escaped with a backslash (< and > as
 * &lt; &gt;), control characters and newlines become spaces. */
size_t ctr_escape_md(const char *s, char *buf, size_t n);

/* One line of a plain-text file (a comment line of a gnuplot data file): control characters
 * become '?'. */
size_t ctr_escape_line(const char *s, char *buf, size_t n);

#endif
