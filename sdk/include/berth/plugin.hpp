// Declaring plugins: a shared object exports exactly one C symbol,
// berth_plugin_entry, returning a table of descriptors. The host reads the
// table's ABI version before it touches anything else in the library.
//
//   static berth::Result<std::shared_ptr<berth::Instance>> init(berth::InitContext& ctx);
//   BERTH_PLUGINS(berth::PluginSpec{
//       .type = "io.example.v1", .id = "hello",
//       .requires_types = {"io.containerd.metadata.v1"},
//       .default_config = "greeting = \"hello\"\n",
//       .init = init});
//
// The ABI covers this table and the C++ interfaces of the SDK headers (their
// layout and vtables), so a plugin must be built against the same SDK ABI
// version and the same C++ standard library ABI as the daemon.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "berth/init_context.hpp"
#include "berth/instance.hpp"
#include "berth/status.hpp"

// Bump on any incompatible change to the table below or to an SDK interface.
#define BERTH_PLUGIN_ABI_VERSION 1u
#define BERTH_PLUGIN_ENTRY_SYMBOL "berth_plugin_entry"
#define BERTH_SDK_VERSION_STRING "0.1.0"

namespace berth {
using InitResult = Result<std::shared_ptr<Instance>>;
using InitFn = InitResult (*)(InitContext&);
// Runs an InitFn inside the plugin so no exception ever crosses into the host.
using InvokeFn = InitResult (*)(InitFn, InitContext&) noexcept;
}  // namespace berth

extern "C" {

struct berth_plugin_descriptor {
  const char* type;                   // "io.containerd.snapshotter.v1"
  const char* id;                     // "overlayfs"
  const char* const* requires_types;  // NULL-terminated types; "*" = every other type
  const char* default_config;         // TOML body of [plugins."<type>.<id>"], may be ""
  berth::InitFn init;
  berth::InvokeFn invoke;
};

struct berth_plugin_table {
  uint32_t abi_version;  // first, always: checked before anything else is read
  uint32_t count;
  const berth_plugin_descriptor* plugins;
  const char* sdk_version;
};

using berth_plugin_entry_fn = const berth_plugin_table* (*)();
}

namespace berth {

struct PluginSpec {
  std::string type;
  std::string id;
  std::vector<std::string> requires_types;
  std::string default_config;
  InitFn init = nullptr;
};

namespace detail {

inline InitResult invoke_init(InitFn fn, InitContext& ctx) noexcept {
  try {
    return fn(ctx);
  } catch (const std::exception& e) {
    return internal(std::string("init threw: ") + e.what());
  } catch (...) {
    return internal("init threw a non-standard exception");
  }
}

// Owns the strings the C table points into; lives in a function-local static.
class PluginTable {
 public:
  explicit PluginTable(std::vector<PluginSpec> specs) : specs_(std::move(specs)) {
    requires_.resize(specs_.size());
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      for (const auto& r : specs_[i].requires_types) requires_[i].push_back(r.c_str());
      requires_[i].push_back(nullptr);
    }
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      descriptors_.push_back({specs_[i].type.c_str(), specs_[i].id.c_str(), requires_[i].data(),
                              specs_[i].default_config.c_str(), specs_[i].init, &invoke_init});
    }
    table_ = {BERTH_PLUGIN_ABI_VERSION, static_cast<uint32_t>(descriptors_.size()), descriptors_.data(),
              BERTH_SDK_VERSION_STRING};
  }
  [[nodiscard]] const berth_plugin_table* table() const { return &table_; }

 private:
  std::vector<PluginSpec> specs_;
  std::vector<std::vector<const char*>> requires_;
  std::vector<berth_plugin_descriptor> descriptors_;
  berth_plugin_table table_{};
};

}  // namespace detail
}  // namespace berth

// Defines the library's entry point. Use once per shared object.
#define BERTH_PLUGINS(...)                                                                           \
  extern "C" __attribute__((visibility("default"))) const berth_plugin_table* berth_plugin_entry() { \
    static const ::berth::detail::PluginTable table{std::vector<::berth::PluginSpec>{__VA_ARGS__}};  \
    return table.table();                                                                            \
  }
