// Declaring plugins: a shared object exports exactly one C symbol,
// berth_plugin_entry, returning a table of descriptors, and carries a
// berth_plugin_abi_record in an ELF section named .berth_plugin. The SDK's
// BERTH_PLUGINS(...) macro writes both:
//
//   static berth::Result<std::shared_ptr<berth::Instance>> init(berth::InitContext& ctx);
//   BERTH_PLUGINS(berth::PluginSpec{
//       .type = "io.example.v1", .id = "hello",
//       .requires_types = {"io.containerd.metadata.v1"},
//       .default_config = "greeting = \"hello\"\n",
//       .init = init});
//
// What berthd checks, in this order (README, "Writing a plugin"):
//  1. Before any code of the library runs, reading the file with pread():
//     a complete ELF shared object of the host's class, byte order and
//     machine; berth_plugin_entry among its dynamic symbols; the .berth_plugin
//     record's ABI version equal to berthd's; and, when the library includes
//     berth/grpc_service.hpp, the .berth_grpc record's gRPC and protobuf
//     versions equal to berthd's (a service plugin is handed berthd's
//     grpc::ServerBuilder, so it must be built against the same gRPC).
//  2. The first time berthd sees the file (keyed by path, inode, size and
//     times): dlopen() and the entry point in a forked pre-flight process,
//     so a static constructor that crashes, exits or hangs is reported and
//     the library is left out. The verdict is kept under the state directory.
//  3. dlopen() in berthd (the static constructors of the library and of what
//     it links run here), the entry point, the table's ABI version again.
//  4. Each plugin's init, in dependency order. Type and id are only known
//     once the entry point has run, so a plugin in disabled_plugins still has
//     its library's static constructors run; its init never does.
//
// The ABI covers this table, the section record and the C++ interfaces of
// the SDK headers (their layout and vtables), so a plugin must be built
// against the same SDK ABI version and the same C++ standard library ABI as
// the daemon.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "berth/init_context.hpp"
#include "berth/instance.hpp"
#include "berth/status.hpp"

// Bump on any incompatible change to the table or records below or to an SDK
// interface. 2: the .berth_plugin section record; sdk_version moved from the
// table into it; PluginState lost kDisabled and gained kInitializing. 3: ContentStore
// and NamespacedContent gained ingest_reader, Differ apply_stream; Transfer.
// 4: Transfer gained import_archive and export_archive. 5: Transaction::after_commit;
// events (berth/events.hpp); containers (berth/containers.hpp); GrpcService::stopping;
// TtrpcService and TtrpcRegistry (berth/ttrpc_service.hpp). 6: tasks
// (berth/tasks.hpp); TaskExit and TaskDelete events; CancelCheck in berth/cancel.hpp.
// 7: metrics (berth/metrics.hpp): MetricsSource, MetricsSink, Counter, Histogram;
//    garbage collection (berth/gc.hpp); the GcRun event.
// 8: ContentWriter::write_pieces. 9: Snapshotter::remove_all.
#define BERTH_PLUGIN_ABI_VERSION 9u
#define BERTH_PLUGIN_ENTRY_SYMBOL "berth_plugin_entry"
#define BERTH_SDK_VERSION_STRING "0.1.0"
// ELF sections berthd reads before dlopen().
#define BERTH_PLUGIN_ABI_SECTION ".berth_plugin"
#define BERTH_PLUGIN_GRPC_SECTION ".berth_grpc"

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
};

// Records berthd reads from the file's ELF sections before loading it: plain
// data in the library's byte order, never executed. Each starts with a magic
// and its own size so a truncated or foreign section is told apart. Strings
// are NUL-padded.
#define BERTH_PLUGIN_ABI_MAGIC "berth-plugin"
#define BERTH_PLUGIN_GRPC_MAGIC "berth-grpc"
struct berth_plugin_abi_record {  // section .berth_plugin, one per library
  char magic[16];                 // BERTH_PLUGIN_ABI_MAGIC
  uint32_t record_size;           // sizeof(berth_plugin_abi_record)
  uint32_t abi_version;           // BERTH_PLUGIN_ABI_VERSION
  char sdk_version[32];           // BERTH_SDK_VERSION_STRING
};
struct berth_plugin_grpc_record {  // section .berth_grpc, see berth/grpc_service.hpp
  char magic[16];                  // BERTH_PLUGIN_GRPC_MAGIC
  uint32_t record_size;            // sizeof(berth_plugin_grpc_record)
  uint32_t protobuf_version;       // GOOGLE_PROTOBUF_VERSION, e.g. 3021012
  char grpc_version[32];           // GRPC_CPP_VERSION_STRING
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
    table_ = {BERTH_PLUGIN_ABI_VERSION, static_cast<uint32_t>(descriptors_.size()), descriptors_.data()};
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

// Places a record in a named section of the library. `used` keeps the
// compiler from dropping it and `retain` keeps `ld --gc-sections` from doing
// so: nothing in the library refers to it, only berthd reads it.
#define BERTH_PLUGIN_SECTION(name) [[gnu::used, gnu::retain, gnu::section(name)]]

// Defines the library's entry point and its ABI record. Use once per shared object.
#define BERTH_PLUGINS(...)                                                                                   \
  BERTH_PLUGIN_SECTION(BERTH_PLUGIN_ABI_SECTION)                                                             \
  static const berth_plugin_abi_record berth_plugin_abi{BERTH_PLUGIN_ABI_MAGIC,                              \
                                                        sizeof(berth_plugin_abi_record),                     \
                                                        BERTH_PLUGIN_ABI_VERSION, BERTH_SDK_VERSION_STRING}; \
  extern "C" __attribute__((visibility("default"))) const berth_plugin_table* berth_plugin_entry() {         \
    static const ::berth::detail::PluginTable table{std::vector<::berth::PluginSpec>{__VA_ARGS__}};          \
    return table.table();                                                                                    \
  }
