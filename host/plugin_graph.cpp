#include "plugin_graph.hpp"

#include <algorithm>

namespace berth::host {
namespace {

bool wildcard(const GraphNode& n) {
  return std::find(n.requires_types.begin(), n.requires_types.end(), "*") != n.requires_types.end();
}

class Resolver {
 public:
  explicit Resolver(const std::vector<GraphNode>& nodes) : nodes_(nodes), color_(nodes.size(), kWhite) {}

  GraphOrder run() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) visit(i);
    return std::move(result_);
  }

 private:
  enum Color { kWhite, kGray, kBlack };

  // Dependencies of n, in registration order.
  std::vector<std::size_t> children(std::size_t n) const {
    std::vector<std::size_t> out;
    const auto& reqs = nodes_[n].requires_types;
    for (std::size_t j = 0; j < nodes_.size(); ++j) {
      if (j == n) continue;
      bool needed = false;
      for (const auto& t : reqs) {
        // Two wildcard plugins do not depend on each other: "after everything"
        // means after every ordinary plugin.
        if ((t == "*" && !wildcard(nodes_[j])) || t == nodes_[j].type) needed = true;
      }
      if (needed) out.push_back(j);
    }
    return out;
  }

  void visit(std::size_t n) {
    if (color_[n] == kBlack) return;
    if (color_[n] == kGray) {
      refuse_cycle(n);
      return;
    }
    color_[n] = kGray;
    stack_.push_back(n);
    for (std::size_t c : children(n)) visit(c);
    stack_.pop_back();
    color_[n] = kBlack;
    if (!result_.refused.contains(n)) result_.order.push_back(n);
  }

  void refuse_cycle(std::size_t back_to) {
    auto start = std::find(stack_.begin(), stack_.end(), back_to);
    std::string names;
    for (auto it = start; it != stack_.end(); ++it) names += key(*it) + " -> ";
    names += key(back_to);
    for (auto it = start; it != stack_.end(); ++it) {
      result_.refused.emplace(*it, failed_precondition("dependency cycle: " + names));
    }
  }

  std::string key(std::size_t n) const { return nodes_[n].type + "." + nodes_[n].id; }

  const std::vector<GraphNode>& nodes_;
  std::vector<Color> color_;
  std::vector<std::size_t> stack_;
  GraphOrder result_;
};

}  // namespace

GraphOrder resolve_graph(const std::vector<GraphNode>& nodes) { return Resolver(nodes).run(); }

}  // namespace berth::host
