// Group commit for the metadata database: writers that need their commit
// on disk share flushes instead of queueing one each.
//
// A durable update writes its batch (without a flush) under the writer
// lock, takes a ticket, leaves the lock and waits here. One waiter at a time
// flushes, covering every commit written before it started; the others wait
// for that flush and return at once if it covered them, or flush next for
// everyone that came meanwhile. With the flush outside the writer lock the
// next update runs during it, where before each durable update held every
// other writer queued for its own fsync (4 clients: up to 4 flushes deep).
//
// What it changes: a commit is visible to readers from its write, before it
// is durable, as with a crash of the process (the write is in the OS cache).
// Its own caller still hears of success only after the flush, and a later
// durable commit, whose flush covers every earlier write, can never be on
// disk without the ones it read.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "berth/status.hpp"

namespace berth::metadata {

class GroupSync {
 public:
  using Ticket = std::uint64_t;

  // `flush` makes everything written so far durable (RocksDB's SyncWAL).
  explicit GroupSync(std::function<Status()> flush) : flush_(std::move(flush)) {}

  // Records a write that has just been made, in write order (under the
  // writer lock); its ticket is what wait() is given.
  Ticket written();
  // The ticket of the last write made.
  [[nodiscard]] Ticket latest();
  // Returns once every write up to `ticket` is durable, or with the error
  // of the flush that should have made it so.
  Status wait(Ticket ticket);

 private:
  const std::function<Status()> flush_;
  std::mutex mu_;
  std::condition_variable flushed_;
  Ticket written_ = 0;
  Ticket durable_ = 0;
  bool flushing_ = false;
  // A failed flush: the tickets it was to cover, and why. A waiter it
  // covered gets the error; later ones try again.
  Ticket failed_up_to_ = 0;
  Status failure_;
};

}  // namespace berth::metadata
