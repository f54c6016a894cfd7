// `berth images import` and `berth images export`: image archives read and
// written by the daemon (berth.services.transfer.v1 Import and Export), the
// archive's bytes streamed between it and a file or stdin/stdout.
#pragma once

#include "command.hpp"

namespace berth::cli {

int run_import(Invocation& inv);
std::vector<OptionSpec> import_options();
inline constexpr std::string_view kImportSynopsis = "FILE|-";
inline constexpr std::string_view kImportDescription =
    "Import the image archive FILE (or stdin with -): an OCI image-layout tar (what\n"
    "`berth images export`, `ctr images export` and skopeo's oci-archive: write) or a\n"
    "docker-archive (`docker save`), plain or gzip-compressed. The daemon verifies\n"
    "every blob, unpacks each image for this host's platform (or the first\n"
    "--platform) and records the images the archive names; a failed import records\n"
    "none. Prints the names of the images imported.";

int run_export(Invocation& inv);
std::vector<OptionSpec> export_options();
inline constexpr std::string_view kExportSynopsis = "FILE|- NAME...";
inline constexpr std::string_view kExportDescription =
    "Export the images NAME... as one OCI image-layout tar into FILE (or stdout\n"
    "with -), with Docker's manifest.json so `docker load` reads it too. Of an\n"
    "index, only this host's platform's manifests are written unless --platform or\n"
    "--all-platforms says otherwise. FILE appears only once the archive is whole.";

}  // namespace berth::cli
