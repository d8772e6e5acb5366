/* store/safe_output.c: output checks, exclusive temporaries, durable renames, writer locks
 * (see store/safe_output.h). */
#include "store/safe_output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/results_h5.h"

static char *suffixed(const char *path, const char *suffix) {
  size_t a = strlen(path), b = strlen(suffix);
  char *s = malloc(a + b + 1);
  if (s) memcpy(s, path, a), memcpy(s + a, suffix, b + 1);
  return s;
}

ctr_status ctr_output_check(const char *opt, const char *out, const char *const *inputs, size_t n,
                            ctr_error *err) {
  if (!out || !*out) return ctr_fail(err, CTR_EINPUT, "%s: the output file name is empty", opt);
  struct stat so, si;
  if (stat(out, &so) != 0) { /* a new file: cannot be an input; its directory must take it */
    char *copy = strdup(out);
    if (!copy) return ctr_fail(err, CTR_ENOMEM, "out of memory");
    const char *dir = dirname(copy);
    ctr_status s = access(dir, W_OK | X_OK) == 0
                       ? CTR_OK
                       : ctr_fail(err, CTR_EINPUT, "%s %s: cannot create a file in %s (%s)", opt,
                                  out, dir, strerror(errno));
    free(copy);
    return s;
  }
  if (S_ISDIR(so.st_mode))
    return ctr_fail(err, CTR_EINPUT, "%s %s is a directory; give a file name", opt, out);
  if (!S_ISREG(so.st_mode))
    return ctr_fail(err, CTR_EINPUT, "%s %s is not a regular file; refusing to write to it", opt,
                    out);
  for (size_t i = 0; i < n; i++) {
    if (!inputs[i] || stat(inputs[i], &si) != 0) continue;
    if (si.st_dev == so.st_dev && si.st_ino == so.st_ino)
      return ctr_fail(err, CTR_EINPUT, "%s %s is the input file %s; refusing to write over an "
                      "input (choose another name)", opt, out, inputs[i]);
  }
  return CTR_OK;
}

ctr_status ctr_output_replaceable(const char *path, ctr_error *err) {
  struct stat st;
  if (lstat(path, &st) != 0) return CTR_OK;
  if (!S_ISREG(st.st_mode))
    return ctr_fail(err, CTR_EINPUT, "%s is not a regular file (%s); --force replaces only a "
                    "ctrate result file", path, S_ISLNK(st.st_mode) ? "a symbolic link"
                    : S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
  ctr_results_meta m;
  ctr_error e2 = {0};
  if (ctr_results_meta_read(path, &m, &e2) != CTR_OK)
    return ctr_fail(err, CTR_EINPUT, "%s is not a ctrate result file; --force replaces only "
                    "those (remove it yourself if you mean it)", path);
  ctr_results_meta_free(&m);
  return CTR_OK;
}

/* ---- the temporary being written, for a handler that abandons it ----------------------- */

static char live_tmp[4096];
static volatile sig_atomic_t live_set;
static const char *write_phase = "save";

static void live_register(const char *tmp) {
  live_set = 0;
  size_t n = strlen(tmp);
  if (n >= sizeof live_tmp) return; /* left for the next writer's clean-up */
  memcpy(live_tmp, tmp, n + 1);
  live_set = 1;
}

void ctr_tmp_discard_live(void) {
  if (live_set) unlink(live_tmp), live_set = 0;
}

void ctr_tmp_discard(const char *tmp) {
  live_set = 0;
  unlink(tmp);
}

void ctr_tmp_phase(const char *phase) { write_phase = phase ? phase : "save"; }

void ctr_test_pause(const char *phase) {
  const char *want = getenv("CTRATE_TEST_PAUSE");
  if (!want || strcmp(want, phase)) return;
  char msg[128];
  int len = snprintf(msg, sizeof msg, "ctrate: test pause in %s (CTRATE_TEST_PAUSE)\n", phase);
  if (write(2, msg, (size_t)len) < 0) { /* only a marker for the test */
  }
  /* 4 s: a test sends two signals 0.3 s apart after polling for the line above; at 1.5 s the
   * pause once ended before the second arrived (CI under ASan on a loaded 2-core machine) */
  struct timespec left = {4, 0};
  while (nanosleep(&left, &left) != 0) { /* a signal cuts the sleep short: sleep the rest */
  }
}

ctr_status ctr_tmp_create(const char *path, char **tmp, int *fd, ctr_error *err) {
  *tmp = suffixed(path, ".tmp.XXXXXX");
  *fd = -1;
  if (!*tmp) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  mode_t um = umask(0);
  umask(um);
  *fd = mkstemp(*tmp); /* O_CREAT|O_EXCL: a planted file or symlink is never opened */
  if (*fd < 0) {
    ctr_status s = ctr_fail(err, errno == ENOENT || errno == EACCES || errno == EROFS ? CTR_EINPUT
                                                                                     : CTR_EIO,
                            "%s: cannot create a temporary file beside it (%s)", path,
                            strerror(errno));
    free(*tmp), *tmp = NULL;
    return s;
  }
  live_register(*tmp);
  fchmod(*fd, 0666 & ~um);
  return CTR_OK;
}

ctr_status ctr_fsync_dir(const char *path, ctr_error *err) {
  char *copy = strdup(path);
  if (!copy) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ctr_status s = CTR_OK;
  /* EINVAL: a file system without directory fsync; nothing more can be done there */
  if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL))
    s = ctr_fail(err, CTR_EIO, "%s: cannot fsync its directory (%s)", path, strerror(errno));
  if (fd >= 0) close(fd);
  free(copy);
  return s;
}

ctr_status ctr_tmp_commit(const char *tmp, int fd, const char *path, ctr_error *err) {
  struct stat a, b;
  ctr_status s = CTR_OK;
  ctr_test_pause(write_phase);
  if (fstat(fd, &a) != 0 || lstat(tmp, &b) != 0 || !S_ISREG(b.st_mode) || a.st_ino != b.st_ino ||
      a.st_dev != b.st_dev)
    s = ctr_fail(err, CTR_EIO, "%s: the temporary file %s was replaced while it was written", path,
                 tmp);
  else if (fsync(fd) != 0)
    s = ctr_fail(err, CTR_EIO, "%s: cannot fsync %s (%s)", path, tmp, strerror(errno));
  else if (rename(tmp, path) != 0)
    s = ctr_fail(err, CTR_EIO, "%s: cannot rename %s into place (%s)", path, tmp, strerror(errno));
  if (s != CTR_OK) {
    if (a.st_ino == b.st_ino) ctr_tmp_discard(tmp);
    live_set = 0;
    return s;
  }
  live_set = 0; /* after the rename: a handler's unlink of the old name then finds nothing */
  return ctr_fsync_dir(path, err);
}

/* The pid written in an existing lock file, or 0. */
static long lock_holder(int fd) {
  char buf[32] = "";
  ssize_t k = pread(fd, buf, sizeof buf - 1, 0);
  return k > 0 ? strtol(buf, NULL, 10) : 0;
}

ctr_status ctr_output_lock(const char *path, int *fd, ctr_error *err) {
  char *lock = suffixed(path, ".lock");
  *fd = -1;
  if (!lock) return ctr_fail(err, CTR_ENOMEM, "out of memory");
  ctr_status s = CTR_OK;
  for (int tries = 0; tries < 100; tries++) {
    int f = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0) {
      s = ctr_fail(err, errno == EACCES || errno == ENOENT || errno == EROFS || errno == ELOOP
                            ? CTR_EINPUT : CTR_EIO,
                   "%s: cannot create the lock file %s (%s)", path, lock, strerror(errno));
      break;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
      long pid = lock_holder(f);
      close(f);
      s = ctr_fail(err, CTR_EINPUT, "%s is being written by another ctrate (pid %ld holds %s); "
                   "refusing a second writer", path, pid, lock);
      break;
    }
    /* The holder before us may have removed the file after we opened it: lock the live one. */
    struct stat a, b;
    if (fstat(f, &a) != 0 || stat(lock, &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
      close(f);
      continue;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)len, 0) != len) {
      /* the pid is only for the message: a lock without it still excludes */
    }
    *fd = f;
    break;
  }
  if (s == CTR_OK && *fd < 0)
    s = ctr_fail(err, CTR_EIO, "%s: cannot take the lock %s", path, lock);
  free(lock);
  return s;
}

void ctr_output_unlock(const char *path, int fd) {
  if (fd < 0) return;
  char *lock = suffixed(path, ".lock");
  if (lock) unlink(lock); /* while still holding it: a waiter re-checks the inode */
  free(lock);
  close(fd);
}
