// berth content: list, read, ingest, label and remove blobs in the content
// store, as `ctr content` does.
#include <fmt/format.h>
#include <google/protobuf/empty.pb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "command_table.hpp"
#include "files/fd_io.hpp"
#include "github.com/containerd/containerd/api/services/content/v1/content.grpc.pb.h"
#include "ingest_source.hpp"
#include "labels.hpp"
#include "output.hpp"
#include "write_stream.hpp"

namespace berth::cli {
namespace {

namespace content = containerd::services::content::v1;
using Stub = content::Content::Stub;

// An ingest sends its data in messages of kChunkBytes (ctr sends 1 MiB; the
// daemon takes up to 16 MiB, containerd's default) and keeps up to
// kWritesInFlight of them unanswered, as the Write protocol allows: the
// daemon stores one while the next is on its way, instead of each message
// waiting a round trip for the one before.
constexpr size_t kChunkBytes = 4 << 20;
constexpr size_t kWritesInFlight = 4;

int run_list(Invocation& inv) {
  if (auto status = inv.client().connect(); !status.ok()) return inv.fail("list content", status);
  content::ListContentRequest request;
  for (const std::string& filter : inv.positionals()) request.add_filters(filter);
  grpc::ClientContext context;
  inv.client().prepare(context);
  Stub stub(inv.client().channel());
  auto reader = stub.List(&context, request);
  std::vector<content::Info> infos;
  content::ListContentResponse response;
  while (reader->Read(&response)) {
    for (auto& info : *response.mutable_info()) infos.push_back(std::move(info));
  }
  if (auto status = reader->Finish(); !status.ok()) return inv.fail("list content", status);
  std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.digest() < b.digest(); });

  const auto now = std::chrono::system_clock::now();
  if (inv.args().has("quiet")) {
    for (const auto& info : infos) fmt::print("{}\n", info.digest());
  } else if (inv.json()) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::array();
    for (const auto& info : infos) {
      doc.push_back({{"digest", info.digest()},
                     {"size", info.size()},
                     {"created_at", rfc3339(info.created_at())},
                     {"updated_at", rfc3339(info.updated_at())},
                     {"labels", label_map(info.labels())}});
    }
    print_json(doc);
  } else {
    Table table({"DIGEST", "SIZE", "AGE", "LABELS"});
    for (const auto& info : infos) {
      table.add_row({info.digest(), std::to_string(info.size()),
                     human_duration(now - to_time_point(info.created_at())), join_label_map(info.labels())});
    }
    table.print();
  }
  std::fflush(stdout);
  return kExitOk;
}

int run_get(Invocation& inv) {
  const std::string& digest = inv.positionals().front();
  const std::string what = fmt::format("get content {}", digest);
  // Info first, so a missing blob fails before anything reaches stdout.
  content::InfoRequest info_request;
  info_request.set_digest(digest);
  content::InfoResponse info;
  if (auto status = inv.client().call(&Stub::Info, info_request, &info); !status.ok())
    return inv.fail(what, status);

  content::ReadContentRequest request;
  request.set_digest(digest);
  grpc::ClientContext context;
  inv.client().prepare(context);
  Stub stub(inv.client().channel());
  auto reader = stub.Read(&context, request);
  content::ReadContentResponse response;
  int64_t written = 0;
  while (reader->Read(&response)) {
    if (auto st = berth::files::write_all(STDOUT_FILENO, response.data(), "stdout"); !st.ok()) {
      fmt::print(stderr, "berth: {}: {}\n", what, st.message());
      context.TryCancel();
      reader->Finish();
      return kExitFailure;
    }
    written += static_cast<int64_t>(response.data().size());
  }
  if (auto status = reader->Finish(); !status.ok()) return inv.fail(what, status);
  if (written != info.info().size()) {
    fmt::print(stderr, "berth: {}: read {} bytes, expected {}\n", what, written, info.info().size());
    return kExitFailure;
  }
  return kExitOk;
}

bool parse_size(const std::string& text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

int run_ingest(Invocation& inv) {
  const std::string& ref = inv.positionals().front();
  const std::string what = fmt::format("ingest {}", ref);
  std::string expected = inv.args().value("expected-digest").value_or("");
  int64_t expected_size = 0;
  if (auto size = inv.args().value("expected-size")) {
    if (!parse_size(*size, expected_size)) {
      return inv.usage_error(fmt::format("--expected-size {:?} is not a non-negative number", *size));
    }
  }
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(inv.args().values("label"), labels, error)) return inv.usage_error(error);

  // Before the stream: its messages may point into the source's mapping.
  auto source = IngestSource::open(STDIN_FILENO);
  if (!source.ok()) return inv.fail(what, to_grpc(source.status()));
  if (auto status = inv.client().connect(); !status.ok()) return inv.fail(what, status);
  grpc::ClientContext context;
  inv.client().prepare(context);
  auto stream = open_write_stream(*inv.client().channel(), context);
  content::WriteContentResponse response;

  // Closes the stream and reports its status (or `fallback` when it is OK).
  // gRPC's Finish waits for every incoming message to be read: drain first.
  auto finish = [&] {
    stream->WritesDone();
    content::WriteContentResponse rest;
    while (stream->Read(&rest)) {
    }
    return stream->Finish();
  };
  auto fail = [&](const grpc::Status& fallback) {
    grpc::Status status = finish();
    return inv.fail(what, status.ok() ? fallback : status);
  };
  auto broken = grpc::Status(grpc::StatusCode::UNKNOWN, "the write stream ended early");

  content::WriteContentRequest stat;
  stat.set_action(content::STAT);
  stat.set_ref(ref);
  stat.set_total(expected_size);
  stat.set_expected(expected);
  if (!stream->Write(write_request(stat, {})) || !stream->Read(&response)) {
    grpc::Status status = finish();
    // The blob is already there: nothing to write, as ctr does.
    if (status.error_code() == grpc::StatusCode::ALREADY_EXISTS && !expected.empty()) {
      fmt::print("{}\n", expected);
      return kExitOk;
    }
    return inv.fail(what, status.ok() ? broken : status);
  }

  // An interrupted ingest of the same ref resumes where it stopped: skip
  // what the daemon already has.
  int64_t offset = response.offset();
  if (auto skipped = (*source)->skip(offset); !skipped.ok()) {
    return fail(to_grpc(skipped.with_context(fmt::format("ref {}", ref))));
  }
  content::WriteContentRequest write;
  write.set_action(content::WRITE);
  write.set_ref(ref);
  // The offsets the daemon must answer the writes in flight with, oldest first.
  std::deque<int64_t> in_flight;
  auto answered = [&]() -> std::optional<grpc::Status> {
    if (!stream->Read(&response)) return broken;
    if (response.offset() != in_flight.front()) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS,
                          fmt::format("the daemon took the data up to offset {}, not {}", response.offset(),
                                      in_flight.front()));
    }
    in_flight.pop_front();
    return std::nullopt;
  };
  for (bool more = true; more;) {
    auto chunk = (*source)->next(kChunkBytes);
    if (!chunk.ok()) return fail(to_grpc(chunk.status()));
    if (chunk->size() == 0) break;
    more = chunk->size() == kChunkBytes;
    write.set_offset(offset);
    if (!stream->Write(write_request(write, *chunk))) return fail(broken);
    offset += static_cast<int64_t>(chunk->size());
    in_flight.push_back(offset);
    if (in_flight.size() >= kWritesInFlight) {
      if (auto error = answered()) return fail(*error);
    }
  }
  while (!in_flight.empty()) {
    if (auto error = answered()) return fail(*error);
  }

  // The digest of everything sent, as the last answer gave it.
  const std::string sent = expected.empty() ? response.digest() : expected;
  content::WriteContentRequest commit;
  commit.set_action(content::COMMIT);
  commit.set_ref(ref);
  commit.set_offset(offset);
  commit.set_total(expected_size ? expected_size : offset);
  commit.set_expected(expected);
  commit.mutable_labels()->insert(labels.begin(), labels.end());
  std::string digest;
  if (stream->Write(write_request(commit, {})) && stream->Read(&response)) digest = response.digest();
  if (auto status = finish(); !status.ok()) {
    // The store has the blob already: success, as for ctr.
    if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS || sent.empty())
      return inv.fail(what, status);
    digest = sent;
  } else if (digest.empty()) {
    return inv.fail(what, broken);
  }
  if (inv.json()) {
    print_json({{"ref", ref}, {"digest", digest}, {"size", offset}});
  } else {
    fmt::print("{}\n", digest);
  }
  return kExitOk;
}

int run_remove(Invocation& inv) {
  return inv.for_each_positional("remove content", [&](const std::string& digest) {
    content::DeleteContentRequest request;
    request.set_digest(digest);
    google::protobuf::Empty response;
    return inv.client().call(&Stub::Delete, request, &response);
  });
}

int run_label(Invocation& inv) {
  const std::string& digest = inv.positionals().front();
  std::map<std::string, std::string> labels;
  std::string error;
  if (!parse_label_args(std::span(inv.positionals()).subspan(1), labels, error))
    return inv.usage_error(error);
  if (labels.empty()) return kExitOk;  // an empty mask would replace every label

  content::UpdateRequest request;
  request.mutable_info()->set_digest(digest);
  for (const auto& [key, value] : labels) {
    (*request.mutable_info()->mutable_labels())[key] = value;
    request.mutable_update_mask()->add_paths("labels." + key);
  }
  content::UpdateResponse response;
  if (auto status = inv.client().call(&Stub::Update, request, &response); !status.ok()) {
    return inv.fail(fmt::format("label content {}", digest), status);
  }
  if (inv.json()) {
    print_json({{"digest", response.info().digest()}, {"labels", label_map(response.info().labels())}});
  } else {
    fmt::print("{}\n", response.info().digest());
  }
  return kExitOk;
}

}  // namespace

Command content_command() {
  return {
      .name = "content",
      .summary = "manage blobs in the content store",
      .subcommands =
          {
              {
                  .name = "list",
                  .aliases = {"ls"},
                  .summary = "list blobs in the content store",
                  .synopsis = "[FILTER...]",
                  .description =
                      "List blobs matching any of the filters (e.g. labels.\"k\"==v), or all blobs.",
                  .options = {{'q', "quiet", "", "print only the digests"}},
                  .run = run_list,
              },
              {
                  .name = "get",
                  .summary = "write a blob to stdout",
                  .synopsis = "DIGEST",
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_get,
              },
              {
                  .name = "ingest",
                  .summary = "store stdin as a blob and print its digest",
                  .synopsis = "REF",
                  .description =
                      "Write stdin into the content store under the ingest reference REF and commit\n"
                      "it. With --expected-digest/--expected-size the daemon refuses other content.",
                  .options = {{'\0', "expected-digest", "DIGEST", "the digest the content must have"},
                              {'\0', "expected-size", "BYTES", "the size the content must have"},
                              {'\0', "label", "KEY=VALUE", "a label for the blob (repeatable)"}},
                  .min_args = 1,
                  .max_args = 1,
                  .run = run_ingest,
              },
              {
                  .name = "remove",
                  .aliases = {"rm", "delete", "del"},
                  .summary = "remove one or more blobs",
                  .synopsis = "DIGEST...",
                  .description = "Remove blobs. Each failure is reported; the exit status is 1 if any blob\n"
                                 "could not be removed.",
                  .min_args = 1,
                  .run = run_remove,
              },
              {
                  .name = "label",
                  .summary = "set and clear labels of a blob",
                  .synopsis = "DIGEST [KEY=VALUE...]",
                  .description =
                      "Set labels of a blob (a bare KEY means KEY=true); KEY= with an empty value\n"
                      "removes the label. Other labels are left as they are.",
                  .min_args = 1,
                  .run = run_label,
              },
          },
  };
}

}  // namespace berth::cli
