#include "command.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "output.hpp"

namespace berth::cli {

bool Command::matches(std::string_view word) const {
  return word == name || std::find(aliases.begin(), aliases.end(), word) != aliases.end();
}

const Command* Command::find(std::string_view word) const {
  auto it =
      std::find_if(subcommands.begin(), subcommands.end(), [&](const Command& c) { return c.matches(word); });
  return it == subcommands.end() ? nullptr : &*it;
}

std::vector<const OptionSpec*> Command::option_pointers() const {
  std::vector<const OptionSpec*> pointers;
  for (const OptionSpec& spec : options) pointers.push_back(&spec);
  return pointers;
}

Invocation::Invocation(const Command& command, std::string path, GlobalOptions globals, ParsedArgs args)
    : command_(command), path_(std::move(path)), globals_(std::move(globals)), args_(std::move(args)) {}

Client& Invocation::client() {
  if (!client_) client_.emplace(globals_.socket_path, globals_.ns, globals_.connect_timeout, globals_.debug);
  return *client_;
}

int Invocation::fail(std::string_view what, const grpc::Status& status) const {
  if (client_ && client_->unreachable()) {
    // The same for every call, so name the address rather than the call.
    fmt::print(stderr, "berth: {}\n", status.error_message());
  } else {
    fmt::print(stderr, "berth: {}: {}: {}\n", what, code_name(status.error_code()), status.error_message());
  }
  return kExitFailure;
}

int Invocation::for_each_positional(std::string_view what,
                                    const std::function<grpc::Status(const std::string&)>& call) {
  std::vector<std::string> done;
  int exit = kExitOk;
  for (const std::string& arg : positionals()) {
    if (auto status = call(arg); !status.ok()) {
      exit = fail(fmt::format("{} {}", what, arg), status);
      if (client().unreachable()) break;
      continue;
    }
    if (json()) {
      done.push_back(arg);
    } else {
      fmt::print("{}\n", arg);
    }
  }
  if (json()) print_json(done);
  return exit;
}

int Invocation::usage_error(std::string_view message) const {
  return cli::usage_error(command_, path_, message);
}

int fail_local(std::string_view what, std::string_view why) {
  fmt::print(stderr, "berth: {}: {}\n", what, why);
  return kExitFailure;
}

int usage_error(const Command& command, std::string_view path, std::string_view message) {
  fmt::print(stderr, "berth: {}\n{}Run '{} --help' for more.\n", message, usage_line(command, path), path);
  return kExitUsage;
}

std::string usage_line(const Command& command, std::string_view path) {
  std::string line = fmt::format("Usage: {}", path);
  if (command.is_group()) return line + " COMMAND [ARGS...]\n";
  if (!command.options.empty()) line += " [OPTIONS]";
  if (!command.synopsis.empty()) line += fmt::format(" {}", command.synopsis);
  return line + "\n";
}

std::string help_text(const Command& command, std::string_view path) {
  std::string text = usage_line(command, path);
  text += fmt::format("\n{}\n", command.description.empty() ? command.summary : command.description);

  if (command.is_group()) {
    std::vector<std::string> names;
    size_t width = 0;
    for (const Command& sub : command.subcommands) {
      std::string n(sub.name);
      for (std::string_view alias : sub.aliases) n += fmt::format(", {}", alias);
      width = std::max(width, n.size());
      names.push_back(std::move(n));
    }
    text += "\nCommands:\n";
    for (size_t i = 0; i < names.size(); ++i) {
      text += fmt::format("  {:<{}}   {}\n", names[i], width, command.subcommands[i].summary);
    }
  }
  if (!command.options.empty()) {
    text += "\nOptions:\n" + format_option_help(command.option_pointers());
  }
  text += "\nGlobal options:\n" + format_option_help(global_option_specs());
  if (command.is_group()) {
    text += fmt::format("\nRun '{} COMMAND --help' for more about a command.\n", path);
  }
  return text;
}

}  // namespace berth::cli
