#include "registry_flags.hpp"

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace berth::cli {
namespace {

// Reads a password from the terminal without echoing it.
bool read_secret(const std::string& prompt, std::string& out) {
  if (!::isatty(STDIN_FILENO)) return false;
  fmt::print(stderr, "{}", prompt);
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  const bool ok = static_cast<bool>(std::getline(std::cin, out));
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  fmt::print(stderr, "\n");
  return ok;
}

}  // namespace

std::vector<OptionSpec> registry_options() {
  return {
      {'\0', "plain-http", "", "talk to the registry over http"},
      {'\0', "skip-verify", "", "do not check the registry's certificate"},
      {'u', "user", "USER[:PASSWORD]", "credentials for the registry (asked for when only USER)"},
      {'\0', "hosts-dir", "DIR", "containerd's hosts directory (DIR/<host>/hosts.toml)"},
  };
}

bool parse_registry_flags(const ParsedArgs& args, berth::services::transfer::v1::RegistryAccess& out,
                          std::string& error) {
  out.set_plain_http(args.has("plain-http"));
  out.set_skip_verify(args.has("skip-verify"));
  out.set_hosts_dir(args.value("hosts-dir").value_or(""));
  auto user = args.value("user");
  if (!user) return true;
  auto colon = user->find(':');
  std::string secret;
  if (colon != std::string::npos) {
    secret = user->substr(colon + 1);
    user->resize(colon);
  } else if (!read_secret("Password: ", secret)) {
    error = "--user " + *user + " needs a password (USER:PASSWORD) when stdin is not a terminal";
    return false;
  }
  out.set_user(*user);
  out.set_secret(secret);
  return true;
}

bool parse_positive_flag(const ParsedArgs& args, std::string_view name, std::optional<int>& out,
                         std::string& error) {
  auto n = args.value(name);
  if (!n) return true;
  try {
    std::size_t used = 0;
    const int value = std::stoi(*n, &used);
    if (used != n->size() || value < 1) throw std::invalid_argument(*n);
    out = value;
    return true;
  } catch (const std::exception&) {
    error = fmt::format("--{} {} is not a positive number", name, *n);
    return false;
  }
}

}  // namespace berth::cli
