// Returning the allocator's free memory to the kernel after a burst of load.
//
// Measured: after 400 concurrent streams berthd kept 500-780 MB resident for
// good (35 MB idle), though nearly all of it was free: glibc keeps freed
// chunks in its arenas (up to eight per CPU) and returns memory only from
// the top of the main heap. Two things bring it back to within twice idle:
// fewer arenas (one per CPU; gRPC's threads then share them instead of each
// fragmenting its own) and malloc_trim() once the load has passed, which
// releases the free pages inside every arena.
//
// Until then freed memory stays in the arenas: glibc's own trimming gave
// pages back between one message and the next, and the host of this VM
// takes back memory a guest frees, so each first touch after that paid a
// page fault (1 GiB `berth content ingest`: 26,000-88,000 minor faults in
// berthd and ~0.2 s of its CPU; under 10,000 and mostly none without).
// The price: malloc_trim() does not shrink a thread arena's heap from its
// top, and only glibc's own trimming did, so what a burst used there stays
// resident (bench/burst.sh, 60 s after 400 writers: 55 MB against 43 MB
// before, idle 36 MB; a 1 GiB ingest leaves 51 MB).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace berth::host {

// Call first thing in main(), before any thread starts: one arena per CPU,
// blocks up to 32 MiB from the arenas, and the allocator's own trimming only
// past 64 MiB free (HeapTrimmer gives back the rest it can, once quiet).
void tune_malloc();

// A thread that watches the allocator and trims it when the heap has been
// quiet for one period after activity, and once more ten periods later (gRPC
// frees a closed connection's buffers some seconds after the last call).
class HeapTrimmer {
 public:
  explicit HeapTrimmer(std::chrono::milliseconds period = std::chrono::milliseconds(500));
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

 private:
  void run();

  const std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace berth::host
