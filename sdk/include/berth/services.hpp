// Plugin type "io.containerd.service.v1": the objects behind the API
// services. The metadata database (berth/metadata.hpp) is one plugin; the
// records of each kind it holds are kept by a service plugin of their own,
// registered under containerd's id and found by its interface:
//
//   namespaces-service   berth::NamespaceStore       berth/namespaces.hpp
//   leases-service       berth::LeaseStore           berth/leases.hpp
//   content-service      berth::NamespacedContent    berth/namespaced_content.hpp
//   snapshots-service    berth::NamespacedSnapshots  berth/namespaced_snapshots.hpp
//   images-service       berth::ImageStore           berth/images.hpp
//   containers-service   berth::ContainerStore       berth/containers.hpp
//
// A plugin that uses one requires this type (so the services are initialised
// first) and looks it up by interface:
//
//   auto content = ctx.first_of<berth::NamespacedContent>(berth::kServicePluginType);
//
// The ids name each service's config section and its entry in
// disabled_plugins / required_plugins ("io.containerd.service.v1.content-service").
#pragma once

#include <string_view>

namespace berth {

inline constexpr std::string_view kServicePluginType = "io.containerd.service.v1";

inline constexpr std::string_view kNamespacesServiceId = "namespaces-service";
inline constexpr std::string_view kLeasesServiceId = "leases-service";
inline constexpr std::string_view kContentServiceId = "content-service";
inline constexpr std::string_view kSnapshotsServiceId = "snapshots-service";
inline constexpr std::string_view kImagesServiceId = "images-service";
inline constexpr std::string_view kContainersServiceId = "containers-service";

}  // namespace berth
