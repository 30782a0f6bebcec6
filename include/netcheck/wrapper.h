/*
 * wrapper.h - hands over to the workload after the checks: exec it in
 * place (so it keeps netcheck's PID and signals), or, with --init, stay as
 * PID 1 and supervise it like tini. Called by main only.
 */
#ifndef NETCHECK_WRAPPER_H
#define NETCHECK_WRAPPER_H

/* Restores the signal state the workload must inherit (nothing blocked,
 * SIGPIPE default). */
void wrapper_reset_signals(void);

/* execvp(argv[0], argv); returns only on failure: 127 when the program was
 * not found, 126 when it could not be executed (after one line on stderr). */
int wrapper_exec(char **argv);

/* Forks argv[0] as a child and supervises it: forwards every signal but
 * SIGCHLD (to the child's process group when forward_to_group), reaps every
 * zombie, returns the child's exit status or 128+N when killed by signal N.
 * 127/126 as wrapper_exec when the child cannot exec. */
int wrapper_init(char **argv, int forward_to_group);

#endif
