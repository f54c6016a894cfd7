#include "plugin-engine/plugin_engine.hpp"

#include <dlfcn.h>

#include <string>

namespace berth::plugin_engine {

Result<std::filesystem::path> beside_plugin(std::string_view file) {
  // This function is linked into the plugin (a static library with hidden
  // symbols), so its address names the plugin's file.
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&beside_plugin), &info) == 0 || info.dli_fname == nullptr) {
    return internal("cannot find the file of the plugin looking for its engine " + std::string(file));
  }
  auto path = std::filesystem::path(info.dli_fname).parent_path().parent_path() / "engines" / file;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return failed_precondition("the plugin's engine " + path.string() +
                               " is missing (installed with the plugin)");
  }
  return path;
}

Result<void*> load_symbol(const std::filesystem::path& path, const char* symbol) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return failed_precondition("cannot load engine " + path.string() + ": " + (why != nullptr ? why : "?"));
  }
  void* sym = ::dlsym(handle, symbol);
  if (sym == nullptr) {
    return failed_precondition("engine " + path.string() + " has no entry point " + std::string(symbol));
  }
  return sym;
}

}  // namespace berth::plugin_engine
