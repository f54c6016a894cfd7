// Giving memory back while the shim idles, which is nearly always: a shim
// wakes for a handful of calls in its container's life.
#pragma once

namespace berth::shim {

// Returns free heap to the kernel (malloc_trim) and drops this process's
// page-table entries for its own executable code (MADV_DONTNEED on the
// binary's r-x mappings: clean file pages, so nothing is lost; they stay in
// the page cache, shared, and fault back in when next run). The kernel maps
// code in 64 KiB runs around each page touched, so a call that ran once
// (Create, say) would otherwise count against the shim's RSS for the
// container's whole life.
void trim_memory();

}  // namespace berth::shim
