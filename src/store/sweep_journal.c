/* store/sweep_journal.c: journal + whole-file rewrites (see store/sweep_journal.h for why). */
#include "store/sweep_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOURNAL_MAGIC 0x314c4e524a525443ull /* "CTRJRNL1" */
#define RECORD_MAGIC 0x31574f52525443ull    /* "CTRROW1" */

typedef struct {
  uint64_t magic, layout, spec;
} journal_header;

typedef struct {
  uint64_t magic, sum;
  ctr_point row;
} record;

struct ctr_store {
  ctr_store_params p;
  char *path, *journal, *spec; /* owned copies */
  char created[64];
  ctr_point **rows;
  size_t n, cap;
  unsigned char *done; /* by point id */
  int fd;              /* journal, append-only */
  int dirty;           /* rows newer than PATH */
  double last_end, last_cost;
  uint64_t layout_hash, spec_hash;
};

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const unsigned char *b = data;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}
#define FNV0 0xcbf29ce484222325ull

/* The row layout as this binary lays it out in memory: a journal is only read back by a
 * ctrate whose ctr_point is byte-for-byte the same. */
static uint64_t layout_hash(void) {
  uint64_t h = FNV0, sz = sizeof(ctr_point);
  for (size_t i = 0; i < ctr_point_nfields; i++) {
    const ctr_field *f = &ctr_point_fields[i];
    uint64_t v[3] = {(uint64_t)f->kind, (uint64_t)f->offset, (uint64_t)f->size};
    h = fnv(fnv(h, f->name, strlen(f->name)), v, sizeof v);
  }
  return fnv(h, &sz, sizeof sz);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static char *suffixed(const char *path, const char *suffix) {
  size_t a = strlen(path), b = strlen(suffix);
  char *s = malloc(a + b + 1);
  if (s) memcpy(s, path, a), memcpy(s + a, suffix, b + 1);
  return s;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- rows in memory -------------------------------------------------------- */

static ctr_status keep_row(ctr_store *s, const ctr_point *row, ctr_error *err) {
  int64_t id = row->point_id;
  if (id < 0 || id >= s->p.info.plan_points)
    return ctr_fail(err, CTR_EINPUT, "%s: row with point id %lld outside the plan (0..%lld)",
                    s->path, (long long)id, s->p.info.plan_points - 1);
  if (s->done[id])
    return ctr_fail(err, CTR_EINPUT, "%s: point %lld stored twice", s->path, (long long)id);
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    ctr_point **r = realloc(s->rows, cap * sizeof *r);
    if (!r) return ctr_fail(err, CTR_ENOMEM, "%s: out of memory for rows", s->path);
    s->rows = r, s->cap = cap;
  }
  if (!(s->rows[s->n] = malloc(sizeof(ctr_point))))
    return ctr_fail(err, CTR_ENOMEM, "%s: out of memory for rows", s->path);
  *s->rows[s->n++] = *row;
  s->done[id] = 1, s->dirty = 1;
  return CTR_OK;
}

static int by_id(const void *a, const void *b) {
  int64_t x = (*(ctr_point *const *)a)->point_id, y = (*(ctr_point *const *)b)->point_id;
  return (x > y) - (x < y);
}

/* Rewrite PATH from memory, then start an empty journal (the order matters: a kill between
 * the two leaves rows in both, which loading de-duplicates). */
static ctr_status checkpoint(ctr_store *s, ctr_error *err) {
  double t0 = now_s();
  if (s->n > 1) qsort(s->rows, s->n, sizeof *s->rows, by_id);
  ctr_status st = s->dirty ? ctr_results_write_file(s->path, &s->p.info,
                                                    (const ctr_point *const *)s->rows, s->n, err)
                           : CTR_OK;
  if (st) return st;
  s->dirty = 0;
  if (s->fd >= 0) close(s->fd);
  s->fd = open(s->journal, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  journal_header h = {JOURNAL_MAGIC, s->layout_hash, s->spec_hash};
  if (s->fd < 0 || write(s->fd, &h, sizeof h) != (ssize_t)sizeof h)
    return ctr_fail(err, CTR_EIO, "%s: cannot write (%s)", s->journal, strerror(errno));
  s->last_end = now_s();
  if (s->last_end - t0 > s->last_cost) s->last_cost = s->last_end - t0;
  return CTR_OK;
}

/* ---- loading an interrupted sweep ------------------------------------------ */

/* The first line where two spec texts differ, for the refusal message. */
static void first_difference(const char *a, const char *b, char *out, size_t size) {
  int line = 1;
  const char *la = a, *lb = b;
  while (*a && *a == *b) {
    if (*a == '\n') line++, la = a + 1, lb = b + 1;
    a++, b++;
  }
  snprintf(out, size, "line %d: file has '%.*s', this sweep '%.*s'", line, (int)strcspn(la, "\n"),
           la, (int)strcspn(lb, "\n"), lb);
}

static ctr_status check_same_sweep(ctr_store *s, ctr_error *err) {
  ctr_results_meta m;
  ctr_status st = ctr_results_meta_read(s->path, &m, err);
  if (st) return st;
  char diff[400];
  if (strcmp(m.version, ctr_results_version())) {
    st = ctr_fail(err, CTR_EINPUT, "%s was written by ctrate %s, this is %s: resuming would mix "
                  "the rows of two versions (--force starts over)", s->path, m.version,
                  ctr_results_version());
  } else if (strcmp(m.spec, s->spec)) {
    first_difference(m.spec, s->spec, diff, sizeof diff);
    st = ctr_fail(err, CTR_EINPUT, "%s was made by a different spec (%s); refusing to add to it: "
                  "write to a new file", s->path, diff);
  } else if (strcmp(m.shard, s->p.info.shard ? s->p.info.shard : "") ||
             m.plan_points != s->p.info.plan_points) {
    st = ctr_fail(err, CTR_EINPUT, "%s holds shard '%s' of %lld points, not shard '%s' of %lld; "
                  "refusing to add to it", s->path, m.shard, m.plan_points,
                  s->p.info.shard ? s->p.info.shard : "", s->p.info.plan_points);
  }
  if (!st) snprintf(s->created, sizeof s->created, "%s", m.created);
  ctr_results_meta_free(&m);
  return st;
}

static ctr_status load_file(ctr_store *s, ctr_error *err) {
  ctr_status st = check_same_sweep(s, err);
  ctr_point *rows = NULL;
  size_t n = 0;
  if (!st) st = ctr_results_read(s->path, &rows, &n, NULL, err);
  for (size_t i = 0; !st && i < n; i++) st = keep_row(s, &rows[i], err);
  free(rows);
  return st;
}

/* Every intact record of the journal; a torn or corrupt tail ends the reading. */
static ctr_status load_journal(ctr_store *s, ctr_error *err) {
  FILE *f = fopen(s->journal, "rb");
  if (!f) return CTR_OK;
  journal_header h;
  ctr_status st = CTR_OK;
  if (fread(&h, sizeof h, 1, f) == 1 && h.magic == JOURNAL_MAGIC) {
    if (h.layout != s->layout_hash || h.spec != s->spec_hash)
      st = ctr_fail(err, CTR_EINPUT, "%s belongs to a different %s; remove it or use --force",
                    s->journal, h.layout != s->layout_hash ? "ctrate build" : "spec");
    record *r = malloc(sizeof *r);
    if (!st && !r) st = ctr_fail(err, CTR_ENOMEM, "out of memory");
    while (!st && fread(r, sizeof *r, 1, f) == 1 && r->magic == RECORD_MAGIC &&
           r->sum == fnv(FNV0, &r->row, sizeof r->row)) {
      int64_t id = r->row.point_id;
      if (id >= 0 && id < s->p.info.plan_points && s->done[id]) continue; /* also in PATH */
      st = keep_row(s, &r->row, err);
    }
    free(r);
  }
  fclose(f);
  return st;
}

/* ---- public ---------------------------------------------------------------- */

static ctr_status prepare(ctr_store *s, ctr_error *err) {
  const ctr_store_params *p = &s->p;
  char *tmp = suffixed(p->path, ".tmp");
  if (!tmp) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  if (p->force) unlink(p->path), unlink(s->journal);
  unlink(tmp); /* a rewrite cut short: never more than PATH or the journal hold */
  free(tmp);
  int have = exists(p->path), have_journal = exists(s->journal);
  if (!p->resume && have)
    return ctr_fail(err, CTR_EINPUT, "%s exists (--resume continues that sweep, --force "
                    "replaces it)", p->path);
  if (!p->resume && have_journal)
    return ctr_fail(err, CTR_EINPUT, "%s exists, rows of an interrupted sweep (--resume "
                    "continues it, --force discards it)", s->journal);
  ctr_status st = have ? load_file(s, err) : CTR_OK;
  s->dirty = !have; /* rows of PATH itself need no rewrite (a finished sweep resumes fast) */
  if (!st) st = load_journal(s, err);
  return st ? st : checkpoint(s, err);
}

ctr_status ctr_store_open(const ctr_store_params *p, ctr_store **out, ctr_error *err) {
  *out = NULL;
  if (p->info.plan_points <= 0)
    return ctr_fail(err, CTR_EINPUT, "%s: a sweep needs at least one point", p->path);
  ctr_store *s = calloc(1, sizeof *s);
  if (!s) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  s->p = *p, s->fd = -1;
  s->path = strdup(p->path);
  s->journal = suffixed(p->path, ".journal");
  s->spec = strdup(p->info.spec_text ? p->info.spec_text : "");
  s->done = calloc((size_t)p->info.plan_points, 1);
  if (!s->path || !s->journal || !s->spec || !s->done) {
    ctr_store_close(s, NULL);
    return ctr_fail(err, CTR_ENOMEM, "out of memory for a plan of %lld points",
                    p->info.plan_points);
  }
  s->p.path = s->path, s->p.info.spec_text = s->spec, s->p.info.created = s->created;
  ctr_results_now(s->created, sizeof s->created);
  s->layout_hash = layout_hash();
  s->spec_hash = fnv(fnv(FNV0, s->spec, strlen(s->spec)), p->info.shard ? p->info.shard : "",
                     p->info.shard ? strlen(p->info.shard) : 0);
  ctr_status st = prepare(s, err);
  if (st) {
    if (s->fd >= 0) close(s->fd), s->fd = -1;
    s->p.path = NULL; /* nothing of ours to finish */
    ctr_store_close(s, NULL);
    return st;
  }
  *out = s;
  return CTR_OK;
}

int ctr_store_has(const ctr_store *s, int64_t id) {
  return id >= 0 && id < s->p.info.plan_points && s->done[id];
}

size_t ctr_store_count(const ctr_store *s) { return s->n; }
const ctr_point *ctr_store_row(const ctr_store *s, size_t i) { return s->rows[i]; }

ctr_status ctr_store_add(ctr_store *s, const ctr_point *row, ctr_error *err) {
  ctr_status st = keep_row(s, row, err);
  if (st) return st;
  record *r = calloc(1, sizeof *r); /* zeroed, so padding bytes are defined */
  if (!r) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  r->magic = RECORD_MAGIC;
  r->row = *row;
  r->sum = fnv(FNV0, &r->row, sizeof r->row);
  const char *b = (const char *)r;
  size_t left = sizeof *r;
  while (left) {
    ssize_t k = write(s->fd, b, left);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    b += k, left -= (size_t)k;
  }
  free(r);
  if (left) return ctr_fail(err, CTR_EIO, "%s: cannot append a row (%s)", s->journal, strerror(errno));
  double wait = 20 * s->last_cost; /* rewrites take at most ~5% of the time */
  if (wait < s->p.checkpoint_s) wait = s->p.checkpoint_s;
  if (s->p.checkpoint_s <= 0) wait = 0;
  return now_s() - s->last_end >= wait ? checkpoint(s, err) : CTR_OK;
}

ctr_status ctr_store_close(ctr_store *s, ctr_error *err) {
  if (!s) return CTR_OK;
  ctr_status st = s->p.path ? checkpoint(s, err) : CTR_OK;
  if (s->fd >= 0) close(s->fd);
  if (!st && s->p.path) unlink(s->journal);
  for (size_t i = 0; i < s->n; i++) free(s->rows[i]);
  free(s->rows), free(s->done), free(s->path), free(s->journal), free(s->spec);
  free(s);
  return st;
}
