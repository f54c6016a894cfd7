// The end of a snapshotter plugin's init: the snapshotter it opened (or the
// error) handed to the host, with what containerd's snapshotter plugins
// publish beside it: the "root" export (`ctr plugins ls -d`) and the host's
// platform.
#pragma once

#include <memory>
#include <utility>

#include "berth/plugin.hpp"
#include "berth/snapshotter.hpp"

namespace berth::snapshot {

template <class S>
InitResult plugin_instance(InitContext& ctx, Result<std::shared_ptr<S>> opened) {
  if (!opened.ok()) return opened.status();
  ctx.set_export("root", ctx.root().string());
  ctx.add_platform(host_platform());
  return std::shared_ptr<Instance>(std::move(opened).value());
}

}  // namespace berth::snapshot
