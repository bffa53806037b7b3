/*
 * launch.c - cy_launch: start N ranks on this machine and supervise them (the launcher
 * side of the "embedded" bootstrap, used by `cylon run --workers N` and by the tests).
 *
 * The launcher opens the rendezvous on a loopback port first, then starts the workers
 * (fork + execve of a program, or fork + a function) with CYLON_RANK, CYLON_WORLD_SIZE,
 * CYLON_BOOTSTRAP_ADDR and CYLON_JOB set (and CYLON_NUM_THREADS, when unset, to the
 * cores shared out among them) and their standard error on a pipe. One poll
 * loop then serves the rendezvous, passes each worker's stderr on line by line with a
 * "[rank r] " prefix (one write per line, so lines of different ranks do not interleave),
 * and reaps the workers. A worker that ends before reaching the rendezvous fails it at
 * once for the others (rather than letting them wait for their deadline). When a worker
 * fails, the others get grace_ms to notice (their communicators fail too) and end by
 * themselves; then they get SIGTERM, and SIGKILL two seconds later.
 *
 * Everything the exec'ing child needs is prepared before fork, so that between fork and
 * execve the child only calls async-signal-safe functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net_socket.h"
#include "net/rendezvous.h"

extern char **environ;

#define LINE_MAX_BYTES 4000
#define KILL_AFTER_TERM 2.0

typedef struct worker {
  pid_t pid;
  int err_fd; /* read end of its stderr pipe; -1 at its end */
  bool running;
  int code; /* exit status, or 128 + signal */
  size_t line_len;
  char line[LINE_MAX_BYTES];
} worker;

typedef struct launch {
  const cy_launch_options *opts;
  int32_t n;
  worker *w;
  rdv_server *rdv;
  char job[COMM_JOB_MAX];
  char addr[64];
  char **envp; /* exec: the environment of every worker, rank entry last-but-one */
  size_t env_rank; /* index of "CYLON_RANK=..." in envp */
  int32_t first_failed;
  double failed_at, term_at;
  bool termed, killed;
} launch;

void cy_launch_options_init(cy_launch_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->timeout_ms = COMM_DEFAULT_TIMEOUT_MS;
  opts->grace_ms = 3000;
}

static void random_job(char *buf, size_t size) {
  uint8_t b[8];
  if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
    uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15u ^ (uint64_t)(cy_now() * 1e9);
    memcpy(b, &x, sizeof b);
  }
  snprintf(buf, size, "job-%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
           b[5], b[6], b[7]);
}

/* Our variables, so a worker never sees a stale one from our own environment. */
static bool ours(const char *entry) {
  static const char *const names[] = {"CYLON_RANK=", "CYLON_WORLD_SIZE=",
                                      "CYLON_BOOTSTRAP_ADDR=", "CYLON_JOB=",
                                      "CYLON_BOOTSTRAP_SERVE="};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strncmp(entry, names[i], strlen(names[i])) == 0) return true;
  return false;
}

/* Compute threads of each of n ranks on this machine: its cores shared out, at least one,
 * so that n ranks never run more threads than cores (oversubscribed ranks slow each other
 * down at every barrier). CYLON_NUM_THREADS, when set, wins. */
static int local_rank_threads(int32_t n) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long t = cpus > 0 && n > 0 ? cpus / n : 1;
  return t > 0 ? (int)t : 1;
}

/* The exec'd workers' environment: ours without CYLON_* bootstrap variables, plus the
 * launch's (CYLON_RANK is rewritten per worker before its fork). */
static cy_status build_env(launch *l, cy_error *err) {
  size_t n = 0, k = 0;
  while (environ[n]) n++;
  l->envp = calloc(n + 6, sizeof *l->envp);
  if (l->envp == NULL) return cy_error_set(err, "out of memory"), CY_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (!ours(environ[i]) && (l->envp[k++] = strdup(environ[i])) == NULL) goto oom;
  char buf[COMM_JOB_MAX + 64];
  const char *extra[3] = {"CYLON_WORLD_SIZE=%d", "CYLON_BOOTSTRAP_ADDR=%s", "CYLON_JOB=%s"};
  for (int i = 0; i < 3; i++) {
    if (i == 0) snprintf(buf, sizeof buf, extra[i], (int)l->n);
    else snprintf(buf, sizeof buf, extra[i], i == 1 ? l->addr : l->job);
    if ((l->envp[k++] = strdup(buf)) == NULL) goto oom;
  }
  if (getenv("CYLON_NUM_THREADS") == NULL) {
    snprintf(buf, sizeof buf, "CYLON_NUM_THREADS=%d", local_rank_threads(l->n));
    if ((l->envp[k++] = strdup(buf)) == NULL) goto oom;
  }
  l->env_rank = k;
  if ((l->envp[k] = calloc(32, 1)) == NULL) goto oom;
  return CY_OK;
oom:
  cy_error_set(err, "out of memory");
  return CY_ENOMEM;
}

static void free_env(launch *l) {
  if (l->envp == NULL) return;
  for (size_t i = 0; l->envp[i]; i++) free(l->envp[i]);
  free(l->envp);
}

/* In the child of fork: become worker r. Never returns. */
static void become_worker(launch *l, int32_t r, int err_w) {
  dup2(err_w, STDERR_FILENO);
  if (l->opts->program) {
    snprintf(l->envp[l->env_rank], 32, "CYLON_RANK=%d", (int)r);
    execve(l->opts->program, l->opts->argv, l->envp);
    static const char msg[] = "cylon: cannot start the worker program\n";
    ssize_t rc = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)rc;
    _exit(127);
  }
  /* A forked worker: drop the launcher's sockets and pipes, set the variables, run. */
  rdv_server_free(l->rdv);
  for (int32_t i = 0; i < r; i++) close(l->w[i].err_fd);
  close(err_w);
  char buf[64];
  snprintf(buf, sizeof buf, "%d", (int)r);
  setenv("CYLON_RANK", buf, 1);
  snprintf(buf, sizeof buf, "%d", (int)l->n);
  setenv("CYLON_WORLD_SIZE", buf, 1);
  setenv("CYLON_BOOTSTRAP_ADDR", l->addr, 1);
  setenv("CYLON_JOB", l->job, 1);
  unsetenv("CYLON_BOOTSTRAP_SERVE");
  if (getenv("CYLON_NUM_THREADS") == NULL) {
    snprintf(buf, sizeof buf, "%d", local_rank_threads(l->n));
    setenv("CYLON_NUM_THREADS", buf, 1);
  }
  int rc = l->opts->run(l->opts->ctx);
  exit(rc & 0xff);
}

static cy_status start_worker(launch *l, int32_t r, cy_error *err) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    cy_error_set(err, "cannot start rank %d: pipe: %s", (int)r, strerror(errno));
    return CY_EIO;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    become_worker(l, r, fds[1]);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    cy_error_set(err, "cannot start rank %d: fork: %s", (int)r, strerror(errno));
    return CY_EIO;
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  l->w[r].pid = pid;
  l->w[r].err_fd = fds[0];
  l->w[r].running = true;
  return CY_OK;
}

/* ---- passing stderr on -------------------------------------------------------------- */

static void emit_line(int32_t r, const char *text, size_t len) {
  char out[LINE_MAX_BYTES + 32];
  int k = snprintf(out, sizeof out, "[rank %d] ", (int)r);
  memcpy(out + k, text, len);
  out[k + (int)len] = '\n';
  ssize_t rc = write(STDERR_FILENO, out, (size_t)k + len + 1);
  (void)rc;
}

static void forward(int32_t r, worker *w) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(w->err_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) { /* the worker's stderr is closed: pass on what is left */
      if (w->line_len) emit_line(r, w->line, w->line_len);
      w->line_len = 0;
      close(w->err_fd);
      w->err_fd = -1;
      return;
    }
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n') w->line[w->line_len++] = buf[i];
      if (buf[i] == '\n' || w->line_len == sizeof w->line) {
        emit_line(r, w->line, w->line_len);
        w->line_len = 0;
      }
    }
  }
}

/* ---- reaping and stopping ----------------------------------------------------------- */

static void reap(launch *l) {
  for (int32_t r = 0; r < l->n; r++) {
    worker *w = &l->w[r];
    int status;
    if (!w->running || waitpid(w->pid, &status, WNOHANG) != w->pid) continue;
    w->running = false;
    w->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    char why[64];
    snprintf(why, sizeof why, "exit status %d", w->code);
    rdv_server_rank_gone(l->rdv, r, why);
    if (w->code != 0 && l->first_failed < 0) {
      l->first_failed = r;
      l->failed_at = cy_now();
    }
  }
}

static void signal_running(launch *l, int sig) {
  for (int32_t r = 0; r < l->n; r++)
    if (l->w[r].running) kill(l->w[r].pid, sig);
}

/* After a failure: grace, then SIGTERM, then SIGKILL. */
static void stop_the_rest(launch *l) {
  double now = cy_now();
  if (l->first_failed < 0) return;
  if (!l->termed && now >= l->failed_at + (double)l->opts->grace_ms / 1000.0) {
    signal_running(l, SIGTERM);
    l->termed = true;
    l->term_at = now;
  } else if (l->termed && !l->killed && now >= l->term_at + KILL_AFTER_TERM) {
    signal_running(l, SIGKILL);
    l->killed = true;
  }
}

static int running_count(const launch *l, int *pipes) {
  int n = 0;
  *pipes = 0;
  for (int32_t r = 0; r < l->n; r++) n += l->w[r].running, *pipes += l->w[r].err_fd >= 0;
  return n;
}

static void supervise(launch *l, struct pollfd *pfds, int cap) {
  double all_ended_at = 0;
  for (;;) {
    int pipes, running = running_count(l, &pipes);
    if (running == 0 && all_ended_at == 0) all_ended_at = cy_now();
    /* A pipe may outlive its worker (a grandchild holding it): not for long. */
    if (running == 0 && (pipes == 0 || cy_now() > all_ended_at + 1.0)) break;
    int n = rdv_server_pollfds(l->rdv, pfds, cap - l->n);
    int first_pipe = n;
    for (int32_t r = 0; r < l->n; r++)
      if (l->w[r].err_fd >= 0) pfds[n++] = (struct pollfd){.fd = l->w[r].err_fd, .events = POLLIN};
    poll(pfds, (nfds_t)n, rdv_server_poll_ms(l->rdv, 20));
    rdv_server_step(l->rdv, pfds, first_pipe);
    for (int i = first_pipe; i < n; i++) {
      if (pfds[i].revents == 0) continue;
      for (int32_t r = 0; r < l->n; r++)
        if (l->w[r].err_fd == pfds[i].fd) forward(r, &l->w[r]);
    }
    reap(l);
    stop_the_rest(l);
  }
  for (int32_t r = 0; r < l->n; r++)
    if (l->w[r].err_fd >= 0) close(l->w[r].err_fd), l->w[r].err_fd = -1;
}

static cy_status outcome(launch *l, cy_error *err) {
  if (l->opts->exit_codes)
    for (int32_t r = 0; r < l->n; r++) l->opts->exit_codes[r] = l->w[r].code;
  if (l->first_failed < 0) return CY_OK;
  const worker *w = &l->w[l->first_failed];
  if (w->code > 128)
    cy_error_set(err, "rank %d was killed by signal %d (%s)", (int)l->first_failed,
                 w->code - 128, strsignal(w->code - 128));
  else
    cy_error_set(err, "rank %d failed (exit status %d)", (int)l->first_failed, w->code);
  cy_error rdv_err;
  if (err && rdv_server_timed_out(l->rdv) && rdv_server_state(l->rdv, &rdv_err) < 0) {
    size_t n = strlen(err->message);
    snprintf(err->message + n, sizeof err->message - n, "; %s", rdv_err.message);
  }
  return CY_EIO;
}

static cy_status check_options(const cy_launch_options *o, cy_error *err) {
  if (o->workers < 1 || o->workers > (1 << 20)) {
    cy_error_set(err, "launch: %d workers", (int)o->workers);
    return CY_EINVAL;
  }
  if ((o->program == NULL) == (o->run == NULL) || (o->program && o->argv == NULL)) {
    cy_error_set(err, "launch: give a program and its argv, or a function to run");
    return CY_EINVAL;
  }
  if (o->job && strlen(o->job) >= COMM_JOB_MAX) {
    cy_error_set(err, "launch: the job id is too long");
    return CY_EINVAL;
  }
  return CY_OK;
}

/* The rendezvous on a loopback port, and the variables the workers need. */
static cy_status prepare(launch *l, cy_error *err) {
  const cy_launch_options *o = l->opts;
  if (o->job) snprintf(l->job, sizeof l->job, "%s", o->job);
  else random_job(l->job, sizeof l->job);
  int fd, port;
  CY_RETURN_NOT_OK(net_listen("127.0.0.1", 0, l->n + 16, &fd, &port, err));
  snprintf(l->addr, sizeof l->addr, "127.0.0.1:%d", port);
  int64_t timeout = o->timeout_ms > 0 ? o->timeout_ms : COMM_DEFAULT_TIMEOUT_MS;
  CY_RETURN_NOT_OK(rdv_server_new(fd, l->job, l->n, comm_deadline_in(timeout), &l->rdv, err));
  if ((l->w = calloc((size_t)l->n, sizeof *l->w)) == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int32_t r = 0; r < l->n; r++) l->w[r].err_fd = -1;
  return o->program ? build_env(l, err) : CY_OK;
}

cy_status cy_launch(const cy_launch_options *opts, cy_error *err) {
  CY_RETURN_NOT_OK(check_options(opts, err));
  launch l;
  memset(&l, 0, sizeof l);
  l.opts = opts;
  l.n = opts->workers;
  l.first_failed = -1;
  cy_status st = prepare(&l, err);
  struct pollfd *pfds = NULL;
  int cap = 3 * l.n + 20;
  if (st == CY_OK && (pfds = calloc((size_t)cap, sizeof *pfds)) == NULL) {
    cy_error_set(err, "out of memory");
    st = CY_ENOMEM;
  }
  fflush(NULL); /* or buffered output would be written again by each forked worker */
  int32_t started = 0;
  while (st == CY_OK && started < l.n) {
    st = start_worker(&l, started, err);
    if (st == CY_OK) started++;
  }
  if (st == CY_OK) {
    supervise(&l, pfds, cap);
    st = outcome(&l, err);
  } else if (started > 0) { /* could not start them all: stop those that run */
    l.n = started;
    signal_running(&l, SIGKILL);
    for (int32_t r = 0; r < started; r++) waitpid(l.w[r].pid, NULL, 0), close(l.w[r].err_fd);
  }
  free(pfds);
  free_env(&l);
  free(l.w);
  rdv_server_free(l.rdv);
  return st;
}
