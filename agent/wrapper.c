/*
 * wrapper.c - exec the workload, or supervise it as PID 1 (--init).
 *
 * --init follows tini: netcheck blocks every signal and collects them with
 * sigtimedwait; the workload runs in its own process group, owns the
 * terminal when there is one, and receives every signal but SIGCHLD; every
 * zombie is reaped (as PID 1, or as a child subreaper otherwise); netcheck
 * exits with the workload's status, or 128+N when a signal N killed it.
 *
 * Once the checks are done, netcheck re-executes itself (/proc/self/exe) as
 * the bare supervisor (WRAPPER_SUPERVISOR_ARG): the memory and libraries of
 * the checks are not held for the whole job and nothing of them is torn down
 * at the end, so SIGTERM to exit costs what it costs tini. The signal mask
 * (every signal blocked, so none is lost in between) and the pending signals
 * survive the exec; the inherited state the workload gets back is passed in
 * the argument (sig_export). Without /proc, netcheck supervises in place.
 *
 * When the workload exits, netcheck exits at once, like tini, even if some
 * of its descendants still run: the workload's exit is the job's end. As
 * PID 1 of a PID namespace (a container), the kernel then kills whatever is
 * left in the namespace; otherwise the leftovers are re-parented.
 */
#include "netcheck/wrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/signals.h"

/* How often the supervisor reaps even without a SIGCHLD (as tini does). */
#define WRAPPER_TICK_S 1
/* The kernel's sigset_t: one bit per signal, 1.._NSIG-1. */
#define WRAPPER_KERNEL_SIGSET_BYTES ((_NSIG - 1 + 7) / 8)

/* Every signal the kernel has. sigfillset() leaves out the few the C library
 * keeps for its threads (glibc 32-33, musl 32-34), but the workload may be
 * linked against another libc: glibc's SIGRTMIN is 34. netcheck has no
 * threads, so holding these too costs nothing. */
static void fill_every_signal(sigset_t *set) { memset(set, 0xff, sizeof *set); }

static int exec_status(const char *prog, int err) {
  NC_ERROR("cannot run '%s': %s", prog, strerror(err));
  return (err == ENOENT || err == ENOTDIR) ? 127 : 126;
}

int wrapper_exec(char **argv) {
  fflush(NULL);
  sig_restore();
  execvp(argv[0], argv);
  return exec_status(argv[0], errno);
}

void wrapper_init_prepare(void) {
  struct sigaction dfl;
  sigset_t all;
  /* An ignored SIGCHLD survives exec and makes the kernel reap children
   * itself: the workload's status would be lost. */
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGCHLD, &dfl, NULL);
  /* Blocked, not handled: as PID 1 the kernel drops any signal whose
   * disposition is the default, but it queues a blocked one. Blocking
   * SIGTTIN/SIGTTOU too keeps netcheck from ever being stopped by the
   * terminal once the workload's group owns it, and lets a kill of them
   * reach the workload. Faults (SIGSEGV...) are delivered regardless. */
  fill_every_signal(&all);
  /* The system call itself: the libc wrappers drop their reserved signals. */
  if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, WRAPPER_KERNEL_SIGSET_BYTES))
    sigprocmask(SIG_SETMASK, &all, NULL);
  /* Outside a PID namespace, orphans would go to the real init: adopt them
   * so that "reaps every zombie" holds there too. */
  if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
    NC_DEBUG("--init: cannot become a child subreaper: %s", strerror(errno));
}

static int status_code(int st) {
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return NC_EXIT_INTERNAL;
}

/* In the child, between fork and exec: own process group, the terminal's
 * foreground, then the signal state of a fresh process. Never returns. */
static void child_exec(char **argv, int errfd) {
  int err;
  setpgid(0, 0);
  /* Done here, with SIGTTOU still blocked, so that taking the terminal from
   * the background cannot stop the child. No terminal is the usual case. */
  if (isatty(STDIN_FILENO) && tcsetpgrp(STDIN_FILENO, getpgrp()))
    NC_DEBUG("--init: cannot give the terminal to '%s': %s", argv[0], strerror(errno));
  sig_restore();
  execvp(argv[0], argv);
  err = errno;
  if (write(errfd, &err, sizeof err) < 0)
    _exit(126);
  _exit((err == ENOENT || err == ENOTDIR) ? 127 : 126);
}

/* Starts argv as a child. Returns its pid, or -1 with *status set to the
 * exit status netcheck must return (127/126 when exec failed). */
static pid_t spawn(char **argv, int *status) {
  int pipefd[2], err;
  ssize_t n;
  pid_t child;

  /* The child reports a failed exec through a close-on-exec pipe. */
  if (pipe2(pipefd, O_CLOEXEC)) {
    NC_ERROR("--init: pipe: %s", strerror(errno));
    *status = NC_EXIT_INTERNAL;
    return -1;
  }
  fflush(NULL);
  child = fork();
  if (child < 0) {
    NC_ERROR("--init: cannot start '%s': fork: %s", argv[0], strerror(errno));
    close(pipefd[0]);
    close(pipefd[1]);
    *status = NC_EXIT_INTERNAL;
    return -1;
  }
  if (child == 0) {
    close(pipefd[0]);
    child_exec(argv, pipefd[1]);
  }
  /* Also in the parent: a signal forwarded to the group before the child
   * ran setpgid would find no group. EACCES: it has exec'd (and did it). */
  setpgid(child, child);
  close(pipefd[1]);
  do
    n = read(pipefd[0], &err, sizeof err);
  while (n < 0 && errno == EINTR);
  close(pipefd[0]);
  if (n == (ssize_t)sizeof err) {
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR)
      ;
    *status = exec_status(argv[0], err);
    return -1;
  }
  return child;
}

static void forward(pid_t child, int sig, int to_group) {
  /* The child may have moved to another group: then it gets its own copy. */
  if (to_group && kill(-child, sig) && errno != ESRCH)
    NC_WARN("--init: cannot forward signal %d to group %d: %s", sig, (int)child, strerror(errno));
  if ((!to_group || getpgid(child) != child) && kill(child, sig) && errno != ESRCH)
    NC_WARN("--init: cannot forward signal %d to %d: %s", sig, (int)child, strerror(errno));
}

/* Reaps every zombie there is; returns 1 with *status set once the child
 * itself has exited. */
static int reap(pid_t child, int *status) {
  int st, done = 0;
  pid_t w;
  while ((w = waitpid(-1, &st, WNOHANG)) > 0)
    if (w == child) {
      *status = status_code(st);
      done = 1;
    }
  if (w < 0 && errno == ECHILD && !done) {
    /* Cannot happen while the child lives; never spin if it does. */
    NC_ERROR("--init: lost track of the workload");
    *status = NC_EXIT_INTERNAL;
    return 1;
  }
  return done;
}

int wrapper_init_reexec(char **argv) {
  char arg[sizeof WRAPPER_SUPERVISOR_ARG + 64], comm[17] = NC_NAME;
  char **nargv;
  size_t n = 0;
  while (argv[n])
    n++;
  nargv = calloc(n + 4, sizeof *nargv);
  if (nargv) {
    char state[64];
    sig_export(state, sizeof state);
    nc_snprintf(arg, sizeof arg, "%s=%s", WRAPPER_SUPERVISOR_ARG, state);
    /* The supervisor keeps netcheck's process name (the kernel would call
     * it "exe"): it goes as argv[0] and is set again there. */
    if (prctl(PR_GET_NAME, comm, 0, 0, 0))
      nc_snprintf(comm, sizeof comm, "%s", NC_NAME);
    nargv[0] = comm;
    nargv[1] = arg;
    nargv[2] = "--";
    memcpy(nargv + 3, argv, (n + 1) * sizeof *nargv);
    fflush(NULL);
    /* The path /proc/self/exe names, when it still names one: under a
     * program loader such as valgrind, /proc/self/exe itself is the loader,
     * while readlink tells the program. A binary deleted or replaced since
     * it started leaves "(deleted)": then /proc/self/exe, which still
     * reaches it. */
    char self[NC_PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
      self[len] = '\0';
      if (self[0] == '/' && !strstr(self, " (deleted)") && access(self, X_OK) == 0)
        execv(self, nargv);
    }
    execv("/proc/self/exe", nargv);
    NC_DEBUG("--init: cannot re-execute netcheck as the supervisor (%s): supervising in place",
             strerror(errno));
    free(nargv);
  }
  return wrapper_init(argv, 1);
}

int wrapper_supervisor_main(int argc, char **argv) {
  const char *state = argv[1] + strlen(WRAPPER_SUPERVISOR_ARG);
  if (argc < 4 || *state != '=' || !sig_import(state + 1) || strcmp(argv[2], "--")) {
    fprintf(stderr, NC_NAME ": %s is netcheck's own (--init)\n", WRAPPER_SUPERVISOR_ARG);
    return NC_EXIT_USAGE;
  }
  prctl(PR_SET_NAME, argv[0], 0, 0, 0);
  return wrapper_init(argv + 3, 1);
}

int wrapper_init(char **argv, int forward_to_group) {
  sigset_t all;
  pid_t child, self = getpid();
  int status;

  wrapper_init_prepare();
  child = spawn(argv, &status);
  if (child < 0)
    return status;
  fill_every_signal(&all);
  for (;;) {
    struct timespec tick = {WRAPPER_TICK_S, 0};
    siginfo_t si;
    int sig = sigtimedwait(&all, &si, &tick);
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      NC_ERROR("--init: sigtimedwait: %s", strerror(errno));
      return NC_EXIT_INTERNAL;
    }
    /* A SIGPIPE netcheck raised on itself (writing to a closed stderr) is
     * no message for the workload. */
    if (sig > 0 && sig != SIGCHLD && !(si.si_code == SI_USER && si.si_pid == self)) {
      NC_DEBUG("--init: forwarding signal %d", sig);
      forward(child, sig, forward_to_group);
    }
    if (reap(child, &status)) {
      fflush(NULL);
      return status;
    }
  }
}
