#include "sweep/sweep_loop.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "store/safe_output.h"

/* ---- signals --------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;

static void say(const char *s) {
  ssize_t rc = write(2, s, strlen(s));
  (void)rc;
}

static void on_signal(int sig) {
  if (stop_signal) {
    say("\nctrate sweep: second signal: abandoning the points in flight (every finished point is "
        "saved; --resume continues)\n");
    ctr_tmp_discard_live(); /* a checkpoint cut short leaves no temporary behind */
    _exit(1);
  }
  stop_signal = sig;
  say("\nctrate sweep: stopping: finishing the points in flight (signal again to abandon them)\n");
}

/* On: our handler, keeping the dispositions it replaced; off: those again (the caller's
 * deferral during the final save, with no moment of the default action between). */
static void handle_signals(int on) {
  static struct sigaction old[3];
  static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; i++) sigaction(sigs[i], on ? &sa : &old[i], on ? &old[i] : NULL);
}

/* ---- progress -------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int finished, tty;
  const ctr_sweep_run_opts *o;
  const ctr_grid *g;
  size_t todo, done, nthreads;
  double cost_todo, cost_done, t0;
  int64_t *inflight; /* point id per thread, -1 when idle */
  double *started;
} progress;

static void clock_text(double s, char *buf, size_t n) {
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress_line(progress *p) {
  double now = omp_get_wtime(), el = now - p->t0, slow = 0;
  int64_t slow_id = -1;
  for (size_t i = 0; i < p->nthreads; i++)
    if (p->inflight[i] >= 0 && now - p->started[i] > slow) slow = now - p->started[i], slow_id = p->inflight[i];
  char e[32], eta[32] = "?", sl[160] = "";
  clock_text(el, e, sizeof e);
  if (p->cost_done > 0) clock_text(el * (p->cost_todo - p->cost_done) / p->cost_done, eta, sizeof eta);
  if (slow_id >= 0) {
    ctr_point_spec s;
    ctr_grid_point(p->g, (size_t)slow_id, &s);
    snprintf(sl, sizeof sl, ", slowest #%lld (%s d=%d N=%lld) %.1f s", (long long)slow_id,
             ctr_engine_name(s.engine.engine), s.target.d, (long long)s.schedule.N, slow);
  }
  fprintf(stderr, "%s  %zu/%zu points, %.3g/s, %s elapsed, ETA %s%s%s", p->tty ? "\r" : "",
          p->done, p->todo, el > 0 ? (double)p->done / el : 0.0, e, eta, sl,
          p->tty ? "\033[K" : "\n");
  fflush(stderr);
}

static void *progress_thread(void *arg) {
  progress *p = arg;
  double every = p->tty ? 0.5 : p->o->progress_every;
  pthread_mutex_lock(&p->lock);
  while (!p->finished) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    double at = (double)t.tv_nsec * 1e-9 + every;
    t.tv_sec += (time_t)floor(at), t.tv_nsec = (long)((at - floor(at)) * 1e9);
    pthread_cond_timedwait(&p->wake, &p->lock, &t);
    if (!p->finished) progress_line(p);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

/* ---- the run --------------------------------------------------------------- */

static void run_one(const ctr_grid *g, const ctr_plan *plan, size_t k, ctr_store *store,
                    ctr_point *rows_out, progress *pr, ctr_sweep_outcome *out) {
  int tid = omp_get_thread_num();
  size_t id = plan->ids[k];
  pthread_mutex_lock(&pr->lock);
  pr->inflight[tid] = (int64_t)id, pr->started[tid] = omp_get_wtime();
  pthread_mutex_unlock(&pr->lock);
  ctr_point_spec spec;
  ctr_point row;
  ctr_error err = {0};
  ctr_grid_point(g, id, &spec);
  ctr_status st = ctr_point_run(&spec, (int64_t)id, &row, &err);
#pragma omp critical(ctr_sweep_store)
  {
    ctr_error werr = {0};
    if (st) out->failed++, fprintf(stderr, "%sctrate sweep: point %zu: %s\n", pr->tty ? "\n" : "", id, err.msg);
    if (rows_out) rows_out[k] = row;
    if (store && !out->write_failed && ctr_store_add(store, &row, &werr)) {
      out->write_failed = 1, stop_signal = stop_signal ? stop_signal : -1;
      fprintf(stderr, "ctrate sweep: %s\n", werr.msg);
    }
    out->ran++;
  }
  pthread_mutex_lock(&pr->lock);
  pr->inflight[tid] = -1, pr->done++, pr->cost_done += plan->cost[k];
  pthread_mutex_unlock(&pr->lock);
}

void ctr_sweep_run(const ctr_grid *g, const ctr_plan *plan, ctr_store *store, ctr_point *rows_out,
                   const ctr_sweep_run_opts *o, ctr_sweep_outcome *out) {
  memset(out, 0, sizeof *out);
  size_t nt = (size_t)o->threads;
  progress pr = {.o = o, .g = g, .nthreads = nt, .t0 = omp_get_wtime(), .tty = isatty(2)};
  pr.inflight = malloc(sizeof *pr.inflight * nt), pr.started = calloc(nt, sizeof *pr.started);
  if (!pr.inflight || !pr.started) {
    free(pr.inflight), free(pr.started);
    fprintf(stderr, "ctrate sweep: out of memory\n");
    out->write_failed = 1;
    return;
  }
  for (size_t i = 0; i < nt; i++) pr.inflight[i] = -1;
  for (size_t k = 0; k < plan->n; k++)
    if (!store || !ctr_store_has(store, (int64_t)plan->ids[k]))
      pr.todo++, pr.cost_todo += plan->cost[k];
  pthread_mutex_init(&pr.lock, NULL);
  pthread_cond_init(&pr.wake, NULL);
  pthread_t ticker;
  int ticking = !o->quiet && pr.todo > 0 &&
                pthread_create(&ticker, NULL, progress_thread, &pr) == 0;
  stop_signal = 0;
  handle_signals(1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(o->threads)
  for (size_t k = 0; k < plan->n; k++)
    if (!stop_signal && (!store || !ctr_store_has(store, (int64_t)plan->ids[k])))
      run_one(g, plan, k, store, rows_out, &pr, out);
  handle_signals(0);
  out->signal = stop_signal > 0 ? stop_signal : 0;
  if (ticking) {
    pthread_mutex_lock(&pr.lock);
    pr.finished = 1;
    pthread_cond_signal(&pr.wake);
    progress_line(&pr);
    if (pr.tty) fputc('\n', stderr);
    pthread_mutex_unlock(&pr.lock);
    pthread_join(ticker, NULL);
  }
  pthread_mutex_destroy(&pr.lock), pthread_cond_destroy(&pr.wake);
  free(pr.inflight), free(pr.started);
}
