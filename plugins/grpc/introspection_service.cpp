#include "introspection_service.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "berth/filters.hpp"
#include "files/atomic_file.hpp"
#include "files/fd_io.hpp"
#include "grpc_status.hpp"

namespace berth::api {
namespace {

bool plausible_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// The fields containerd's introspection filters know.
std::optional<std::string> plugin_field(const PluginInfo& p, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "type") return p.type;
  if (path[0] == "id") return p.id;
  if (path[0] == "status") return std::string(plugin_state_name(p.state));
  if (path[0] == "exports" && path.size() >= 2) {
    auto it = p.exports.find(path[1]);
    if (it != p.exports.end()) return it->second;
    return std::nullopt;
  }
  if (path[0] == "capabilities" && !p.capabilities.empty()) {
    std::string joined;
    for (const auto& c : p.capabilities) joined += (joined.empty() ? "" : ",") + c;
    return joined;
  }
  if (path[0] == "platforms" && !p.platforms.empty()) {
    const auto& pl = p.platforms.front();
    return pl.os + "/" + pl.architecture + (pl.variant.empty() ? "" : "/" + pl.variant);
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> load_or_create_uuid(const std::filesystem::path& dir) {
  const auto path = dir / "uuid";
  auto kept = files::read_file(path, 4096);
  if (kept.ok()) {
    std::string uuid = kept->substr(0, kept->find('\n'));
    if (plausible_uuid(uuid)) return uuid;
    return data_loss(path.string() + " does not hold a UUID; remove it to make a new one");
  }
  if (kept.status().code() != Code::kNotFound) return kept.status();
  auto made = files::read_file("/proc/sys/kernel/random/uuid", 4096);
  if (!made.ok()) return made.status().with_context("generate a UUID");
  std::string uuid = made->substr(0, made->find('\n'));
  if (!plausible_uuid(uuid)) return internal("cannot generate a UUID from /proc/sys/kernel/random/uuid");
  // Durable: clients tell daemons apart by this UUID; it must not change
  // after a power cut.
  BERTH_RETURN_IF_ERROR(files::replace_file(path, uuid + "\n", files::Durability::kDurable, 0600));
  return uuid;
}

Result<std::shared_ptr<Instance>> IntrospectionService::create(InitContext& ctx) {
  auto uuid = load_or_create_uuid(ctx.root());
  if (!uuid.ok()) return uuid.status();
  return std::shared_ptr<Instance>(new IntrospectionService(ctx.plugins(), std::move(*uuid)));
}

grpc::Status IntrospectionService::Plugins(grpc::ServerContext*, const introspection_v1::PluginsRequest* req,
                                           introspection_v1::PluginsResponse* out) {
  auto filter = Filter::parse({req->filters().begin(), req->filters().end()});
  if (!filter.ok()) return to_grpc(filter.status());
  for (const PluginInfo& p : plugins_->list()) {
    if (!filter->match([&](const std::vector<std::string>& path) { return plugin_field(p, path); })) continue;
    auto* pb = out->add_plugins();
    pb->set_type(p.type);
    pb->set_id(p.id);
    for (const auto& r : p.requires_types) pb->add_requires(r);
    for (const auto& pl : p.platforms) {
      auto* ppl = pb->add_platforms();
      ppl->set_os(pl.os);
      ppl->set_architecture(pl.architecture);
      ppl->set_variant(pl.variant);
    }
    for (const auto& [k, v] : p.exports) (*pb->mutable_exports())[k] = v;
    for (const auto& c : p.capabilities) pb->add_capabilities(c);
    if (p.state == PluginState::kSkip || p.state == PluginState::kError) {
      // ctr tells a skip from an error by the text "skip plugin" in the
      // message (containerd wraps plugin.ErrSkipPlugin), so say it.
      std::string msg = p.error.message();
      if (p.state == PluginState::kSkip && msg.find("skip plugin") == std::string::npos)
        msg += ": skip plugin";
      auto* err = pb->mutable_init_err();
      err->set_code(static_cast<int>(p.error.code()));
      err->set_message(msg);
    }
  }
  return grpc::Status::OK;
}

grpc::Status IntrospectionService::Server(grpc::ServerContext*, const google::protobuf::Empty*,
                                          introspection_v1::ServerResponse* out) {
  out->set_uuid(uuid_);
  return grpc::Status::OK;
}

}  // namespace berth::api
