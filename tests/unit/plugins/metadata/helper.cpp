// Child process for the metadata tests. Modes:
//   helper commit-and-kill <db> <sync:0|1> <count>
//     commits <count> transactions and a namespace, then SIGKILLs itself, so
//     nothing gets a chance to flush or close.
//   helper hold <db>
//     opens the database, prints "ready", and keeps it open until stdin closes.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "keys.hpp"
#include "namespace_store.hpp"
#include "rocks_metadata.hpp"

namespace md = berth::metadata;

namespace {

int fail(const std::string& what) {
  std::cerr << "helper: " << what << "\n";
  return 2;
}

int commit_and_kill(const char* db, bool sync, int count) {
  auto store = md::RocksMetadata::open(db, {.sync_writes = sync});
  if (!store.ok()) return fail(store.status().to_string());
  auto& m = **store;
  berth::Status st = m.update([&](berth::Transaction& tx) {
    return md::KvNamespaceStore().create(tx, {"crashed", {{"committed", "before-kill"}}});
  });
  if (!st.ok()) return fail(st.to_string());
  const std::string leases = md::keys::kind_prefix("crashed", md::keys::kLeases);
  for (int i = 0; i < count; ++i) {
    st = m.update([&](berth::Transaction& tx) {
      return tx.put(md::keys::object_key(leases, "l" + std::to_string(i), "created"), std::to_string(i));
    });
    if (!st.ok()) return fail(st.to_string());
  }
  kill(getpid(), SIGKILL);
  return 3;
}

int hold(const char* db) {
  auto store = md::RocksMetadata::open(db, {.sync_writes = false});
  if (!store.ok()) return fail(store.status().to_string());
  std::cout << "ready" << std::endl;
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  berth::Status st = (*store)->close();
  return st.ok() ? 0 : fail(st.to_string());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "commit-and-kill" && argc == 5)
    return commit_and_kill(argv[2], argv[3][0] == '1', std::atoi(argv[4]));
  if (mode == "hold" && argc == 3) return hold(argv[2]);
  return fail("usage: helper commit-and-kill <db> <sync> <count> | hold <db>");
}
