// berth version: this client's version and the daemon's, as `ctr version`.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include <nlohmann/json.hpp>

#include "command_table.hpp"
#include "github.com/containerd/containerd/api/services/introspection/v1/introspection.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace introspection = containerd::services::introspection::v1;
namespace version = containerd::services::version::v1;

int run_version(Invocation& inv) {
  // Printed before connecting, so a client that cannot reach its daemon
  // still tells which client it is.
  if (!inv.json()) fmt::print("Client:\n  Version:  {}\n\n", BERTH_VERSION);

  Client& client = inv.client();
  google::protobuf::Empty empty;
  version::VersionResponse server;
  if (auto status = client.call(&version::Version::Stub::Version, empty, &server); !status.ok()) {
    return inv.fail("server version", status);
  }
  introspection::ServerResponse info;
  if (auto status = client.call(&introspection::Introspection::Stub::Server, empty, &info); !status.ok()) {
    return inv.fail("server info", status);
  }

  if (inv.json()) {
    print_json({
        {"client", {{"version", BERTH_VERSION}}},
        {"server", {{"version", server.version()}, {"revision", server.revision()}, {"uuid", info.uuid()}}},
    });
  } else {
    fmt::print("Server:\n  Version:  {}\n  Revision: {}\n  UUID:     {}\n", server.version(),
               server.revision(), info.uuid());
  }
  return kExitOk;
}

}  // namespace

Command version_command() {
  return {
      .name = "version",
      .summary = "print the client and server versions",
      .max_args = 0,
      .run = run_version,
  };
}

}  // namespace berth::cli
