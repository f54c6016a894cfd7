// Builds layer tars in memory for the differ tests, with libarchive's writer
// (independent of the differ's own layer writer), and compresses them.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace berth::test {

struct EntrySpec {
  std::string path;
  mode_t type = S_IFREG;
  mode_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string content;   // regular files
  std::string symlink;   // symlink target
  std::string hardlink;  // hardlink target (type ignored)
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  int64_t mtime = 1600000000;
  long mtime_nsec = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

class LayerBuilder {
 public:
  LayerBuilder& add(EntrySpec e) {
    entries_.push_back(std::move(e));
    return *this;
  }
  LayerBuilder& file(std::string path, std::string content, mode_t mode = 0644) {
    return add({.path = std::move(path), .mode = mode, .content = std::move(content)});
  }
  LayerBuilder& dir(std::string path, mode_t mode = 0755) {
    return add({.path = std::move(path), .type = S_IFDIR, .mode = mode});
  }
  LayerBuilder& symlink(std::string path, std::string target) {
    return add({.path = std::move(path), .type = S_IFLNK, .mode = 0777, .symlink = std::move(target)});
  }
  LayerBuilder& hardlink(std::string path, std::string target) {
    return add({.path = std::move(path), .hardlink = std::move(target)});
  }

  // The uncompressed pax tar.
  [[nodiscard]] std::string tar() const {
    std::string out;
    struct archive* a = archive_write_new();
    archive_write_set_format_pax(a);
    archive_write_set_bytes_per_block(a, 10240);
    archive_write_open(a, &out, nullptr, &append, nullptr);
    for (const auto& e : entries_) {
      struct archive_entry* ae = archive_entry_new();
      archive_entry_set_pathname(ae, e.path.c_str());
      archive_entry_set_uid(ae, e.uid);
      archive_entry_set_gid(ae, e.gid);
      archive_entry_set_mtime(ae, e.mtime, e.mtime_nsec);
      if (!e.hardlink.empty()) {
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, e.mode);
        archive_entry_set_hardlink(ae, e.hardlink.c_str());
        archive_entry_set_size(ae, 0);
      } else {
        archive_entry_set_filetype(ae, e.type);
        archive_entry_set_perm(ae, e.mode);
        if (e.type == S_IFLNK) archive_entry_set_symlink(ae, e.symlink.c_str());
        if (e.type == S_IFCHR || e.type == S_IFBLK) {
          archive_entry_set_rdevmajor(ae, e.dev_major);
          archive_entry_set_rdevminor(ae, e.dev_minor);
        }
        archive_entry_set_size(ae, e.type == S_IFREG ? static_cast<int64_t>(e.content.size()) : 0);
      }
      for (const auto& [k, v] : e.xattrs) archive_entry_xattr_add_entry(ae, k.c_str(), v.data(), v.size());
      if (archive_write_header(a, ae) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a));
      if (e.type == S_IFREG && e.hardlink.empty() && !e.content.empty()) {
        archive_write_data(a, e.content.data(), e.content.size());
      }
      archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
  }

 private:
  static la_ssize_t append(struct archive*, void* out, const void* buf, size_t len) {
    static_cast<std::string*>(out)->append(static_cast<const char*>(buf), len);
    return static_cast<la_ssize_t>(len);
  }
  std::vector<EntrySpec> entries_;
};

// One gzip member.
inline std::string gzip(const std::string& data, int level = 6) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Several gzip members, as pigz or `cat a.gz b.gz` make.
inline std::string gzip_multi(const std::string& data, std::size_t pieces) {
  std::string out;
  const std::size_t step = data.size() / pieces + 1;
  for (std::size_t pos = 0; pos < data.size(); pos += step) out += gzip(data.substr(pos, step));
  return out;
}

inline std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

}  // namespace berth::test
