/*
 * signals.c - the signal state of netcheck (include/netcheck/signals.h):
 * which signals stop the checks, and the inherited mask and dispositions
 * the workload gets back before exec.
 */
#include "netcheck/signals.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netcheck/common.h"

/* The kernel's sigset_t: one bit per signal, 1.._NSIG-1. The mask is read
 * and restored with the system call itself: the libc wrappers hide the
 * signals they keep for their threads, and the workload may use another
 * libc. */
#define SIG_KERNEL_SIGSET_BYTES ((_NSIG - 1 + 7) / 8)
_Static_assert(SIG_KERNEL_SIGSET_BYTES <= sizeof(unsigned long long), "kernel sigset in 64 bits");

/* The default action of these ends the process (signal(7)); SIGKILL and
 * SIGSTOP cannot be caught and SIGPIPE is netcheck's own (ignored). The
 * real-time signals are added by range. */
static const int terminating[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGILL,  SIGTRAP, SIGABRT, SIGBUS,
                                  SIGFPE,  SIGUSR1, SIGSEGV,   SIGUSR2, SIGALRM, SIGTERM, SIGSTKFLT,
                                  SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,   SIGPWR,  SIGSYS};

static const struct {
  int sig;
  const char *name;
} names[] = {{SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},       {SIGQUIT, "SIGQUIT"},
             {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"},     {SIGABRT, "SIGABRT"},
             {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},       {SIGUSR1, "SIGUSR1"},
             {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},     {SIGALRM, "SIGALRM"},
             {SIGTERM, "SIGTERM"}, {SIGSTKFLT, "SIGSTKFLT"}, {SIGXCPU, "SIGXCPU"},
             {SIGXFSZ, "SIGXFSZ"}, {SIGVTALRM, "SIGVTALRM"}, {SIGPROF, "SIGPROF"},
             {SIGIO, "SIGIO"},     {SIGPWR, "SIGPWR"},       {SIGSYS, "SIGSYS"},
             {SIGPIPE, "SIGPIPE"}, {SIGCHLD, "SIGCHLD"},     {SIGWINCH, "SIGWINCH"},
             {SIGCONT, "SIGCONT"}, {SIGTSTP, "SIGTSTP"},     {SIGTTIN, "SIGTTIN"},
             {SIGTTOU, "SIGTTOU"}, {SIGURG, "SIGURG"}};

static struct {
  bool saved;
  sigset_t mask;               /* the inherited signal mask */
  struct sigaction pipe, chld; /* the inherited dispositions netcheck changes */
  sigset_t stop;               /* sig_stop_set(false) */
} inherited;

/* Whether sig reaches netcheck as it would reach a process without it:
 * neither blocked nor ignored by whoever started netcheck. */
static bool left_to_us(int sig) {
  struct sigaction sa;
  if (sigismember(&inherited.mask, sig) == 1)
    return false;
  return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN;
}

void sig_init(void) {
  struct sigaction ign;
  sigemptyset(&inherited.mask);
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &inherited.mask, SIG_KERNEL_SIGSET_BYTES))
    sigprocmask(SIG_BLOCK, NULL, &inherited.mask);
  sigaction(SIGPIPE, NULL, &inherited.pipe);
  sigaction(SIGCHLD, NULL, &inherited.chld);
  sigemptyset(&inherited.stop);
  for (size_t i = 0; i < NC_ARRAY_LEN(terminating); i++)
    if (left_to_us(terminating[i]))
      sigaddset(&inherited.stop, terminating[i]);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
    if (left_to_us(sig))
      sigaddset(&inherited.stop, sig);
  inherited.saved = true;
  /* From here on these signals are read by the engine, never lost. */
  sigprocmask(SIG_BLOCK, &inherited.stop, NULL);
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, NULL);
}

void sig_stop_set(sigset_t *set, bool init) {
  sigemptyset(set);
  if (!inherited.saved)
    return;
  if (!init) {
    *set = inherited.stop;
    return;
  }
  if (sigismember(&inherited.stop, SIGTERM) == 1)
    sigaddset(set, SIGTERM);
  if (sigismember(&inherited.stop, SIGINT) == 1)
    sigaddset(set, SIGINT);
}

void sig_restore(void) {
  if (!inherited.saved)
    return;
  /* Ignored and default dispositions survive exec; handlers cannot have
   * been inherited. */
  sigaction(SIGPIPE, &inherited.pipe, NULL);
  sigaction(SIGCHLD, &inherited.chld, NULL);
  if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &inherited.mask, NULL, SIG_KERNEL_SIGSET_BYTES))
    sigprocmask(SIG_SETMASK, &inherited.mask, NULL);
}

void sig_export(char *buf, size_t len) {
  unsigned long long bits = 0;
  /* The bytes the system call wrote: sigismember would hide the signals
   * the C library keeps for itself. */
  if (inherited.saved)
    memcpy(&bits, &inherited.mask, SIG_KERNEL_SIGSET_BYTES);
  nc_snprintf(buf, len, "%llx:%d:%d", bits, inherited.saved && inherited.pipe.sa_handler == SIG_IGN,
              inherited.saved && inherited.chld.sa_handler == SIG_IGN);
}

bool sig_import(const char *s) {
  unsigned long long bits;
  char *end;
  int pipe_ign, chld_ign;
  if (!isxdigit((unsigned char)s[0]))
    return false;
  errno = 0;
  bits = strtoull(s, &end, 16);
  if (errno || end[0] != ':' || (end[1] != '0' && end[1] != '1') || end[2] != ':' ||
      (end[3] != '0' && end[3] != '1') || end[4])
    return false;
  pipe_ign = end[1] == '1';
  chld_ign = end[3] == '1';
  memset(&inherited, 0, sizeof inherited);
  sigemptyset(&inherited.mask);
  memcpy(&inherited.mask, &bits, SIG_KERNEL_SIGSET_BYTES);
  inherited.pipe.sa_handler = pipe_ign ? SIG_IGN : SIG_DFL;
  inherited.chld.sa_handler = chld_ign ? SIG_IGN : SIG_DFL;
  sigemptyset(&inherited.pipe.sa_mask);
  sigemptyset(&inherited.chld.sa_mask);
  sigemptyset(&inherited.stop);
  inherited.saved = true;
  return true;
}

const char *sig_name(int sig, char *buf, size_t len) {
  for (size_t i = 0; i < NC_ARRAY_LEN(names); i++)
    if (names[i].sig == sig)
      return names[i].name;
  if (sig >= SIGRTMIN && sig <= SIGRTMAX)
    nc_snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
  else
    nc_snprintf(buf, len, "signal %d", sig);
  return buf;
}
