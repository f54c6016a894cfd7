// berthd: the Berth daemon.
#include <grpc/grpc.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "config.hpp"
#include "config_commands.hpp"
#include "daemon.hpp"
#include "grpc-process/process_setup.hpp"
#include "heap_trim.hpp"
#include "options.hpp"
#include "systemd_notify.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif
#ifndef BERTH_PLUGIN_RELDIR
#define BERTH_PLUGIN_RELDIR "lib/berth/plugins"
#endif

namespace {

constexpr const char* kDefaultConfig = "/etc/berth/config.toml";

std::filesystem::path builtin_plugin_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::filesystem::path("/usr/local") / BERTH_PLUGIN_RELDIR;
  return exe.parent_path().parent_path() / BERTH_PLUGIN_RELDIR;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("berthd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%-5l%$ %v");
  spdlog::set_default_logger(logger);
  auto lvl = spdlog::level::from_str(level == "warning"                     ? "warn"
                                     : level == "fatal" || level == "panic" ? "critical"
                                                                            : level);
  spdlog::set_level(lvl);
}

// Config file, then flags on top. Warnings are printed once logging is up.
berth::Result<berth::host::DaemonConfig> effective_config(const berth::host::Options& o,
                                                          berth::host::Warnings& warnings) {
  berth::host::DaemonConfig cfg;
  std::error_code ec;
  if (o.config) {
    auto loaded = berth::host::load_config(*o.config, warnings);
    if (!loaded.ok()) return loaded.status();
    cfg = std::move(*loaded);
  } else if (std::filesystem::exists(kDefaultConfig, ec)) {
    auto loaded = berth::host::load_config(kDefaultConfig, warnings);
    if (!loaded.ok()) return loaded.status();
    cfg = std::move(*loaded);
  }
  if (o.root) cfg.root = *o.root;
  if (o.state) cfg.state = *o.state;
  if (o.address) cfg.grpc.address = *o.address;
  if (o.log_level) {
    if (!berth::host::known_log_level(*o.log_level)) {
      return berth::invalid_argument("--log-level: unknown level '" + *o.log_level +
                                     "' (trace, debug, info, warn, error)");
    }
    cfg.log_level = *o.log_level;
  }
  if (!std::filesystem::path(cfg.root).is_absolute() || !std::filesystem::path(cfg.state).is_absolute()) {
    cfg.root = std::filesystem::absolute(cfg.root).string();
    cfg.state = std::filesystem::absolute(cfg.state).string();
  }
  if (cfg.root == cfg.state) return berth::invalid_argument("root and state must be different directories");
  return cfg;
}

int run_daemon(berth::host::DaemonConfig cfg) {
  // Block the signals we handle before any thread starts, so every thread
  // inherits the mask and only sigwait() below sees them.
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  pthread_sigmask(SIG_BLOCK, &handled, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::info("starting berthd {} (pid {}), root {}, state {}", BERTH_VERSION, getpid(), cfg.root,
               cfg.state);
  berth::host::Daemon daemon(std::move(cfg), builtin_plugin_dir());
  if (berth::Status s = daemon.start(); !s.ok()) {
    spdlog::critical("berthd cannot start: {}", s.message());
    (void)daemon.shutdown();
    return 1;
  }
  // gRPC's global state is kept to the end (taken here, after the plugins'
  // pre-flight forks, with the server's own): its global shutdown, when the
  // server goes, joins gRPC's executor threads, and one polling out its
  // 10 s timeout held a stop up by as much (after an Export whose client had
  // gone). berthd ends with _Exit once every plugin has closed (main), so
  // nothing of gRPC is torn down under its threads.
  grpc_init();
  berth::host::systemd_notify("READY=1");
  const berth::host::HeapTrimmer trimmer;
  int sig = 0;
  sigwait(&handled, &sig);
  berth::host::systemd_notify("STOPPING=1");
  spdlog::info("received {}, shutting down", strsignal(sig));
  berth::Status s = daemon.shutdown();
  if (!s.ok()) spdlog::warn("shutdown: {}", s.message());
  spdlog::info("berthd stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  berth::grpc_process::setup();
  berth::host::tune_malloc();
  auto opts = berth::host::parse_options(argc, argv);
  if (!opts.ok()) {
    std::cerr << "berthd: " << opts.status().message() << "\n\n" << berth::host::kUsage;
    return 2;
  }
  if (opts->help) {
    std::cout << berth::host::kUsage;
    return 0;
  }
  if (opts->version) {
    std::cout << "berthd " << BERTH_VERSION << "\n";
    return 0;
  }
  berth::host::Warnings warnings;
  auto cfg = effective_config(*opts, warnings);
  if (!cfg.ok()) {
    std::cerr << "berthd: " << cfg.status().message() << "\n";
    return 1;
  }
  if (!opts->command.empty()) {
    // config default | config dump: stdout is the TOML, messages go to stderr;
    // the plugin loader's log too, warnings only ("loading <path>" is noise here).
    setup_logging("warn");
    for (const auto& w : warnings) std::cerr << "berthd: warning: " << w << "\n";
    return opts->command[1] == "default"
               ? berth::host::print_default_config(std::cout, builtin_plugin_dir())
               : berth::host::print_effective_config(std::cout, *cfg, builtin_plugin_dir());
  }
  setup_logging(cfg->log_level);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  const int code = run_daemon(std::move(*cfg));
  // Every plugin has closed (its files synced, its threads joined) and the
  // log says so; what is left is static destruction beside gRPC's threads.
  spdlog::shutdown();
  std::fflush(nullptr);
  std::_Exit(code);
}
