/* ctrate: the command line. A table of subcommands (as git.c has), each in its own file. */
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli/commands.h"
#include "core/version.h"

static ctr_text cmdline; /* whole, however long: it is stored in result files */

const char *ctr_command_line(void) { return cmdline.p && !cmdline.oom ? cmdline.p : ""; }

int ctr_exit_code(ctr_status st) { return st == CTR_OK ? 0 : st == CTR_EINPUT ? 2 : 1; }

static const struct {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
} commands[] = {
    {"run", ctr_cmd_run, "simulate one point from flags; print it, -o FILE.h5 appends the row"},
    {"sweep", ctr_cmd_sweep, "simulate a grid of points (lists and log ranges) in parallel"},
    {"fit", ctr_cmd_fit, "scaling fits against the bound: report, and /analysis in the file"},
    {"merge", ctr_cmd_merge, "join the shard files of one sweep, checking they cover its plan"},
    {"show", ctr_cmd_show, "what a result file holds, as a table (--csv for other tools)"},
    {"plot", ctr_cmd_plot, "paper figures (PDF, PNG, LaTeX) from result files, with gnuplot"},
    {"search", ctr_cmd_search, "the target of a family with the largest d-exponent (Nelder-Mead)"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: ctrate COMMAND [OPTIONS]   (ctrate COMMAND --help for its options)\n\n"
               "Numerical test of the consistency-training rate of Li, Huang, Wei (2402.07802).\n\n"
               "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-6s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nEvery command takes --help (its options) and --version.\n\n"
               "exit status: 0 ok, 1 runtime failure, 2 bad usage or input\n");
}

static void version(void) { printf("ctrate %s\n", CTR_VERSION); }

/* --version anywhere among a subcommand's options (before "--"), answered here once for all
 * subcommands, as --help is by each: `ctrate run --version` prints what `ctrate --version`
 * does (help2man reads it for the man pages). */
static int wants_version(int argc, char **argv) {
  for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
    if (!strcmp(argv[i], "--version")) return 1;
  return 0;
}

int main(int argc, char **argv) {
  gsl_set_error_handler_off(); /* every GSL status is checked; never abort mid-sweep */
  for (int i = 0; i < argc; i++) ctr_text_add(&cmdline, "%s%s", i ? " " : "", argv[i]);
  if (cmdline.oom) return fprintf(stderr, "ctrate: out of memory\n"), 1;
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) return version(), 0;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name))
      return wants_version(argc, argv) ? version(), 0 : commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "ctrate: '%s' is not a command (accepted: run, sweep, fit, merge, show, plot, search)\n", argv[1]);
  return 2;
}
