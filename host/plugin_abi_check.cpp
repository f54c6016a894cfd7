#include "plugin_abi_check.hpp"

#include <google/protobuf/stubs/common.h>
#include <grpcpp/version_info.h>

#include <cstddef>
#include <cstring>

#include "berth/plugin.hpp"
#include "elf_file.hpp"

namespace berth::host {
namespace {

// A NUL-padded fixed-size field as a string.
template <std::size_t N>
std::string field(const char (&chars)[N]) {
  return std::string(chars, ::strnlen(chars, N));
}

const std::string kHostAbi =
    "plugin ABI version " + std::to_string(BERTH_PLUGIN_ABI_VERSION) + " (SDK " BERTH_SDK_VERSION_STRING ")";

Result<PluginAbi> read_abi_record(const std::filesystem::path& path, const std::string& section) {
  const std::string name = path.string();
  // magic, record_size, abi_version and sdk_version open the record in every
  // ABI version, so another version's record still names its version.
  constexpr auto kPrefix =
      offsetof(berth_plugin_abi_record, sdk_version) + sizeof(berth_plugin_abi_record::sdk_version);
  berth_plugin_abi_record rec{};
  std::memcpy(&rec, section.data(), std::min(section.size(), sizeof rec));
  if (section.size() < kPrefix || field(rec.magic) != BERTH_PLUGIN_ABI_MAGIC) {
    return invalid_argument(name + " is malformed: its " BERTH_PLUGIN_ABI_SECTION
                                   " section holds no Berth ABI record");
  }
  PluginAbi abi;
  abi.abi_version = rec.abi_version;
  abi.sdk_version = field(rec.sdk_version);
  if (abi.abi_version != BERTH_PLUGIN_ABI_VERSION) {
    return failed_precondition(name + " was built for plugin ABI version " + std::to_string(abi.abi_version) +
                               " (SDK " + abi.sdk_version + "); berthd speaks " + kHostAbi +
                               ": rebuild it against this SDK");
  }
  if (section.size() != sizeof rec || rec.record_size != sizeof rec) {
    return invalid_argument(name + " is malformed: its " BERTH_PLUGIN_ABI_SECTION " section is " +
                            std::to_string(section.size()) + " bytes, one record is " +
                            std::to_string(sizeof rec));
  }
  return abi;
}

Status check_grpc_records(const std::filesystem::path& path, const std::string& section, PluginAbi& abi) {
  const std::string name = path.string();
  constexpr auto kSize = sizeof(berth_plugin_grpc_record);
  if (section.empty() || section.size() % kSize != 0) {
    return invalid_argument(name + " is malformed: its " BERTH_PLUGIN_GRPC_SECTION " section is " +
                            std::to_string(section.size()) + " bytes, not a whole number of " +
                            std::to_string(kSize) + "-byte records");
  }
  const std::string host =
      "gRPC " GRPC_CPP_VERSION_STRING " and protobuf " + protobuf_version_name(GOOGLE_PROTOBUF_VERSION);
  // One record per distinct build of berth/grpc_service.hpp linked into the
  // library (the linker merges identical ones); every one must match.
  for (std::size_t off = 0; off < section.size(); off += kSize) {
    berth_plugin_grpc_record rec{};
    std::memcpy(&rec, section.data() + off, kSize);
    if (field(rec.magic) != BERTH_PLUGIN_GRPC_MAGIC || rec.record_size != kSize) {
      return invalid_argument(name + " is malformed: its " BERTH_PLUGIN_GRPC_SECTION
                                     " section holds something other than Berth gRPC records");
    }
    abi.grpc_version = field(rec.grpc_version);
    abi.protobuf_version = rec.protobuf_version;
    if (*abi.grpc_version != GRPC_CPP_VERSION_STRING || rec.protobuf_version != GOOGLE_PROTOBUF_VERSION) {
      return failed_precondition(name + " was built against gRPC " + *abi.grpc_version + " and protobuf " +
                                 protobuf_version_name(rec.protobuf_version) + "; berthd runs " + host +
                                 ". A plugin using berth/grpc_service.hpp is handed berthd's "
                                 "grpc::ServerBuilder, so it must be built "
                                 "against the same gRPC and protobuf");
    }
  }
  return {};
}

}  // namespace

std::string protobuf_version_name(uint32_t version) {
  return std::to_string(version / 1000000) + "." + std::to_string(version / 1000 % 1000) + "." +
         std::to_string(version % 1000);
}

Result<PluginAbi> check_plugin_file(const std::filesystem::path& path) {
  auto elf = ElfFile::open(path);
  if (!elf.ok()) return elf.status();
  auto has_entry = elf->defines_dynamic_symbol(BERTH_PLUGIN_ENTRY_SYMBOL);
  if (!has_entry.ok()) return has_entry.status();
  if (!*has_entry) {
    return invalid_argument(path.string() + " has no entry point " BERTH_PLUGIN_ENTRY_SYMBOL
                                            " (not a Berth plugin)");
  }
  auto abi_section = elf->section(BERTH_PLUGIN_ABI_SECTION);
  if (!abi_section.ok()) return abi_section.status();
  if (!*abi_section) {
    return failed_precondition(path.string() +
                               " has no " BERTH_PLUGIN_ABI_SECTION
                               " section: it was built with a Berth SDK older than plugin ABI "
                               "version 2; berthd speaks " +
                               kHostAbi + ": rebuild it against this SDK");
  }
  auto abi = read_abi_record(path, **abi_section);
  if (!abi.ok()) return abi.status();
  auto grpc_section = elf->section(BERTH_PLUGIN_GRPC_SECTION);
  if (!grpc_section.ok()) return grpc_section.status();
  if (*grpc_section) BERTH_RETURN_IF_ERROR(check_grpc_records(path, **grpc_section, *abi));
  return abi;
}

}  // namespace berth::host
