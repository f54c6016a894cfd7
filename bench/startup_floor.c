/* startup_floor: what a daemon that loads berthd's shared libraries and does
 * nothing else costs from exec to a listening socket: the floor under
 * berthd's start-up.
 *
 *   startup_floor LIBS SOCK
 *
 * dlopen()s every file named in LIBS (one path a line) with RTLD_NOW |
 * RTLD_LOCAL, as berthd loads its plugins (each file's own dependencies come
 * with it), then binds and listens on the unix socket SOCK and waits for
 * SIGTERM. bench/startup.sh times it with the same probe as the daemons.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: startup_floor LIBS SOCK\n");
    return 2;
  }
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigaddset(&term, SIGINT);
  sigprocmask(SIG_BLOCK, &term, NULL);

  FILE* list = fopen(argv[1], "r");
  if (list == NULL) {
    perror(argv[1]);
    return 1;
  }
  char line[4096];
  while (fgets(line, sizeof line, list) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    if (line[0] == '\0') continue;
    if (dlopen(line, RTLD_NOW | RTLD_LOCAL) == NULL) {
      fprintf(stderr, "startup_floor: %s\n", dlerror());
      return 1;
    }
  }
  fclose(list);

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(argv[2]) >= sizeof addr.sun_path) {
    fprintf(stderr, "startup_floor: socket path too long\n");
    return 1;
  }
  strcpy(addr.sun_path, argv[2]);
  unlink(argv[2]);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(fd, 128) != 0) {
    perror("startup_floor: listen");
    return 1;
  }
  int sig = 0;
  sigwait(&term, &sig);
  close(fd);
  unlink(argv[2]);
  return 0;
}
