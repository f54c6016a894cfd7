// Options that apply to every command: where the daemon is, which namespace,
// how to print. Accepted before the command and, unless the command has an
// option of the same name, after it too (`berth ns ls --format json`).
#pragma once

#include <chrono>
#include <span>
#include <string>

#include "args.hpp"
#include "output.hpp"

namespace berth::cli {

inline constexpr std::string_view kDefaultAddress = "/run/berth/berth.sock";
inline constexpr std::string_view kDefaultNamespace = "default";

struct GlobalOptions {
  std::string socket_path;
  std::string ns;
  Format format = Format::kTable;
  std::chrono::milliseconds connect_timeout{10'000};
  bool debug = false;  // each call to the daemon on stderr, timed
};

std::span<const OptionSpec* const> global_option_specs();

// Copies the global options set in `from` into `into` (later stages of the
// command line override earlier ones), skipping any in `shadowed`: options a
// command declares itself are that command's, not global.
void merge_globals(const ParsedArgs& from, std::span<const OptionSpec* const> shadowed, ParsedArgs& into);

// Fills `out` from the parsed options, then the environment (BERTH_ADDRESS,
// BERTH_NAMESPACE), then the defaults. Returns a usage error, or "" if valid.
std::string resolve_globals(const ParsedArgs& args, GlobalOptions& out);

}  // namespace berth::cli
