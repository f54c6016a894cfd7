// berth-apply-layer: applies a layer blob file into a directory with the
// walking differ's engine (bench/apply.sh times it against tar).
//
//   berth-apply-layer [--overlay] [--media-type TYPE] [--diff-id DIGEST] BLOB DIR
//
// Without --media-type the blob's compression is sniffed from its magic.
#include <cstdio>
#include <string>
#include <string_view>

#include "apply.hpp"
#include "berth/diff.hpp"
#include "byte_source.hpp"

int main(int argc, char** argv) {
  berth::diff::ApplyOptions options;
  std::string media_type = std::string(berth::kMediaTypeLayerTar);
  std::string blob;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--overlay") {
      options.whiteouts = berth::diff::WhiteoutMode::kOverlay;
    } else if (arg == "--media-type" && i + 1 < argc) {
      media_type = argv[++i];
    } else if (arg == "--diff-id" && i + 1 < argc) {
      options.expected_diff_id = argv[++i];
    } else if (blob.empty()) {
      blob = arg;
    } else if (dir.empty()) {
      dir = arg;
    } else {
      blob.clear();
      break;
    }
  }
  if (blob.empty() || dir.empty()) {
    std::fprintf(stderr, "usage: %s [--overlay] [--media-type TYPE] [--diff-id DIGEST] BLOB DIR\n", argv[0]);
    return 2;
  }
  auto source = berth::diff::FdSource::open(blob);
  if (!source.ok()) {
    std::fprintf(stderr, "%s\n", source.status().to_string().c_str());
    return 1;
  }
  auto result = berth::diff::apply_layer(*source, std::string_view(media_type), dir, options);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().to_string().c_str());
    return 1;
  }
  std::printf("%s %lld\n", result->diff_id.c_str(), static_cast<long long>(result->size));
  return 0;
}
