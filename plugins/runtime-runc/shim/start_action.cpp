// `start`, as containerd's runc shim manager does it: the socket is made
// here (so a second start for the same id finds the first shim), its
// address written to <bundle>/address, and the long-lived shim forked in a
// session of its own with the listening socket as fd 3.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "actions.hpp"
#include "bundle.hpp"
#include "files/atomic_file.hpp"
#include "ttrpc/unix_socket.hpp"

namespace berth::shim {
namespace {

int fail(const std::string& message) {
  const std::string line = "containerd-shim-berth-v2 start: " + message + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  return 1;
}

}  // namespace

int start_action(const Flags& flags) {
  auto path = socket_path(flags.bundle, flags.address, flags.ns, flags.id);
  if (!path.ok()) return fail(path.status().message());
  const std::string dir = path->substr(0, path->rfind('/'));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("mkdir " + dir + ": " + std::strerror(errno));
  ::chmod(dir.c_str(), 0700);
  const std::string address = "unix://" + *path;
  auto listener = ttrpc::listen_unix(*path);
  if (!listener.ok()) {
    // A shim already serves this id: containerd reuses it.
    if (listener.status().code() == Code::kAlreadyExists &&
        ttrpc::dial_unix(*path, std::chrono::milliseconds(500)).ok()) {
      if (Status s = files::replace_file(flags.bundle + "/address", address, files::Durability::kAtomicOnly);
          !s.ok())
        return fail(s.message());
      (void)!::write(STDOUT_FILENO, address.data(), address.size());
      return 0;
    }
    return fail(listener.status().message());
  }
  if (Status s = files::replace_file(flags.bundle + "/address", address, files::Durability::kAtomicOnly);
      !s.ok()) {
    ::unlink(path->c_str());
    return fail(s.message());
  }
  // The Any containerd writes on stdin (runc options, for a shim cgroup) is
  // read and not needed: Create brings the options again.
  char buf[4096];
  while (::read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }

  std::vector<std::string> args = {"/proc/self/exe", "-namespace", flags.ns,     "-id",
                                   flags.id,         "-address",   flags.address};
  if (!flags.publish_binary.empty()) args.insert(args.end(), {"-publish-binary", flags.publish_binary});
  if (flags.debug) args.emplace_back("-debug");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return fail(std::string("readlink /proc/self/exe: ") + std::strerror(errno));
  self[n] = '\0';
  argv[0] = self;

  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  // Single-threaded here: fork is safe.
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::unlink(path->c_str());
    return fail(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setsid();
    if (::chdir(flags.bundle.c_str()) != 0) ::_exit(127);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    // The socket as fd 3, without CLOEXEC: dup2 clears it on a copy, but
    // does nothing when the socket already is fd 3.
    if (listener->get() == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else {
      ::dup2(listener->get(), 3);
    }
    ::execv(self, argv.data());
    ::_exit(127);
  }
  (void)!::write(STDOUT_FILENO, address.data(), address.size());
  return 0;
}

}  // namespace berth::shim
