/* core/parse.h: strict parsing of command-line values. Every failure fills a ctr_error naming
 * the option, the text given and the accepted range, so the CLI can exit 2. */
#ifndef CTR_CORE_PARSE_H
#define CTR_CORE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

/* A finite double in [lo, hi]. */
ctr_status ctr_arg_double(const char *opt, const char *text, double lo, double hi, double *out,
                          ctr_error *err);

/* An integer in [lo, hi]; "1e6" is accepted when it is integral. */
ctr_status ctr_arg_int(const char *opt, const char *text, int64_t lo, int64_t hi, int64_t *out,
                       ctr_error *err);

/* A list of values: "a,b,c" or a log range "lo:hi:count" (count values log-spaced from lo to
 * hi inclusive; integer lists are rounded and de-duplicated). *out is malloc'ed. */
ctr_status ctr_arg_double_list(const char *opt, const char *text, double lo, double hi,
                               double **out, size_t *n, ctr_error *err);
ctr_status ctr_arg_int_list(const char *opt, const char *text, int64_t lo, int64_t hi,
                            int64_t **out, size_t *n, ctr_error *err);

/* Comma-separated names, each checked by parse(name, &index, err); *out malloc'ed. */
ctr_status ctr_arg_name_list(const char *opt, const char *text,
                             ctr_status (*parse)(const char *, int *, ctr_error *), int **out,
                             size_t *n, ctr_error *err);

#endif
