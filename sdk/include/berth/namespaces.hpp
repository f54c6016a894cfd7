// Namespaces, kept in the metadata database.
//
// Offered by the io.containerd.service.v1 plugin "namespaces-service"
// (berth/services.hpp). Every call runs inside a transaction of the metadata
// database (berth/metadata.hpp) that the caller opens, so a caller may
// combine it with other records in one commit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth {

struct Namespace {
  std::string name;
  Labels labels;
};

class NamespaceStore {
 public:
  virtual ~NamespaceStore();
  // AlreadyExists if present; InvalidArgument for a bad name or label.
  virtual Status create(Transaction& tx, const Namespace& ns) = 0;
  virtual Result<Namespace> get(Transaction& tx, std::string_view name) = 0;
  virtual Result<std::vector<Namespace>> list(Transaction& tx) = 0;
  // Sets labels; an empty value removes the label.
  virtual Status set_labels(Transaction& tx, std::string_view name, const Labels& labels) = 0;
  // Replaces all labels.
  virtual Status replace_labels(Transaction& tx, std::string_view name, const Labels& labels) = 0;
  // FailedPrecondition when the namespace still holds objects; NotFound if absent.
  virtual Status remove(Transaction& tx, std::string_view name) = 0;
};

}  // namespace berth
