// Debian's docker-registry on a free 127.0.0.1 port and a private storage
// directory, for the tests that pull and push. Killed and reaped with the
// object; its log goes to a file beside its storage.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "child_process.hpp"

namespace berth::test {

class LoopbackRegistry {
 public:
  // Starts it under `dir` and waits until GET /v2/ answers; check ok().
  explicit LoopbackRegistry(const std::filesystem::path& dir);

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& host() const { return host_; }  // "127.0.0.1:<port>"
  [[nodiscard]] std::string why() const { return why_; }

  // Pushes the OCI archive at `archive` as `repo_tag` ("name:tag") with skopeo;
  // "" on success, else skopeo's output.
  std::string push_archive(const std::filesystem::path& archive, const std::string& repo_tag) const;

 private:
  std::string host_;
  std::unique_ptr<ChildProcess> process_;
  bool ok_ = false;
  std::string why_;
};

}  // namespace berth::test
