// containerd.services.tasks.v1.Tasks over the task runtime (berth/tasks.hpp),
// as containerd 1.6's services/tasks: every call about one task first reads
// its container record (NotFound `container "x" in namespace "ns": not found`,
// which ctr relies on), then asks the runtime. Task events are the runtime's
// to publish (the shim sends them), as in containerd.
#pragma once

#include <grpcpp/server_builder.h>

#include <atomic>
#include <memory>

#include "berth/containers.hpp"
#include "berth/grpc_service.hpp"
#include "berth/instance.hpp"
#include "berth/metadata.hpp"
#include "berth/tasks.hpp"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"

namespace berth::api {

namespace tasks_v1 = containerd::services::tasks::v1;

class TasksService final : public Instance, public GrpcService, public tasks_v1::Tasks::Service {
 public:
  TasksService(std::shared_ptr<Metadata> metadata, std::shared_ptr<ContainerStore> containers,
               std::shared_ptr<TaskRuntime> runtime)
      : md_(std::move(metadata)), containers_(std::move(containers)), runtime_(std::move(runtime)) {}

  void register_services(grpc::ServerBuilder& builder) override { builder.RegisterService(this); }
  // Ends every Wait in flight with UNAVAILABLE (the task keeps running).
  void stopping() override { stopping_ = true; }

  grpc::Status Create(grpc::ServerContext* ctx, const tasks_v1::CreateTaskRequest* req,
                      tasks_v1::CreateTaskResponse* out) override;
  grpc::Status Start(grpc::ServerContext* ctx, const tasks_v1::StartRequest* req,
                     tasks_v1::StartResponse* out) override;
  grpc::Status Delete(grpc::ServerContext* ctx, const tasks_v1::DeleteTaskRequest* req,
                      tasks_v1::DeleteResponse* out) override;
  grpc::Status DeleteProcess(grpc::ServerContext* ctx, const tasks_v1::DeleteProcessRequest* req,
                             tasks_v1::DeleteResponse* out) override;
  grpc::Status Get(grpc::ServerContext* ctx, const tasks_v1::GetRequest* req,
                   tasks_v1::GetResponse* out) override;
  grpc::Status List(grpc::ServerContext* ctx, const tasks_v1::ListTasksRequest* req,
                    tasks_v1::ListTasksResponse* out) override;
  grpc::Status Kill(grpc::ServerContext* ctx, const tasks_v1::KillRequest* req,
                    google::protobuf::Empty* out) override;
  grpc::Status Exec(grpc::ServerContext* ctx, const tasks_v1::ExecProcessRequest* req,
                    google::protobuf::Empty* out) override;
  grpc::Status ResizePty(grpc::ServerContext* ctx, const tasks_v1::ResizePtyRequest* req,
                         google::protobuf::Empty* out) override;
  grpc::Status CloseIO(grpc::ServerContext* ctx, const tasks_v1::CloseIORequest* req,
                       google::protobuf::Empty* out) override;
  grpc::Status Pause(grpc::ServerContext* ctx, const tasks_v1::PauseTaskRequest* req,
                     google::protobuf::Empty* out) override;
  grpc::Status Resume(grpc::ServerContext* ctx, const tasks_v1::ResumeTaskRequest* req,
                      google::protobuf::Empty* out) override;
  grpc::Status ListPids(grpc::ServerContext* ctx, const tasks_v1::ListPidsRequest* req,
                        tasks_v1::ListPidsResponse* out) override;
  // UNIMPLEMENTED: Berth does not checkpoint tasks.
  grpc::Status Checkpoint(grpc::ServerContext* ctx, const tasks_v1::CheckpointTaskRequest* req,
                          tasks_v1::CheckpointTaskResponse* out) override;
  grpc::Status Update(grpc::ServerContext* ctx, const tasks_v1::UpdateTaskRequest* req,
                      google::protobuf::Empty* out) override;
  grpc::Status Metrics(grpc::ServerContext* ctx, const tasks_v1::MetricsRequest* req,
                       tasks_v1::MetricsResponse* out) override;
  // Blocks until the process exits, the client goes away (CANCELLED) or
  // berthd stops (UNAVAILABLE).
  grpc::Status Wait(grpc::ServerContext* ctx, const tasks_v1::WaitRequest* req,
                    tasks_v1::WaitResponse* out) override;

 private:
  // The request's namespace and the container record `id` in it.
  struct Target {
    std::string ns;
    Container container;
  };
  Result<Target> target(const grpc::ServerContext& ctx, const std::string& id);

  std::shared_ptr<Metadata> md_;
  std::shared_ptr<ContainerStore> containers_;
  std::shared_ptr<TaskRuntime> runtime_;
  std::atomic<bool> stopping_{false};
};

}  // namespace berth::api
