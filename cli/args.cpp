#include "args.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace berth::cli {

bool ParsedArgs::has(std::string_view long_name) const { return values_.find(long_name) != values_.end(); }

std::optional<std::string> ParsedArgs::value(std::string_view long_name) const {
  if (auto it = values_.find(long_name); it != values_.end()) return it->second;
  return std::nullopt;
}

std::vector<std::string> ParsedArgs::values(std::string_view long_name) const {
  std::vector<std::string> out;
  for (const auto& [name, value] : all_values_) {
    if (name == long_name) out.push_back(value);
  }
  return out;
}

void ParsedArgs::set(std::string_view long_name, std::string value) {
  all_values_.emplace_back(std::string(long_name), value);
  values_.insert_or_assign(std::string(long_name), std::move(value));
}

namespace {

const OptionSpec* find_long(std::span<const OptionSpec* const> specs, std::string_view name) {
  auto it =
      std::find_if(specs.begin(), specs.end(), [&](const OptionSpec* s) { return s->long_name == name; });
  return it == specs.end() ? nullptr : *it;
}

const OptionSpec* find_short(std::span<const OptionSpec* const> specs, char name) {
  auto it =
      std::find_if(specs.begin(), specs.end(), [&](const OptionSpec* s) { return s->short_name == name; });
  return it == specs.end() ? nullptr : *it;
}

// Walks argv once; `i` is advanced past any value an option consumes.
class Parser {
 public:
  Parser(std::span<const OptionSpec* const> specs, std::span<const std::string> argv, ParseMode mode,
         size_t options_end_after)
      : specs_(specs), argv_(argv), mode_(mode), options_end_after_(options_end_after) {}

  ParseResult run() {
    ParseResult result;
    for (size_t i = 0; i < argv_.size() && result.ok(); ++i) {
      const std::string& arg = argv_[i];
      if (arg == "--") {
        take_tail(result, i + 1);
        break;
      }
      if (arg.size() < 2 || arg[0] != '-') {
        if (mode_ == ParseMode::kStopAtPositional) {
          take_tail(result, i);
          break;
        }
        result.args.add_positional(arg);
        if (result.args.positionals().size() >= options_end_after_) {
          take_tail(result, i + 1);
          break;
        }
        continue;
      }
      result.error = arg[1] == '-' ? long_option(result.args, i) : short_options(result.args, i);
    }
    return result;
  }

 private:
  void take_tail(ParseResult& result, size_t from) {
    for (size_t j = from; j < argv_.size(); ++j) {
      if (mode_ == ParseMode::kStopAtPositional) {
        result.rest.push_back(argv_[j]);
      } else {
        result.args.add_positional(argv_[j]);
      }
    }
  }

  std::string long_option(ParsedArgs& out, size_t& i) {
    std::string_view body = std::string_view(argv_[i]).substr(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      inline_value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const OptionSpec* spec = find_long(specs_, body);
    if (spec == nullptr) return fmt::format("unknown option --{}", body);
    if (!spec->takes_value()) {
      if (inline_value) return fmt::format("option --{} takes no value", body);
      out.set(spec->long_name, "");
      return {};
    }
    if (inline_value) {
      out.set(spec->long_name, std::string(*inline_value));
      return {};
    }
    if (i + 1 >= argv_.size()) return fmt::format("option --{} needs a value ({})", body, spec->value_name);
    out.set(spec->long_name, argv_[++i]);
    return {};
  }

  // Short options may be clustered (`-qd`); one that takes a value ends the
  // cluster and takes the rest of the word or, if none, the next word.
  std::string short_options(ParsedArgs& out, size_t& i) {
    std::string_view body = std::string_view(argv_[i]).substr(1);
    for (size_t k = 0; k < body.size(); ++k) {
      const OptionSpec* spec = find_short(specs_, body[k]);
      if (spec == nullptr) return fmt::format("unknown option -{}", body[k]);
      if (!spec->takes_value()) {
        out.set(spec->long_name, "");
        continue;
      }
      if (k + 1 < body.size()) {
        out.set(spec->long_name, std::string(body.substr(k + 1)));
      } else if (i + 1 < argv_.size()) {
        out.set(spec->long_name, argv_[++i]);
      } else {
        return fmt::format("option -{} needs a value ({})", body[k], spec->value_name);
      }
      return {};
    }
    return {};
  }

  std::span<const OptionSpec* const> specs_;
  std::span<const std::string> argv_;
  ParseMode mode_;
  size_t options_end_after_;
};

}  // namespace

ParseResult parse_args(std::span<const OptionSpec* const> specs, std::span<const std::string> argv,
                       ParseMode mode, size_t options_end_after) {
  return Parser(specs, argv, mode, options_end_after).run();
}

std::string format_option_help(std::span<const OptionSpec* const> specs) {
  std::vector<std::string> left;
  size_t width = 0;
  for (const OptionSpec* spec : specs) {
    std::string l = spec->short_name != '\0' ? fmt::format("-{}, ", spec->short_name) : std::string("    ");
    l += fmt::format("--{}", spec->long_name);
    if (spec->takes_value()) l += fmt::format(" {}", spec->value_name);
    width = std::max(width, l.size());
    left.push_back(std::move(l));
  }
  std::string text;
  for (size_t i = 0; i < specs.size(); ++i) {
    text += fmt::format("  {:<{}}   {}\n", left[i], width, specs[i]->help);
  }
  return text;
}

}  // namespace berth::cli
