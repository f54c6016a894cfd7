// Command-line option parsing for `berth`: a small getopt_long-like parser that
// knows which options take a value, so options may appear before, between or
// after positional arguments, and `--` ends option parsing.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

// One option a command accepts. An option with an empty `value_name` is a
// boolean flag; otherwise it takes a value (`--opt V`, `--opt=V`, `-o V`, `-oV`).
struct OptionSpec {
  char short_name = '\0';  // '\0': long form only
  std::string_view long_name;
  std::string_view value_name;
  std::string_view help;

  bool takes_value() const { return !value_name.empty(); }
};

class ParsedArgs {
 public:
  // Options are keyed by their long name whichever form was used.
  bool has(std::string_view long_name) const;
  // The last value given for the option (later occurrences override, as usual).
  std::optional<std::string> value(std::string_view long_name) const;
  // Every value given for a repeatable option, in command-line order.
  std::vector<std::string> values(std::string_view long_name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  void set(std::string_view long_name, std::string value);
  void add_positional(std::string arg) { positionals_.push_back(std::move(arg)); }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::pair<std::string, std::string>> all_values_;
  std::vector<std::string> positionals_;
};

enum class ParseMode {
  // Parse options anywhere; everything else is a positional argument.
  kInterspersed,
  // Stop at the first positional (a command name): the rest belongs to it.
  kStopAtPositional,
};

struct ParseResult {
  ParsedArgs args;
  std::vector<std::string> rest;  // unparsed tail in kStopAtPositional mode
  std::string error;              // non-empty: a usage error, described for the user

  bool ok() const { return error.empty(); }
};

// `specs` are searched in order, so a command's own options shadow global ones
// with the same name when the caller lists the command's first. In
// kInterspersed mode, once `options_end_after` positionals have been seen the
// rest of argv is positional too: `run IMAGE ID sh -c 'echo hi'` keeps `-c`
// for the container's command.
ParseResult parse_args(std::span<const OptionSpec* const> specs, std::span<const std::string> argv,
                       ParseMode mode, size_t options_end_after = static_cast<size_t>(-1));

// Renders "  -q, --quiet          help" lines, aligned, for --help output.
std::string format_option_help(std::span<const OptionSpec* const> specs);

}  // namespace berth::cli
