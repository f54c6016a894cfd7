#include "transfer_progress.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace berth::cli {
namespace {

constexpr int kBarWidth = 24;
constexpr auto kFrameInterval = std::chrono::milliseconds(100);

// The blob's bytes are where they are going (or need not go).
bool moved(const std::string& state) {
  return state == "verified" || state == "exists" || state == "mounted" || state == "unpacking" ||
         state == "done";
}

bool moving(const std::string& state) { return state == "downloading" || state == "uploading"; }

}  // namespace

std::string human_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{:.0f} {}", bytes, kUnits[unit])
                   : fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

TransferProgressView::TransferProgressView(std::FILE* out, bool live)
    : out_(out), live_(live), start_(std::chrono::steady_clock::now()) {}

void TransferProgressView::update(const std::string& kind, const std::string& digest,
                                  const std::string& state, int64_t offset, int64_t total) {
  const auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = blobs_.try_emplace(digest);
  Blob& b = it->second;
  if (fresh) {
    order_.push_back(digest);
    b.kind = kind;
    b.digest = digest;
  }
  const bool changed = fresh || b.state != state;
  if (moving(state) && b.started == std::chrono::steady_clock::time_point{}) b.started = now;
  if (moved(state) && b.ended == std::chrono::steady_clock::time_point{}) b.ended = now;
  b.state = state;
  b.offset = moved(state) ? total : offset;
  b.total = total;
  if (!live_) {
    if (changed) fmt::print(out_, "{} {} {} {}\n", b.kind, b.digest, b.state, human_bytes(double(b.total)));
    return;
  }
  if (changed || now - last_draw_ >= kFrameInterval) draw();
}

std::string TransferProgressView::line(const Blob& b, std::chrono::steady_clock::time_point now) const {
  const double fraction = b.total > 0 ? std::clamp(double(b.offset) / double(b.total), 0.0, 1.0) : 1.0;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kBarWidth) bar += '>';
  bar.resize(kBarWidth, ' ');
  std::string rate;
  if (b.started != std::chrono::steady_clock::time_point{}) {
    const auto end = b.ended != std::chrono::steady_clock::time_point{} ? b.ended : now;
    const double secs = std::chrono::duration<double>(end - b.started).count();
    if (secs > 0.05) rate = human_bytes(double(b.offset) / secs) + "/s";
  }
  const std::string short_digest = b.digest.substr(0, std::min<std::size_t>(b.digest.size(), 19));
  return fmt::format("{:<8} {:<19} [{}] {:>10} / {:<10} {:>12}  {}", b.kind, short_digest, bar,
                     human_bytes(double(b.offset)), human_bytes(double(b.total)), rate, b.state);
}

void TransferProgressView::draw() {
  const auto now = std::chrono::steady_clock::now();
  last_draw_ = now;
  std::string frame;
  // Back to the first line of the previous frame, then overwrite it.
  if (drawn_lines_ > 0) frame += fmt::format("\x1b[{}F", drawn_lines_);
  int64_t bytes = 0;
  int64_t total = 0;
  int done = 0;
  for (const std::string& d : order_) {
    const Blob& b = blobs_.at(d);
    frame += "\x1b[2K" + line(b, now) + "\n";
    bytes += b.offset;
    total += b.total;
    if (b.state == "done" || b.state == "exists" || b.state == "mounted" ||
        (b.kind != "layer" && b.state == "verified"))
      ++done;
  }
  const double secs = std::chrono::duration<double>(now - start_).count();
  frame += fmt::format("\x1b[2Ktotal    {} / {} in {:.1f} s, {}/{} blobs done\n", human_bytes(double(bytes)),
                       human_bytes(double(total)), secs, done, order_.size());
  drawn_lines_ = order_.size() + 1;
  std::fputs(frame.c_str(), out_);
  std::fflush(out_);
}

void TransferProgressView::finish() {
  if (live_) draw();
}

}  // namespace berth::cli
