/* startup_probe: start a daemon and time it to its first answer.
 *
 *   startup_probe RESULT SOCK LOG POLL_US TIMEOUT_MS CTR -- DAEMON [ARGS...]
 *
 * t0 is CLOCK_MONOTONIC just before fork()+execv() of DAEMON (stdout and
 * stderr to LOG). The parent then tries connect() on the unix socket SOCK
 * every POLL_US microseconds; the first accepted connect is t_listen. From
 * then it runs `CTR -a SOCK version` (output discarded) until one exits 0;
 * that exit is t_answer. Right then it reads the daemon's user+system CPU
 * time (all threads, /proc/PID/stat, clock-tick resolution). It writes
 * "PID T_LISTEN_MS T_ANSWER_MS CPU_MS CTR_RUNS" to RESULT (via RESULT.tmp +
 * rename, so a reader never sees half a line),
 * or "PID fail REASON" on timeout / early exit, then stays the daemon's
 * parent and reaps it, exiting with the daemon's status. The caller stops
 * the daemon by PID (SIGTERM). SIGTERM/SIGINT to the probe are passed on to
 * the daemon, and the daemon gets SIGTERM if the probe dies (PDEATHSIG), so
 * a killed benchmark leaves no daemon behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;
static volatile pid_t daemon_pid = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
  if (daemon_pid > 0) kill(daemon_pid, SIGTERM);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int listening(const char* path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  int ok = connect(fd, (struct sockaddr*)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static int run_ctr(const char* ctr, const char* sock) {
  pid_t p = fork();
  if (p < 0) return -1;
  if (p == 0) {
    int dn = open("/dev/null", O_RDWR);
    dup2(dn, 1);
    dup2(dn, 2);
    execl(ctr, ctr, "-a", sock, "--timeout", "5s", "version", (char*)NULL);
    _exit(127);
  }
  int st = 0;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void report(const char* result, const char* line) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", result);
  FILE* f = fopen(tmp, "w");
  if (!f) { perror(tmp); return; }
  fputs(line, f);
  fclose(f);
  rename(tmp, result);
}

/* utime + stime of the whole process in ms, or -1. */
static double cpu_ms(pid_t pid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char* p = strrchr(buf, ')'); /* comm may hold spaces */
  if (!p) return -1;
  unsigned long utime = 0, stime = 0;
  /* after ")": state(3) ... utime is field 14, stime 15 */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return (utime + stime) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static int daemon_gone(pid_t pid, int* status) {
  return waitpid(pid, status, WNOHANG) == pid;
}

int main(int argc, char** argv) {
  if (argc < 9 || strcmp(argv[7], "--") != 0) {
    fprintf(stderr, "usage: %s RESULT SOCK LOG POLL_US TIMEOUT_MS CTR -- DAEMON [ARGS...]\n", argv[0]);
    return 2;
  }
  const char *result = argv[1], *sock = argv[2], *log = argv[3], *ctr = argv[6];
  long poll_us = atol(argv[4]);
  double timeout = atof(argv[5]);
  char line[256];

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  pid_t parent = getpid();

  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 1; }
  if (pid == 0) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1); /* the probe died before prctl */
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
    execv(argv[8], argv + 8);
    perror("execv");
    _exit(127);
  }
  daemon_pid = pid;
  if (stop_requested) kill(pid, SIGTERM);
  int status = 0, exited = 0;
  double t_listen = -1, t_answer = -1;
  int ctr_runs = 0;
  struct timespec nap = {poll_us / 1000000, (poll_us % 1000000) * 1000};
  while (now_ms() - t0 < timeout && !stop_requested) {
    if (daemon_gone(pid, &status)) { exited = 1; break; }
    if (t_listen < 0) {
      if (listening(sock)) t_listen = now_ms() - t0;
      else { nanosleep(&nap, NULL); continue; }
    }
    ++ctr_runs;
    if (run_ctr(ctr, sock) == 0) { t_answer = now_ms() - t0; break; }
    nanosleep(&nap, NULL);
  }
  if (t_answer >= 0) {
    snprintf(line, sizeof line, "%d %.3f %.3f %.0f %d\n", (int)pid, t_listen, t_answer, cpu_ms(pid), ctr_runs);
  } else {
    snprintf(line, sizeof line, "%d fail %s\n", (int)pid,
             exited ? "daemon-exited" : stop_requested ? "interrupted" : "timeout");
  }
  report(result, line);
  if (exited) return 1;
  if (stop_requested) kill(pid, SIGTERM);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
