/* analysis/figure_data.h: the numbers behind the paper figures of `ctrate plot`, one gnuplot data file per
 * figure (a header comment naming the columns, one block per curve, blocks separated by two
 * blank lines for gnuplot's `index`). Nothing is computed here that ctr_scaling_run
 * (analysis/scaling.h) does not already give: this file selects and writes. */
#ifndef CTR_ANALYSIS_FIGURE_DATA_H
#define CTR_ANALYSIS_FIGURE_DATA_H

#include <stddef.h>

#include "core/common.h"
#include "analysis/scaling.h"

enum {
  CTR_FIG_RATE_CURVE,       /* W vs N per d, 95% bars, the bound's shape with the fitted C */
  CTR_FIG_W_VS_D,           /* W vs d at the largest N and one mid N */
  CTR_FIG_NSTAR,            /* N*(d, eps) vs d per eps */
  CTR_FIG_W_VS_EPS,         /* W at the largest N vs eps per d */
  CTR_FIG_LOCAL_SLOPE,      /* local slope vs N per d, beside the bound's secant */
  CTR_FIG_GAUSS_VS_MIXTURE, /* W vs N, Gaussian and mixture targets at one d */
  CTR_NFIG
};
extern const char *const ctr_fig_names[CTR_NFIG];

/* What a figure's gnuplot script needs beside its data file. Texts come twice: gnuplot
 * enhanced text (pdf, png) and LaTeX (cairolatex); block titles are '|'-separated. */
typedef struct {
  int blocks;
  char keys_e[4096], keys_t[4096]; /* one title per block */
  char wsym_e[160], wsym_t[160];   /* the y axis: what W measures and its input */
  char why[256];                   /* when the figure is skipped: why */
  size_t left_out;                 /* usable groups of the figure's kind not drawn */
  char by[160];                    /* the columns that split curves ("" none) */
  char caption_e[400], caption_t[400]; /* a line of settings: target, schedule, engine, error,
                                         what splits the curves ('|': a line break) */
  int nfacets;                     /* panels (--facet): 0 or 1 for one plot */
  char facet_of[1024];             /* per block, its panel index (space-separated) */
  char colour_of[1024];            /* per block, its line type (colour): one per family or per
                                      value of d, N or eps, the same in every panel */
  char facets_e[1024], facets_t[1024]; /* panel titles, '|'-separated */
  char dt_of[512], pt_of[512];     /* per block, its dash and point type ("": solid, and the
                                      point type of its colour) */
  int nfirst;                      /* the first family's blocks (0 .. nfirst-1): the
                                      references of w_vs_d and nstar go through them */
  int nlegend;                     /* the legend: one entry per colour and per dash/point
                                      style, not one per block (6 families x 2 N: 8
                                      entries, not 12) */
  char legend_e[4096], legend_t[4096]; /* entry texts, '|'-separated */
  char legend_lt[256], legend_dt[256], legend_pt[256]; /* per entry: colour (0 black), dash
                                      type, point type (0: a line only) */
} ctr_fig_meta;

typedef struct {
  const ctr_scaling *s;
  const ctr_point *ref; /* first usable error-free row in input order: its family is "the
                           first family" (NULL when there is none) */
  const char *metric;   /* the metric asked for ("auto" or a column) */
  const char *by;       /* a curve (family) per value of these comma-separated columns; NULL:
                           every parameter column that varies among the groups the figure
                           draws but d, eps and N (and error in the error-free figures), so
                           every family is drawn. The figures place d, eps and N themselves. */
  const char *facet;    /* a panel per value of this column (NULL: one); every figure but
                           gauss_vs_mixture */
} ctr_plot_input;

/* Check a --by list: every name a parameter column (target .. chains of core/point.h). */
ctr_status ctr_fig_check_by(const char *by, ctr_error *err);

/* The first row of rows[0, n) (input order) with status 0, a positive finite W and no
 * injected error; NULL if none. */
const ctr_point *ctr_plot_ref_row(const ctr_point *rows, size_t n, const char *metric);

/* Write figure fig's data to path. 1: written; 0: the data do not allow the figure (meta->why
 * says why, nothing is written); -1: path cannot be written (err, CTR_EIO). */
int ctr_fig_export(int fig, const ctr_plot_input *in, const char *path, ctr_fig_meta *meta,
                   ctr_error *err);

#endif
