/* cli/signals.h: signals around the phases that write files.
 *
 * A file is written whole to a temporary and renamed; a SIGINT, SIGTERM or SIGHUP in the middle
 * would leave the temporary and an unfinished command. Around every phase that writes (the
 * resume load, checkpoints outside the compute loop, the final save, run -o, merge, fit) these
 * signals are deferred: the phase completes, then the command stops as the compute loop does
 * (exit 1, saying so). A second signal during such a phase abandons it as the compute loop's
 * second signal abandons the points in flight: the temporary being written is removed
 * (ctr_tmp_discard_live) and the process exits 1; the output keeps its previous contents and a
 * sweep's journal its rows, so nothing finished is lost and --resume continues. SIGPIPE is ignored for the whole process: a closed stdout (`ctrate sweep
 * ... | head -1`) makes printing fail, never the file writing. */
#ifndef CTR_CLI_SIGNALS_H
#define CTR_CLI_SIGNALS_H

/* Start deferring SIGINT/SIGTERM/SIGHUP (records the first) and ignore SIGPIPE. */
void ctr_signals_defer(void);

/* The deferred signal (0: none), and forget it. */
int ctr_signals_take(void);

#endif
