// Input checks shared by every store, with containerd's rules and messages.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth {

using Labels = std::map<std::string, std::string>;

// Names of namespaces, containers, leases...: at most 76 characters of
// [A-Za-z0-9] runs joined by single '.', '_' or '-'. InvalidArgument otherwise.
Status validate_identifier(std::string_view name);

// A label's key and value together may hold at most 4096 bytes; keys are not empty.
Status validate_label(std::string_view key, std::string_view value);
Status validate_labels(const Labels& labels);

// An Update's field mask applied to labels, as containerd does: no paths, or
// "labels", replaces them all with `given`; "labels.<key>" sets that key from
// `given`, or removes it when `given` has no (or an empty) value for it.
// Empty values are never kept. Any other path is InvalidArgument naming
// `what` ("snapshot \"x\""). The result is validated.
Result<Labels> update_labels(const Labels& current, const Labels& given,
                             const std::vector<std::string>& paths, std::string_view what);

}  // namespace berth
