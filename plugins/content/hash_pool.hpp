// The hashing threads of one content store, shared by all its writers.
//
// A large write is hashed on a second thread while it is written (see
// hash_worker.hpp). One thread per writer made the daemon's thread count grow
// with its clients (2,000 open Write streams, 2,000 more threads), so the
// store keeps at most one hashing thread per CPU: more could not run at once
// anyway. A writer borrows one for the length of one write; when all are busy
// it hashes on its own thread, which costs that write its overlap, nothing
// else.
#pragma once

#include <cstddef>
#include <memory>

#include "hash_worker.hpp"
#include "lending_pool.hpp"

namespace berth::content {

using HashPool = LendingPool<HashWorker>;

// At most `max_threads` workers, started on first use and kept.
std::shared_ptr<HashPool> make_hash_pool(std::size_t max_threads);
// One per CPU the process may run on.
std::size_t usable_cpus();

}  // namespace berth::content
