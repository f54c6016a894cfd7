// Steps that take back what a command made, run in reverse order when the
// command fails part way: `run` leaves no snapshot, container, task or FIFO
// behind when a later step fails.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

namespace berth::cli {

class UndoStack {
 public:
  UndoStack() = default;
  UndoStack(const UndoStack&) = delete;
  UndoStack& operator=(const UndoStack&) = delete;
  ~UndoStack() { run(); }

  // Returns the step's place, for discard().
  size_t push(std::function<void()> step) {
    steps_.push_back(std::move(step));
    return steps_.size() - 1;
  }
  // The step at `place` was done another way (the task was deleted on the
  // success path): nothing left to undo there.
  void discard(size_t place) {
    if (place < steps_.size()) steps_[place] = nullptr;
  }
  // Everything succeeded: keep what was made.
  void dismiss() { steps_.clear(); }
  // Undoes now, newest first.
  void run() {
    while (!steps_.empty()) {
      auto step = std::move(steps_.back());
      steps_.pop_back();
      if (step) step();
    }
  }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace berth::cli
