#include "trim.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace berth::shim {

void trim_memory() {
  ::malloc_trim(0);
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  // /proc/self/maps read by hand: no allocation-heavy parsing.
  const int fd = ::open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  static char buf[16384];
  std::size_t len = 0;
  for (ssize_t r; len < sizeof buf - 1 && (r = ::read(fd, buf + len, sizeof buf - 1 - len)) > 0;)
    len += static_cast<std::size_t>(r);
  ::close(fd);
  buf[len] = '\0';
  for (char* line = buf; line != nullptr && *line != '\0';) {
    char* next = std::strchr(line, '\n');
    if (next != nullptr) *next++ = '\0';
    // "start-end perms offset dev inode   path"
    char* end = nullptr;
    const unsigned long start = std::strtoul(line, &end, 16);
    const unsigned long stop = std::strtoul(end + 1, &end, 16);
    const char* perms = end + 1;
    const char* path = std::strchr(line, '/');
    // Only code: never written, so dropping it loses nothing. Our writable
    // and relocated (RELRO) mappings are left alone.
    if (std::strncmp(perms, "r-xp", 4) == 0 && path != nullptr && std::strcmp(path, exe) == 0) {
      // An address from /proc/self/maps: an integer by nature.
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      ::madvise(reinterpret_cast<void*>(start), stop - start, MADV_DONTNEED);
    }
    line = next;
  }
}

}  // namespace berth::shim
