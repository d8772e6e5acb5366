/* sweep/grid_describe.c: ctr_grid_describe (sweep/param_grid.h), the grid as libconfig text:
 * every option at its resolved value, swept options as lists, doubles bit for bit. A result
 * file stores it as its spec, so reading it back must give the same grid. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "engines/learned_features.h"
#include "sweep/param_grid.h"

/* A double that libconfig reads back as a float, bit for bit. */
static void add_float(ctr_text *t, double v) {
  char b[64];
  snprintf(b, sizeof b, "%.17g", v);
  ctr_text_add(t, "%s%s", b, strpbrk(b, ".en") ? "" : ".0");
}

static void add_string(ctr_text *t, const char *key, const char *v) {
  ctr_text_add(t, "%s = \"", key);
  for (const char *c = v; *c; c++) ctr_text_add(t, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
  ctr_text_add(t, "\";\n");
}

static void add_number(ctr_text *t, const char *key, double v) {
  ctr_text_add(t, "%s = ", key);
  add_float(t, v);
  ctr_text_add(t, ";\n");
}

static void add_floats(ctr_text *t, const char *key, const double *v, size_t n, double dflt) {
  ctr_text_add(t, "%s = [", key);
  for (size_t i = 0; i < (n ? n : 1); i++) ctr_text_add(t, "%s", i ? ", " : ""), add_float(t, n ? v[i] : dflt);
  ctr_text_add(t, "];\n");
}

static void add_ints(ctr_text *t, const char *key, const int64_t *v, size_t n, int64_t dflt) {
  ctr_text_add(t, "%s = [", key);
  for (size_t i = 0; i < (n ? n : 1); i++)
    ctr_text_add(t, "%s%lld", i ? ", " : "", (long long)(n ? v[i] : dflt));
  ctr_text_add(t, "];\n");
}

static void add_names(ctr_text *t, const char *key, const int *v, size_t n, int dflt,
                      const char *(*namer)(int)) {
  ctr_text_add(t, "%s = [", key);
  for (size_t i = 0; i < (n ? n : 1); i++) ctr_text_add(t, "%s\"%s\"", i ? ", " : "", namer(n ? v[i] : dflt));
  ctr_text_add(t, "];\n");
}

static const char *engine_namer(int k) { return ctr_engine_name((ctr_engine_kind)k); }
static const char *error_namer(int k) { return ctr_errmodel_name((ctr_errmodel_kind)k); }

static void describe_mixture(const ctr_grid *g, ctr_text *t) {
  const ctr_point_spec *b = &g->base;
  const ctr_mixture_params *mp = &b->mixture;
  ctr_text_add(t, "K = %d;\n", mp->K);
  if (mp->kind != CTR_MIXTURE_FILE) add_floats(t, "sigma", g->sigma, g->nsigma, mp->sigma);
  add_number(t, "m", mp->m);
  add_number(t, "radius", mp->radius);
  if (mp->radius_growing) ctr_text_add(t, "radius-growing = true;\n");
  if (mp->file) add_string(t, "mixture-file", mp->file);
  if (mp->file && g->mix_sha[0]) add_string(t, "mixture-file-sha256", g->mix_sha);
  ctr_text_add(t, "points = %d;\nchains = %d;\nlip-points = %d;\nsample-n = %d;\n", b->points, b->chains,
      b->lip_points, b->sample_n);
}

static void describe_target(const ctr_grid *g, ctr_text *t) {
  const ctr_target_params *tp = &g->base.target;
  if (g->ndiag) add_string(t, "diag", g->diag_text ? g->diag_text : "");
  else add_ints(t, "d", g->d, g->nd, tp->d);
  if (tp->kind == CTR_TARGET_FILE && tp->cov_file) add_string(t, "cov-file", tp->cov_file);
  if (tp->kind == CTR_TARGET_FILE && g->cov_sha[0]) add_string(t, "cov-file-sha256", g->cov_sha);
  add_number(t, "lambda", tp->lambda);
  add_number(t, "lambda-min", tp->lambda_min);
  add_number(t, "lambda-max", tp->lambda_max);
  if (tp->rotate) ctr_text_add(t, "rotate = true;\n");
  add_number(t, "mean-norm", tp->mean_norm);
  ctr_text_add(t, "seed = %lld%s;\n", (long long)tp->seed, tp->seed > 2147483647ull ? "L" : "");
  ctr_text_add(t, "replicates = %d;\n", g->replicates > 1 ? g->replicates : 1);
}

static const ctr_grid_option *option_of(int code) {
  const ctr_grid_option *o = ctr_grid_option_table;
  while (o->name && o->code != code) o++;
  return o;
}

static void add_axis(ctr_text *t, const ctr_grid_axis *ax) {
  const ctr_grid_option *o = option_of(ax->code);
  ctr_error quiet;
  int64_t k;
  ctr_text_add(t, "%s = [", o->name);
  for (size_t i = 0; i < ax->n; i++) {
    ctr_text_add(t, "%s", i ? ", " : "");
    if (!strcmp(o->meta, "NAME")) ctr_text_add(t, "\"%s\"", ax->vals[i]);
    else if (!strcmp(o->meta, "X")) add_float(t, strtod(ax->vals[i], NULL));
    else ctr_arg_int(o->name, ax->vals[i], INT64_MIN, INT64_MAX, &k, &quiet), ctr_text_add(t, "%lld", (long long)k);
  }
  ctr_text_add(t, "];\n");
}

/* The description with each swept option's line replaced by its list (appended if absent). */
static void add_with_axes(ctr_text *t, const ctr_grid *g, const char *text) {
  int done[CTR_GRID_MAX_AXES] = {0};
  for (const char *line = text; *line;) {
    const char *end = strchr(line, '\n'), *eq = strstr(line, " = ");
    size_t len = end ? (size_t)(end - line + 1) : strlen(line), a = 0;
    while (eq && eq < line + len && a < g->naxes &&
           (strlen(option_of(g->axes[a].code)->name) != (size_t)(eq - line) ||
            strncmp(option_of(g->axes[a].code)->name, line, (size_t)(eq - line))))
      a++;
    if (eq && eq < line + len && a < g->naxes) add_axis(t, &g->axes[a]), done[a] = 1;
    else ctr_text_add(t, "%.*s", (int)len, line);
    line += len;
  }
  for (size_t a = 0; a < g->naxes; a++)
    if (!done[a]) add_axis(t, &g->axes[a]);
}

char *ctr_grid_describe(const ctr_grid *g) {
  const ctr_point_spec *b = &g->base;
  const ctr_schedule_params *s = &b->schedule;
  ctr_text t = {0};
  add_string(&t, "target",
             b->is_mixture ? ctr_mixture_preset_name(b->mixture.kind) : ctr_target_kind_name(b->target.kind));
  if (b->is_mixture) describe_mixture(g, &t);
  describe_target(g, &t);
  add_ints(&t, "N", g->N, g->nN, s->N);
  add_string(&t, "schedule", ctr_schedule_kind_name(s->kind));
  add_number(&t, "c0", s->c0);
  add_number(&t, "c1", s->c1);
  add_number(&t, "beta-min", s->beta_min);
  add_number(&t, "beta-max", s->beta_max);
  add_number(&t, "cosine-s", s->cosine_s);
  if (s->kind == CTR_SCHED_KARRAS || s->kind == CTR_SCHED_CURRICULUM) {
    add_number(&t, "rho", s->rho);
    add_number(&t, "sigma-min", s->sigma_min);
    add_number(&t, "sigma-max", s->sigma_max);
  }
  if (s->kind == CTR_SCHED_CURRICULUM) ctr_text_add(&t, "curriculum-n0 = %lld;\n", (long long)s->curriculum_n0);
  add_names(&t, "engine", g->engine, g->nengine,
            b->is_mixture ? CTR_ENGINE_CHAIN : b->engine.engine, engine_namer);
  add_names(&t, "error", g->error, g->nerror, b->engine.error.kind, error_namer);
  add_floats(&t, "eps", g->eps, g->neps, b->engine.error.eps);
  if (b->engine.force_full) ctr_text_add(&t, "full = true;\n");
  ctr_text_add(&t, "probes = %d;\n", b->engine.probes > 0 ? b->engine.probes : 128);
  /* The learned keys only when learned runs: printed otherwise, a resolved spec would not be
   * a fixed point of describe (fuzz_spec's property), and specs would carry unused keys. */
  int learned = b->engine.engine == CTR_ENGINE_LEARNED;
  for (size_t i = 0; i < g->nengine; i++) learned |= g->engine[i] == CTR_ENGINE_LEARNED;
  if (learned) {
    ctr_text_add(&t, "train-n = %lld;\n", (long long)b->learned.train_n);
    add_string(&t, "sample-mode", ctr_learned_mode_name(b->learned.mode));
    if (b->learned.sampler)
      add_string(&t, "train-sampler", ctr_learned_sampler_name(b->learned.sampler));
    add_number(&t, "ridge", b->learned.ridge);
    if (b->learned.degree) ctr_text_add(&t, "degree = %d;\n", b->learned.degree);
    if (b->learned.features) {
      add_string(&t, "features", ctr_lfeat_kind_name((ctr_lfeat_kind)b->learned.features));
      ctr_text_add(&t, "M = %d;\n", b->learned.n_features);
      add_number(&t, "bandwidth", b->learned.bandwidth);
      add_number(&t, "width", b->learned.width);
      add_string(&t, "centres", ctr_lfeat_centres_name((ctr_lfeat_centres)b->learned.centres));
    }
  }
  if (b->grid_G) ctr_text_add(&t, "grid-points = %d;\n", b->grid_G);
  if (b->grid_Q) ctr_text_add(&t, "hermite = %d;\n", b->grid_Q);
  if (b->plane_cells >= 0) ctr_text_add(&t, "plane-cells = %d;\n", b->plane_cells); /* 0 too */
  if (g->naxes && !t.oom) {
    ctr_text swept = {0};
    add_with_axes(&swept, g, t.p);
    free(t.p), t = swept;
  }
  if (t.oom) free(t.p), t.p = NULL;
  return t.p;
}
