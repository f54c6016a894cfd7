// berth: walks the command tree (command_table.cpp) along the command line,
// collecting global options at every level, then runs the leaf it reaches.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "command.hpp"
#include "command_table.hpp"
#include "globals.hpp"
#include "grpc-process/process_setup.hpp"

namespace berth::cli {
namespace {

int print_help(const Command& command, const std::string& path) {
  fmt::print("{}", help_text(command, path));
  return kExitOk;
}

int run(std::vector<std::string> words) {
  const Command* command = &root_command();
  std::string path(command->name);
  ParsedArgs globals;  // merged from every level; later levels override

  // `berth help ns ls` is `berth ns ls --help`.
  if (!words.empty() && words.front() == "help") {
    globals.set("help", "");
    words.erase(words.begin());
  }

  while (command->is_group()) {
    ParseResult parsed = parse_args(global_option_specs(), words, ParseMode::kStopAtPositional);
    if (!parsed.ok()) return usage_error(*command, path, parsed.error);
    merge_globals(parsed.args, {}, globals);
    const bool help = globals.has("help");
    if (parsed.rest.empty()) {
      if (help) return print_help(*command, path);
      fmt::print(stderr, "{}", help_text(*command, path));
      return kExitUsage;
    }
    const Command* sub = command->find(parsed.rest.front());
    if (sub == nullptr) {
      // `berth ns --help junk` still helps with what it can.
      if (help) return print_help(*command, path);
      return usage_error(*command, path, fmt::format("unknown command {:?}", parsed.rest.front()));
    }
    command = sub;
    path += fmt::format(" {}", sub->name);
    words.assign(parsed.rest.begin() + 1, parsed.rest.end());
  }

  // A command's own options come first, so they shadow global ones.
  std::vector<const OptionSpec*> specs = command->option_pointers();
  specs.insert(specs.end(), global_option_specs().begin(), global_option_specs().end());
  ParseResult parsed = parse_args(specs, words, ParseMode::kInterspersed, command->options_end_after);
  if (!parsed.ok()) return usage_error(*command, path, parsed.error);
  merge_globals(parsed.args, command->option_pointers(), globals);
  if (globals.has("help")) return print_help(*command, path);

  GlobalOptions resolved;
  if (std::string error = resolve_globals(globals, resolved); !error.empty()) {
    return usage_error(*command, path, error);
  }
  const size_t count = parsed.args.positionals().size();
  if (count < command->min_args) {
    return usage_error(*command, path, fmt::format("missing arguments: want {}", command->synopsis));
  }
  if (count > command->max_args) {
    return usage_error(*command, path,
                       command->max_args == 0
                           ? fmt::format("unexpected argument {:?}", parsed.args.positionals()[0])
                           : "too many arguments");
  }
  Invocation invocation(*command, path, std::move(resolved), std::move(parsed.args));
  return command->run(invocation);
}

}  // namespace
}  // namespace berth::cli

int main(int argc, char** argv) {
  berth::grpc_process::setup();
  int code = berth::cli::kExitFailure;
  try {
    code = berth::cli::run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    // Only bugs get here: expected failures are reported where they happen.
    fmt::print(stderr, "berth: internal error: {}\n", e.what());
  }
  // Every command has released what it holds (leases, mounts, temp files,
  // its channel) by the time run() returns. What is left is gRPC's global
  // shutdown, which joins its timer, executor and event-engine threads: a
  // few milliseconds of every command for nothing the kernel does not do.
  std::fflush(nullptr);
  std::_Exit(code);
}
