// berth images: the image records of a namespace (list, tag, label, remove),
// as `ctr images` keeps them; pulls, pushes, imports and exports go through
// the daemon's transfer service (cmd_pull.cpp, cmd_push.cpp,
// cmd_import_export.cpp).
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "blobs.hpp"
#include "cmd_images_mount.hpp"
#include "cmd_import_export.hpp"
#include "cmd_pull.hpp"
#include "cmd_push.hpp"
#include "command_table.hpp"
#include "github.com/containerd/containerd/api/services/images/v1/images.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/snapshots/v1/snapshots.grpc.pb.h"
#include "image_manifest.hpp"
#include "labels.hpp"
#include "oci/oci.hpp"
#include "output.hpp"

namespace berth::cli {
namespace {

namespace images = containerd::services::images::v1;
namespace snapshots = containerd::services::snapshots::v1;
using Stub = images::Images::Stub;

nlohmann::ordered_json image_json(const images::Image& image) {
  return {{"name", image.name()},
          {"target",
           {{"media_type", image.target().media_type()},
            {"digest", image.target().digest()},
            {"size", image.target().size()}}},
          {"created_at", rfc3339(image.created_at())},
          {"updated_at", rfc3339(image.updated_at())},
          {"labels", label_map(image.labels())}};
}

int run_list(Invocation& inv) {
  images::ListImagesRequest request;
  for (const std::string& filter : inv.positionals()) request.add_filters(filter);
  images::ListImagesResponse response;
  if (auto status = inv.client().call(&Stub::List, request, &response); !status.ok()) {
    return inv.fail("list images", status);
  }
  std::vector<const images::Image*> sorted;
  for (const auto& image : response.images()) sorted.push_back(&image);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name() < b->name(); });

  if (inv.args().has("quiet")) {
    for (const auto* image : sorted) fmt::print("{}\n", image->name());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto* image : sorted) doc.push_back(image_json(*image));
    print_json(doc);
  } else {
    Table table({"REF", "TYPE", "DIGEST", "UPDATED", "LABELS"});
    for (const auto* image : sorted) {
      table.add_row({image->name(), image->target().media_type(), image->target().digest(),
                     rfc3339(image->updated_at()), join_label_map(image->labels())});
    }
    table.print();
  }
  return kExitOk;
}

// What `images check` finds for one image: the host platform's manifest,
// which of its blobs are present, and whether it is unpacked.
struct Check {
  std::string status;  // "complete (2/2)", "incomplete (1/2)", or what went wrong
  int64_t present_bytes = 0;
  int64_t total_bytes = 0;
  bool unpacked = false;
};

Check check_image(Invocation& inv, const images::Image& image, const std::string& snapshotter) {
  Check out;
  Client& client = inv.client();
  PlatformManifest found;
  if (auto st = platform_manifest(client, from_pb(image.target()), platforms::host(), found); !st.ok()) {
    out.status = st.error_message();
    return out;
  }
  const oci::Manifest& manifest = found.manifest;
  std::vector<const Descriptor*> required{&manifest.config};
  for (const auto& layer : manifest.layers) required.push_back(&layer);
  std::size_t present = 0;
  for (const auto* d : required) {
    out.total_bytes += d->size;
    if (blob_info(client, d->digest, nullptr).ok()) {
      ++present;
      out.present_bytes += d->size;
    }
  }
  out.status = fmt::format("{} ({}/{})", present == required.size() ? "complete" : "incomplete", present,
                           required.size());
  // Unpacked: the snapshot named by the chain ID of the config's diff IDs.
  oci::ImageConfig config;
  std::vector<std::string> chain;
  if (image_config(client, manifest, config).ok() && chain_ids(config, chain).ok() && !chain.empty()) {
    snapshots::StatSnapshotRequest stat;
    stat.set_snapshotter(snapshotter);
    stat.set_key(chain.back());
    snapshots::StatSnapshotResponse info;
    out.unpacked = client.call(&snapshots::Snapshots::Stub::Stat, stat, &info).ok();
  }
  return out;
}

int run_check(Invocation& inv) {
  images::ListImagesRequest request;
  for (const std::string& filter : inv.positionals()) request.add_filters(filter);
  images::ListImagesResponse response;
  if (auto status = inv.client().call(&Stub::List, request, &response); !status.ok()) {
    return inv.fail("check images", status);
  }
  const std::string snapshotter = inv.args().value("snapshotter").value_or("overlayfs");
  std::vector<const images::Image*> sorted;
  for (const auto& image : response.images()) sorted.push_back(&image);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  Table table({"REF", "TYPE", "DIGEST", "STATUS", "SIZE", "UNPACKED"});
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  for (const auto* image : sorted) {
    const Check c = check_image(inv, *image, snapshotter);
    if (inv.json()) {
      doc.push_back({{"name", image->name()},
                     {"digest", image->target().digest()},
                     {"status", c.status},
                     {"present_bytes", c.present_bytes},
                     {"total_bytes", c.total_bytes},
                     {"unpacked", c.unpacked}});
    } else {
      table.add_row({image->name(), image->target().media_type(), image->target().digest(), c.status,
                     human_size(c.present_bytes) + "/" + human_size(c.total_bytes),
                     c.unpacked ? "true" : "false"});
    }
  }
  if (inv.json()) {
    print_json(doc);
  } else {
    table.print();
  }
  return kExitOk;
}

// A new name for an existing image's target, as `ctr images tag`: with
// --force an existing name is pointed at the source's target.
int run_tag(Invocation& inv) {
  const std::string& source = inv.positionals().front();
  images::GetImageRequest get;
  get.set_name(source);
  images::GetImageResponse found;
  if (auto status = inv.client().call(&Stub::Get, get, &found); !status.ok()) {
    return inv.fail(fmt::format("tag image {}", source), status);
  }
  int exit = kExitOk;
  for (const std::string& name : std::span(inv.positionals()).subspan(1)) {
    images::CreateImageRequest create;
    *create.mutable_image() = found.image();
    create.mutable_image()->set_name(name);
    create.mutable_image()->clear_created_at();
    create.mutable_image()->clear_updated_at();
    images::CreateImageResponse created;
    auto status = inv.client().call(&Stub::Create, create, &created);
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS && inv.args().has("force")) {
      images::UpdateImageRequest update;
      *update.mutable_image() = create.image();
      update.mutable_update_mask()->add_paths("target");
      images::UpdateImageResponse updated;
      status = inv.client().call(&Stub::Update, update, &updated);
    }
    if (!status.ok()) {
      exit = inv.fail(fmt::format("tag image {} as {}", source, name), status);
      if (inv.client().unreachable()) break;
      continue;
    }
    fmt::print("{}\n", name);
  }
  return exit;
}

int run_label(Invocation& inv) {
  const std::string& name = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(std::span(inv.positionals()).subspan(1), labels, error))
    return inv.usage_error(error);
  if (labels.empty()) return kExitOk;  // an empty mask would replace the whole image

  images::UpdateImageRequest request;
  request.mutable_image()->set_name(name);
  for (const auto& [key, value] : labels) {
    (*request.mutable_image()->mutable_labels())[key] = value;
    request.mutable_update_mask()->add_paths("labels." + key);
  }
  images::UpdateImageResponse response;
  if (auto status = inv.client().call(&Stub::Update, request, &response); !status.ok()) {
    return inv.fail(fmt::format("label image {}", name), status);
  }
  if (inv.json()) {
    print_json(image_json(response.image()));
  } else {
    fmt::print("{}\n", join_label_map(response.image().labels()));
  }
  return kExitOk;
}

int run_remove(Invocation& inv) {
  return inv.for_each_positional("remove image", [&](const std::string& name) {
    images::DeleteImageRequest request;
    request.set_name(name);
    request.set_sync(inv.args().has("sync"));
    google::protobuf::Empty response;
    return inv.client().call(&Stub::Delete, request, &response);
  });
}

}  // namespace

Command images_command() {
  return {
      .name = "images",
      .aliases = {"image", "i"},
      .summary = "manage images",
      .subcommands =
          {
              pull_command("pull an image from a registry"),
              {
                  .name = "push",
                  .summary = "push an image to a registry",
                  .synopsis = kPushSynopsis,
                  .description = kPushDescription,
                  .options = push_options(),
                  .min_args = 1,
                  .max_args = 2,
                  .run = run_push,
              },
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list images",
                  .synopsis = "[FILTER...]",
                  .description = "List images matching any of the filters (name==..., target.digest==...,\n"
                                 "labels.\"k\"==v), or all images.",
                  .options = {{'q', "quiet", "", "print only the image names"}},
                  .run = run_list,
              },
              {
                  .name = "check",
                  .summary = "check that images are complete and unpacked",
                  .synopsis = "[FILTER...]",
                  .description =
                      "For each image (or those matching a filter): whether every blob of the\n"
                      "manifest for this host's platform is in the content store, and whether the\n"
                      "image is unpacked in the snapshotter.",
                  .options = {{'\0', "snapshotter", "NAME",
                               "the snapshotter to look in (default overlayfs)"}},
                  .run = run_check,
              },
              {
                  .name = "tag",
                  .summary = "give an image more names",
                  .synopsis = "SOURCE NAME...",
                  .description = "Create images named NAME with the target of SOURCE.",
                  .options = {{'f', "force", "", "point an existing NAME at SOURCE's target"}},
                  .min_args = 2,
                  .run = run_tag,
              },
              {
                  .name = "label",
                  .summary = "set and clear labels of an image",
                  .synopsis = "NAME [KEY=VALUE...]",
                  .description = "Set labels of an image (a bare KEY means KEY=true); KEY= with an empty\n"
                                 "value removes the label. Other labels are left as they are.",
                  .min_args = 1,
                  .run = run_label,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete", "del"},
                  .summary = "remove one or more images",
                  .synopsis = "NAME...",
                  .description = "Remove image records (their content stays until garbage collection).\n"
                                 "Each failure is reported; the exit status is 1 if any image could not\n"
                                 "be removed.",
                  .options = {{'\0', "sync", "", "wait for garbage collection to finish"}},
                  .min_args = 1,
                  .run = run_remove,
              },
              {
                  .name = "import",
                  .summary = "import images from an archive",
                  .synopsis = kImportSynopsis,
                  .description = kImportDescription,
                  .options = import_options(),
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_import,
              },
              {
                  .name = "export",
                  .summary = "export images to an archive",
                  .synopsis = kExportSynopsis,
                  .description = kExportDescription,
                  .options = export_options(),
                  .min_args = 2,
                  .run = run_export,
              },
              images_mount_command(),
              images_unmount_command(),
              images_usage_command(),
          },
  };
}

}  // namespace berth::cli
