// Removes directory trees on a thread of its own. A task's Delete answers
// once its bundle is out of sight (renamed to a hidden name, which the
// restart sweep also removes); unlinking what the bundle held, one inode at
// a time on a busy disk, need not hold up the caller.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

namespace berth::runtime_runc {

class TreeRemover {
 public:
  TreeRemover();
  // Removes what is queued, then stops: nothing is left for the next start.
  ~TreeRemover();
  TreeRemover(const TreeRemover&) = delete;
  TreeRemover& operator=(const TreeRemover&) = delete;

  void remove_later(std::filesystem::path tree);

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::filesystem::path> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is there
};

}  // namespace berth::runtime_runc
