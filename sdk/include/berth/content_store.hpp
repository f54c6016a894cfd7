// The content store: immutable blobs addressed by digest ("sha256:<hex>"),
// written through resumable ingests named by a ref.
//
// Interface type: "io.containerd.content.v1". The local backend
// (plugins/content) is not namespaced: it keeps each blob once. Namespaces,
// labels and leases are layered on top by the metadata plugin, as containerd
// does, so a backend author implements only this file.
//
// Threading: every method may be called from any thread. A ContentWriter or
// ContentReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

inline constexpr std::string_view kContentPluginType = "io.containerd.content.v1";

// Nanoseconds since the Unix epoch.
using TimestampNs = int64_t;

struct ContentInfo {
  std::string digest;  // "sha256:<64 lowercase hex>"
  int64_t size = 0;
  TimestampNs created_at = 0;
  TimestampNs updated_at = 0;
  Labels labels;  // empty from a backend; the metadata layer keeps labels per namespace
};

// An ingest in progress (or interrupted and resumable).
struct IngestStatus {
  std::string ref;
  int64_t offset = 0;    // bytes received so far
  int64_t total = 0;     // expected size, 0 if unknown
  std::string expected;  // expected digest, "" if unknown
  TimestampNs started_at = 0;
  TimestampNs updated_at = 0;
};

// Random access to one committed blob, without loading it into memory.
class ContentReader {
 public:
  virtual ~ContentReader();
  [[nodiscard]] virtual int64_t size() const = 0;
  // Reads up to `len` bytes at `offset` into `buf`; returns the count, 0 at
  // the end. OutOfRange for an offset past the end.
  virtual Result<std::size_t> read_at(int64_t offset, char* buf, std::size_t len) = 0;
};

// One open ingest. Holds the ref exclusively until closed or committed; a
// second writer on the same ref gets Unavailable. Data written is kept on
// disk, so a writer opened again on the ref resumes at status().offset.
class ContentWriter {
 public:
  virtual ~ContentWriter();  // closes (keeps the ingest for resuming)
  virtual Result<IngestStatus> status() = 0;
  // Appends at the current offset.
  virtual Status write(std::string_view data) = 0;
  // Appends `pieces`, in order, as one write: a transport that receives a
  // message in several buffers hands them over without joining them first.
  // The default writes each piece in turn; on an error, what reached the
  // ingest is what status().offset says. A store may accept the bytes before
  // they reach the file (the local store copies large writes aside and hashes
  // and writes them behind the caller): a failure then surfaces at a later
  // call, which breaks the writer, and a writer opened again resumes at what
  // reached the file.
  virtual Status write_pieces(std::span<const std::string_view> pieces);
  // Cuts (or, with 0, restarts) the ingest at `size` bytes.
  virtual Status truncate(int64_t size) = 0;
  // Verifies size (if > 0) and digest (if not empty), makes the blob visible
  // atomically and durably, and ends the ingest. FailedPrecondition on a
  // mismatch (nothing becomes visible); AlreadyExists if the blob is already
  // present (the ingest is removed; the blob stays usable). Returns the digest.
  virtual Result<std::string> commit(int64_t size, std::string_view expected) = 0;
  // The digest of the data written so far.
  virtual std::string digest() = 0;
};

class ContentStore {
 public:
  virtual ~ContentStore();

  virtual Result<ContentInfo> info(std::string_view digest) = 0;
  virtual Result<std::unique_ptr<ContentReader>> reader(std::string_view digest) = 0;
  // NotFound if absent.
  virtual Status remove(std::string_view digest) = 0;
  // Every committed blob; `fn` returns false to stop.
  virtual Status walk(const std::function<bool(const ContentInfo&)>& fn) = 0;

  // Opens (or resumes) the ingest `ref`. `total` and `expected` may be 0/"".
  virtual Result<std::unique_ptr<ContentWriter>> writer(std::string_view ref, int64_t total,
                                                        std::string_view expected) = 0;
  virtual Result<IngestStatus> status(std::string_view ref) = 0;
  virtual Result<std::vector<IngestStatus>> list_statuses() = 0;
  // Removes the ingest and its data. NotFound if there is none.
  virtual Status abort(std::string_view ref) = 0;

  // The bytes ingest `ref` holds so far, readable while a writer still
  // appends to it: a pull unpacks a layer as it downloads, and re-hashes
  // what a broken download kept before resuming it. size() is the length
  // when opened; read_at may read past it as the ingest grows (0 = nothing
  // there yet). NotFound if there is no such ingest. A backend that cannot
  // offer it answers Unimplemented (the default), and callers fall back to
  // reading the committed blob.
  virtual Result<std::unique_ptr<ContentReader>> ingest_reader(std::string_view ref);
};

// "sha256:<64 lowercase hex>" only; InvalidArgument naming the digest otherwise.
Status validate_digest(std::string_view digest);

}  // namespace berth
