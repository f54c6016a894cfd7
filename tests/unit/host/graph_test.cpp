#include <gtest/gtest.h>

#include "plugin_graph.hpp"

namespace berth::host {
namespace {

std::vector<std::string> names(const std::vector<GraphNode>& nodes, const GraphOrder& g) {
  std::vector<std::string> out;
  for (auto i : g.order) out.push_back(nodes[i].id);
  return out;
}

TEST(Graph, KeepsRegistrationOrderWithoutDependencies) {
  std::vector<GraphNode> n{{"t1", "a", {}}, {"t2", "b", {}}, {"t3", "c", {}}};
  auto g = resolve_graph(n);
  EXPECT_EQ(names(n, g), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Graph, DependenciesComeFirst) {
  std::vector<GraphNode> n{{"grpc", "ns", {"meta"}}, {"snap", "overlay", {}}, {"meta", "db", {"snap"}}};
  auto g = resolve_graph(n);
  EXPECT_EQ(names(n, g), (std::vector<std::string>{"overlay", "db", "ns"}));
  EXPECT_TRUE(g.refused.empty());
}

TEST(Graph, WildcardComesAfterEverythingElse) {
  std::vector<GraphNode> n{{"grpc", "introspection", {"*"}},
                           {"grpc", "other-star", {"*"}},
                           {"meta", "db", {}},
                           {"grpc", "version", {}}};
  auto g = resolve_graph(n);
  EXPECT_EQ(names(n, g), (std::vector<std::string>{"db", "version", "introspection", "other-star"}));
}

TEST(Graph, CycleIsRefusedAndNamed) {
  std::vector<GraphNode> n{{"a", "x", {"b"}}, {"b", "y", {"c"}}, {"c", "z", {"a"}}, {"d", "free", {}}};
  auto g = resolve_graph(n);
  EXPECT_EQ(names(n, g), (std::vector<std::string>{"free"}));
  ASSERT_EQ(g.refused.size(), 3u);
  EXPECT_EQ(g.refused.at(0).message(), "dependency cycle: a.x -> b.y -> c.z -> a.x");
}

TEST(Graph, SelfRequirementOfOwnTypeIsNoCycle) {
  // A plugin requiring its own type depends on the others of that type.
  std::vector<GraphNode> n{{"snap", "a", {"snap"}}, {"snap", "b", {}}};
  auto g = resolve_graph(n);
  EXPECT_EQ(names(n, g), (std::vector<std::string>{"b", "a"}));
}

TEST(Graph, MissingRequirementDoesNotBlock) {
  std::vector<GraphNode> n{{"grpc", "ns", {"meta"}}};
  auto g = resolve_graph(n);
  EXPECT_EQ(names(n, g), (std::vector<std::string>{"ns"}));
}

}  // namespace
}  // namespace berth::host
