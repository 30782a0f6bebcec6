/*
 * wrapper.c - exec the workload, or supervise it as PID 1 (--init).
 */
#include "netcheck/wrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netcheck/common.h"

void wrapper_reset_signals(void) {
  sigset_t none;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  /* An ignored signal stays ignored across exec: give the workload defaults. */
  sigaction(SIGPIPE, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static int exec_status(const char *prog, int err) {
  NC_ERROR("cannot run '%s': %s", prog, strerror(err));
  return (err == ENOENT || err == ENOTDIR) ? 127 : 126;
}

int wrapper_exec(char **argv) {
  fflush(NULL);
  wrapper_reset_signals();
  execvp(argv[0], argv);
  return exec_status(argv[0], errno);
}

static int status_code(int st) {
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return NC_EXIT_INTERNAL;
}

int wrapper_init(char **argv, int forward_to_group) {
  sigset_t all, old;
  int pipefd[2];
  pid_t child;

  /* The child reports a failed exec through a close-on-exec pipe. */
  if (pipe2(pipefd, O_CLOEXEC)) {
    NC_ERROR("--init: pipe: %s", strerror(errno));
    return NC_EXIT_INTERNAL;
  }
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  fflush(NULL);
  child = fork();
  if (child < 0) {
    NC_ERROR("--init: fork: %s", strerror(errno));
    return NC_EXIT_INTERNAL;
  }
  if (child == 0) {
    int err;
    close(pipefd[0]);
    setpgid(0, 0);
    wrapper_reset_signals();
    execvp(argv[0], argv);
    err = errno;
    if (write(pipefd[1], &err, sizeof err) < 0)
      _exit(126);
    _exit((err == ENOENT || err == ENOTDIR) ? 127 : 126);
  }
  close(pipefd[1]);
  {
    int err;
    ssize_t n;
    do
      n = read(pipefd[0], &err, sizeof err);
    while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == (ssize_t)sizeof err) {
      int st;
      waitpid(child, &st, 0);
      return exec_status(argv[0], err);
    }
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) {
      if (errno == EINTR)
        continue;
      NC_ERROR("--init: sigwaitinfo: %s", strerror(errno));
      return NC_EXIT_INTERNAL;
    }
    if (sig != SIGCHLD) {
      if (kill(forward_to_group ? -child : child, sig) && errno != ESRCH)
        NC_WARN("--init: cannot forward signal %d: %s", sig, strerror(errno));
      continue;
    }
    /* Reap every zombie: orphans re-parented to PID 1 end up here too. */
    for (;;) {
      int st;
      pid_t w = waitpid(-1, &st, WNOHANG);
      if (w <= 0)
        break;
      if (w == child)
        return status_code(st);
    }
  }
}
