#include "options.hpp"

#include <string_view>

namespace berth::host {

const char* const kUsage =
    "usage: berthd [flags]                 run the daemon\n"
    "       berthd config default [flags]  print the default config, with every plugin's defaults\n"
    "       berthd config dump [flags]     print the effective config\n"
    "\n"
    "flags:\n"
    "  -c, --config FILE     config file (default /etc/berth/config.toml if it exists)\n"
    "      --root DIR        persistent state (default /var/lib/berth)\n"
    "      --state DIR       runtime state (default /run/berth)\n"
    "  -a, --address SOCK    gRPC unix socket (default /run/berth/berth.sock)\n"
    "  -l, --log-level LVL   trace, debug, info, warn or error\n"
    "  -v, --version         print the version\n"
    "  -h, --help            print this help\n";

Result<Options> parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    std::string_view name = arg;
    bool inline_value = false;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        value = std::string(arg.substr(eq + 1));
        inline_value = true;
      }
    }
    auto take = [&](std::optional<std::string>& out) -> Status {
      if (!inline_value) {
        if (i + 1 >= argc) return invalid_argument("flag " + std::string(name) + " needs a value");
        value = argv[++i];
      }
      out = value;
      return {};
    };
    if (name == "-h" || name == "--help") {
      o.help = true;
    } else if (name == "-v" || name == "--version") {
      o.version = true;
    } else if (name == "-c" || name == "--config") {
      BERTH_RETURN_IF_ERROR(take(o.config));
    } else if (name == "--root") {
      BERTH_RETURN_IF_ERROR(take(o.root));
    } else if (name == "--state") {
      BERTH_RETURN_IF_ERROR(take(o.state));
    } else if (name == "-a" || name == "--address") {
      BERTH_RETURN_IF_ERROR(take(o.address));
    } else if (name == "-l" || name == "--log-level") {
      BERTH_RETURN_IF_ERROR(take(o.log_level));
    } else if (arg.starts_with("-")) {
      return invalid_argument("unknown flag " + std::string(arg));
    } else {
      o.command.emplace_back(arg);
    }
  }
  if (!o.command.empty()) {
    const bool known = o.command.size() == 2 && o.command[0] == "config" &&
                       (o.command[1] == "default" || o.command[1] == "dump");
    if (!known) {
      std::string joined;
      for (const auto& c : o.command) joined += (joined.empty() ? "" : " ") + c;
      return invalid_argument("unknown command '" + joined + "'");
    }
  }
  return o;
}

}  // namespace berth::host
