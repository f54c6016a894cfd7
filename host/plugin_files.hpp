// Finds the plugin files (*.so) in the plugin directories, saying exactly
// what is wrong with a directory or an entry that cannot be used.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace berth::host {

// The *.so files of each directory, sorted by name within it, directories in
// the order given; a file reached twice (a directory listed twice, a symlink
// to a directory already listed) comes once. Problems land in `problems`
// ("plugin directory /x is a regular file, not a directory").
std::vector<std::filesystem::path> list_plugin_files(const std::vector<std::filesystem::path>& dirs,
                                                     std::vector<std::string>& problems);

}  // namespace berth::host
