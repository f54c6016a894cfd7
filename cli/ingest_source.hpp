// What `berth content ingest` sends: its input (stdin) in chunks that go into
// gRPC messages without being copied on the way.
//
// A regular file is mapped, and each chunk is a gRPC slice over the mapping:
// the kernel's copy into the socket is the only one (read() into a message
// and protobuf's serialisation were two more, a third of the client's CPU
// for 1 GiB). Anything else (a pipe) is read into a new gRPC slice per chunk,
// which the message then owns.
//
// A mapped file cut short while it is sent ends the client with SIGBUS,
// before any commit: the daemon keeps the ingest, resumable, and commits
// nothing. A file changed in place is caught by the digest at commit.
#pragma once

#include <grpcpp/support/slice.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "berth/status.hpp"

namespace berth::cli {

class IngestSource {
 public:
  // Reads `fd` (not owned; it must stay open) from its current position.
  static Result<std::unique_ptr<IngestSource>> open(int fd);
  ~IngestSource();
  IngestSource(const IngestSource&) = delete;
  IngestSource& operator=(const IngestSource&) = delete;

  // Passes over the first `n` bytes (an ingest resumed where it stopped).
  // FailedPrecondition when the input is shorter.
  Status skip(int64_t n);
  // The next chunk of at most `max` bytes; an empty slice at the end. The
  // slice may point into this object's mapping: destroy it after every
  // message that holds one is sent (after the stream's Finish).
  Result<grpc::Slice> next(std::size_t max);

 private:
  explicit IngestSource(int fd) : fd_(fd) {}

  int fd_;
  // The mapping of a regular file: [map_, map_ + map_size_), read from `at_`.
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::size_t at_ = 0;
};

}  // namespace berth::cli
