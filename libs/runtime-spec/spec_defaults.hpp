// The parts of a container spec that do not depend on the container, as
// containerd's populateDefaultUnixSpec and WithDefaultUnixDevices make them
// for `ctr run`.
#pragma once

#include <nlohmann/json.hpp>

namespace berth::runtime_spec {

inline constexpr const char* kOciVersion = "1.0.2";
inline constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

nlohmann::json default_capabilities();  // {bounding, permitted, effective}
nlohmann::json default_mounts();
nlohmann::json default_masked_paths();
nlohmann::json default_readonly_paths();
nlohmann::json default_device_rules();  // deny all, then the usual char devices
nlohmann::json default_rlimits();

}  // namespace berth::runtime_spec
