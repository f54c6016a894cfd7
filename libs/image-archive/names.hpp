// Image names in archives, by containerd's rules (images/archive/reference.go
// and the client's import): which annotation names an image, how a bare OCI
// ref name gets a base name, how RepoTags are normalized on import and made
// familiar again for manifest.json on export.
#pragma once

#include <string>
#include <string_view>

#include "berth/status.hpp"
#include "berth/validate.hpp"
#include "image-archive/import.hpp"

namespace berth::image_archive {

// What containerd writes as org.opencontainers.image.ref.name for a full
// name: the part after the repository ("docker.io/library/busybox:1" -> "1",
// "x.io/a@sha256:..." -> "@sha256:..."); a name without a '/' is kept whole
// when it holds ':' or '@' and gives "" otherwise, as containerd's parser does.
std::string oci_reference_name(std::string_view name);

// A docker-archive RepoTag as containerd stores it: normalized
// ("busybox" -> "docker.io/library/busybox:latest"); with a digest, the tag
// is dropped ("name@sha256:...").
Result<std::string> normalize_repo_tag(std::string_view tag);

// The image an index entry names on import: io.containerd.image.name as it
// is, else org.opencontainers.image.ref.name through the base-name rules of
// ImportOptions; "" when the entry names none.
std::string imported_image_name(const Labels& annotations, const ImportOptions& options);

// A RepoTag for manifest.json on export: "docker.io/library/busybox:latest"
// -> "busybox:latest", with ":latest" added to a name without tag or digest.
Result<std::string> familiar_repo_tag(std::string_view name);

}  // namespace berth::image_archive
