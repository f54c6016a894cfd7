#include "shim_task.hpp"

#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "google/protobuf/empty.pb.h"
#include "shim_time.hpp"
#include "ttrpc/typed.hpp"

namespace berth::runtime_runc {

namespace pb = containerd::task::v2;

namespace {

constexpr std::string_view kService = "containerd.task.v2.Task";
// How often a waiter asks its CancelCheck while the process runs.
constexpr auto kCancelPoll = std::chrono::milliseconds(100);

template <class Pb>
void set_io(Pb& pb, const TaskIO& io) {
  pb.set_stdin(io.stdin_path);
  pb.set_stdout(io.stdout_path);
  pb.set_stderr(io.stderr_path);
  pb.set_terminal(io.terminal);
}

google::protobuf::Any to_pb(const AnyValue& any) {
  google::protobuf::Any pb;
  pb.set_type_url(any.type_url);
  pb.set_value(any.value);
  return pb;
}

}  // namespace

Result<std::unique_ptr<ShimTask>> ShimTask::connect(std::string_view address, std::string ns, std::string id,
                                                    std::chrono::milliseconds timeout, OnLost on_lost) {
  std::unique_ptr<ShimTask> task(new ShimTask(std::move(ns), std::move(id)));
  ttrpc::ClientOptions options;
  options.connect_timeout = timeout;
  options.on_close = [closing = task->closing_, on_lost = std::move(on_lost)](const Status&) {
    if (!closing->load() && on_lost) on_lost();
  };
  auto client = ttrpc::Client::dial(address, std::move(options));
  if (!client.ok()) return client.status();
  task->client_ = std::move(client).value();
  pb::ConnectRequest request;
  request.set_id(task->id_);
  auto who = task->call<pb::ConnectResponse>("Connect", request, timeout);
  if (!who.ok()) {
    task->shut_down_quietly();
    return who.status();
  }
  task->shim_pid_ = who->shim_pid();
  return task;
}

ShimTask::~ShimTask() {
  shut_down_quietly();
  for (auto& [thread, waiter] : wait_threads_) thread.join();
}

void ShimTask::shut_down_quietly() {
  closing_->store(true);
  if (client_) client_->close();
}

template <class Resp, class Req>
Result<Resp> ShimTask::call(std::string_view method, const Req& request, std::chrono::nanoseconds timeout) {
  return ttrpc::call<Resp>(*client_, kService, method, request, timeout,
                           {{"containerd-namespace-ttrpc", ns_}});
}

template <class Req>
Status ShimTask::call_empty(std::string_view method, const Req& request) {
  auto answer = call<google::protobuf::Empty>(method, request);
  return answer.ok() ? Status() : answer.status();
}

Result<uint32_t> ShimTask::create(const std::filesystem::path& bundle, const TaskCreate& request,
                                  const std::optional<AnyValue>& options) {
  pb::CreateTaskRequest pb;
  pb.set_id(id_);
  pb.set_bundle(bundle.string());
  for (const auto& m : request.rootfs) {
    auto* out = pb.add_rootfs();
    out->set_type(m.type);
    out->set_source(m.source);
    out->set_target(m.target);
    for (const auto& o : m.options) out->add_options(o);
  }
  set_io(pb, request.io);
  if (options) *pb.mutable_options() = to_pb(*options);
  auto answer = call<pb::CreateTaskResponse>("Create", pb);
  if (!answer.ok()) return answer.status();
  return answer->pid();
}

Result<uint32_t> ShimTask::start(std::string_view exec_id) {
  pb::StartRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  auto answer = call<pb::StartResponse>("Start", pb);
  if (!answer.ok()) return answer.status();
  return answer->pid();
}

Result<ProcessExit> ShimTask::remove(std::string_view exec_id) {
  pb::DeleteRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  auto answer = call<pb::DeleteResponse>("Delete", pb);
  if (!answer.ok()) return answer.status();
  {
    // The process is gone, and with it what its waiters were told.
    std::lock_guard lock(mu_);
    waiters_.erase(std::string(exec_id));
  }
  return ProcessExit{answer->pid(), answer->exit_status(), ns_of(answer->exited_at())};
}

Result<ProcessState> ShimTask::state(std::string_view exec_id) {
  pb::StateRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  auto answer = call<pb::StateResponse>("State", pb, std::chrono::seconds(10));
  if (!answer.ok()) return answer.status();
  ProcessState state;
  state.id = id_;
  state.exec_id = exec_id;
  state.pid = answer->pid();
  const int status = answer->status();
  state.status = status >= 0 && status <= static_cast<int>(TaskStatus::kPausing)
                     ? static_cast<TaskStatus>(status)
                     : TaskStatus::kUnknown;
  state.io = {answer->stdin(), answer->stdout(), answer->stderr(), answer->terminal()};
  state.exit_status = answer->exit_status();
  state.exited_at = ns_of(answer->exited_at());
  return state;
}

Status ShimTask::kill(std::string_view exec_id, uint32_t signal, bool all) {
  pb::KillRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  pb.set_signal(signal);
  pb.set_all(all);
  return call_empty("Kill", pb);
}

Status ShimTask::exec(std::string_view exec_id, const TaskIO& io, const AnyValue& spec) {
  pb::ExecProcessRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  set_io(pb, io);
  *pb.mutable_spec() = to_pb(spec);
  return call_empty("Exec", pb);
}

Status ShimTask::resize_pty(std::string_view exec_id, uint32_t width, uint32_t height) {
  pb::ResizePtyRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  pb.set_width(width);
  pb.set_height(height);
  return call_empty("ResizePty", pb);
}

Status ShimTask::close_stdin(std::string_view exec_id) {
  pb::CloseIORequest pb;
  pb.set_id(id_);
  pb.set_exec_id(std::string(exec_id));
  pb.set_stdin(true);
  return call_empty("CloseIO", pb);
}

Status ShimTask::pause() {
  pb::PauseRequest pb;
  pb.set_id(id_);
  return call_empty("Pause", pb);
}

Status ShimTask::resume() {
  pb::ResumeRequest pb;
  pb.set_id(id_);
  return call_empty("Resume", pb);
}

Result<std::vector<ProcessInfo>> ShimTask::pids() {
  pb::PidsRequest pb;
  pb.set_id(id_);
  auto answer = call<pb::PidsResponse>("Pids", pb);
  if (!answer.ok()) return answer.status();
  std::vector<ProcessInfo> out;
  for (const auto& p : answer->processes()) {
    ProcessInfo info{p.pid(), std::nullopt};
    if (p.has_info()) info.info = AnyValue{p.info().type_url(), p.info().value()};
    out.push_back(std::move(info));
  }
  return out;
}

Status ShimTask::update(const AnyValue& resources, const std::map<std::string, std::string>& annotations) {
  pb::UpdateTaskRequest pb;
  pb.set_id(id_);
  *pb.mutable_resources() = to_pb(resources);
  pb.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return call_empty("Update", pb);
}

Result<AnyValue> ShimTask::stats() {
  pb::StatsRequest pb;
  pb.set_id(id_);
  auto answer = call<pb::StatsResponse>("Stats", pb);
  if (!answer.ok()) return answer.status();
  return AnyValue{answer->stats().type_url(), answer->stats().value()};
}

void ShimTask::wait_call(const std::string& exec_id, const std::shared_ptr<Waiter>& waiter) {
  pb::WaitRequest pb;
  pb.set_id(id_);
  pb.set_exec_id(exec_id);
  auto answer = call<pb::WaitResponse>("Wait", pb, {});
  Result<ProcessExit> result =
      answer.ok() ? Result<ProcessExit>(ProcessExit{0, answer->exit_status(), ns_of(answer->exited_at())})
                  : Result<ProcessExit>(answer.status());
  std::lock_guard lock(mu_);
  waiter->result = std::move(result);
  waiter->done.notify_all();
  // A failed wait is not kept: the next waiter asks again.
  if (!waiter->result->ok()) waiters_.erase(exec_id);
}

Result<ProcessExit> ShimTask::wait(std::string_view exec_id, const CancelCheck& cancelled) {
  std::unique_lock lock(mu_);
  auto& slot = waiters_[std::string(exec_id)];
  if (!slot) {
    // Threads whose call was answered have set their result under mu_ and
    // only return now: joining them here keeps a task that is exec'd into
    // again and again from piling up finished threads.
    std::erase_if(wait_threads_, [](auto& entry) {
      if (!entry.second->result) return false;
      entry.first.join();
      return true;
    });
    slot = std::make_shared<Waiter>();
    wait_threads_.emplace_back(
        std::thread([this, key = std::string(exec_id), waiter = slot] { wait_call(key, waiter); }), slot);
  }
  const std::shared_ptr<Waiter> waiter = slot;
  while (!waiter->result) {
    waiter->done.wait_for(lock, kCancelPoll);
    if (waiter->result) break;
    if (cancelled) {
      lock.unlock();
      Status st = cancelled();
      lock.lock();
      if (!st.ok()) return st;
    }
  }
  return *waiter->result;
}

void ShimTask::shut_down() {
  closing_->store(true);
  pb::ShutdownRequest pb;
  pb.set_id(id_);
  // The shim exits while answering, so a lost connection is success here.
  (void)call<google::protobuf::Empty>("Shutdown", pb, std::chrono::seconds(10));
  client_->close();
}

}  // namespace berth::runtime_runc
