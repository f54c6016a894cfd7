// The commands `berth` knows. To add a group (content, leases, images, ...):
// write cmd_<group>.cpp defining `Command <Group>Command()`, declare it here,
// list it in RootCommand() in command_table.cpp and in CMakeLists.txt.
#pragma once

#include "command.hpp"

namespace berth::cli {

Command version_command();            // cmd_version.cpp
Command gc_command();                 // cmd_gc.cpp
Command plugins_command();            // cmd_plugins.cpp
Command namespaces_command();         // cmd_namespaces.cpp
Command content_command();            // cmd_content.cpp
Command images_command();             // cmd_images.cpp
Command containers_command();         // cmd_containers.cpp
Command leases_command();             // cmd_leases.cpp
Command snapshots_command();          // cmd_snapshots.cpp
Command tasks_command();              // cmd_tasks.cpp
Command run_command();                // cmd_run.cpp
Command containers_create_command();  // cmd_run.cpp, under containers

// `berth` itself: the group whose subcommands are the groups above.
const Command& root_command();

}  // namespace berth::cli
