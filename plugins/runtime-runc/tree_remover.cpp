#include "tree_remover.hpp"

#include "berth/log.hpp"
#include "files/dirs.hpp"

namespace berth::runtime_runc {

TreeRemover::TreeRemover() : thread_([this] { loop(); }) {}

TreeRemover::~TreeRemover() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void TreeRemover::remove_later(std::filesystem::path tree) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(tree));
  }
  wake_.notify_one();
}

void TreeRemover::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    const std::filesystem::path tree = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (Status st = files::remove_tree(tree); !st.ok())
      log::warn("remove {}: {}", tree.string(), st.message());
    lock.lock();
  }
}

}  // namespace berth::runtime_runc
