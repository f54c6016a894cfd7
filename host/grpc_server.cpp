#include "grpc_server.hpp"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "berth/unique_fd.hpp"
#include "grpc_call_log.hpp"
#include "grpc_metrics.hpp"

namespace berth::host {
namespace {

// Threads the synchronous server keeps waiting for new calls. gRPC's default
// of 2 makes it end a thread as soon as a call returns whenever more than two
// are waiting, and start another for the next call: under four clients running
// container lifecycles that was 343 threads started and ended for 40
// lifecycles (perf). A waiting thread above the minimum of one still ends
// after gRPC's 10 s poll timeout, so an idle daemon keeps none of them.
constexpr int kMaxPollers = 16;

// True when some process accepts connections on the socket at `path`.
bool something_listens(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

// A private directory beside the socket's final path, removed on scope exit.
class StagingDir {
 public:
  explicit StagingDir(const std::string& final_path) {
    auto parent = std::filesystem::path(final_path).parent_path();
    dir_ = (parent.empty() ? std::filesystem::path(".") : parent) / (".berthd-" + std::to_string(::getpid()));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);  // left by an earlier berthd with our pid
    // Too long a path for sun_path: bind at the final path instead.
    if (socket().size() >= sizeof(sockaddr_un{}.sun_path)) return;
    ok_ = ::mkdir(dir_.c_str(), 0700) == 0;
  }
  ~StagingDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::string socket() const { return (dir_ / "s").string(); }

 private:
  std::filesystem::path dir_;
  bool ok_ = false;
};

}  // namespace

std::string grpc_socket_path(const GrpcConfig& config) {
  constexpr std::string_view kUnix = "unix://";
  if (config.address.starts_with(kUnix)) return config.address.substr(kUnix.size());
  return config.address;
}

Status prepare_socket_path(const std::string& path) {
  if (path.empty()) return invalid_argument("grpc address is empty");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return invalid_argument("socket path " + path + " is longer than a unix socket path may be (" +
                            std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes)");
  }
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return errno_status("create socket directory " + parent.string(), ec.value());
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return errno_status("stat " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode))
    return invalid_argument(path + " exists and is not a socket; refusing to replace it");
  if (something_listens(path)) {
    return failed_precondition("another server is listening on " + path + "; is berthd already running?");
  }
  spdlog::info("removing stale socket {}", path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return errno_status("remove stale socket " + path, errno);
  return {};
}

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const GrpcConfig& config,
                                                      const std::vector<GrpcService*>& services,
                                                      const GrpcMetrics& metrics) {
  const std::string path = grpc_socket_path(config);
  BERTH_RETURN_IF_ERROR(prepare_socket_path(path));

  grpc::ServerBuilder builder;
  // The synchronous server runs each call on a thread of its own and, left
  // alone, starts one more for every call in flight (2,000 idle streams made
  // 2,000 threads). A thread quota caps them; a call that finds none free is
  // answered RESOURCE_EXHAUSTED by gRPC instead of spawning. The quota also
  // covers the one thread that must always be left waiting for new calls
  // (it answers them RESOURCE_EXHAUSTED at the cap), hence the + 1.
  grpc::ResourceQuota quota("berthd");
  quota.SetMaxThreads(static_cast<int>(config.max_concurrent_calls) + 1);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kMaxPollers);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_recv_message_size));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_send_message_size));
  for (GrpcService* service : services) service->register_services(builder);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(make_call_log_interceptor());
  if (metrics.sink) interceptors.push_back(make_metrics_interceptor(metrics.sink, metrics.histogram));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // gRPC refuses to start a server with no service at all. With no service
  // plugin loaded, a generic service answers UNIMPLEMENTED to everything, so
  // clients still find a daemon rather than a dead socket.
  auto fallback = std::make_unique<grpc::CallbackGenericService>();
  if (services.empty()) {
    spdlog::warn("no gRPC service plugin loaded; every call will be UNIMPLEMENTED");
    builder.RegisterCallbackGenericService(fallback.get());
  }
  // Listen in a private 0700 directory, give the socket its mode and owner
  // there, then rename it into place: at its public path the socket never
  // has the umask's permissions, not even between listen() and chmod().
  StagingDir staging(path);
  const std::string listen_path = staging.ok() ? staging.socket() : path;
  int port = 0;
  builder.AddListeningPort("unix:" + listen_path, grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return unavailable("cannot listen on " + path + " (see the log above for gRPC's reason)");

  // Clients outside root's group must not reach the API: 0660 and the
  // configured owner, as containerd does.
  Status s;
  if (::chmod(listen_path.c_str(), 0660) != 0) {
    s = errno_status("chmod " + listen_path, errno);
  } else if ((config.uid != 0 || config.gid != 0) &&
             ::chown(listen_path.c_str(), static_cast<uid_t>(config.uid), static_cast<gid_t>(config.gid)) !=
                 0) {
    s = errno_status("chown " + listen_path, errno);
  } else if (listen_path != path && ::rename(listen_path.c_str(), path.c_str()) != 0) {
    s = errno_status("rename " + listen_path + " to " + path, errno);
  }
  if (!s.ok()) {
    server->Shutdown();
    return s;
  }
  spdlog::info("serving gRPC on {} (at most {} calls at once)", path, config.max_concurrent_calls);
  auto out = std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), path, services));
  out->fallback_ = std::move(fallback);
  return out;
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, std::string path,
                       std::vector<GrpcService*> services)
    : server_(std::move(server)), path_(std::move(path)), services_(std::move(services)) {}

GrpcServer::~GrpcServer() { shutdown(); }

void GrpcServer::shutdown(int grace_ms) {
  if (!server_) return;
  for (GrpcService* service : services_) service->stopping();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  server_->Wait();
  server_.reset();
  ::unlink(path_.c_str());
}

}  // namespace berth::host
