// The command-line flags `berth images pull` and `push` share: how to reach
// the registry (--plain-http, --skip-verify, -u USER[:PASSWORD],
// --hosts-dir) and a limit of blobs moving at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "args.hpp"
#include "berth/services/transfer/v1/transfer.pb.h"

namespace berth::cli {

std::vector<OptionSpec> registry_options();

// Fills `out` from the flags registry_options() names; asks for the
// password on the terminal when -u gives only USER. False with `error` (a
// usage error) when there is no password to be had.
bool parse_registry_flags(const ParsedArgs& args, berth::services::transfer::v1::RegistryAccess& out,
                          std::string& error);

// The value of option `name` as a number from 1 up; nullopt when not
// given. False with `error` when it is not one.
bool parse_positive_flag(const ParsedArgs& args, std::string_view name, std::optional<int>& out,
                         std::string& error);

}  // namespace berth::cli
