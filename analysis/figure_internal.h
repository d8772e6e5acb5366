/* analysis/figure_internal.h: what figure_data.c (the figures and their files) and figure_keys.c
 * (which groups make the curves, and their keys and caption) share (not public). */
#ifndef CTR_ANALYSIS_FIGURE_INTERNAL_H
#define CTR_ANALYSIS_FIGURE_INTERNAL_H

#include "analysis/figure_data.h"

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
size_t ctr_fig_left_out(const ctr_scaling *s, int (*keep)(grp *), const size_t *idx, size_t n);

/* figure_keys.c, text: a name with '_' as gnuplot (tex = 0) or LaTeX (tex = 1) text; curve keys
 * appended to m (keys_e/keys_t, colours, panels); W's axis name; the caption. */
void ctr_fig_name_txt(const char *s, int tex, char *buf, size_t n);
void ctr_fig_add_key(ctr_fig_meta *m, const char *e, const char *t);
void ctr_fig_key_d(ctr_fig_meta *m, int d);
void ctr_fig_key_group(ctr_fig_meta *m, grp *g, int with_d);
int ctr_fig_several_d(const ctr_scaling *s, const size_t *idx, size_t n);
void ctr_fig_key_num(ctr_fig_meta *m, const char *sym_e, const char *sym_t, double x);
void ctr_fig_wsym(const char *metric, ctr_fig_meta *m);
void ctr_fig_caption(ctr_fig_meta *m, const ctr_point *r, int fig);

#endif
