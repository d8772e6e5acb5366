/* sweep/param_grid.h: the parameters of a run or a sweep, as given by command-line flags, and their
 * expansion into points. `run` is a grid of exactly one point. */
#ifndef CTR_SWEEP_PARAM_GRID_H
#define CTR_SWEEP_PARAM_GRID_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "core/common.h"
#include "simulate/point_run.h"

/* A swept scalar option (c1 = [3, 4, 8], --target isotropic,geometric): its code and the
 * values as the flag would carry them, each already checked. */
typedef struct {
  int code;
  size_t n;
  char **vals;
} ctr_grid_axis;
#define CTR_GRID_MAX_AXES 24

typedef struct {
  ctr_point_spec base; /* everything not swept */
  int64_t *d, *N;
  double *eps, *diag, *sigma;
  int *engine, *error;
  size_t nd, nN, neps, nengine, nerror, ndiag, nsigma;
  int replicates;                /* 0 or 1: one replicate */
  char *cov_file, *mixture_file; /* owned copies of file names (absolute once pinned) */
  char *diag_text;               /* --diag as given, whole (the spec stores it untruncated) */
  char *cov_sha_pinned, *mix_sha_pinned; /* SHA-256 the inputs must have (spec keys), or NULL */
  char cov_sha[65], mix_sha[65]; /* SHA-256 of the inputs as read ("" before pinning) */
  ctr_text inputs;               /* the inputs' paths, digests and contents, for the result file */
  ctr_grid_axis axes[CTR_GRID_MAX_AXES]; /* other swept options, in order of first use */
  int file_d, file_K;            /* --mixture-file: its d and K (0: no file) */
  double file_sigma;             /* its common mode width, NaN when the modes differ */
  size_t naxes;
} ctr_grid;

/* Most points a grid may have: checked first by ctr_grid_check, so a plan of 10^12 points is
 * refused at once (the plan holds 24 bytes per point). */
#define CTR_GRID_MAX_POINTS 10000000

/* Largest input file (covariance, mixture) accepted, in bytes. */
#define CTR_INPUT_MAX_BYTES (256LL << 20)

/* The grid options with their value kind (meta "" for a flag, "LIST", "NAME", "FILE", or a
 * number's letter): what spec files check a setting's type against. Zero-terminated. */
typedef struct {
  const char *name;
  int code, has_arg;
  const char *meta;
} ctr_grid_option;
extern const ctr_grid_option ctr_grid_option_table[];

/* getopt_long table of the flags shared by run and sweep (terminated by a zero entry), and
 * their help text. Option codes are >= 1000. */
extern const struct option ctr_grid_options[];
void ctr_grid_help(FILE *out, int lists);

void ctr_grid_init(ctr_grid *g);
void ctr_grid_free(ctr_grid *g);

/* Apply one parsed option; CTR_EINPUT with a message on a bad value. Returns CTR_EINPUT
 * with an empty message for a code that is not a grid option. */
ctr_status ctr_grid_apply(ctr_grid *g, int code, const char *arg, ctr_error *err);

size_t ctr_grid_count(const ctr_grid *g);

/* Point i (0-based, N innermost, then d, sigma, eps, error, engine, the axes, replicate). */
void ctr_grid_point(const ctr_grid *g, size_t i, ctr_point_spec *spec);

/* Before the check: every input file the grid names (--cov-file, --mixture-file, as its target
 * needs) must be a regular file of at most CTR_INPUT_MAX_BYTES; it is hashed (SHA-256), compared
 * with the pinned digest if the spec has one (CTR_EINPUT if the contents changed), its path made
 * absolute, and its contents kept in g->inputs. A file target without its file is CTR_EINPUT. */
ctr_status ctr_grid_pin_inputs(ctr_grid *g, ctr_error *err);

/* Check every point before anything runs or any file is created: schedules for every N,
 * the target for every d (this reads covariance files), engine/error combinations. */
ctr_status ctr_grid_check(const ctr_grid *g, ctr_error *err);

/* The resolved parameters as spec text (libconfig, one key per line, every list spelled out)
 * that `ctrate sweep` reads back to the same grid: the result file's `spec` attribute, so a
 * file can re-run itself, and the identity a resumed or merged sweep is checked against.
 * malloc'ed; NULL when out of memory. */
char *ctr_grid_describe(const ctr_grid *g);

#endif
