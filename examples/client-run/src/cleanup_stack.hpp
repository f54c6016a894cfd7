// What the demo created, undone in reverse order on every path out: success,
// a failed step, or Ctrl-C. Each undo prints what it did, so a reader sees
// that nothing is left behind.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "result.hpp"

namespace client_run {

class CleanupStack {
 public:
  CleanupStack() = default;
  CleanupStack(const CleanupStack&) = delete;
  CleanupStack& operator=(const CleanupStack&) = delete;
  ~CleanupStack() { run(); }

  void push(std::string what, std::function<Status()> undo) {
    steps_.emplace_back(std::move(what), std::move(undo));
  }

  // Runs every undo, newest first; false if any failed (each failure printed).
  bool run() {
    bool ok = true;
    while (!steps_.empty()) {
      auto [what, undo] = std::move(steps_.back());
      steps_.pop_back();
      if (auto s = undo(); s) {
        std::printf("cleanup: %s\n", what.c_str());
      } else {
        std::fprintf(stderr, "client-run: cleanup: %s: %s\n", what.c_str(), s.error().c_str());
        ok = false;
      }
      std::fflush(stdout);
    }
    return ok;
  }

 private:
  std::vector<std::pair<std::string, std::function<Status()>>> steps_;
};

}  // namespace client_run
