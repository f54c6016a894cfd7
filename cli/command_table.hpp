// The commands `berth` knows. To add a group (content, leases, images, ...):
// write cmd_<group>.cpp defining `Command <Group>Command()`, declare it here,
// list it in RootCommand() in command_table.cpp and in CMakeLists.txt.
#pragma once

#include "command.hpp"

namespace berth::cli {

Command VersionCommand();     // cmd_version.cpp
Command PluginsCommand();     // cmd_plugins.cpp
Command NamespacesCommand();  // cmd_namespaces.cpp
Command ContentCommand();     // cmd_content.cpp
Command LeasesCommand();      // cmd_leases.cpp
Command SnapshotsCommand();   // cmd_snapshots.cpp

// `berth` itself: the group whose subcommands are the groups above.
const Command& RootCommand();

}  // namespace berth::cli
