// Input checks shared by every store, with containerd's rules and messages.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "berth/status.hpp"

namespace berth {

using Labels = std::map<std::string, std::string>;

// Names of namespaces, containers, leases...: at most 76 characters of
// [A-Za-z0-9] runs joined by single '.', '_' or '-'. InvalidArgument otherwise.
Status validate_identifier(std::string_view name);

// A label's key and value together may hold at most 4096 bytes; keys are not empty.
Status validate_label(std::string_view key, std::string_view value);
Status validate_labels(const Labels& labels);

}  // namespace berth
