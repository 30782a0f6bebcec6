/*
 * signals.h - netcheck's signal state: what it inherited, which signals stop
 * the checks, and what the workload gets back.
 *
 * During the checks every signal whose default action would end the process
 * (SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGALRM, the real-time
 * signals, ...) is blocked and read by the engine's signalfd: it stops the
 * checks like SIGTERM (report marked interrupted, exit 128+N). Left alone:
 * SIGKILL and SIGSTOP (they cannot be), SIGPIPE (ignored while netcheck
 * runs: its own writes to a closed pipe are errors, not signals), and every
 * signal netcheck inherited ignored or blocked (`nohup` stays `nohup`). With
 * --init only SIGTERM and SIGINT of those stop the checks; the others are
 * kept for the workload (wrapper.c).
 *
 * Before the workload starts, the signal mask and the dispositions netcheck
 * inherited are restored exactly, as tini does: the workload gets what it
 * would have had without netcheck.
 */
#ifndef NETCHECK_SIGNALS_H
#define NETCHECK_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Saves the inherited state, blocks sig_stop_set(false) and ignores
 * SIGPIPE. Called first in main, before anything can be interrupted. */
void sig_init(void);

/* The signals that stop the checks (see above); init: SIGTERM and SIGINT
 * only. Empty before sig_init. */
void sig_stop_set(sigset_t *set, bool init);

/* Restores the inherited signal mask and the dispositions netcheck changed
 * (SIGPIPE, SIGCHLD). Called right before exec, in the process that execs. */
void sig_restore(void);

/* The inherited state (mask, SIGPIPE and SIGCHLD ignored or not) as a short
 * string, for --init's supervisor, which netcheck re-executes: "M:P:C", M the
 * kernel mask in hex. sig_import reads it back in the new image (instead of
 * sig_init) and returns false on anything malformed. */
void sig_export(char *buf, size_t len);
bool sig_import(const char *s);

/* "SIGTERM", "SIGRTMIN+3", ... into buf. */
const char *sig_name(int sig, char *buf, size_t len);

#endif
