#include "config.hpp"

#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace berth::host {
namespace {

std::string position(const toml::source_region& r, const std::string& fallback) {
  std::string file = r.path ? *r.path : fallback;
  return file + ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
}

// Reads typed fields out of one TOML table, collecting the first error and
// warning about keys nobody asked for.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, const std::string& source, Warnings& warnings)
      : table_(table), prefix_(std::move(prefix)), source_(source), warnings_(warnings) {}

  template <class T>
  void read(std::string_view key, T& out) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr || !status_.ok()) return;
    if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      const auto* arr = node->as_array();
      if (arr == nullptr) return fail(*node, key, "an array of strings");
      std::vector<std::string> values;
      for (const auto& el : *arr) {
        auto s = el.value_exact<std::string>();
        if (!s) return fail(el, key, "an array of strings");
        values.push_back(*s);
      }
      out = std::move(values);
    } else {
      auto v = node->value_exact<T>();
      if (!v) return fail(*node, key, std::is_same_v<T, std::string> ? "a string" : "an integer");
      out = *v;
    }
  }

  // An integer that must lie in [lo, hi]: outside it is a config error that
  // names the key and the range, never a silent "unlimited" or wrap-around.
  void read_in_range(std::string_view key, int64_t& out, int64_t lo, int64_t hi) {
    read(key, out);
    const toml::node* node = table_.get(key);
    if (node == nullptr || !status_.ok() || (out >= lo && out <= hi)) return;
    status_ = invalid_argument(position(node->source(), source_) + ": key '" + prefix_ + std::string(key) +
                               "' is " + std::to_string(out) + "; it must be between " + std::to_string(lo) +
                               " and " + std::to_string(hi));
  }

  // A sub-table; nullptr when absent or (with an error) not a table.
  const toml::table* table(std::string_view key) {
    seen_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node == nullptr || !status_.ok()) return nullptr;
    if (!node->is_table()) {
      fail(*node, key, "a table");
      return nullptr;
    }
    return node->as_table();
  }

  // Keys containerd accepts that Berth does not act on yet: no warning.
  void accept(std::initializer_list<std::string_view> keys) {
    for (auto k : keys) seen_.insert(std::string(k));
  }

  void warn_unknown() {
    for (const auto& [k, v] : table_) {
      if (!seen_.contains(std::string(k.str()))) {
        warnings_.push_back(position(k.source(), source_) + ": unknown key '" + prefix_ +
                            std::string(k.str()) + "' ignored");
      }
    }
  }

  [[nodiscard]] const Status& status() const { return status_; }

 private:
  void fail(const toml::node& node, std::string_view key, std::string_view want) {
    status_ = invalid_argument(position(node.source(), source_) + ": key '" + prefix_ + std::string(key) +
                               "' must be " + std::string(want));
  }

  const toml::table& table_;
  std::string prefix_;
  const std::string& source_;
  Warnings& warnings_;
  std::set<std::string> seen_;
  Status status_;
};

Status read_document(const toml::table& doc, DaemonConfig& cfg, Warnings& warnings) {
  TableReader top(doc, "", cfg.source, warnings);
  top.read("version", cfg.version);
  top.read("root", cfg.root);
  top.read("state", cfg.state);
  top.read("plugin_dirs", cfg.plugin_dirs);
  std::string plugin_dir;  // containerd's single-directory spelling
  top.read("plugin_dir", plugin_dir);
  if (!plugin_dir.empty()) cfg.plugin_dirs.push_back(plugin_dir);
  top.read("disabled_plugins", cfg.disabled_plugins);
  top.read("required_plugins", cfg.required_plugins);
  top.read("oom_score", cfg.oom_score);
  top.accept({"imports", "temp", "cgroup", "timeouts", "proxy_plugins", "stream_processors", "ttrpc"});

  if (const auto* grpc = top.table("grpc")) {
    TableReader g(*grpc, "grpc.", cfg.source, warnings);
    g.read("address", cfg.grpc.address);
    g.read("uid", cfg.grpc.uid);
    g.read("gid", cfg.grpc.gid);
    // gRPC takes these as int; 0 or less would mean "unlimited" or break it.
    constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
    g.read_in_range("max_recv_message_size", cfg.grpc.max_recv_message_size, 1, kIntMax);
    g.read_in_range("max_send_message_size", cfg.grpc.max_send_message_size, 1, kIntMax);
    g.read_in_range("max_concurrent_calls", cfg.grpc.max_concurrent_calls, 1, kMaxConcurrentCallsLimit);
    g.accept({"tcp_address", "tcp_tls_ca", "tcp_tls_cert", "tcp_tls_key"});
    BERTH_RETURN_IF_ERROR(g.status());
    g.warn_unknown();
  }
  if (const auto* debug = top.table("debug")) {
    TableReader d(*debug, "debug.", cfg.source, warnings);
    d.read("level", cfg.log_level);
    d.accept({"address", "uid", "gid", "format"});
    BERTH_RETURN_IF_ERROR(d.status());
    d.warn_unknown();
  }
  if (const auto* metrics = top.table("metrics")) {
    TableReader m(*metrics, "metrics.", cfg.source, warnings);
    m.read("address", cfg.metrics_address);
    m.read("grpc_histogram", cfg.metrics_grpc_histogram);
    BERTH_RETURN_IF_ERROR(m.status());
    m.warn_unknown();
  }
  if (const auto* plugins = top.table("plugins")) {
    for (const auto& [k, v] : *plugins) {
      if (!v.is_table()) {
        return invalid_argument(position(v.source(), cfg.source) + ": key 'plugins.\"" +
                                std::string(k.str()) + "\"' must be a table");
      }
      cfg.plugins[std::string(k.str())] = *v.as_table();
    }
  }
  BERTH_RETURN_IF_ERROR(top.status());
  top.warn_unknown();

  if (cfg.version != 2) {
    const toml::node* v = doc.get("version");
    return invalid_argument((v ? position(v->source(), cfg.source) : cfg.source) +
                            ": unsupported config version " + std::to_string(cfg.version) +
                            " (Berth reads version = 2)");
  }
  if (!known_log_level(cfg.log_level)) {
    const toml::node* n = doc.at_path("debug.level").node();
    return invalid_argument((n ? position(n->source(), cfg.source) : cfg.source) +
                            ": key 'debug.level': unknown level '" + cfg.log_level +
                            "' (trace, debug, info, warn, error)");
  }
  return {};
}

}  // namespace

bool known_log_level(const std::string& level) {
  static const std::set<std::string> kLevels = {"trace",   "debug", "info",  "warn",
                                                "warning", "error", "fatal", "panic"};
  return kLevels.contains(level);
}

std::string where(const toml::node& node, const std::string& fallback_source) {
  return position(node.source(), fallback_source);
}

Result<DaemonConfig> parse_config(std::string_view text, const std::string& source, Warnings& warnings) {
  DaemonConfig cfg;
  cfg.source = source;
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return invalid_argument(position(e.source(), source) + ": " + std::string(e.description()));
  }
  BERTH_RETURN_IF_ERROR(read_document(doc, cfg, warnings));
  cfg.document = std::make_shared<const toml::table>(std::move(doc));
  return cfg;
}

Result<DaemonConfig> load_config(const std::filesystem::path& file, Warnings& warnings) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return errno_status("open config " + file.string(), errno);
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), file.string(), warnings);
}

toml::table to_toml(const DaemonConfig& c) {
  auto strings = [](const std::vector<std::string>& v) {
    toml::array a;
    for (const auto& s : v) a.push_back(s);
    return a;
  };
  toml::table t;
  t.insert("version", c.version);
  t.insert("root", c.root);
  t.insert("state", c.state);
  t.insert("plugin_dirs", strings(c.plugin_dirs));
  t.insert("disabled_plugins", strings(c.disabled_plugins));
  t.insert("required_plugins", strings(c.required_plugins));
  t.insert("oom_score", c.oom_score);
  t.insert("grpc", toml::table{{"address", c.grpc.address},
                               {"uid", c.grpc.uid},
                               {"gid", c.grpc.gid},
                               {"max_recv_message_size", c.grpc.max_recv_message_size},
                               {"max_send_message_size", c.grpc.max_send_message_size},
                               {"max_concurrent_calls", c.grpc.max_concurrent_calls}});
  t.insert("debug", toml::table{{"level", c.log_level}});
  t.insert("metrics",
           toml::table{{"address", c.metrics_address}, {"grpc_histogram", c.metrics_grpc_histogram}});
  return t;
}

}  // namespace berth::host
