// A plugin's engine: the code of a plugin that needs large libraries
// (libcurl and libarchive, with the forty-odd shared objects they pull in),
// built as a module of its own in <lib>/berth/engines and loaded the first
// time a request needs it. A daemon start then neither loads, relocates nor
// maps those libraries; the first pull, import or layer apply pays for it
// once (a few milliseconds).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "berth/status.hpp"

// Marks an engine module's entry point: the one symbol it exports.
#define BERTH_ENGINE_ENTRY extern "C" __attribute__((visibility("default")))

namespace berth::plugin_engine {

// <the directory of the module this code is linked into>/../engines/<file>:
// lib/berth/engines/<file> for a plugin in lib/berth/plugins, in the build
// tree as in an installed one.
// FailedPrecondition naming it when there is no such file: a plugin checks
// at init, so a missing engine is reported at start, not by a request.
Result<std::filesystem::path> beside_plugin(std::string_view file);

// dlopen()s `path` (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE: never unmapped,
// like the plugins) and returns its symbol `symbol`. Errors name the file and
// give dlopen()'s reason.
Result<void*> load_symbol(const std::filesystem::path& path, const char* symbol);

// An engine made by `make` on first use and kept. Thread-safe; a failure goes
// to that caller, and the next call tries again.
template <class T>
class Lazy {
 public:
  explicit Lazy(std::function<Result<std::shared_ptr<T>>()> make) : make_(std::move(make)) {}

  Result<std::shared_ptr<T>> get() {
    std::lock_guard lock(mu_);
    if (!engine_) {
      auto made = make_();
      if (!made.ok()) return made.status();
      engine_ = std::move(made).value();
    }
    return engine_;
  }

 private:
  std::mutex mu_;
  std::function<Result<std::shared_ptr<T>>()> make_;
  std::shared_ptr<T> engine_;
};

}  // namespace berth::plugin_engine
