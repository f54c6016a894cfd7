// The OCI runtime spec of the container, built here as containerd's Go client
// builds it with oci.WithNewSpec(oci.WithImageConfig(image)): containerd's
// default Linux spec (namespaces, mounts, capabilities, rlimits, masked and
// read-only paths, the cgroup path /<namespace>/<id>) with the image config's
// entrypoint, cmd, env, working directory and user on top.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "result.hpp"

namespace client_run {

// `args`, when not empty, replaces the image's Cmd (the Entrypoint stays).
// A user given by name is refused: resolving it needs the image's /etc/passwd.
Result<nlohmann::ordered_json> runtime_spec(const nlohmann::json& image_config, const std::string& ns,
                                            const std::string& id, const std::vector<std::string>& args);

}  // namespace client_run
