// Reads an ELF shared object the way berthd must before dlopen(): with
// pread() only, never mmap(), so a truncated file is an error naming what is
// missing instead of a SIGBUS when the dynamic loader touches a page past the
// end. No code in the file runs.
#pragma once

#include <link.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "berth/unique_fd.hpp"

namespace berth::host {

class ElfFile {
 public:
  // Opens `path` and checks that it is a complete, well-formed ELF shared
  // object that this process could load: its class (32/64-bit), byte order
  // and machine are this process's, the program and section header tables,
  // every loadable segment and every section with contents lie within the
  // file. Messages start with the path and say what is wrong ("... is empty",
  // "... is truncated: section headers end at 9000 but the file has 4096
  // bytes").
  static Result<ElfFile> open(const std::filesystem::path& path);

  // True if the dynamic symbol table defines `name` as a global or weak symbol
  // visible to dlsym(), which is what dlopen() + dlsym() would find.
  [[nodiscard]] Result<bool> defines_dynamic_symbol(std::string_view name) const;

  // The contents of the section called `name`, or nullopt if there is none.
  [[nodiscard]] Result<std::optional<std::string>> section(std::string_view name) const;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  ElfFile(std::filesystem::path path, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size) {}
  Status read_at(uint64_t offset, void* out, uint64_t length, std::string_view what) const;
  Result<std::string> read_section(const ElfW(Shdr) & shdr, std::string_view what) const;
  Status load_headers(const ElfW(Ehdr) & ehdr);

  std::filesystem::path path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::vector<ElfW(Shdr)> sections_;
  std::string section_names_;
};

}  // namespace berth::host
