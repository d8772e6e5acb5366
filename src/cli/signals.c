/* cli/signals.c: deferring signals around file writes (see cli/signals.h). */
#include "cli/signals.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "store/safe_output.h"

static volatile sig_atomic_t deferred;

static void on_signal(int sig) {
  if (!deferred) {
    deferred = sig;
    return;
  }
  /* The user insists: give up the write in progress (async-signal-safe calls only). */
  static const char msg[] =
      "\nctrate: second signal: abandoning the file being written (its temporary is removed; the "
      "file keeps its previous contents, a sweep's journal its rows: --resume continues)\n";
  ssize_t rc = write(2, msg, sizeof msg - 1);
  (void)rc;
  ctr_tmp_discard_live();
  _exit(1);
}

void ctr_signals_defer(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL), sigaction(SIGTERM, &sa, NULL), sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

int ctr_signals_take(void) {
  int s = deferred;
  deferred = 0;
  return s;
}
