// The registry side of one transfer: the hosts a reference's registry is
// reached through (containerd's hosts directory: mirrors in file order, then
// the server), the credentials, which belong to the server alone, and
// distribution clients for them. A Client serves one thread at a time, so
// each worker keeps its own HostClients.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/descriptor.hpp"
#include "berth/status.hpp"
#include "berth/transfer.hpp"
#include "distribution/distribution.hpp"
#include "reference/reference.hpp"
#include "registry-hosts/registry_hosts.hpp"

namespace berth::transfer {

class RegistrySession {
 public:
  // InvalidArgument for a hosts.toml that does not parse.
  static Result<std::shared_ptr<const RegistrySession>> open(const reference::Reference& ref,
                                                             const RegistryAccess& access,
                                                             const std::filesystem::path& default_hosts_dir);

  [[nodiscard]] const reference::Reference& ref() const { return ref_; }
  // The repository on the registry: "library/busybox".
  [[nodiscard]] const std::string& repo() const { return ref_.path; }
  [[nodiscard]] const std::vector<registry::RegistryHost>& hosts() const { return hosts_; }
  // The first host that may be pushed to (mirrors may not, unless their
  // hosts.toml capabilities say "push"); nullopt when none may.
  [[nodiscard]] std::optional<std::size_t> push_host() const;
  // A client for hosts()[i], with the credentials only if it is the server.
  [[nodiscard]] std::unique_ptr<distribution::Client> client(std::size_t i) const;
  // "127.0.0.1" for 127.0.0.1:5000: the host part of the reference's domain,
  // which names containerd's distribution source label.
  [[nodiscard]] std::string source_host() const;

 private:
  RegistrySession() = default;

  reference::Reference ref_;
  std::vector<registry::RegistryHost> hosts_;
  std::string server_;  // the host credentials go to
  std::optional<distribution::Credentials> credentials_;
};

// One worker's clients, one per host, made when first used.
class HostClients {
 public:
  // `received`, when given, counts every byte the hosts send (the metrics
  // endpoint's bytes pulled); it must outlive the clients.
  explicit HostClients(std::shared_ptr<const RegistrySession> session,
                       std::atomic<uint64_t>* received = nullptr)
      : session_(std::move(session)), received_(received) {}

  // The manifest or index `reference` (tag or digest), from the first host
  // that may resolve and has it.
  // A digest is fetched from the hosts that may pull (containerd asks only
  // hosts trusted to resolve for tags).
  Result<std::pair<Descriptor, std::string>> resolve(std::string_view reference,
                                                     registry::Capability capability = registry::kResolve);
  // A blob from byte `offset` on into `sink`, from the first host that may
  // pull and has it, checked for length only: the sink checks the digest
  // (a content store ingest does, on commit). On a host that fails after
  // the sink saw bytes, or that ignores the Range for an offset, `restart`
  // is called and the blob starts over from its first byte.
  Status fetch(const Descriptor& desc, int64_t offset, const std::function<Status(std::string_view)>& sink,
               const std::function<Status()>& restart);
  // A manifest or index an index names, from the registry's manifests
  // endpoint (registries keep them apart from blobs), checked against `desc`.
  Result<std::string> fetch_manifest(const Descriptor& desc);
  // A small blob (a config) into memory, at most `limit` bytes, checked
  // against its digest.
  Result<std::string> fetch_document(const Descriptor& desc, std::size_t limit);

  [[nodiscard]] const RegistrySession& session() const { return *session_; }

 private:
  distribution::Client& client(std::size_t i);

  std::shared_ptr<const RegistrySession> session_;
  std::atomic<uint64_t>* received_;
  std::vector<std::unique_ptr<distribution::Client>> clients_;
};

}  // namespace berth::transfer
