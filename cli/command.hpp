// What a `berth` command is: a named node in a small tree. Groups (`namespaces`)
// hold subcommands; leaves (`namespaces ls`) hold options, how many arguments
// they take and the function that runs them. The tree itself is in
// command_table.cpp; each group lives in a cmd_<group>.cpp of its own.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "berth/status.hpp"
#include "client.hpp"
#include "globals.hpp"

namespace berth::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// berth::Code mirrors gRPC's codes number for number.
inline grpc::Status to_grpc(const Status& st) {
  return {static_cast<grpc::StatusCode>(st.code()), st.message()};
}

class Invocation;

struct Command {
  static constexpr size_t kAnyNumber = std::numeric_limits<size_t>::max();

  std::string_view name;
  std::vector<std::string_view> aliases;
  std::string_view summary;      // one line, shown in the parent's command list
  std::string_view synopsis;     // the arguments, as in "NAME [KEY=VALUE...]"
  std::string_view description;  // a paragraph for --help; may be empty
  std::vector<OptionSpec> options;
  size_t min_args = 0;  // checked before `run`, which can rely on them
  size_t max_args = kAnyNumber;
  // After this many positionals, options end: the rest (a container's
  // command line) is passed through as positionals.
  size_t options_end_after = kAnyNumber;
  int (*run)(Invocation&) = nullptr;  // leaves only; returns the exit status
  std::vector<Command> subcommands;   // groups only

  bool is_group() const { return !subcommands.empty(); }
  bool matches(std::string_view word) const;
  const Command* find(std::string_view word) const;
  std::vector<const OptionSpec*> option_pointers() const;
};

// Everything a leaf command's `run` needs, and the two ways it fails.
class Invocation {
 public:
  Invocation(const Command& command, std::string path, GlobalOptions globals, ParsedArgs args);

  const GlobalOptions& globals() const { return globals_; }
  const ParsedArgs& args() const { return args_; }
  const std::vector<std::string>& positionals() const { return args_.positionals(); }
  bool json() const { return globals_.format == Format::kJson; }

  // Created on first use, so usage errors never wait for the daemon.
  Client& client();

  // Prints `berth: <what>: <code>: <message>` (or why the daemon could not
  // be reached) to stderr and returns kExitFailure.
  int fail(std::string_view what, const grpc::Status& status) const;
  // Prints `berth: <message>` and this command's usage to stderr and returns kExitUsage.
  int usage_error(std::string_view message) const;

  // Runs `call` for each positional argument (remove several, tag several):
  // prints those that succeeded, one a line (a JSON array with --format
  // json), reports each failure as "<what> <argument>", and stops once the
  // daemon is unreachable, as every other argument would fail the same way.
  // kExitFailure if any failed.
  int for_each_positional(std::string_view what, const std::function<grpc::Status(const std::string&)>& call);

 private:
  const Command& command_;
  std::string path_;  // "berth namespaces create", for messages
  GlobalOptions globals_;
  ParsedArgs args_;
  std::optional<Client> client_;
};

// A failure on this host rather than in the daemon (a directory, a FIFO,
// mount(2)): prints `berth: <what>: <why>` and returns kExitFailure.
int fail_local(std::string_view what, std::string_view why);

// Prints `berth: <message>` and the usage of `command`, reached as `path`, to
// stderr and returns kExitUsage.
int usage_error(const Command& command, std::string_view path, std::string_view message);

// --help text for `command`, reached as `path` ("berth namespaces").
std::string help_text(const Command& command, std::string_view path);
// The one-line "Usage: ..." for `command`.
std::string usage_line(const Command& command, std::string_view path);

}  // namespace berth::cli
