// The plugin dependency graph: an init order in which every plugin comes
// after the plugins of the types it requires, keeping registration order
// wherever the dependencies leave a choice (as containerd does).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::host {

struct GraphNode {
  std::string type;
  std::string id;
  std::vector<std::string> requires_types;  // "*" = every plugin that does not itself require "*"
};

struct GraphOrder {
  std::vector<std::size_t> order;         // indices into the input, in init order
  std::map<std::size_t, Status> refused;  // plugins on a dependency cycle, with the cycle named
};

GraphOrder resolve_graph(const std::vector<GraphNode>& nodes);

}  // namespace berth::host
