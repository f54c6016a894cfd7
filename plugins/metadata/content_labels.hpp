// The labels of a namespace's content record: how an Update's field mask
// changes them, and how they are stored (keys.hpp: never an empty value).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/metadata.hpp"
#include "berth/status.hpp"
#include "berth/validate.hpp"

namespace berth::metadata {

// An Update's field mask over content labels, as containerd reads it: no
// paths, or "labels", replaces them all; "labels.<key>" sets or (given no or
// an empty value) removes that one label.
class ContentLabelMask {
 public:
  // InvalidArgument for any other path, naming the content's digest. Parsed
  // before anything is read, so a bad mask changes nothing.
  static Result<ContentLabelMask> parse(const std::vector<std::string>& paths, std::string_view digest);

  // `current` changed by the mask with the values in `given`. Not validated.
  [[nodiscard]] Labels apply(const Labels& current, const Labels& given) const;

 private:
  bool replace_all_ = false;
  std::vector<std::string> keys_;
};

// Replaces the labels of the namespace's record of `digest`; empty values
// are dropped, as containerd drops them.
Status put_blob_labels(Transaction& tx, std::string_view ns, std::string_view digest, const Labels& labels);

}  // namespace berth::metadata
