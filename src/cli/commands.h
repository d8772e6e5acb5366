/* cli/commands.h: the ctrate subcommands. Each takes the arguments after the
 * program name (argv[0] is the subcommand's name) and returns the exit status:
 * 0 ok, 1 runtime failure, 2 bad usage or bad input. */
#ifndef CTR_CLI_COMMANDS_H
#define CTR_CLI_COMMANDS_H

#include "core/common.h"

int ctr_cmd_run(int argc, char **argv);
int ctr_cmd_sweep(int argc, char **argv);
int ctr_cmd_fit(int argc, char **argv);
int ctr_cmd_merge(int argc, char **argv);
int ctr_cmd_show(int argc, char **argv);
int ctr_cmd_plot(int argc, char **argv);
int ctr_cmd_search(int argc, char **argv);

/* Exit status for a library status: CTR_EINPUT -> 2, any other failure -> 1. */
int ctr_exit_code(ctr_status st);

/* The command line joined by spaces (for the result file), in a static buffer. */
const char *ctr_command_line(void);

#endif
