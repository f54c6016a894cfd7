// What `berth run` and `berth containers create` share: their flags, and
// making a container from an image as ctr's NEWCONTAINER does (CTR-RPCS.md):
// the image (pulled when missing), a lease, the snapshot (key = container
// id, parent = the image's chain ID), the OCI spec from the image config with
// the image's users resolved in that snapshot, and the container record.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "command.hpp"
#include "github.com/containerd/containerd/api/services/containers/v1/containers.pb.h"
#include "github.com/containerd/containerd/api/types/mount.pb.h"
#include "runtime-spec/spec.hpp"
#include "undo_stack.hpp"

namespace berth::cli {

namespace containers = containerd::services::containers::v1;

// containerd's type URLs for what a container record carries.
inline constexpr std::string_view kSpecTypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
inline constexpr std::string_view kProcessTypeUrl =
    "types.containerd.io/opencontainers/runtime-spec/1/Process";
inline constexpr std::string_view kRuncOptionsTypeUrl = "containerd.runc.v1.Options";
inline constexpr std::string_view kDefaultRuntime = "io.containerd.runc.v2";
// The image's STOPSIGNAL, as containerd's client labels the container.
inline constexpr std::string_view kStopSignalLabel = "io.containerd.image.config.stop-signal";

struct ContainerOptions {
  std::string image;
  std::string id;
  runtime_spec::SpecOverrides spec;  // args are the CMD... after ID
  std::string runtime{kDefaultRuntime};
  std::string runc_binary;  // "" leaves the runtime's default
  std::string snapshotter;
  std::map<std::string, std::string> labels;
};

// The flags of `run` and `containers create`.
std::vector<OptionSpec> container_option_specs();
// The flags and positionals (IMAGE ID [CMD...]) `inv` was given; false
// with a usage error in `error`.
bool parse_container_options(const Invocation& inv, ContainerOptions& out, std::string& error);

struct CreatedContainer {
  containers::Container record;
  google::protobuf::RepeatedPtrField<containerd::types::Mount> rootfs;  // the snapshot's mounts
};

// Makes the container. `interrupted` is asked between steps (a Ctrl-C while
// setting up). On failure, what was made is removed again and `what` names
// the step that failed; on success `undo` holds the steps that remove the
// container and its snapshot, for a caller whose later step fails.
grpc::Status create_container(Client& client, const std::string& ns, const ContainerOptions& options,
                              const std::function<bool()>& interrupted, UndoStack& undo,
                              CreatedContainer& out, std::string& what);

// Removes the container's snapshot (gone already is fine), then its record.
grpc::Status delete_container(Client& client, const containers::Container& container);

}  // namespace berth::cli
