// berth run and berth containers create: a container from an image (see
// container_create.hpp) and, for run, its task (task_session.hpp).
#include <fmt/format.h>

#include "command_table.hpp"
#include "container_create.hpp"
#include "signal_thread.hpp"
#include "task_session.hpp"
#include "undo_stack.hpp"

namespace berth::cli {
namespace {

constexpr std::string_view kContainerFlagsHelp =
    "IMAGE is pulled when the namespace does not have it (berthd only: containerd has\n"
    "no pull service). The spec comes from the image config (entrypoint, cmd, env,\n"
    "working directory, user), with the flags on top; CMD replaces the image's Cmd.\n"
    "--user names a user (and group) of the image's /etc/passwd and /etc/group, or\n"
    "numeric ids (never looked up as names; at most 2147483647); the user's\n"
    "supplementary groups come from /etc/group. Options end at ID: what follows is\n"
    "the container's command line. berth reads the image's users through a\n"
    "read-only mount of the new snapshot, so it runs as root on the daemon's host.";

// The container from the command line; kExitOk, or the exit code of the
// failure, reported.
int create_from_args(Invocation& inv, const ContainerOptions& options, SignalThread& signals, UndoStack& undo,
                     CreatedContainer& created) {
  std::string what;
  auto interrupted = [&signals] { return signals.pending() != 0; };
  if (auto st = create_container(inv.client(), inv.globals().ns, options, interrupted, undo, created, what);
      !st.ok())
    return inv.fail(what, st);
  return kExitOk;
}

int run_create(Invocation& inv) {
  ContainerOptions options;
  std::string error;
  if (!parse_container_options(inv, options, error)) return inv.usage_error(error);
  SignalThread signals;
  UndoStack undo;
  CreatedContainer created;
  if (int code = create_from_args(inv, options, signals, undo, created); code != kExitOk) return code;
  undo.dismiss();
  return kExitOk;
}

int run_run(Invocation& inv) {
  ContainerOptions options;
  std::string error;
  if (!parse_container_options(inv, options, error)) return inv.usage_error(error);
  const bool detach = inv.args().has("detach");
  const bool rm = inv.args().has("rm");
  if (detach && rm) return inv.usage_error("--rm and --detach cannot go together: nobody would remove it");
  // Before the first RPC, so gRPC's threads start with the signals blocked.
  SignalThread signals;
  UndoStack undo;
  CreatedContainer created;
  if (int code = create_from_args(inv, options, signals, undo, created); code != kExitOk) return code;
  bool started = false;
  const int code = start_task(inv, created.record, created.rootfs, detach, signals, undo, started);
  // Kept unless --rm, once the task ran: the container stays, as with ctr.
  // A task that never started takes its container with it.
  if (started && !rm) undo.dismiss();
  undo.run();
  return code;
}

std::vector<OptionSpec> run_options() {
  std::vector<OptionSpec> options{
      {'\0', "rm", "", "remove the container and its snapshot when the task has exited"},
      {'d', "detach", "", "start the task and leave it running; print nothing"},
  };
  for (const OptionSpec& o : container_option_specs()) options.push_back(o);
  return options;
}

}  // namespace

namespace {

// run and create differ in their first paragraph, options and action.
Command image_container_command(std::string_view name, std::string_view summary,
                                const std::string& description, std::vector<OptionSpec> options,
                                int (*run)(Invocation&)) {
  return {
      .name = name,
      .summary = summary,
      .synopsis = "IMAGE ID [CMD...]",
      .description = description,
      .options = std::move(options),
      .min_args = 2,
      .options_end_after = 2,
      .run = run,
  };
}

}  // namespace

Command run_command() {
  // Command holds views: the text must outlive it.
  static const std::string description = fmt::format(
      "Create the container ID from IMAGE, start its task and wait for it: stdin,\n"
      "stdout and stderr go through FIFOs (or, with -t, this terminal through a pty),\n"
      "signals are forwarded to the task, and berth exits with the task's exit code.\n"
      "The task is deleted afterwards; with --rm the container and its snapshot too.\n"
      "If a step fails, everything made before it is removed again.\n\n{}",
      kContainerFlagsHelp);
  return image_container_command("run", "run a container from an image", description, run_options(), run_run);
}

Command containers_create_command() {
  static const std::string description = fmt::format(
      "Create the container ID from IMAGE: a snapshot of the image named ID and a\n"
      "container record with its OCI spec. Start it with `berth tasks start ID`.\n\n{}",
      kContainerFlagsHelp);
  return image_container_command("create", "create a container from an image, without a task", description,
                                 container_option_specs(), run_create);
}

}  // namespace berth::cli
