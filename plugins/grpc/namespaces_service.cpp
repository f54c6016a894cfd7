#include "namespaces_service.hpp"

#include "berth/filters.hpp"
#include "grpc_status.hpp"

namespace berth::api {
namespace {

void to_pb(const Namespace& ns, namespaces_v1::Namespace* pb) {
  pb->set_name(ns.name);
  for (const auto& [k, v] : ns.labels) (*pb->mutable_labels())[k] = v;
}

Labels labels_of(const namespaces_v1::Namespace& pb) { return {pb.labels().begin(), pb.labels().end()}; }

std::optional<std::string> namespace_field(const Namespace& ns, const std::vector<std::string>& path) {
  if (path.empty()) return std::nullopt;
  if (path[0] == "name") return ns.name;
  if (path[0] == "labels" && path.size() >= 2) {
    auto it = ns.labels.find(path[1]);
    if (it != ns.labels.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace

grpc::Status NamespacesService::Get(grpc::ServerContext*, const namespaces_v1::GetNamespaceRequest* req,
                                    namespaces_v1::GetNamespaceResponse* out) {
  Status s = md_->view([&](Transaction& tx) -> Status {
    auto ns = store_->get(tx, req->name());
    if (!ns.ok()) return ns.status();
    to_pb(*ns, out->mutable_namespace_());
    return {};
  });
  return to_grpc(s);
}

grpc::Status NamespacesService::List(grpc::ServerContext*, const namespaces_v1::ListNamespacesRequest* req,
                                     namespaces_v1::ListNamespacesResponse* out) {
  std::vector<std::string> filters;
  if (!req->filter().empty()) filters.push_back(req->filter());
  auto filter = Filter::parse(filters);
  if (!filter.ok()) return to_grpc(filter.status());
  Status s = md_->view([&](Transaction& tx) -> Status {
    auto all = store_->list(tx);
    if (!all.ok()) return all.status();
    for (const auto& ns : *all) {
      if (filter->match([&](const std::vector<std::string>& p) { return namespace_field(ns, p); })) {
        to_pb(ns, out->add_namespaces());
      }
    }
    return {};
  });
  return to_grpc(s);
}

grpc::Status NamespacesService::Create(grpc::ServerContext*, const namespaces_v1::CreateNamespaceRequest* req,
                                       namespaces_v1::CreateNamespaceResponse* out) {
  Namespace ns{req->namespace_().name(), labels_of(req->namespace_())};
  Status s = md_->update([&](Transaction& tx) { return store_->create(tx, ns); });
  if (s.ok()) to_pb(ns, out->mutable_namespace_());
  return to_grpc(s);
}

// As containerd: with no mask the labels are replaced; "labels" replaces them
// too; "labels.<key>" sets (or, when absent from the request, removes) one.
grpc::Status NamespacesService::Update(grpc::ServerContext*, const namespaces_v1::UpdateNamespaceRequest* req,
                                       namespaces_v1::UpdateNamespaceResponse* out) {
  const auto& pb = req->namespace_();
  const Labels given = labels_of(pb);
  Status s = md_->update([&](Transaction& tx) -> Status {
    NamespaceStore& store = *store_;
    // containerd creates the namespace when it is labelled before it exists
    // (`ctr namespaces label new k=v`); do the same.
    if (auto existing = store.get(tx, pb.name()); existing.status().code() == Code::kNotFound) {
      BERTH_RETURN_IF_ERROR(store.create(tx, Namespace{pb.name(), {}}));
    }
    if (req->has_update_mask() && req->update_mask().paths_size() > 0) {
      Labels changes;
      for (const auto& path : req->update_mask().paths()) {
        if (path == "labels") {
          BERTH_RETURN_IF_ERROR(store.replace_labels(tx, pb.name(), given));
        } else if (path.starts_with("labels.")) {
          const std::string key = path.substr(7);
          auto it = given.find(key);
          changes[key] = it == given.end() ? "" : it->second;
        } else {
          return invalid_argument("cannot update \"" + path + "\" field on namespace \"" + pb.name() + "\"");
        }
      }
      if (!changes.empty()) BERTH_RETURN_IF_ERROR(store.set_labels(tx, pb.name(), changes));
    } else {
      BERTH_RETURN_IF_ERROR(store.replace_labels(tx, pb.name(), given));
    }
    auto updated = store.get(tx, pb.name());
    if (!updated.ok()) return updated.status();
    to_pb(*updated, out->mutable_namespace_());
    return {};
  });
  return to_grpc(s);
}

grpc::Status NamespacesService::Delete(grpc::ServerContext*, const namespaces_v1::DeleteNamespaceRequest* req,
                                       google::protobuf::Empty*) {
  return to_grpc(md_->update([&](Transaction& tx) { return store_->remove(tx, req->name()); }));
}

}  // namespace berth::api
