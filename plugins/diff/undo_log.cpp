#include "undo_log.hpp"

#include <fcntl.h>
#include <linux/openat2.h>

#include <cerrno>

namespace berth::diff {

void UndoLog::created(const std::string& path, bool is_dir) {
  const std::string parent(split_parent(path).first);
  if (parent.empty() || dirs_.count(parent) == 0) outermost_.push_back(path);
  if (is_dir) dirs_.insert(path);
}

Status UndoLog::undo(const Root& root) const {
  Status first;
  for (auto it = outermost_.rbegin(); it != outermost_.rend(); ++it) {
    const auto [dir, base] = split_parent(*it);
    const int fd = open_in_root(root.fd(), dir, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
    if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP) continue;  // gone, or only reachable by a link
    if (fd < 0) {
      if (first.ok()) first = errno_status("undo the apply: open /" + std::string(dir), -fd);
      continue;
    }
    UniqueFd parent(fd);
    Status st = remove_all_at(parent.get(), std::string(base), *it);
    if (!st.ok() && first.ok()) first = st.with_context("undo the apply");
  }
  return first;
}

}  // namespace berth::diff
