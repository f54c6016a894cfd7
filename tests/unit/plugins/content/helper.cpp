// Child process for the content store tests. Modes:
//   helper write-and-kill <root> <ref> <total> <part> <seed>
//     opens a writer on <ref> announcing <total> bytes, writes the first
//     <part> bytes of pattern(<total>, <seed>) in 64 KiB pieces, then SIGKILLs
//     itself, so nothing gets a chance to close or flush.
//   helper hold <root> <ref>
//     opens a writer on <ref>, prints "ready", and keeps it open until stdin
//     closes; then closes it normally.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "local_store.hpp"
#include "pattern.hpp"

namespace {

int fail(const std::string& what) {
  std::cerr << "helper: " << what << "\n";
  return 2;
}

int write_and_kill(const char* root, const char* ref, int64_t total, int64_t part, uint32_t seed) {
  auto store = berth::content::LocalStore::open(root);
  if (!store.ok()) return fail(store.status().to_string());
  auto w = (*store)->writer(ref, total, "");
  if (!w.ok()) return fail(w.status().to_string());
  const std::string data = berth::content::test::pattern(static_cast<std::size_t>(total), seed);
  for (int64_t off = 0; off < part; off += 65536) {
    const auto len = static_cast<std::size_t>(std::min<int64_t>(65536, part - off));
    if (auto st = (*w)->write(std::string_view(data).substr(static_cast<std::size_t>(off), len)); !st.ok())
      return fail(st.to_string());
  }
  kill(getpid(), SIGKILL);
  return 3;
}

int hold(const char* root, const char* ref) {
  auto store = berth::content::LocalStore::open(root);
  if (!store.ok()) return fail(store.status().to_string());
  auto w = (*store)->writer(ref, 0, "");
  if (!w.ok()) return fail(w.status().to_string());
  std::cout << "ready" << std::endl;
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write-and-kill" && argc == 7)
    return write_and_kill(argv[2], argv[3], std::atoll(argv[4]), std::atoll(argv[5]),
                          static_cast<uint32_t>(std::atoll(argv[6])));
  if (mode == "hold" && argc == 4) return hold(argv[2], argv[3]);
  return fail("usage: helper write-and-kill <root> <ref> <total> <part> <seed> | hold <root> <ref>");
}
