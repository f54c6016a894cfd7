// containerd's filter syntax, for every List call:
//
//   labels."containerd.io/gc.root"==x, name~=^busy, id!=foo, labels.a
//
// Within one filter, selectors joined by ',' must all match; the filters of
// one request are alternatives (any may match); no filters match everything.
// A selector without an operator tests that the field is present.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth {

// Answers a field path ({"labels", "a.b"}) with the object's value, or
// nullopt when the object has no such field.
using FieldLookup = std::function<std::optional<std::string>(const std::vector<std::string>& path)>;

// The "labels.<key>" part of a field lookup: path {"labels", "a", "b"} asks
// for label "a.b". nullopt unless path[0] is "labels" and the label is set.
std::optional<std::string> label_field(const std::map<std::string, std::string>& labels,
                                       const std::vector<std::string>& path);

class Filter {
 public:
  // InvalidArgument naming the filter and the position of the problem.
  static Result<Filter> parse(const std::vector<std::string>& filters);

  [[nodiscard]] bool match(const FieldLookup& lookup) const;
  [[nodiscard]] bool matches_all() const { return alternatives_.empty(); }

  struct Selector;  // defined in filters.cpp
  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  Filter(const Filter&);
  Filter& operator=(const Filter&);

 private:
  std::vector<std::vector<std::shared_ptr<const Selector>>> alternatives_;
};

}  // namespace berth
