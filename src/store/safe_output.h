/* store/safe_output.h: what every command checks before it writes a file, and how it writes.
 *
 * An output must never be one of the command's inputs (compared by device and inode, so a
 * second name, a hard link or "./x.h5" cannot slip through), never a directory, and --force
 * replaces only a regular file that is a ctrate result. Files are written to a temporary made
 * by exclusive creation (mkstemp: O_CREAT|O_EXCL, never following a planted symlink) in the
 * output's directory, fsync'ed, renamed into place, and the directory fsync'ed, so a power cut
 * leaves the old file or the new one. One writer per output: an exclusive flock on
 * OUTPUT.lock, whose holder's pid is named to a second writer. Library code: never prints. */
#ifndef CTR_STORE_SAFE_OUTPUT_H
#define CTR_STORE_SAFE_OUTPUT_H

#include <stddef.h>

#include "core/common.h"

/* OUT may be written by a command whose inputs are INPUTS[0..n) (NULL entries skipped): not
 * empty, not a directory or other non-regular file, not the same file as any input. An OUT that
 * does not exist yet is fine. OPT names the option in messages ("--report", "-o"). */
ctr_status ctr_output_check(const char *opt, const char *out, const char *const *inputs, size_t n,
                            ctr_error *err);

/* May --force replace PATH? Yes if it does not exist or is a regular file holding a ctrate
 * result (software = "ctrate"); anything else (a spec, a device, a symlink) is refused. */
ctr_status ctr_output_replaceable(const char *path, ctr_error *err);

/* A new temporary file beside PATH ("PATH.tmp.XXXXXX", created exclusively, mode 0644 minus the
 * umask); *tmp is malloc'ed, *fd open on it (the caller closes it). */
ctr_status ctr_tmp_create(const char *path, char **tmp, int *fd, ctr_error *err);

/* TMP (made by ctr_tmp_create, FD still open on it) is complete: check it is still our inode,
 * fsync it, rename it over PATH, fsync the directory. TMP is removed on failure. */
ctr_status ctr_tmp_commit(const char *tmp, int fd, const char *path, ctr_error *err);

/* The temporary of the whole-file write in progress (one at a time per process: checkpoints
 * run under a lock), for a signal handler that abandons the write: ctr_tmp_discard_live()
 * unlinks it and is async-signal-safe. A signal between mkstemp and the registration (a few
 * instructions) can still leave one; the next writer of PATH removes it under the lock. */
void ctr_tmp_discard_live(void);
/* A failed write gives up its temporary TMP: unlink it and forget it. */
void ctr_tmp_discard(const char *tmp);

/* Test hook (tests/test_files.sh, class 15): if the environment variable CTRATE_TEST_PAUSE
 * names PHASE, say "ctrate: test pause in PHASE" on stderr and sleep 4 s there, so that a test
 * can send a signal at that exact moment. Phases: "open" (a sweep's first checkpoint),
 * "load" (--resume, after reading FILE.h5, before the journal), "checkpoint" (a rewrite during
 * the compute loop), "final-save" (the sweep's last rewrite), "save" (any other whole-file
 * write: run -o, merge, fit); the rewrites pause with their temporary complete, before its
 * fsync and rename. Nothing else reads the variable; unset, it costs one getenv per write. */
void ctr_test_pause(const char *phase);
/* The phase name the next whole-file writes pause in (default "save"). */
void ctr_tmp_phase(const char *phase);

/* fsync the directory that holds PATH (after a rename or an unlink in it). */
ctr_status ctr_fsync_dir(const char *path, ctr_error *err);

/* Exclusive lock on PATH.lock for the life of the returned descriptor (>= 0 in *fd). A second
 * writer gets CTR_EINPUT naming the holder's pid. ctr_output_unlock removes the lock file. */
ctr_status ctr_output_lock(const char *path, int *fd, ctr_error *err);
void ctr_output_unlock(const char *path, int fd);

#endif
