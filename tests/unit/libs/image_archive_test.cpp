// libs/image-archive against archives made by others (tests/support's
// make_oci_image.sh, skopeo's docker-archive: and oci-archive:), archives
// built here (a two-platform index, hostile ones), and its exports read back
// by skopeo and by itself. Blobs go to an in-memory store whose writers check
// what they are told to commit and record what they abort.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "digest/sha256.hpp"
#include "image-archive/content_adapters.hpp"
#include "image-archive/export.hpp"
#include "image-archive/import.hpp"
#include "oci/oci.hpp"
#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::image_archive {
namespace {

namespace fs = std::filesystem;

std::string sha(std::string_view bytes) { return "sha256:" + *digest::sha256_hex(bytes); }
std::string hex_of(std::string_view digest) { return std::string(digest.substr(7)); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs a shell command; returns its stdout, and its exit status in `rc`.
std::string run(const std::string& cmd, int* rc) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  *rc = ::pclose(p);
  return out;
}

// ---- an in-memory content store: the sink of imports, the source of exports

class MemoryStore : public BlobSink, public BlobSource {
 public:
  std::map<std::string, std::string> committed;  // digest -> bytes
  std::vector<std::string> aborted;              // entries whose writer died uncommitted
  std::set<std::string> present;                 // digests to answer AlreadyExists for
  int64_t bytes_written = 0;

  class Writer : public BlobWriter {
   public:
    Writer(MemoryStore& store, std::string entry, std::string expected)
        : store_(store), entry_(std::move(entry)), expected_(std::move(expected)) {}
    ~Writer() override {
      if (!committed_) store_.aborted.push_back(entry_);
    }
    Status write(std::string_view data) override {
      bytes_.append(data);
      store_.bytes_written += static_cast<int64_t>(data.size());
      return {};
    }
    Status commit(const Descriptor& verified) override {
      // As a content store does: the bytes must be what the importer says.
      if (sha(bytes_) != verified.digest || static_cast<int64_t>(bytes_.size()) != verified.size ||
          (!expected_.empty() && expected_ != verified.digest)) {
        return failed_precondition("commit of " + entry_ + " does not match its bytes");
      }
      committed_ = true;
      store_.committed[verified.digest] = std::move(bytes_);
      return {};
    }

   private:
    MemoryStore& store_;
    std::string entry_, expected_, bytes_;
    bool committed_ = false;
  };

  class Reader : public ContentReader {
   public:
    explicit Reader(std::string bytes) : bytes_(std::move(bytes)) {}
    [[nodiscard]] int64_t size() const override { return static_cast<int64_t>(bytes_.size()); }
    Result<std::size_t> read_at(int64_t offset, char* buf, std::size_t len) override {
      if (offset > size()) return out_of_range("past the end");
      const std::size_t n = std::min(len, bytes_.size() - static_cast<std::size_t>(offset));
      std::memcpy(buf, bytes_.data() + offset, n);
      return n;
    }

   private:
    std::string bytes_;
  };

  Result<std::unique_ptr<BlobWriter>> open(std::string_view entry, std::string_view expected,
                                           int64_t) override {
    if (!expected.empty() && present.contains(std::string(expected))) return already_exists("have it");
    return std::unique_ptr<BlobWriter>(
        std::make_unique<Writer>(*this, std::string(entry), std::string(expected)));
  }
  Result<std::unique_ptr<ContentReader>> open(std::string_view digest) override {
    auto it = committed.find(std::string(digest));
    if (it == committed.end()) return not_found("no blob " + std::string(digest));
    return std::unique_ptr<ContentReader>(std::make_unique<Reader>(it->second));
  }
};

// The archive `bytes` fed to the importer in small pieces, as a stream would.
Result<ImportResult> import_bytes_to(const std::string& bytes, BlobSink& store,
                                     const ImportOptions& options = {}) {
  std::size_t at = 0;
  ByteSource source = [&](char* buf, std::size_t len) -> Result<std::size_t> {
    const std::size_t n = std::min({len, bytes.size() - at, std::size_t{65536}});
    std::memcpy(buf, bytes.data() + at, n);
    at += n;
    return n;
  };
  return import_archive(source, store, options);
}
Result<ImportResult> import_bytes(const std::string& bytes, MemoryStore& store,
                                  const ImportOptions& options = {}) {
  return import_bytes_to(bytes, store, options);
}

Result<std::string> export_bytes(const std::vector<ExportImage>& images, MemoryStore& store,
                                 const ExportOptions& options = {}) {
  std::string out;
  Status st = export_archive(
      images, store,
      [&](std::string_view b) {
        out.append(b);
        return ok_status();
      },
      options);
  if (!st.ok()) return st;
  return out;
}

// ---- tars built here, hostile ones included

struct TarEntry {
  std::string name;
  std::string bytes;
  mode_t type = AE_IFREG;
  std::string link;  // symlink target
  bool hardlink = false;
  int64_t mtime = 0;
  unsigned uid = 0;
  int mode = 0644;
};

std::string make_tar(const std::vector<TarEntry>& entries, bool gzip = false) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* self, const void* buf, size_t len) -> la_ssize_t {
        static_cast<std::string*>(self)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
      },
      nullptr);
  for (const auto& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    if (t.hardlink) {
      archive_entry_set_hardlink(e, t.link.c_str());
    } else {
      archive_entry_set_filetype(e, t.type);
    }
    archive_entry_set_perm(e, 0644);
    if (t.type == AE_IFLNK) archive_entry_set_symlink(e, t.link.c_str());
    if (t.type == AE_IFCHR) archive_entry_set_rdev(e, 0x0103);
    archive_entry_set_size(e, t.type == AE_IFREG && !t.hardlink ? static_cast<int64_t>(t.bytes.size()) : 0);
    archive_write_header(a, e);
    if (!t.bytes.empty()) archive_write_data(a, t.bytes.data(), t.bytes.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// Every entry of a tar, in order.
std::vector<TarEntry> read_tar(const std::string& bytes) {
  std::vector<TarEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_filter_gzip(a);
  archive_read_open_memory(a, bytes.data(), bytes.size());
  struct archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.name = archive_entry_pathname(e);
    t.type = archive_entry_filetype(e);
    t.mtime = archive_entry_mtime(e);
    t.uid = static_cast<unsigned>(archive_entry_uid(e));
    t.mode = static_cast<int>(archive_entry_perm(e));
    char buf[65536];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) t.bytes.append(buf, static_cast<std::size_t>(n));
    out.push_back(std::move(t));
  }
  archive_read_free(a);
  return out;
}

std::map<std::string, std::string> tar_files(const std::string& bytes) {
  std::map<std::string, std::string> out;
  for (auto& t : read_tar(bytes)) {
    if (t.type == AE_IFREG) out[t.name] = std::move(t.bytes);
  }
  return out;
}

// An OCI image layout assembled blob by blob.
struct Layout {
  std::map<std::string, std::string> blobs;  // digest -> bytes

  Descriptor add(std::string_view media_type, std::string bytes) {
    Descriptor d{std::string(media_type), sha(bytes), static_cast<int64_t>(bytes.size()), {}};
    blobs[d.digest] = std::move(bytes);
    return d;
  }
  static std::string desc_json(const Descriptor& d, const std::string& extra = "") {
    return "{\"mediaType\":\"" + d.media_type + "\",\"digest\":\"" + d.digest +
           "\",\"size\":" + std::to_string(d.size) + extra + "}";
  }
  Descriptor image(const std::string& arch, const Descriptor& layer) {
    const Descriptor config = add(oci::kOciConfig, "{\"architecture\":\"" + arch +
                                                       "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                                                       "\"diff_ids\":[\"" +
                                                       sha("diff") + "\"]}}");
    return add(oci::kOciManifest, "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(oci::kOciManifest) +
                                      "\",\"config\":" + desc_json(config) + ",\"layers\":[" +
                                      desc_json(layer) + "]}");
  }
  std::vector<TarEntry> entries(const std::string& index_json,
                                const std::set<std::string>& leave_out = {}) const {
    std::vector<TarEntry> out{{"oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"},
                              {"index.json", index_json}};
    for (const auto& [digest, bytes] : blobs) {
      if (!leave_out.contains(digest)) out.push_back({"blobs/sha256/" + hex_of(digest), bytes});
    }
    return out;
  }
};

// linux/amd64 and linux/arm64 manifests over one shared layer, in an index
// named "docker.io/library/multi:1".
struct MultiPlatform {
  Layout layout;
  Descriptor layer, amd64, arm64, index;
  std::string index_json;

  MultiPlatform() {
    layer =
        layout.add("application/vnd.oci.image.layer.v1.tar+gzip", std::string("\x1f\x8b layer bytes", 14));
    amd64 = layout.image("amd64", layer);
    arm64 = layout.image("arm64", layer);
    index = layout.add(
        oci::kOciIndex,
        "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(oci::kOciIndex) + "\",\"manifests\":[" +
            Layout::desc_json(amd64, ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}") + "," +
            Layout::desc_json(arm64, ",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}") + "]}");
    index_json = "{\"schemaVersion\":2,\"manifests\":[" +
                 Layout::desc_json(index,
                                   ",\"annotations\":{\"io.containerd.image.name\":"
                                   "\"docker.io/library/multi:1\"}") +
                 "]}";
  }
  [[nodiscard]] std::string config_of(const Descriptor& manifest) const {
    auto m = oci::parse_manifest(layout.blobs.at(manifest.digest), manifest);
    return m->config.digest;
  }
};

class ImageArchiveTest : public ::testing::Test {
 protected:
  // make_oci_image.sh's archive, named `name`; the manifest digest in
  // manifest_. Its "busybox" is /bin/true: nothing here runs it, and
  // gzipping the real one takes most of a second.
  std::string script_archive(const std::string& name) {
    static std::map<std::string, std::pair<std::string, std::string>> made;
    auto it = made.find(name);
    if (it == made.end()) {
      const fs::path tar = dir_ / "script.tar";
      int rc = 0;
      const std::string out =
          run(std::string("bash ") + BERTH_MAKE_OCI_IMAGE + " " + tar.string() + " '" + name + "' /bin/true",
              &rc);
      EXPECT_EQ(rc, 0) << out;
      it = made.emplace(name, std::make_pair(read_file(tar), out.substr(0, 71))).first;
    }
    manifest_ = it->second.second;
    return it->second.first;
  }

  test::TempDir dir_;
  std::string manifest_;
};

// ---- import

TEST_F(ImageArchiveTest, ImportsTheScriptsOciArchive) {
  const std::string tar = script_archive("docker.io/library/busybox:1.0");
  MemoryStore store;
  auto result = import_bytes(tar, store);
  ASSERT_OK(result.status());
  EXPECT_EQ(result->format, ArchiveFormat::kOciLayout);
  ASSERT_EQ(result->images.size(), 1u);
  EXPECT_EQ(result->images[0].name, "docker.io/library/busybox:1.0");
  EXPECT_EQ(result->images[0].target.digest, manifest_);
  EXPECT_EQ(result->images[0].target.media_type, oci::kOciManifest);
  EXPECT_EQ(result->index.media_type, oci::kOciIndex);
  // Three blobs and index.json, each committed with exactly the archive's bytes.
  const auto files = tar_files(tar);
  EXPECT_EQ(result->blobs.size(), 4u);
  EXPECT_EQ(store.committed.size(), 4u);
  EXPECT_TRUE(store.aborted.empty());
  for (const auto& [name, bytes] : files) {
    if (name == "oci-layout") continue;
    EXPECT_EQ(store.committed[sha(bytes)], bytes) << name;
  }
  for (const auto& blob : result->blobs) {
    EXPECT_TRUE(blob.written);
    if (blob.descriptor.digest == manifest_) {
      EXPECT_EQ(blob.descriptor.media_type, oci::kOciManifest);
      EXPECT_EQ(blob.children.size(), 2u);  // config and layer, for the GC labels
    }
  }
}

TEST_F(ImageArchiveTest, ImportsAGzipCompressedArchive) {
  const std::string tar = script_archive("docker.io/library/busybox:1.0");
  const std::string gz = make_tar(read_tar(tar), /*gzip=*/true);
  ASSERT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  MemoryStore store;
  auto result = import_bytes(gz, store);
  ASSERT_OK(result.status());
  ASSERT_EQ(result->images.size(), 1u);
  EXPECT_EQ(result->images[0].target.digest, manifest_);
}

TEST_F(ImageArchiveTest, ImportsSkopeosDockerArchiveAsContainerdDoes) {
  const std::string oci = script_archive("x:1");
  write_file(dir_ / "in.tar", oci);
  int rc = 0;
  const std::string out = run("skopeo copy -q oci-archive:" + (dir_ / "in.tar").string() +
                                  " docker-archive:" + (dir_ / "docker.tar").string() + ":busybox:latest",
                              &rc);
  ASSERT_EQ(rc, 0) << out;
  MemoryStore store;
  auto result = import_bytes(read_file(dir_ / "docker.tar"), store);
  ASSERT_OK(result.status());
  EXPECT_EQ(result->format, ArchiveFormat::kDockerArchive);
  ASSERT_EQ(result->images.size(), 1u);
  const ImportedImage& image = result->images[0];
  EXPECT_EQ(image.name, "docker.io/library/busybox:latest");
  EXPECT_EQ(image.target.media_type, oci::kDockerManifest);
  EXPECT_EQ(image.target.annotations.at("org.opencontainers.image.ref.name"), "latest");
  // The manifest made is containerd's, over the same config; skopeo stored
  // the layer uncompressed, so its media type is the plain tar's.
  auto original = oci::parse_manifest(tar_files(oci).at("blobs/sha256/" + hex_of(manifest_)),
                                      {std::string(oci::kOciManifest), manifest_, 0, {}});
  ASSERT_OK(original.status());
  const std::string& made = store.committed.at(image.target.digest);
  auto manifest = oci::parse_manifest(made, image.target);
  ASSERT_OK(manifest.status());
  EXPECT_EQ(manifest->config.digest, original->config.digest);
  EXPECT_EQ(manifest->config.media_type, oci::kDockerConfig);
  ASSERT_EQ(manifest->layers.size(), 1u);
  EXPECT_EQ(manifest->layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar");
  EXPECT_EQ(made,
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
            "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" +
                manifest->config.digest + "\",\"size\":" + std::to_string(manifest->config.size) +
                "},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar\","
                "\"digest\":\"" +
                manifest->layers[0].digest + "\",\"size\":" + std::to_string(manifest->layers[0].size) +
                "}]}");
  // The index made names the platform from the config.
  const std::string& index = store.committed.at(result->index.digest);
  EXPECT_NE(index.find("\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}"), std::string::npos)
      << index;
  // The legacy v1 files are not blobs.
  for (const auto& blob : result->blobs) {
    EXPECT_FALSE(blob.entry.ends_with("/json") || blob.entry.ends_with("/VERSION")) << blob.entry;
  }
}

TEST_F(ImageArchiveTest, DockerSaveStyleLinksAndRepoTagsAreFollowedAndNormalized) {
  const std::string config =
      "{\"architecture\":\"arm64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
      "\"diff_ids\":[\"" +
      sha("x") + "\"]}}";
  const std::string layer("\x1f\x8b gzip layer", 13);
  const std::string tar = make_tar({
      {"aaaa/layer.tar", layer},
      {"bbbb/layer.tar", "", AE_IFLNK, "../aaaa/layer.tar"},
      {"cccc/layer.tar", "", AE_IFREG, "bbbb/layer.tar", /*hardlink=*/true},
      {"cfg.json", config},
      {"repositories", "{}"},
      {"manifest.json",
       "[{\"Config\":\"cfg.json\",\"RepoTags\":[\"busybox\",\"example.com/x/y:2\"],"
       "\"Layers\":[\"./bbbb/layer.tar\",\"cccc/layer.tar\"]}]"},
  });
  MemoryStore store;
  auto result = import_bytes(tar, store);
  ASSERT_OK(result.status());
  ASSERT_EQ(result->images.size(), 2u);
  EXPECT_EQ(result->images[0].name, "docker.io/library/busybox:latest");
  EXPECT_EQ(result->images[1].name, "example.com/x/y:2");
  EXPECT_EQ(result->images[1].target.annotations.at("org.opencontainers.image.ref.name"), "2");
  auto manifest =
      oci::parse_manifest(store.committed.at(result->images[0].target.digest), result->images[0].target);
  ASSERT_OK(manifest.status());
  ASSERT_EQ(manifest->layers.size(), 2u);
  EXPECT_EQ(manifest->layers[0].digest, sha(layer));
  EXPECT_EQ(manifest->layers[1].digest, sha(layer));
  EXPECT_EQ(manifest->layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
  EXPECT_NE(store.committed.at(result->index.digest).find("\"architecture\":\"arm64\""), std::string::npos);
}

TEST_F(ImageArchiveTest, ImportsSkopeosOciArchiveNamedByATagWithABaseName) {
  write_file(dir_ / "in.tar", script_archive("x:1"));
  int rc = 0;
  const std::string out = run("skopeo copy -q oci-archive:" + (dir_ / "in.tar").string() +
                                  " oci-archive:" + (dir_ / "o.tar").string() + ":v1",
                              &rc);
  ASSERT_EQ(rc, 0) << out;
  const std::string tar = read_file(dir_ / "o.tar");
  {
    MemoryStore store;
    auto result = import_bytes(tar, store, {.base_name = "example.com/app"});
    ASSERT_OK(result.status());
    ASSERT_EQ(result->images.size(), 1u);
    EXPECT_EQ(result->images[0].name, "example.com/app:v1");
    EXPECT_EQ(result->images[0].target.digest, manifest_);
  }
  {
    // A bare tag names nothing without a base name; the blobs still import.
    MemoryStore store;
    auto result = import_bytes(tar, store);
    ASSERT_OK(result.status());
    EXPECT_TRUE(result->images.empty());
    EXPECT_EQ(store.committed.size(), 4u);
  }
}

TEST_F(ImageArchiveTest, RefNameRulesFollowContainerd) {
  MultiPlatform mp;
  auto named = [&](const std::string& ref, const ImportOptions& options) {
    const std::string index_json =
        "{\"schemaVersion\":2,\"manifests\":[" +
        Layout::desc_json(mp.index,
                          ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + ref + "\"}") +
        "]}";
    MemoryStore store;
    auto result = import_bytes(make_tar(mp.layout.entries(index_json)), store, options);
    EXPECT_OK(result.status());
    return result.ok() && !result->images.empty() ? result->images[0].name : std::string("<none>");
  };
  EXPECT_EQ(named("example.com/full:1", {}), "example.com/full:1");
  EXPECT_EQ(named("example.com/full:1", {.base_name = "example.com/full"}), "example.com/full:1");
  EXPECT_EQ(named("example.com/other:1", {.base_name = "example.com/full", .only_base_name = true}),
            "<none>");
  EXPECT_EQ(named("example.com/fuller:1", {.base_name = "example.com/full", .only_base_name = true}),
            "<none>");
  EXPECT_EQ(named("2", {.base_name = "example.com/full", .only_base_name = true}), "example.com/full:2");
}

TEST_F(ImageArchiveTest, MultiPlatformIndexIsCheckedPerPlatform) {
  MultiPlatform mp;
  MemoryStore store;
  auto result = import_bytes(make_tar(mp.layout.entries(mp.index_json)), store);
  ASSERT_OK(result.status());
  ASSERT_EQ(result->images.size(), 1u);
  EXPECT_EQ(result->images[0].name, "docker.io/library/multi:1");
  EXPECT_EQ(result->images[0].target.digest, mp.index.digest);
  for (const auto& blob : result->blobs) {
    if (blob.descriptor.digest == mp.index.digest) {
      EXPECT_EQ(blob.descriptor.media_type, oci::kOciIndex);
      ASSERT_EQ(blob.children.size(), 2u);
      EXPECT_EQ(blob.children[1].digest, mp.arm64.digest);
    }
  }

  // An archive with the arm64 image only: enough when arm64 is asked for (as
  // containerd's import filters its walk), missing content for all platforms.
  const auto arm64_only =
      make_tar(mp.layout.entries(mp.index_json, {mp.amd64.digest, mp.config_of(mp.amd64)}));
  MemoryStore arm;
  EXPECT_OK(import_bytes(arm64_only, arm, {.platforms = {{"linux", "arm64", ""}}}).status());
  MemoryStore all;
  auto missing = import_bytes(arm64_only, all);
  EXPECT_CODE(missing.status(), Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find(mp.amd64.digest), std::string::npos)
      << missing.status().message();
}

TEST_F(ImageArchiveTest, BlobsTheSinkHasAreVerifiedButNotSent) {
  MultiPlatform mp;
  MemoryStore store;
  store.present.insert(mp.layer.digest);
  auto result = import_bytes(make_tar(mp.layout.entries(mp.index_json)), store);
  ASSERT_OK(result.status());
  EXPECT_FALSE(store.committed.contains(mp.layer.digest));
  for (const auto& blob : result->blobs) EXPECT_EQ(blob.written, blob.descriptor.digest != mp.layer.digest);
  // Present or not, a blob whose bytes lie is refused.
  auto entries = mp.layout.entries(mp.index_json);
  for (auto& e : entries) {
    if (e.name == "blobs/sha256/" + hex_of(mp.layer.digest)) e.bytes = "lies";
  }
  MemoryStore again;
  again.present.insert(mp.layer.digest);
  EXPECT_CODE(import_bytes(make_tar(entries), again).status(), Code::kDataLoss);
}

// ---- hostile archives

class ImageArchiveHostileTest : public ImageArchiveTest {
 protected:
  // Imports `tar`, expects `code` with `needle` in the message.
  void expect_refused(const std::string& tar, Code code, const std::string& needle) {
    auto result = import_bytes(tar, store_);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), code) << result.status().to_string();
    EXPECT_NE(result.status().message().find(needle), std::string::npos) << result.status().to_string();
  }
  MultiPlatform mp_;
  MemoryStore store_;
};

TEST_F(ImageArchiveHostileTest, PathsEscapingTheArchive) {
  auto entries = mp_.layout.entries(mp_.index_json);
  entries.push_back({"blobs/../../etc/passwd", "x"});
  expect_refused(make_tar(entries), Code::kInvalidArgument, "blobs/../../etc/passwd");
  entries.back() = {"/etc/passwd", "x"};
  MemoryStore fresh;
  auto result = import_bytes(make_tar(entries), fresh);
  EXPECT_CODE(result.status(), Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find("/etc/passwd"), std::string::npos);
  // A docker-archive layer link leading out of the archive.
  const std::string tar = make_tar({{"l/layer.tar", "", AE_IFLNK, "../../outside.tar"}});
  MemoryStore again;
  EXPECT_CODE(import_bytes(tar, again).status(), Code::kInvalidArgument);
}

TEST_F(ImageArchiveHostileTest, LinksAndDevicesWhereBlobsShouldBe) {
  auto entries = mp_.layout.entries(mp_.index_json, {mp_.layer.digest});
  entries.push_back({"blobs/sha256/" + hex_of(mp_.layer.digest), "", AE_IFLNK, "/etc/passwd"});
  expect_refused(make_tar(entries), Code::kInvalidArgument, hex_of(mp_.layer.digest));
  entries.back() = {"blobs/sha256/" + hex_of(mp_.layer.digest), "", AE_IFCHR};
  MemoryStore fresh;
  auto result = import_bytes(make_tar(entries), fresh);
  EXPECT_CODE(result.status(), Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find("character device"), std::string::npos)
      << result.status().message();
}

TEST_F(ImageArchiveHostileTest, ABlobLyingAboutItsDigestIsNeverCommitted) {
  auto entries = mp_.layout.entries(mp_.index_json);
  const std::string name = "blobs/sha256/" + hex_of(mp_.layer.digest);
  for (auto& e : entries) {
    if (e.name == name) e.bytes = "not the layer";
  }
  expect_refused(make_tar(entries), Code::kDataLoss, name);
  EXPECT_FALSE(store_.committed.contains(mp_.layer.digest));
  EXPECT_FALSE(store_.committed.contains(sha("not the layer")));
  EXPECT_EQ(store_.aborted, std::vector<std::string>{name});
}

TEST_F(ImageArchiveHostileTest, AnIndexNamingABlobWithTheWrongSize) {
  Descriptor wrong = mp_.index;
  wrong.size += 1;
  const std::string index_json = "{\"schemaVersion\":2,\"manifests\":[" + Layout::desc_json(wrong) + "]}";
  expect_refused(make_tar(mp_.layout.entries(index_json)), Code::kDataLoss, mp_.index.digest);
}

TEST_F(ImageArchiveHostileTest, AMissingBlob) {
  expect_refused(make_tar(mp_.layout.entries(mp_.index_json, {mp_.layer.digest})), Code::kInvalidArgument,
                 mp_.layer.digest);
}

TEST_F(ImageArchiveHostileTest, AnIndexJsonOverFourMiB) {
  const std::string index_json =
      "{\"schemaVersion\":2,\"manifests\":[],\"pad\":\"" + std::string(5u << 20, 'x') + "\"}";
  expect_refused(make_tar(mp_.layout.entries(index_json)), Code::kInvalidArgument, "4 MiB");
}

TEST_F(ImageArchiveHostileTest, AConfigOverTwentyMiB) {
  Layout layout;
  const Descriptor layer = layout.add("application/vnd.oci.image.layer.v1.tar", "layer");
  const Descriptor config =
      layout.add(oci::kOciConfig, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"pad\":\"" +
                                      std::string(30u << 20, 'x') +
                                      "\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}");
  const Descriptor manifest =
      layout.add(oci::kOciManifest, "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(oci::kOciManifest) +
                                        "\",\"config\":" + Layout::desc_json(config) + ",\"layers\":[" +
                                        Layout::desc_json(layer) + "]}");
  const std::string index_json = "{\"schemaVersion\":2,\"manifests\":[" + Layout::desc_json(manifest) + "]}";
  expect_refused(make_tar(layout.entries(index_json)), Code::kInvalidArgument, "20 MiB");
}

TEST_F(ImageArchiveHostileTest, ATruncatedArchive) {
  const std::string tar = make_tar(mp_.layout.entries(mp_.index_json));
  // Cut inside the last blob's data.
  const std::string last = mp_.layout.blobs.rbegin()->second;
  const std::size_t at = tar.rfind(last);
  ASSERT_NE(at, std::string::npos);
  auto result = import_bytes(tar.substr(0, at + last.size() / 2), store_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().code() == Code::kInvalidArgument || result.status().code() == Code::kDataLoss)
      << result.status().to_string();
  EXPECT_FALSE(store_.committed.contains(mp_.layout.blobs.rbegin()->first));
  EXPECT_EQ(store_.aborted.size(), 1u);
}

TEST_F(ImageArchiveHostileTest, NeitherFormatNotATarAndSchema1) {
  expect_refused(make_tar({{"hello.txt", "hi"}}), Code::kInvalidArgument, "neither an OCI image layout");
  MemoryStore a;
  EXPECT_CODE(import_bytes(std::string(4096, 'z'), a).status(), Code::kInvalidArgument);
  MemoryStore b;
  EXPECT_CODE(
      import_bytes(make_tar({{"oci-layout", "{\"imageLayoutVersion\":\"2.0\"}"}, {"index.json", "{}"}}), b)
          .status(),
      Code::kInvalidArgument);

  Layout layout;
  const Descriptor schema1 = layout.add("application/vnd.docker.distribution.manifest.v1+prettyjws",
                                        "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"1\",\"fsLayers\":[]}");
  const std::string index_json = "{\"schemaVersion\":2,\"manifests\":[" + Layout::desc_json(schema1) + "]}";
  MemoryStore c;
  auto result = import_bytes(make_tar(layout.entries(index_json)), c);
  EXPECT_CODE(result.status(), Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find("schema 1"), std::string::npos) << result.status().message();
}

// ---- export

std::vector<ExportImage> import_into(MemoryStore& store, const std::string& tar) {
  auto result = import_bytes(tar, store);
  EXPECT_OK(result.status());
  std::vector<ExportImage> images;
  if (result.ok()) {
    for (const auto& image : result->images) images.push_back({image.name, image.target});
  }
  return images;
}

TEST_F(ImageArchiveTest, ExportIsReadBySkopeoAsOciAndDockerArchive) {
  MemoryStore store;
  auto images = import_into(store, script_archive("docker.io/library/busybox:1.0"));
  ASSERT_EQ(images.size(), 1u);
  auto tar = export_bytes(images, store);
  ASSERT_OK(tar.status());
  write_file(dir_ / "out.tar", *tar);
  int rc = 0;
  std::string out = run("skopeo inspect --raw oci-archive:" + (dir_ / "out.tar").string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(sha(out), manifest_);
  out =
      run("skopeo copy -q oci-archive:" + (dir_ / "out.tar").string() + " dir:" + (dir_ / "d").string(), &rc);
  ASSERT_EQ(rc, 0) << out;
  int blobs = 0;
  for (const auto& f : fs::directory_iterator(dir_ / "d")) {
    const std::string name = f.path().filename().string();
    if (name.size() != 64) continue;
    ++blobs;
    EXPECT_EQ(read_file(f.path()), store.committed.at("sha256:" + name)) << name;
  }
  EXPECT_EQ(blobs, 2);  // config and layer; dir: keeps the manifest as manifest.json
  // manifest.json is what docker load reads.
  // skopeo finds the image by its RepoTag, and only by it.
  out = run("skopeo inspect docker-archive:" + (dir_ / "out.tar").string() + ":busybox:1.0", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"Name\": \"docker.io/library/busybox\""), std::string::npos) << out;
  out = run("skopeo inspect docker-archive:" + (dir_ / "out.tar").string() + ":busybox:2.0", &rc);
  EXPECT_NE(rc, 0) << out;
}

TEST_F(ImageArchiveTest, ExportIsDeterministicAndRoundTripsByteIdentically) {
  MultiPlatform mp;
  MemoryStore store;
  auto images = import_into(store, make_tar(mp.layout.entries(mp.index_json)));
  auto more = import_into(store, script_archive("example.com/busybox"));
  images.insert(images.end(), more.begin(), more.end());
  ASSERT_EQ(images.size(), 2u);
  auto first = export_bytes(images, store);
  ASSERT_OK(first.status());
  auto again = export_bytes(images, store);
  ASSERT_OK(again.status());
  EXPECT_EQ(*first, *again);

  MemoryStore copy;
  auto imported = import_into(copy, *first);
  ASSERT_EQ(imported.size(), 2u);
  EXPECT_EQ(imported[0].name, "docker.io/library/multi:1");
  EXPECT_EQ(imported[1].name, "example.com/busybox");
  auto second = export_bytes(imported, copy);
  ASSERT_OK(second.status());
  EXPECT_EQ(*first, *second);
  for (const auto& [digest, bytes] : store.committed) {
    if (copy.committed.contains(digest)) {
      EXPECT_EQ(copy.committed.at(digest), bytes);
    }
  }
  for (const auto& [digest, bytes] : mp.layout.blobs) EXPECT_EQ(copy.committed.at(digest), bytes) << digest;

  // Sorted names, one entry per blob, fixed owners, times and modes.
  const auto entries = read_tar(*first);
  std::vector<std::string> names;
  for (const auto& e : entries) {
    names.push_back(e.name);
    EXPECT_EQ(e.mtime, 0) << e.name;
    EXPECT_EQ(e.uid, 0u) << e.name;
    const int mode = e.type == AE_IFDIR                                       ? 0755
                     : e.name.starts_with("blobs/") || e.name == "oci-layout" ? 0444
                                                                              : 0644;
    EXPECT_EQ(e.mode, mode) << e.name;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_EQ(names.front(), "blobs/");
  EXPECT_EQ(names.back(), "oci-layout");
}

TEST_F(ImageArchiveTest, ExportSelectsAnIndexsPlatformsAsContainerd) {
  MultiPlatform mp;
  MemoryStore store;
  auto images = import_into(store, make_tar(mp.layout.entries(mp.index_json)));
  ASSERT_EQ(images.size(), 1u);
  const std::string amd64_config = mp.config_of(mp.amd64), arm64_config = mp.config_of(mp.arm64);
  auto blob = [](const std::string& digest) { return "blobs/sha256/" + hex_of(digest); };

  // One platform: its manifest and what it reaches; the index as it is;
  // manifest.json names that manifest with the familiar tag.
  auto tar = export_bytes(images, store, {.platforms = {{"linux", "amd64", ""}}});
  ASSERT_OK(tar.status());
  auto files = tar_files(*tar);
  EXPECT_EQ(files.at(blob(mp.index.digest)), mp.layout.blobs.at(mp.index.digest));
  EXPECT_TRUE(files.contains(blob(mp.amd64.digest)));
  EXPECT_TRUE(files.contains(blob(amd64_config)));
  EXPECT_TRUE(files.contains(blob(mp.layer.digest)));
  EXPECT_FALSE(files.contains(blob(mp.arm64.digest)));
  EXPECT_FALSE(files.contains(blob(arm64_config)));
  EXPECT_EQ(files.at("manifest.json"), "[{\"Config\":\"" + blob(amd64_config) +
                                           "\",\"RepoTags\":[\"multi:1\"],\"Layers\":[\"" +
                                           blob(mp.layer.digest) + "\"]}]");
  EXPECT_NE(files.at("index.json").find("\"org.opencontainers.image.ref.name\":\"1\""), std::string::npos);
  // The partial archive imports for the platform it holds.
  MemoryStore back;
  EXPECT_OK(import_bytes(*tar, back, {.platforms = {{"linux", "amd64", ""}}}).status());

  // All platforms, manifest.json still for the preferred one.
  tar = export_bytes(images, store, {.platforms = {{"linux", "arm64", ""}}, .all_platforms = true});
  ASSERT_OK(tar.status());
  files = tar_files(*tar);
  EXPECT_TRUE(files.contains(blob(mp.amd64.digest)));
  EXPECT_TRUE(files.contains(blob(amd64_config)));
  EXPECT_NE(files.at("manifest.json").find(blob(arm64_config)), std::string::npos);

  // No matcher: every manifest, and manifest.json names none of an index's.
  tar = export_bytes(images, store);
  ASSERT_OK(tar.status());
  files = tar_files(*tar);
  EXPECT_TRUE(files.contains(blob(arm64_config)));
  EXPECT_FALSE(files.contains("manifest.json"));

  EXPECT_CODE(export_bytes(images, store, {.platforms = {{"linux", "s390x", ""}}}).status(), Code::kNotFound);
  // A blob the store lacks fails the export, naming it.
  store.committed.erase(mp.layer.digest);
  auto missing = export_bytes(images, store);
  EXPECT_CODE(missing.status(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find(mp.layer.digest), std::string::npos);
}

// ---- the adapters over a namespace's content

// Just enough of NamespacedContent for the adapters: ingests by ref, blobs
// by digest, and the calls they make recorded.
class FakeContent : public NamespacedContent {
 public:
  std::map<std::string, std::string> blobs;    // committed: digest -> bytes
  std::map<std::string, std::string> ingests;  // ref -> bytes so far
  std::vector<std::string> aborted;

  class Writer : public NamespacedWriter {
   public:
    Writer(FakeContent& c, std::string ref, int64_t total, std::string expected)
        : c_(c), ref_(std::move(ref)), total_(total), expected_(std::move(expected)) {}
    Result<IngestStatus> status() override {
      return IngestStatus{ref_, static_cast<int64_t>(c_.ingests[ref_].size()), total_, expected_, 0, 0};
    }
    Status write(std::string_view d) override {
      c_.ingests[ref_].append(d);
      return {};
    }
    Status truncate(int64_t size) override {
      c_.ingests[ref_].resize(static_cast<std::size_t>(size));
      return {};
    }
    Result<std::string> commit(int64_t size, std::string_view expected) override {
      const std::string bytes = c_.ingests[ref_];
      if (static_cast<int64_t>(bytes.size()) != size || sha(bytes) != expected) {
        return failed_precondition("commit " + ref_ + ": content differs");
      }
      c_.ingests.erase(ref_);
      c_.blobs[std::string(expected)] = bytes;
      return std::string(expected);
    }
    Result<std::string> commit_labeled(int64_t size, std::string_view expected, const Labels&) override {
      return commit(size, expected);
    }
    std::string digest() override { return sha(c_.ingests[ref_]); }

   private:
    FakeContent& c_;
    std::string ref_;
    int64_t total_;
    std::string expected_;
  };

  Result<ContentInfo> info(const ContentScope&, std::string_view) override { return unimplemented("info"); }
  Result<ContentInfo> update(const ContentScope&, const ContentInfo&,
                             const std::vector<std::string>&) override {
    return unimplemented("update");
  }
  Status walk(const ContentScope&, const std::vector<std::string>&,
              const std::function<bool(const ContentInfo&)>&) override {
    return unimplemented("walk");
  }
  Status remove(const ContentScope&, std::string_view) override { return unimplemented("remove"); }
  Result<std::unique_ptr<ContentReader>> reader(const ContentScope& scope, std::string_view digest) override {
    EXPECT_EQ(scope.ns, "ns1");
    auto it = blobs.find(std::string(digest));
    if (it == blobs.end()) return not_found(std::string(digest));
    return std::unique_ptr<ContentReader>(std::make_unique<MemoryStore::Reader>(it->second));
  }
  Result<std::unique_ptr<NamespacedWriter>> writer(const ContentScope& scope, std::string_view ref,
                                                   int64_t total, std::string_view expected) override {
    EXPECT_EQ(scope.ns, "ns1");
    if (blobs.contains(std::string(expected))) return already_exists(std::string(expected));
    return std::unique_ptr<NamespacedWriter>(
        std::make_unique<Writer>(*this, std::string(ref), total, std::string(expected)));
  }
  Result<IngestStatus> status(const ContentScope&, std::string_view) override {
    return unimplemented("status");
  }
  Result<std::vector<IngestStatus>> list_statuses(const ContentScope&,
                                                  const std::vector<std::string>&) override {
    return unimplemented("list_statuses");
  }
  Status abort(const ContentScope&, std::string_view ref) override {
    aborted.emplace_back(ref);
    ingests.erase(std::string(ref));
    return {};
  }
};

TEST_F(ImageArchiveTest, NamespacedAdaptersImportAndExportThroughContent) {
  MultiPlatform mp;
  FakeContent content;
  // An ingest an interrupted import left behind is started over.
  content.ingests["import-1-blobs/sha256/" + hex_of(mp.layer.digest)] = "stale";
  NamespacedBlobSink sink(content, {"ns1", "lease1"}, "import-1-");
  auto result = import_bytes_to(make_tar(mp.layout.entries(mp.index_json)), sink);
  ASSERT_OK(result.status());
  for (const auto& [digest, bytes] : mp.layout.blobs) EXPECT_EQ(content.blobs.at(digest), bytes);
  EXPECT_TRUE(content.ingests.empty());

  // A lying blob: its ingest is aborted, nothing committed.
  FakeContent lied;
  auto entries = mp.layout.entries(mp.index_json);
  for (auto& e : entries) {
    if (e.name == "blobs/sha256/" + hex_of(mp.layer.digest)) e.bytes = "lies";
  }
  NamespacedBlobSink lied_sink(lied, {"ns1", {}}, "tar-");
  EXPECT_CODE(import_bytes_to(make_tar(entries), lied_sink).status(), Code::kDataLoss);
  EXPECT_FALSE(lied.blobs.contains(mp.layer.digest));
  EXPECT_EQ(lied.aborted, std::vector<std::string>{"tar-blobs/sha256/" + hex_of(mp.layer.digest)});
  EXPECT_TRUE(lied.ingests.empty());

  NamespacedBlobSource source(content, {"ns1", {}});
  std::string out;
  ASSERT_OK(
      export_archive({{result->images[0].name, result->images[0].target}}, source, [&](std::string_view b) {
        out.append(b);
        return ok_status();
      }));
  EXPECT_EQ(tar_files(out).at("blobs/sha256/" + hex_of(mp.layer.digest)),
            mp.layout.blobs.at(mp.layer.digest));
}

}  // namespace
}  // namespace berth::image_archive
