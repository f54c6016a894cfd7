#include "cmd_import_export.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "berth/services/transfer/v1/transfer.grpc.pb.h"
#include "berth/unique_fd.hpp"
#include "files/fd_io.hpp"
#include "labels.hpp"
#include "output.hpp"
#include "transfer_progress.hpp"

namespace berth::cli {
namespace {

namespace transfer = berth::services::transfer::v1;

// The size of each chunk of the archive sent to the daemon.
constexpr std::size_t kChunk = 1u << 20;

int local_failure(std::string_view what, std::string_view message) {
  fmt::print(stderr, "berth: {}: {}\n", what, message);
  return kExitFailure;
}

// An archive being written to FILE: bytes go to a temporary file beside it,
// renamed over FILE once whole and durable, so no reader ever sees half an
// archive; removed if the export fails.
class ArchiveFile {
 public:
  ~ArchiveFile() {
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }
  Status open(const std::filesystem::path& path) {
    path_ = path;
    std::random_device rd;
    temp_ = path.string() + ".berth-" + std::to_string(rd());
    auto fd = files::open_file(temp_, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (!fd.ok()) {
      temp_.clear();
      return fd.status();
    }
    fd_ = std::move(*fd);
    return {};
  }
  Status write(std::string_view data) { return files::write_all(fd_.get(), data, temp_); }
  Status commit() {
    if (::fsync(fd_.get()) != 0) return internal("fsync " + temp_.string() + ": " + std::strerror(errno));
    fd_.reset();
    if (::rename(temp_.c_str(), path_.c_str()) != 0)
      return internal("rename " + temp_.string() + " to " + path_.string() + ": " + std::strerror(errno));
    temp_.clear();
    return {};
  }

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_;
  UniqueFd fd_;
};

nlohmann::ordered_json image_json(const containerd::services::images::v1::Image& image) {
  return {{"name", image.name()},
          {"target",
           {{"media_type", image.target().media_type()},
            {"digest", image.target().digest()},
            {"size", image.target().size()}}}};
}

}  // namespace

std::vector<OptionSpec> import_options() {
  return {
      {'\0', "base-name", "NAME", "name images the archive tags with only a tag (\"1.0\") NAME:1.0"},
      {'\0', "only-base-name", "", "import only the images named under --base-name"},
      {'\0', "platform", "PLATFORM", "keep and unpack PLATFORM (linux/arm64); may be repeated"},
      {'\0', "all-platforms", "", "keep every platform of an index (unpack this host's)"},
      {'\0', "snapshotter", "NAME", "unpack into snapshotter NAME (default: the daemon's, overlayfs)"},
      {'\0', "no-unpack", "", "import the content only"},
      {'\0', "label", "KEY=VALUE", "a label for the image records; may be repeated"},
      {'q', "quiet", "", "show no progress"},
  };
}

int run_import(Invocation& inv) {
  if (inv.positionals().size() != 1) return inv.usage_error("import takes one FILE (or - for stdin)");
  const auto& args = inv.args();
  const std::string& file = inv.positionals()[0];
  if (args.has("only-base-name") && !args.has("base-name"))
    return inv.usage_error("--only-base-name needs --base-name");
  transfer::ImportRequest first;
  auto* options = first.mutable_options();
  options->set_base_name(args.value("base-name").value_or(""));
  options->set_only_base_name(args.has("only-base-name"));
  for (const std::string& p : args.values("platform")) options->add_platforms(p);
  options->set_all_platforms(args.has("all-platforms"));
  options->set_snapshotter(args.value("snapshotter").value_or(""));
  options->set_skip_unpack(args.has("no-unpack"));
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(args.values("label"), labels, error)) return inv.usage_error(error);
  options->mutable_labels()->insert(labels.begin(), labels.end());

  const std::string what = "import " + (file == "-" ? std::string("stdin") : file);
  UniqueFd opened;
  int fd = STDIN_FILENO;
  if (file != "-") {
    auto f = files::open_file(file, O_RDONLY | O_CLOEXEC);
    if (!f.ok()) return local_failure(what, f.status().message());
    opened = std::move(*f);
    fd = opened.get();
  } else if (::isatty(STDIN_FILENO)) {
    return inv.usage_error("stdin is a terminal; pipe an archive in or name a FILE");
  }

  if (auto st = inv.client().connect(); !st.ok()) return inv.fail(what, st);
  grpc::ClientContext context;
  inv.client().prepare(context);
  transfer::Transfer::Stub stub(inv.client().channel());
  auto stream = stub.Import(&context);

  // Progress is read on a thread of its own while this one sends the
  // archive, so a daemon that reports faster than it reads never waits on us.
  TransferProgressView progress(stderr, !inv.json() && ::isatty(STDERR_FILENO));
  const bool quiet = args.has("quiet");
  std::vector<containerd::services::images::v1::Image> images;
  std::thread reader([&] {
    transfer::ImportProgress message;
    while (stream->Read(&message)) {
      if (!quiet) {
        for (const auto& b : message.blobs())
          progress.update(b.kind(), b.digest(), b.state(), b.offset(), b.total());
      }
      for (const auto& image : message.images()) images.push_back(image);
    }
  });

  Status local;
  if (stream->Write(first)) {
    std::string buf(kChunk, '\0');
    for (;;) {
      auto got = files::read_full(fd, buf.data(), buf.size(), file == "-" ? "stdin" : file);
      if (!got.ok()) {
        local = got.status();
        context.TryCancel();
        break;
      }
      if (*got == 0) break;
      transfer::ImportRequest chunk;
      chunk.set_data(buf.data(), *got);
      // False: the daemon ended the call (its status says why).
      if (!stream->Write(chunk)) break;
    }
  }
  stream->WritesDone();
  reader.join();
  if (!quiet) progress.finish();
  const grpc::Status status = stream->Finish();
  if (!local.ok()) return local_failure(what, local.message());
  if (!status.ok()) return inv.fail(what, status);
  if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& image : images) doc.push_back(image_json(image));
    print_json(doc);
  } else {
    for (const auto& image : images) fmt::print("{}\n", image.name());
  }
  return kExitOk;
}

std::vector<OptionSpec> export_options() {
  return {
      {'\0', "platform", "PLATFORM", "write PLATFORM's manifests of an index (linux/arm64); may be repeated"},
      {'\0', "all-platforms", "", "write every manifest of an index"},
      {'\0', "skip-manifest-json", "", "leave out Docker's manifest.json"},
  };
}

int run_export(Invocation& inv) {
  if (inv.positionals().size() < 2)
    return inv.usage_error("export takes FILE (or - for stdout) and image names");
  const auto& args = inv.args();
  const std::string& file = inv.positionals()[0];
  transfer::ExportRequest request;
  for (std::size_t i = 1; i < inv.positionals().size(); ++i) request.add_images(inv.positionals()[i]);
  for (const std::string& p : args.values("platform")) request.add_platforms(p);
  request.set_all_platforms(args.has("all-platforms"));
  request.set_skip_manifest_json(args.has("skip-manifest-json"));

  const std::string what = "export " + (file == "-" ? std::string("to stdout") : file);
  if (file == "-" && ::isatty(STDOUT_FILENO))
    return inv.usage_error("stdout is a terminal; redirect it or name a FILE");
  if (auto st = inv.client().connect(); !st.ok()) return inv.fail(what, st);
  ArchiveFile out;
  if (file != "-") {
    if (auto st = out.open(file); !st.ok()) return local_failure(what, st.message());
  }
  grpc::ClientContext context;
  inv.client().prepare(context);
  transfer::Transfer::Stub stub(inv.client().channel());
  auto reader = stub.Export(&context, request);
  transfer::ExportResponse message;
  while (reader->Read(&message)) {
    Status st =
        file == "-" ? files::write_all(STDOUT_FILENO, message.data(), "stdout") : out.write(message.data());
    if (!st.ok()) {
      context.TryCancel();
      while (reader->Read(&message)) {
      }
      (void)reader->Finish();
      return local_failure(what, st.message());
    }
  }
  if (auto status = reader->Finish(); !status.ok()) return inv.fail(what, status);
  if (file != "-") {
    if (auto st = out.commit(); !st.ok()) return local_failure(what, st.message());
  }
  return kExitOk;
}

}  // namespace berth::cli
