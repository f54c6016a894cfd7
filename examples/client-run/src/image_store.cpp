#include "image_store.hpp"

#include <sys/utsname.h>

#include <map>
#include <random>

#include "digest.hpp"

namespace client_run {

namespace {

using nlohmann::json;
using Labels = std::map<std::string, std::string>;

bool is_index(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

std::string host_architecture() {
  utsname u{};
  ::uname(&u);
  const std::string machine = u.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

std::string random_suffix() {
  std::random_device device;
  return std::to_string(device()) + std::to_string(device());
}

Descriptor descriptor_of(const json& j) {
  return {j.value("mediaType", ""), j.value("digest", ""), j.value("size", 0LL)};
}

void fill(containerd::types::Descriptor& out, const Descriptor& in) {
  out.set_media_type(in.media_type);
  out.set_digest(in.digest);
  out.set_size(in.size);
}

// Streams `blob` into the content store under a fresh ingest ref; committed
// with `labels`. A blob another writer committed meanwhile is no error.
Status write_blob(Session& session, ImageSource& source, const Descriptor& blob, const Labels& labels) {
  auto context = session.context();
  auto stream = session.content().Write(context.get());
  const std::string ref = "client-run-" + blob.digest + "-" + random_suffix();
  std::int64_t offset = 0;
  content_v1::WriteContentResponse response;
  // Each request is answered before the next one is sent, as the API wants.
  auto send = [&](content_v1::WriteAction action, std::string_view data) -> Status {
    content_v1::WriteContentRequest request;
    request.set_action(action);
    request.set_ref(ref);
    request.set_total(blob.size);
    request.set_expected(blob.digest);
    request.set_offset(offset);
    request.set_data(data.data(), data.size());
    if (action == content_v1::COMMIT) {
      for (const auto& [key, value] : labels) (*request.mutable_labels())[key] = value;
    }
    if (!stream->Write(request) || !stream->Read(&response)) return fail("the write stream broke");
    offset += static_cast<std::int64_t>(data.size());
    return {};
  };
  auto written = source.stream(blob, [&](std::string_view piece) { return send(content_v1::WRITE, piece); });
  if (written) written = send(content_v1::COMMIT, {});
  stream->WritesDone();
  // gRPC's Finish waits until every message the server sent has been read.
  while (stream->Read(&response)) {
  }
  const auto finished = stream->Finish();
  if (written && finished.ok()) return {};
  if (finished.error_code() == grpc::StatusCode::ALREADY_EXISTS) return {};
  content_v1::AbortRequest abort;
  abort.set_ref(ref);
  google::protobuf::Empty empty;
  (void)session.content().Abort(session.context().get(), abort, &empty);
  if (!finished.ok()) return check(finished, "write " + blob.digest);
  return fail("write " + blob.digest + ": " + written.error());
}

// Writes `blob` into the content store unless it is there, then sets
// `labels` on it (they may be new even when the blob is not).
Status put_blob(Session& session, ImageSource& source, const Descriptor& blob, const Labels& labels) {
  content_v1::InfoRequest info_request;
  info_request.set_digest(blob.digest);
  content_v1::InfoResponse info;
  const auto info_status = session.content().Info(session.context().get(), info_request, &info);
  if (info_status.error_code() == grpc::StatusCode::NOT_FOUND)
    return write_blob(session, source, blob, labels);
  if (!info_status.ok()) return check(info_status, "content info " + blob.digest);
  if (labels.empty()) return {};
  content_v1::UpdateRequest update;
  update.mutable_info()->set_digest(blob.digest);
  for (const auto& [key, value] : labels) {
    (*update.mutable_info()->mutable_labels())[key] = value;
    update.mutable_update_mask()->add_paths("labels." + key);
  }
  content_v1::UpdateResponse updated;
  return check(session.content().Update(session.context().get(), update, &updated), "label " + blob.digest);
}

Result<json> parse(const std::string& bytes, const std::string& what) {
  json j = json::parse(bytes, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(what + " is not a JSON object");
  return j;
}

// Creates the image record, or points an existing one at `target`.
Status put_image_record(Session& session, const std::string& name, const Descriptor& target) {
  images_v1::CreateImageRequest create;
  create.mutable_image()->set_name(name);
  fill(*create.mutable_image()->mutable_target(), target);
  images_v1::CreateImageResponse created;
  const auto status = session.images().Create(session.context().get(), create, &created);
  if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS) return check(status, "create image " + name);
  images_v1::UpdateImageRequest update;
  *update.mutable_image() = create.image();
  update.mutable_update_mask()->add_paths("target");
  images_v1::UpdateImageResponse updated;
  return check(session.images().Update(session.context().get(), update, &updated), "update image " + name);
}

// Applies each layer on a snapshot prepared on the one below and commits it
// under its chain ID; layers whose snapshot exists are skipped.
Status unpack(Session& session, const std::string& snapshotter, const std::vector<Descriptor>& layers,
              const std::vector<std::string>& diff_ids, StoredImage& image) {
  const auto chain = chain_ids(diff_ids);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    snapshots_v1::StatSnapshotRequest stat;
    stat.set_snapshotter(snapshotter);
    stat.set_key(chain[i]);
    snapshots_v1::StatSnapshotResponse stat_response;
    const auto stat_status = session.snapshots().Stat(session.context().get(), stat, &stat_response);
    if (stat_status.ok()) continue;
    if (stat_status.error_code() != grpc::StatusCode::NOT_FOUND)
      return check(stat_status, "stat " + chain[i]);

    const std::string key = "extract-" + random_suffix() + " " + chain[i];
    snapshots_v1::PrepareSnapshotRequest prepare;
    prepare.set_snapshotter(snapshotter);
    prepare.set_key(key);
    if (i > 0) prepare.set_parent(chain[i - 1]);
    snapshots_v1::PrepareSnapshotResponse prepared;
    if (auto s =
            check(session.snapshots().Prepare(session.context().get(), prepare, &prepared), "prepare " + key);
        !s)
      return s;
    diff_v1::ApplyRequest apply;
    fill(*apply.mutable_diff(), layers[i]);
    *apply.mutable_mounts() = prepared.mounts();
    diff_v1::ApplyResponse applied;
    auto s = check(session.diff().Apply(session.context().get(), apply, &applied),
                   "apply layer " + layers[i].digest);
    if (s && applied.applied().digest() != diff_ids[i])
      s = fail("layer " + layers[i].digest + " unpacks to " + applied.applied().digest() +
               ", the config says " + diff_ids[i]);
    if (s) {
      snapshots_v1::CommitSnapshotRequest commit;
      commit.set_snapshotter(snapshotter);
      commit.set_name(chain[i]);
      commit.set_key(key);
      google::protobuf::Empty empty;
      s = check(session.snapshots().Commit(session.context().get(), commit, &empty), "commit " + chain[i]);
    }
    if (!s) {
      snapshots_v1::RemoveSnapshotRequest remove;
      remove.set_snapshotter(snapshotter);
      remove.set_key(key);
      google::protobuf::Empty empty;
      (void)session.snapshots().Remove(session.context().get(), remove, &empty);
      return s;
    }
    ++image.layers_unpacked;
  }
  image.top_chain_id = chain.empty() ? "" : chain.back();
  return {};
}

}  // namespace

Result<StoredImage> store_image(Session& session, ImageSource& source, const std::string& name,
                                const std::string& snapshotter,
                                const std::function<void(const std::string&)>& report) {
  auto root = source.root();
  if (!root) return std::unexpected(root.error());
  StoredImage image{name, *root, {}, {}, 0, 0};
  auto root_bytes = source.read(*root);
  if (!root_bytes) return std::unexpected("read " + root->digest + ": " + root_bytes.error());
  auto root_json = parse(*root_bytes, root->digest);
  if (!root_json) return std::unexpected(root_json.error());
  if (root->media_type.empty()) root->media_type = root_json->value("mediaType", "");

  // An index: this host's manifest. Only that one is stored, and the index
  // references only it, so the garbage collector keeps exactly what is here.
  Descriptor manifest = *root;
  json manifest_json = *root_json;
  Labels index_labels;
  if (is_index(root->media_type)) {
    const std::string arch = host_architecture();
    const json* chosen = nullptr;
    int n = 0;
    for (const auto& m : root_json->value("manifests", json::array())) {
      const auto platform = m.value("platform", json::object());
      if (platform.value("os", "") == "linux" && platform.value("architecture", "") == arch) {
        chosen = &m;
        index_labels["containerd.io/gc.ref.content.m." + std::to_string(n)] = m.value("digest", "");
        break;
      }
      ++n;
    }
    if (chosen == nullptr) return fail(name + ": no manifest for linux/" + arch);
    manifest = descriptor_of(*chosen);
    auto bytes = source.read(manifest);
    if (!bytes) return std::unexpected("read " + manifest.digest + ": " + bytes.error());
    auto parsed = parse(*bytes, manifest.digest);
    if (!parsed) return std::unexpected(parsed.error());
    manifest_json = std::move(*parsed);
  }
  const Descriptor config = descriptor_of(manifest_json.value("config", json::object()));
  std::vector<Descriptor> layers;
  for (const auto& l : manifest_json.value("layers", json::array())) layers.push_back(descriptor_of(l));
  auto config_bytes = source.read(config);
  if (!config_bytes) return std::unexpected("read config " + config.digest + ": " + config_bytes.error());
  auto config_json = parse(*config_bytes, config.digest);
  if (!config_json) return std::unexpected(config_json.error());
  image.config = std::move(*config_json);
  std::vector<std::string> diff_ids;
  for (const auto& d : image.config["rootfs"].value("diff_ids", json::array()))
    diff_ids.push_back(d.get<std::string>());
  if (diff_ids.size() != layers.size())
    return fail(config.digest + ": " + std::to_string(diff_ids.size()) + " diff IDs for " +
                std::to_string(layers.size()) + " layers");
  image.layers = static_cast<int>(layers.size());

  // Children first; each parent's labels name its children for the collector.
  Labels manifest_labels{{"containerd.io/gc.ref.content.config", config.digest}};
  for (std::size_t i = 0; i < layers.size(); ++i) {
    manifest_labels["containerd.io/gc.ref.content.l." + std::to_string(i)] = layers[i].digest;
    if (auto s = put_blob(session, source, layers[i], {{"containerd.io/uncompressed", diff_ids[i]}}); !s)
      return std::unexpected(s.error());
    report("  layer " + layers[i].digest + " (" + std::to_string(layers[i].size) + " bytes)");
  }
  if (auto s = put_blob(session, source, config, {}); !s) return std::unexpected(s.error());
  if (auto s = put_blob(session, source, manifest, manifest_labels); !s) return std::unexpected(s.error());
  if (manifest.digest != root->digest) {
    if (auto s = put_blob(session, source, *root, index_labels); !s) return std::unexpected(s.error());
  }
  if (auto s = put_image_record(session, name, *root); !s) return std::unexpected(s.error());

  if (auto s = unpack(session, snapshotter, layers, diff_ids, image); !s) return std::unexpected(s.error());
  // The config names the unpacked top snapshot, so the snapshots outlive the lease.
  if (!image.top_chain_id.empty()) {
    if (auto s = put_blob(session, source, config,
                          {{"containerd.io/gc.ref.snapshot." + snapshotter, image.top_chain_id}});
        !s)
      return std::unexpected(s.error());
  }
  return image;
}

}  // namespace client_run
