#include "snapshot-storage/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "files/fd_io.hpp"

namespace berth::snapshot {

Result<std::unique_ptr<Journal>> Journal::open(const std::filesystem::path& path,
                                               std::vector<std::string>& lines) {
  auto fd = files::open_file(path, O_RDWR | O_CREAT, 0600);
  if (!fd.ok()) return fd.status();
  auto st = files::stat_fd(fd->get(), path);
  if (!st.ok()) return st.status();
  std::string text(static_cast<std::size_t>(st->st_size), '\0');
  auto got = files::pread_full(fd->get(), text.data(), text.size(), 0, path);
  if (!got.ok()) return got.status();
  text.resize(*got);

  lines.clear();
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.emplace_back(text, start, nl - start);
  // What follows the last newline is a change that never completed.
  const auto whole = static_cast<int64_t>(start);
  if (whole != static_cast<int64_t>(text.size())) {
    if (::ftruncate(fd->get(), whole) != 0 || ::fdatasync(fd->get()) != 0)
      return errno_status("cut the torn last line of " + path.string(), errno);
  }
  return std::unique_ptr<Journal>(new Journal(path, std::move(fd).value(), whole, lines.size()));
}

Status Journal::append(std::string_view line) {
  if (broken_)
    return data_loss(path_.string() + " holds a change that could not be taken back; restart to reload it");
  std::string buf;
  buf.reserve(line.size() + 1);
  buf.append(line).push_back('\n');
  Status st = files::pwrite_all(fd_.get(), buf, size_, path_);
  if (st.ok() && ::fdatasync(fd_.get()) != 0) st = errno_status("fdatasync " + path_.string(), errno);
  if (!st.ok()) {
    // Whatever part reached the file goes; the next append starts clean.
    // If even that fails, the file may hold a change the caller was told
    // failed: write nothing more beside it.
    if (::ftruncate(fd_.get(), size_) != 0) broken_ = true;
    return st;
  }
  size_ += static_cast<int64_t>(buf.size());
  ++lines_;
  return {};
}

Status Journal::clear() {
  if (::ftruncate(fd_.get(), 0) != 0 || ::fsync(fd_.get()) != 0)
    return errno_status("empty " + path_.string(), errno);
  size_ = 0;
  lines_ = 0;
  return {};
}

}  // namespace berth::snapshot
