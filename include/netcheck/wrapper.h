/*
 * wrapper.h - hands over to the workload after the checks: exec it in
 * place (so it keeps netcheck's PID and signals), or, with --init, stay as
 * PID 1 and supervise it like tini. Called by main only.
 */
#ifndef NETCHECK_WRAPPER_H
#define NETCHECK_WRAPPER_H

/* Restores the signal state netcheck inherited (sig_restore), then
 * execvp(argv[0], argv); returns only on failure: 127 when the program was
 * not found, 126 when it could not be executed (after one line on stderr). */
int wrapper_exec(char **argv);

/* For --init, as early as the option is known: blocks every signal so that
 * none is lost before the workload runs (as PID 1 the kernel discards
 * signals left at their default disposition; blocked ones stay pending and
 * wrapper_init forwards them; SIGTERM/SIGINT are still read by the engine's
 * signalfd during the checks), and makes netcheck a child subreaper when it
 * is not PID 1. wrapper_init calls it too; calling it twice is harmless. */
void wrapper_init_prepare(void);

/* Forks argv[0] as a child in its own process group (given the terminal's
 * foreground when stdin is one) and supervises it: forwards every signal
 * but SIGCHLD (to the child's process group when forward_to_group, and to
 * the child itself when it left that group), reaps every zombie, and
 * returns as soon as the child exits (descendants still running are left
 * to the kernel): its exit status, or 128+N when killed by signal N.
 * 127/126 (after one line on stderr) when the child cannot exec, 3 on an
 * internal error. */
int wrapper_init(char **argv, int forward_to_group);

/* The supervisor of --init as a fresh image: execs /proc/self/exe with
 * WRAPPER_SUPERVISOR_ARG=<sig_export state> -- argv..., whose main calls
 * wrapper_supervisor_main. When the exec fails (no /proc), wrapper_init in
 * this process. Returns what wrapper_init returns. */
int wrapper_init_reexec(char **argv);

/* main's entry when argv[1] starts with WRAPPER_SUPERVISOR_ARG: restores the
 * inherited signal state from the argument and runs wrapper_init(argv + 3). */
#define WRAPPER_SUPERVISOR_ARG "--init-supervisor"
int wrapper_supervisor_main(int argc, char **argv);

#endif
