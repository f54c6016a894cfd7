#include "version_service.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif
#ifndef BERTH_REVISION
#define BERTH_REVISION "unknown"
#endif

namespace berth::api {

grpc::Status VersionService::Version(grpc::ServerContext*, const google::protobuf::Empty*,
                                     containerd::services::version::v1::VersionResponse* out) {
  // ctr prints these verbatim; containerd's versions carry a leading "v".
  out->set_version("v" BERTH_VERSION);
  out->set_revision(BERTH_REVISION);
  return grpc::Status::OK;
}

}  // namespace berth::api
