// Errors as values: an expected failure is a message with its context,
// prefixed by each caller ("unpack layer 2: apply: ..."), never an exception.
#pragma once

#include <expected>
#include <string>

namespace client_run {

template <class T>
using Result = std::expected<T, std::string>;
using Status = Result<void>;

inline std::unexpected<std::string> fail(std::string message) { return std::unexpected(std::move(message)); }

}  // namespace client_run
