// What a failed apply takes back. The apply engine notes every entry it
// creates where nothing was before; if the apply then fails (cancelled, over
// a limit, a bad entry, a wrong diffID) those entries are removed again, so
// a fresh snapshot (what an unpacker applies into) is left empty, as it was.
// Changes to what was already there (a replaced or deleted entry, a new
// owner, mode or time, an opaque marker) are not undone: that would need a
// copy of the old tree, and the caller discards the snapshot anyway.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "berth/status.hpp"
#include "safe_path.hpp"

namespace berth::diff {

class UndoLog {
 public:
  // `path` (clean, root-relative) did not exist and has just been created.
  // Only the outermost new entries are kept: removing a new directory takes
  // whatever was created below it.
  void created(const std::string& path, bool is_dir);

  // Removes the noted entries, newest first, inside `root`. A path is looked
  // up without following any symlink (a later entry may have turned one of
  // its parents into a link to elsewhere in the tree), and one that can no
  // longer be reached that way is left. Every entry is tried; the first
  // error is returned.
  Status undo(const Root& root) const;

 private:
  std::vector<std::string> outermost_;    // in creation order
  std::unordered_set<std::string> dirs_;  // every directory this apply made
};

}  // namespace berth::diff
