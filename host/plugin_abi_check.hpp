// What berthd checks in a plugin file before dlopen(), reading it without
// running any of its code: a loadable ELF shared object with the entry point,
// built for berthd's plugin ABI and, if it registers gRPC services, against
// berthd's exact gRPC and protobuf (it is handed berthd's grpc::ServerBuilder).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "berth/status.hpp"

namespace berth::host {

struct PluginAbi {
  uint32_t abi_version = 0;
  std::string sdk_version;
  std::optional<std::string> grpc_version;  // set for libraries that include berth/grpc_service.hpp
  std::optional<uint32_t> protobuf_version;
};

// Messages start with the path ("/p/x.so is empty", "/p/x.so was built for
// plugin ABI 1 (SDK 0.0.9); berthd speaks ABI 2 (SDK 0.1.0) ..."). A wrong
// version is FAILED_PRECONDITION, a damaged or foreign file INVALID_ARGUMENT.
Result<PluginAbi> check_plugin_file(const std::filesystem::path& path);

// "3.21.12" for GOOGLE_PROTOBUF_VERSION 3021012.
std::string protobuf_version_name(uint32_t version);

}  // namespace berth::host
