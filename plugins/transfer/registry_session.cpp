#include "registry_session.hpp"

#include <utility>

#include "digest/sha256.hpp"
#include "documents.hpp"

namespace berth::transfer {

Result<std::shared_ptr<const RegistrySession>> RegistrySession::open(
    const reference::Reference& ref, const RegistryAccess& access,
    const std::filesystem::path& default_hosts_dir) {
  std::shared_ptr<RegistrySession> s(new RegistrySession());
  s->ref_ = ref;
  const registry::HostsOptions options{
      .config_dir = access.hosts_dir.empty() ? default_hosts_dir : std::filesystem::path(access.hosts_dir),
      .plain_http = access.plain_http,
      .skip_verify = access.skip_verify};
  auto hosts = registry::hosts_for(ref.domain, options);
  if (!hosts.ok()) return hosts.status();
  if (hosts->empty()) return invalid_argument("no registry host is configured for " + ref.domain);
  s->hosts_ = std::move(*hosts);
  s->server_ = reference::registry_host(ref);
  if (!access.user.empty() || !access.secret.empty())
    s->credentials_ = distribution::Credentials{access.user, access.secret};
  return std::shared_ptr<const RegistrySession>(std::move(s));
}

std::optional<std::size_t> RegistrySession::push_host() const {
  for (std::size_t i = 0; i < hosts_.size(); ++i)
    if (hosts_[i].can(registry::kPush)) return i;
  return std::nullopt;
}

std::unique_ptr<distribution::Client> RegistrySession::client(std::size_t i) const {
  const registry::RegistryHost& host = hosts_.at(i);
  // A mirror never sees the user's credentials: they are the server's.
  const bool is_server = host.host == server_;
  return std::make_unique<distribution::Client>(host, distribution::RetryPolicy{},
                                                is_server ? credentials_ : std::nullopt);
}

std::string RegistrySession::source_host() const {
  const std::string& d = ref_.domain;
  if (d.starts_with('[')) {  // [::1]:5000 -> ::1, as Go's URL.Hostname()
    auto end = d.find(']');
    return end == std::string::npos ? d : d.substr(1, end - 1);
  }
  auto colon = d.find(':');
  return colon == std::string::npos ? d : d.substr(0, colon);
}

distribution::Client& HostClients::client(std::size_t i) {
  if (clients_.size() < session_->hosts().size()) clients_.resize(session_->hosts().size());
  if (!clients_[i]) clients_[i] = session_->client(i);
  return *clients_[i];
}

namespace {

// Worth asking the next host: it lacks the object or cannot be reached.
bool try_next(const Status& st) { return st.code() == Code::kNotFound || st.code() == Code::kUnavailable; }

}  // namespace

Result<std::pair<Descriptor, std::string>> HostClients::resolve(std::string_view reference,
                                                                registry::Capability capability) {
  Status last = not_found("no host of " + session_->ref().domain + " may " +
                          (capability == registry::kResolve ? "resolve references" : "pull"));
  for (std::size_t i = 0; i < session_->hosts().size(); ++i) {
    if (!session_->hosts()[i].can(capability)) continue;
    auto r = client(i).resolve(session_->repo(), reference);
    if (r.ok() && received_ != nullptr) *received_ += r->second.size();
    if (r.ok() || !try_next(r.status())) return r;
    last = r.status();
  }
  return last;
}

Status HostClients::fetch(const Descriptor& desc, int64_t offset,
                          const std::function<Status(std::string_view)>& sink,
                          const std::function<Status()>& restart) {
  Status last = not_found("no host of " + session_->ref().domain + " may pull blobs");
  bool sent = false;
  auto counting_sink = [&](std::string_view chunk) {
    sent = true;
    if (received_ != nullptr) *received_ += chunk.size();
    return sink(chunk);
  };
  for (std::size_t i = 0; i < session_->hosts().size(); ++i) {
    if (!session_->hosts()[i].can(registry::kPull)) continue;
    if (sent) {
      BERTH_RETURN_IF_ERROR(restart());
      offset = 0;
      sent = false;
    }
    Status st = client(i).stream_blob(session_->repo(), desc, offset, counting_sink);
    if (st.code() == Code::kFailedPrecondition && offset > 0) {
      // The host ignored the Range: start over from the first byte.
      BERTH_RETURN_IF_ERROR(restart());
      offset = 0;
      sent = false;
      st = client(i).stream_blob(session_->repo(), desc, 0, counting_sink);
    }
    if (st.ok() || !try_next(st)) return st;
    last = st;
  }
  return last;
}

Result<std::string> HostClients::fetch_manifest(const Descriptor& desc) {
  auto r = resolve(desc.digest, registry::kPull);
  if (!r.ok()) return r.status();
  // resolve() checked the bytes against the digest; the size is the index's word.
  if (r->first.size != desc.size)
    return data_loss("registry: manifest " + desc.digest + " has " + std::to_string(r->first.size) +
                     " bytes; its index says " + std::to_string(desc.size));
  return std::move(r->second);
}

Result<std::string> HostClients::fetch_document(const Descriptor& desc, std::size_t limit) {
  BERTH_RETURN_IF_ERROR(check_document_size(desc, limit));
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(desc.size));
  BERTH_RETURN_IF_ERROR(fetch(
      desc, 0,
      [&](std::string_view chunk) {
        bytes.append(chunk);
        return ok_status();
      },
      [&] {
        bytes.clear();
        return ok_status();
      }));
  // fetch checked the length; the digest is checked here, on bytes kept nowhere else.
  auto hex = digest::sha256_hex(bytes);
  if (!hex.ok()) return hex.status();
  if ("sha256:" + *hex != desc.digest)
    return data_loss("registry " + session_->ref().domain + ": blob " + desc.digest +
                     " hashes to sha256:" + *hex);
  return bytes;
}

}  // namespace berth::transfer
