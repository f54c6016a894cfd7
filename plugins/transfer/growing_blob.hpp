// A layer as it downloads, read by the unpacker while the downloader still
// writes it: the unpacker reads what the content ingest already holds and
// waits for more, so decompression and apply run alongside the download.
//
// The end of the stream (read() returning 0) is reported only once the
// download is verified (the ingest holds every byte and they hash to the
// descriptor's digest): an apply can never finish on bytes whose digest has
// not been checked. The commit that makes the blob durable (an fsync of the
// whole blob) may still be running then, so it need not hold up the unpack.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "berth/content_store.hpp"
#include "berth/diff.hpp"
#include "berth/status.hpp"

namespace berth::transfer {

class GrowingBlob final : public LayerSource {
 public:
  // `cancelled` is asked while read() waits (on the reader's thread).
  explicit GrowingBlob(CancelCheck cancelled) : cancelled_(std::move(cancelled)) {}

  // --- the downloader's side
  // The ingest's bytes, readable from offset 0 while they grow.
  void start(std::unique_ptr<ContentReader> ingest);
  // `written` bytes are in the ingest now.
  void advance(int64_t written);
  // The download starts over: what a reader got is void.
  void restart();
  // Every byte is in the ingest and hashes to the blob's digest; the commit
  // follows.
  void verified();
  // Committed (OK) or failed. Every download ends with exactly one finish.
  void finish(Status status);

  // --- the unpacker's side
  enum class Ready { kStream, kCommitted, kFailed };
  // Waits until the bytes can be streamed (an ingest is open) or the
  // download ended (committed: apply from the content store).
  Ready wait_ready();
  // Waits until the bytes are verified (OK) or the download failed before that.
  Status wait_verified();
  // Waits for the end of the download, commit included; its status.
  Status wait();
  Result<std::size_t> read(char* buf, std::size_t len) override;

 private:
  // Waits on cv_ in short slices, asking cancelled_ between them.
  Status wait_until(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done);

  CancelCheck cancelled_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<ContentReader> ingest_;
  int64_t written_ = 0;
  int64_t pos_ = 0;  // the reader's offset
  bool restarted_ = false;
  bool verified_ = false;
  bool done_ = false;
  Status final_;
};

}  // namespace berth::transfer
