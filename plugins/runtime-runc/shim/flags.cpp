#include "flags.hpp"

#include <unistd.h>

#include <climits>
#include <string_view>

namespace berth::shim {

Result<Flags> parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      if (!f.action.empty())
        return invalid_argument("more than one action: " + f.action + " and " + std::string(arg));
      f.action = arg;
      continue;
    }
    arg.remove_prefix(arg.starts_with("--") ? 2 : 1);
    std::string name(arg);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "debug") {
      f.debug = !has_value || value == "true" || value == "1";
      continue;
    }
    std::string* target = nullptr;
    if (name == "namespace")
      target = &f.ns;
    else if (name == "address")
      target = &f.address;
    else if (name == "publish-binary")
      target = &f.publish_binary;
    else if (name == "id")
      target = &f.id;
    else if (name == "bundle")
      target = &f.bundle;
    else
      return invalid_argument("flag provided but not defined: -" + name);
    if (!has_value) {
      if (i + 1 >= argc) return invalid_argument("flag needs an argument: -" + name);
      value = argv[++i];
    }
    *target = value;
  }
  if (!f.action.empty() && f.action != "start" && f.action != "delete")
    return invalid_argument("unknown action " + f.action + " (start, delete, or none to serve)");
  if (f.ns.empty()) return invalid_argument("shim namespace cannot be empty (-namespace)");
  if (f.id.empty()) return invalid_argument("shim id cannot be empty (-id)");
  if (f.bundle.empty()) {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return errno_status("getcwd", errno);
    f.bundle = cwd;
  }
  return f;
}

}  // namespace berth::shim
