/* sweep/search_product.c: the product family of `ctrate search` (sweep/search_scale.h, theory.md
 * §9.16): every coordinate of X_0 independently 0.5 N(-m, sigma^2) + 0.5 N(m, sigma^2) (the
 * product_bimodal preset, 2^d modes) on the exact product engine (engines/product.h). The values
 * are computed exactly as `ctrate run --target product_bimodal --engine product --m M --sigma S`
 * computes them (simulate/point_exact.c's ctr_point_run_product: the same coordinate group, the
 * same engine defaults, w1 = min(E||u||, W2) as the row's w1_hi_normal), so the written command
 * reproduces them to the last bit. */
#include "sweep/search_product.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engines/product.h"

static double unit(double z) { return 0.5 * (1 + sin(z)); }

void ctr_prodfam_decode(const ctr_scale_family *f, const double *z, double *w, double *v,
                        double *m) {
  /* sigma geometric in [sqrt(v_min), sqrt(v_max)]; the variance is sigma * sigma, as the CLI
   * squares --sigma, and sqrt(sigma * sigma) == sigma in binary floating point, so the written
   * sigma (sqrt of v, %.17g) reads back to the same variance */
  double lo = sqrt(f->v_min), hi = sqrt(f->v_max), u = unit(z[1]);
  double sg = u >= 1 ? hi : fmin(lo * exp(log(hi / lo) * u), hi);
  *m = f->m_min + (f->m_max - f->m_min) * unit(z[0]);
  w[0] = w[1] = 0.5;
  v[0] = v[1] = sg * sg;
}

ctr_status ctr_prodfam_eval_d(const ctr_scale_family *f, const ctr_schedule *s, double m,
                              double var, int64_t d, int lipschitz, ctr_prodfam_point *out,
                              ctr_error *err) {
  double w[2] = {0.5, 0.5}, mu[2] = {-m, m}, v[2] = {var, var};
  ctr_product_coord c = {2, w, mu, v, d};
  ctr_product_params p;
  ctr_product_params_default(&p);
  if (f->grid_G) p.grid.G = f->grid_G;
  if (f->grid_Q) p.grid.Q = f->grid_Q;
  p.lipschitz = lipschitz;
  ctr_product_result r;
  ctr_status st = ctr_product_run(&p, s, 1, &c, &r, err);
  if (st) return st;
  out->w1 = fmin(r.gauss.l1, r.gauss.w2), out->w2 = r.gauss.w2, out->scale = r.data_scale;
  out->log10_L = lipschitz ? r.log_L / M_LN10 : NAN;
  /* as the row's disc_err: node_err is relative in E u^2, half of it times W2 in distance */
  out->disc = fmax(r.disc_max, 0.5 * r.node_err * fmax(r.gauss.w2, r.qN.w2));
  return CTR_OK;
}

typedef struct {
  const ctr_scale_family *f;
  double m, var;
  int64_t d;
} prod_file;

static void prod_body(FILE *out, const void *ctx) {
  const prod_file *p = ctx;
  fprintf(out, "# a product target has 2^d modes and no mixture file: this file is the command\n");
  fprintf(out, "# run: ctrate run --target product_bimodal --engine product --d %lld --m %.17g "
          "--sigma %.17g --N %lld --schedule %s", (long long)p->d, p->m, sqrt(p->var),
          (long long)p->f->schedule.N, ctr_schedule_kind_name(p->f->schedule.kind));
  ctr_scale_write_flags(out, p->f);
}

ctr_status ctr_prodfam_write(const ctr_scale_family *f, double m, double var, int64_t d,
                             const char *header, const char *path, ctr_error *err) {
  prod_file p = {f, m, var, d};
  return ctr_scale_write_with(path, header, prod_body, &p, err);
}
