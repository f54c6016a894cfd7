// Text for messages and for the small decimal records stores keep.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::text {

// `"text"`, for messages naming user-supplied strings (refs, keys). Bytes
// that would garble a log line (control characters, '"', '\\', non-ASCII)
// are escaped, and anything past `max` bytes is cut with "...", so a
// hostile name can neither forge log lines nor flood them.
std::string quote(std::string_view text, std::size_t max = 256);

// The whole of `text` as a decimal int64 (an optional leading '-'); nullopt
// for anything else: empty, spaces, a sign alone, trailing bytes, overflow.
std::optional<int64_t> parse_int(std::string_view text);

// `text` cut at every `sep`: "a::b" -> {"a", "", "b"}; "" -> {""}.
std::vector<std::string> split(std::string_view text, char sep);

}  // namespace berth::text
