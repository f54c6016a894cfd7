#include "plugin_loader.hpp"

#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <boost/dll/shared_library.hpp>
#include <map>
#include <set>
#include <type_traits>

#include "plugin_abi_check.hpp"
#include "plugin_files.hpp"

namespace berth::host {
namespace {

std::string file_name(const std::filesystem::path& path) { return "plugin file " + path.string(); }

// Reads the table the entry point returned; berthd does it in the pre-flight
// child first, so a table whose pointers lead nowhere crashes only the child.
Result<std::vector<PluginDescriptor>> read_table(const berth_plugin_table* table,
                                                 const std::filesystem::path& path) {
  const std::string name = file_name(path);
  if (table == nullptr) return invalid_argument(name + ": the entry point returned no table");
  // The version is the only field we may read before knowing the layout. The
  // file's .berth_plugin record said this version; a table saying otherwise
  // was not written by the SDK's BERTH_PLUGINS.
  if (table->abi_version != BERTH_PLUGIN_ABI_VERSION) {
    return failed_precondition(name + ": its table is for plugin ABI version " +
                               std::to_string(table->abi_version) +
                               " but its " BERTH_PLUGIN_ABI_SECTION " record says " +
                               std::to_string(BERTH_PLUGIN_ABI_VERSION) + ", which berthd speaks");
  }
  std::vector<PluginDescriptor> out;
  for (uint32_t i = 0; i < table->count; ++i) {
    const berth_plugin_descriptor& d = table->plugins[i];
    if (d.type == nullptr || d.id == nullptr || d.init == nullptr || d.invoke == nullptr || *d.type == '\0' ||
        *d.id == '\0') {
      return invalid_argument(name + ": descriptor " + std::to_string(i) +
                              " lacks a type, id or init function");
    }
    PluginDescriptor p;
    p.type = d.type;
    p.id = d.id;
    for (const char* const* r = d.requires_types; r != nullptr && *r != nullptr; ++r)
      p.requires_types.emplace_back(*r);
    try {
      p.defaults = toml::parse(d.default_config ? d.default_config : "",
                               path.string() + " (" + p.key() + " defaults)");
    } catch (const toml::parse_error& e) {
      p.defaults_status = invalid_argument("default config does not parse: " + std::string(e.description()));
    }
    p.init = d.init;
    p.invoke = d.invoke;
    p.library = path.string();
    out.push_back(std::move(p));
  }
  return out;
}

// dlopen(), the entry point and the table: what berthd does with a file that
// passed its checks, and what the pre-flight child does with it first.
Result<std::vector<PluginDescriptor>> open_library(const std::filesystem::path& path) {
  // RTLD_NOW: an unresolved symbol fails here, not in the middle of a request.
  // RTLD_LOCAL: two plugins may carry symbols of the same name.
  // RTLD_NODELETE: never unmapped, not even when `library` below closes its
  // handle or at exit: plugin objects, threads and atexit handlers point
  // into it for the life of the process.
  constexpr int kMode = RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE;
  boost::dll::fs::error_code ec;
  boost::dll::shared_library library(path, ec, static_cast<boost::dll::load_mode::type>(kMode));
  if (ec) {
    // Boost.DLL reports every failed dlopen() as "Bad file descriptor"; the
    // reason is dlerror()'s, which nothing has called dl* since to replace.
    const char* why = ::dlerror();
    return invalid_argument(file_name(path) + " cannot be loaded: " + (why != nullptr ? why : ec.message()));
  }
  if (!library.has(BERTH_PLUGIN_ENTRY_SYMBOL)) {
    return invalid_argument(file_name(path) + " has no entry point " BERTH_PLUGIN_ENTRY_SYMBOL
                                              " (not a Berth plugin)");
  }
  auto& entry = library.get<std::remove_pointer_t<berth_plugin_entry_fn>>(BERTH_PLUGIN_ENTRY_SYMBOL);
  return read_table(entry(), path);
}

}  // namespace

struct PluginLoader::Checked {
  std::filesystem::path path;
  PluginFileKey key;
  PluginAbi abi;
  bool trusted = false;  // in LoaderOptions::trusted_dir: no pre-flight
};

PluginLoader::PluginLoader(LoaderOptions options)
    : options_(std::move(options)),
      cache_(options_.preflight_cache.empty() ? PreflightCache() : PreflightCache(options_.preflight_cache)) {
}

std::vector<PluginDescriptor> PluginLoader::load_checked(const std::vector<Checked>& files,
                                                         std::vector<Status>& problems) {
  using Clock = std::chrono::steady_clock;
  // Trusted files need no verdict; the others have one in the cache, or go
  // to one pre-flight child, which starts now and runs ahead while this
  // thread loads the trusted files and those the child passed.
  std::vector<std::optional<PreflightVerdict>> remembered(files.size());
  std::vector<std::filesystem::path> fresh;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].trusted) {
      ++stats_.trusted;
      continue;
    }
    remembered[i] = cache_.find(files[i].key);
    if (remembered[i]) {
      ++stats_.remembered;
    } else {
      fresh.push_back(files[i].path);
    }
  }
  stats_.checked += static_cast<int>(fresh.size());
  PreflightRun run(
      fresh, [](const std::filesystem::path& p) { return open_library(p).status(); },
      options_.preflight_time_limit);

  std::vector<PluginDescriptor> out;
  std::size_t next_fresh = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& file = files[i];
    PreflightVerdict verdict;
    if (file.trusted) {
      verdict = {PreflightVerdict::Kind::kPassed, 0, ""};
    } else if (remembered[i]) {
      verdict = *remembered[i];
    } else {
      const auto t0 = Clock::now();
      verdict = run.verdict(next_fresh++);
      stats_.waited += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
      cache_.record(file.key, verdict);
    }
    if (!verdict.safe()) {
      std::string msg = file_name(file.path) + " " + verdict.describe() + "; not loaded";
      if (remembered[i]) msg += " (verdict kept in " + cache_.file().string() + " until the file changes)";
      problems.push_back(failed_precondition(std::move(msg)));
      continue;
    }
    if (verdict.kind == PreflightVerdict::Kind::kUnchecked) {
      spdlog::warn("{} {}; loading it without that protection", file_name(file.path), verdict.describe());
    }
    // Before dlopen(): if the library takes berthd down all the same, the
    // last line of the log names it.
    spdlog::info("loading {}", file.path.string());
    spdlog::debug("{}: plugin ABI version {}, SDK {}{}", file.path.string(), file.abi.abi_version,
                  file.abi.sdk_version,
                  file.abi.grpc_version ? ", gRPC " + *file.abi.grpc_version + ", protobuf " +
                                              protobuf_version_name(file.abi.protobuf_version.value_or(0))
                                        : std::string());
    auto loaded = open_library(file.path);
    if (!loaded.ok()) {
      problems.push_back(loaded.status());
      continue;
    }
    for (auto& p : *loaded) out.push_back(std::move(p));
  }
  stats_.children += run.children();
  return out;
}

Result<std::vector<PluginDescriptor>> PluginLoader::load(const std::filesystem::path& path) {
  auto checked = check(path);
  if (!checked.ok()) return checked.status();
  std::vector<Status> problems;
  auto plugins = load_checked({*checked}, problems);
  if (Status s = cache_.save(); !s.ok()) spdlog::warn("cannot keep the pre-flight verdicts: {}", s.message());
  if (!problems.empty()) return problems.front();
  return plugins;
}

std::vector<PluginDescriptor> PluginLoader::discover(const std::vector<std::filesystem::path>& dirs,
                                                     std::vector<std::string>& problems) {
  const auto paths = list_plugin_files(dirs, problems);
  std::vector<Checked> files;
  for (const auto& path : paths) {
    auto checked = check(path);
    if (checked.ok()) {
      files.push_back(std::move(*checked));
    } else {
      problems.push_back(checked.status().message());
    }
  }
  std::vector<Status> failures;
  auto loaded = load_checked(files, failures);
  for (const auto& s : failures) problems.push_back(s.message());

  std::set<std::string> preflighted;
  for (const auto& file : files) {
    if (!file.trusted) preflighted.insert(file.path.string());
  }
  cache_.keep_only(preflighted);
  if (Status s = cache_.save(); !s.ok()) spdlog::warn("cannot keep the pre-flight verdicts: {}", s.message());

  std::vector<PluginDescriptor> all;
  std::map<std::string, std::string> library_of;
  for (auto& p : loaded) {
    auto [it, fresh] = library_of.emplace(p.key(), p.library);
    if (!fresh) {
      problems.push_back(file_name(p.library) + ": plugin " + p.key() + " is already provided by " +
                         it->second + "; ignored");
      continue;
    }
    all.push_back(std::move(p));
  }
  return all;
}

Result<PluginLoader::Checked> PluginLoader::check(const std::filesystem::path& path) const {
  auto abi = check_plugin_file(path);
  if (!abi.ok()) return Status(abi.status().code(), "plugin file " + abi.status().message());
  auto key = PluginFileKey::of(path);
  if (!key.ok()) return key.status();
  const bool trusted = !options_.trusted_dir.empty() && path.parent_path() == options_.trusted_dir;
  return Checked{path, std::move(*key), std::move(*abi), trusted};
}

}  // namespace berth::host
