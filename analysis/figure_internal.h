/* analysis/figure_internal.h: what figure_data.c (the figures and their files) and figure_keys.c
 * (which groups make the curves, and their keys and caption) share (not public). */
#ifndef CTR_ANALYSIS_FIGURE_INTERNAL_H
#define CTR_ANALYSIS_FIGURE_INTERNAL_H

#include "analysis/figure_data.h"

#include <stdio.h>

typedef const ctr_scaling_group grp;
enum { MAXC = 64 }; /* curves (blocks) per figure */

/* figure_keys.c, curves by parameter columns: the --by (and --facet) columns for figure fig,
 * named in m->by; how many there are. */
void ctr_fig_set_by(const ctr_plot_input *in, ctr_fig_meta *m, int fig);
int ctr_fig_nby(void);
/* Groups of ref's family (eps too unless skip_eps; with use_by, any values of the --by
 * columns) that keep(g) accepts, sorted by eps, then by d, at most one per (d, eps, by). */
size_t ctr_fig_family_by(const ctr_scaling *s, const ctr_point *ref, int skip_eps,
                         int (*keep)(grp *), size_t *idx, int use_by);
size_t ctr_fig_family(const ctr_scaling *s, const ctr_point *ref, int skip_eps, int (*keep)(grp *),
                      size_t *idx);
/* Groups keep() accepts that idx[0..n) does not hold: what the figure leaves out. */
int ctr_fig_same_by(const ctr_point *a, const ctr_point *b); /* alike in every --by column */
int ctr_fig_errfree(const ctr_point *r);                      /* eps = 0 or error none */
int ctr_fig_keep_clean(grp *g);                               /* an error-free group */
int ctr_fig_keep_err(grp *g);                                 /* a group with eps > 0 */
size_t ctr_fig_left_out(const ctr_scaling *s, int (*keep)(grp *), const size_t *idx, size_t n);

/* figure_keys.c, text: a name with '_' as gnuplot (tex = 0) or LaTeX (tex = 1) text; curve keys
 * appended to m (keys_e/keys_t, colours, panels); W's axis name; the caption. */
void ctr_fig_name_txt(const char *s, int tex, char *buf, size_t n);
void ctr_fig_add_key(ctr_fig_meta *m, const char *e, const char *t);
void ctr_fig_key_d(ctr_fig_meta *m, int d);
void ctr_fig_key_group(ctr_fig_meta *m, grp *g, int with_d);
/* A family's --by values as text (d too with with_d); its panel (--facet; 0 without). */
void ctr_fig_group_text(grp *g, int with_d, char *e, char *t, size_t n);
int ctr_fig_panel(ctr_fig_meta *m, grp *g);
/* Two --by columns or more, one d: the column with most values (colour) apart from the others
 * (dash): its index (-1: fewer than two shown), and a group's words split that way. */
int ctr_fig_split_col(const ctr_scaling *s, const size_t *gi, int n);
void ctr_fig_group_text_split(grp *g, int k, char *e1, char *t1, char *e2, char *t2, size_t n);
/* Styles: the point type of colour c; a block's panel, colour, dash and point type; a legend
 * entry (lt 0: black; pt 0: a line only); the legend from the block keys when none is set. */
int ctr_fig_pt(int c);
void ctr_fig_block_style(ctr_fig_meta *m, int panel, int lt, int dt, int pt);
void ctr_fig_legend_add(ctr_fig_meta *m, const char *e, const char *t, int lt, int dt, int pt);
void ctr_fig_legend_from_keys(ctr_fig_meta *m);
int ctr_fig_several_d(const ctr_scaling *s, const size_t *idx, size_t n);
/* figure_vs.c: the figures of a quantity versus d or eps, a curve per family and N, eps or d */
int ctr_fig_w_vs_d(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err);
int ctr_fig_nstar(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err);
void ctr_fig_factor_d(ctr_fig_meta *m, const ctr_scaling *s, const size_t *gi, int nb);
int ctr_fig_in_by(const char *name); /* figure_keys.c: name is a --by (or --facet) column */
int ctr_fig_w_vs_eps(const ctr_plot_input *in, const char *path, ctr_fig_meta *m, ctr_error *err);
void ctr_fig_key_num(ctr_fig_meta *m, const char *sym_e, const char *sym_t, double x);
void ctr_fig_num_txt(const char *sym_e, const char *sym_t, double x, char *e, char *t, size_t n);
void ctr_fig_by_line(FILE *f, grp *g);
void ctr_fig_wsym(const char *metric, ctr_fig_meta *m);
void ctr_fig_caption(ctr_fig_meta *m, const ctr_point *r, int fig);

/* figure_data.c, files: a data file with its header (and the block layout line); closing it
 * (1, or -1 with err); a new block titled title; W's columns W W_lo W_hi replicates of group
 * g at its k-th N; a skipped figure's reason (0). */
FILE *ctr_fig_open_dat(const char *path, ctr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ctr_fig_close_dat(FILE *f, const char *path, ctr_error *err);
void ctr_fig_block(FILE *f, ctr_fig_meta *m, const char *title);
void ctr_fig_wcols(FILE *f, grp *g, size_t k);
int ctr_fig_skip(ctr_fig_meta *m, const char *why);
/* W_lo and W_hi in every file that has them: the 95% t-interval over replicates. */
#define WLOHI "# W_lo, W_hi: 95%% t-interval of W over replicates (NaN with one replicate)\n"

#endif
