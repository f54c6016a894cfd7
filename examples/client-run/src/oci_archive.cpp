// An OCI archive is a plain tar; the blobs are read straight from it at their
// offsets, so nothing is extracted to disk.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "digest.hpp"
#include "image_source.hpp"

namespace client_run {

namespace {

using nlohmann::json;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

struct Member {
  off_t offset = 0;
  std::int64_t size = 0;
};

std::int64_t octal(const char* field, std::size_t width) {
  std::int64_t value = 0;
  std::size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) value = value * 8 + (field[i] - '0');
  return value;
}

std::string field(const char* p, std::size_t width) {
  std::size_t n = 0;
  while (n < width && p[n] != '\0') ++n;
  return {p, n};
}

std::string normalized(std::string name) {
  while (name.starts_with("./")) name.erase(0, 2);
  return name;
}

class OciArchive final : public ImageSource {
 public:
  OciArchive(int fd, std::string path, std::string reference)
      : fd_(fd), path_(std::move(path)), reference_(std::move(reference)) {}

  // Indexes the tar's regular files by name: ustar names, GNU long names and
  // pax `path` records.
  Status scan() {
    off_t offset = 0;
    std::string long_name;
    for (;;) {
      std::array<char, 512> header{};
      const ssize_t n = ::pread(fd_.get(), header.data(), header.size(), offset);
      if (n == 0) break;
      if (n != 512) return fail(path_ + ": truncated tar header at offset " + std::to_string(offset));
      if (header[0] == '\0') break;  // the end-of-archive blocks
      const std::int64_t size = octal(&header[124], 12);
      const char type = header[156];
      std::string name = field(&header[0], 100);
      if (std::string(&header[257], 5) == "ustar") {
        const std::string prefix = field(&header[345], 155);
        if (!prefix.empty()) name = prefix + "/" + name;
      }
      const off_t data = offset + 512;
      if (type == 'L' || type == 'x') {
        std::string text(static_cast<std::size_t>(size), '\0');
        if (::pread(fd_.get(), text.data(), text.size(), data) != static_cast<ssize_t>(text.size()))
          return fail(path_ + ": truncated tar member at offset " + std::to_string(data));
        if (type == 'L') {
          long_name = field(text.data(), text.size());
        } else if (const auto at = text.find(" path="); at != std::string::npos) {
          const auto end = text.find('\n', at);
          long_name = text.substr(at + 6, end - at - 6);
        }
      } else {
        if (!long_name.empty()) name = std::exchange(long_name, {});
        if (type == '0' || type == '\0') members_[normalized(name)] = {data, size};
      }
      offset = data + ((size + 511) / 512) * 512;
    }
    if (!members_.contains("index.json")) return fail(path_ + ": no index.json: not an OCI archive");
    return {};
  }

  Result<Descriptor> root() override {
    auto text = read_member("index.json");
    if (!text) return std::unexpected(text.error());
    const json index = json::parse(*text, nullptr, false);
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
      return fail(path_ + ": index.json is not an OCI index");
    const json* chosen = nullptr;
    const auto& manifests = index["manifests"];
    const std::string tag = reference_.substr(reference_.rfind(':') + 1);
    for (const auto& m : manifests) {
      const auto annotations = m.value("annotations", json::object());
      if (annotations.value("io.containerd.image.name", "") == reference_ ||
          annotations.value("org.opencontainers.image.ref.name", "") == reference_ ||
          annotations.value("org.opencontainers.image.ref.name", "") == tag) {
        chosen = &m;
        break;
      }
    }
    if (chosen == nullptr && manifests.size() == 1) chosen = &manifests[0];
    if (chosen == nullptr) return fail(path_ + ": no image named " + reference_ + " in index.json");
    return Descriptor{chosen->value("mediaType", ""), chosen->value("digest", ""),
                      chosen->value("size", 0LL)};
  }

  Status stream(const Descriptor& blob, const BlobSink& sink) override {
    const auto colon = blob.digest.find(':');
    if (colon == std::string::npos) return fail("not a digest: " + blob.digest);
    const std::string name = "blobs/" + blob.digest.substr(0, colon) + "/" + blob.digest.substr(colon + 1);
    const auto it = members_.find(name);
    if (it == members_.end()) return fail(path_ + ": no " + name);
    std::vector<char> buffer(1 << 20);
    for (std::int64_t done = 0; done < it->second.size;) {
      const auto want =
          std::min<std::int64_t>(static_cast<std::int64_t>(buffer.size()), it->second.size - done);
      const ssize_t n =
          ::pread(fd_.get(), buffer.data(), static_cast<std::size_t>(want), it->second.offset + done);
      if (n <= 0) return fail(path_ + ": short read of " + name);
      if (auto s = sink({buffer.data(), static_cast<std::size_t>(n)}); !s) return s;
      done += n;
    }
    return {};
  }

 private:
  Result<std::string> read_member(const std::string& name) {
    const auto it = members_.find(name);
    if (it == members_.end()) return fail(path_ + ": no " + name);
    std::string text(static_cast<std::size_t>(it->second.size), '\0');
    if (::pread(fd_.get(), text.data(), text.size(), it->second.offset) != static_cast<ssize_t>(text.size()))
      return fail(path_ + ": short read of " + name);
    return text;
  }

  Fd fd_;
  std::string path_;
  std::string reference_;
  std::map<std::string, Member> members_;
};

}  // namespace

Result<std::string> ImageSource::read(const Descriptor& blob) {
  static constexpr std::int64_t kLimit = 16 << 20;  // manifests and configs are small
  if (blob.size > kLimit) return fail(blob.digest + ": " + std::to_string(blob.size) + " bytes is too large");
  std::string bytes;
  auto s = stream(blob, [&](std::string_view piece) -> Status {
    if (static_cast<std::int64_t>(bytes.size() + piece.size()) > kLimit)
      return fail("larger than its descriptor");
    bytes.append(piece);
    return {};
  });
  if (!s) return std::unexpected(s.error());
  if (static_cast<std::int64_t>(bytes.size()) != blob.size)
    return fail(blob.digest + ": got " + std::to_string(bytes.size()) + " bytes, want " +
                std::to_string(blob.size));
  if (sha256_digest(bytes) != blob.digest) return fail(blob.digest + ": the bytes have another digest");
  return bytes;
}

Result<std::unique_ptr<ImageSource>> open_oci_archive(const std::string& path, const std::string& reference) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open " + path + ": " + std::strerror(errno));
  auto archive = std::make_unique<OciArchive>(fd, path, reference);
  if (auto s = archive->scan(); !s) return std::unexpected(s.error());
  return archive;
}

}  // namespace client_run
