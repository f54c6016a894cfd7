// Content.Write requests parsed in place (write_request.cpp): the same fields
// as protobuf's own parser, `data` left in the slices it arrived in, and a
// clear InvalidArgument, never a crash, for a malformed message.
#include "write_request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::api {
namespace {

namespace content_v1 = containerd::services::content::v1;

// `wire` cut into slices of `piece` bytes, as gRPC may hand a message over.
grpc::ByteBuffer buffer_of(const std::string& wire, std::size_t piece) {
  std::vector<grpc::Slice> slices;
  for (std::size_t at = 0; at < wire.size(); at += piece) slices.emplace_back(wire.substr(at, piece));
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string joined(const WriteRequest& r) {
  std::string all;
  for (std::string_view piece : r.data()) all.append(piece);
  return all;
}

TEST(WriteRequest, ParsesEveryFieldAndLeavesDataInPieces) {
  content_v1::WriteContentRequest pb;
  pb.set_action(content_v1::COMMIT);
  pb.set_ref("ref-1");
  pb.set_total(300'000);
  pb.set_expected("sha256:" + std::string(64, 'a'));
  pb.set_offset(12);
  std::string data(300'000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  pb.set_data(data);
  (*pb.mutable_labels())["k"] = "v";
  const std::string wire = pb.SerializeAsString();
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, wire.size()}) {
    WriteRequest r;
    ASSERT_TRUE(r.parse(buffer_of(wire, piece)).ok()) << piece;
    EXPECT_EQ(r.fields().action(), content_v1::COMMIT);
    EXPECT_EQ(r.fields().ref(), "ref-1");
    EXPECT_EQ(r.fields().total(), 300'000);
    EXPECT_EQ(r.fields().expected(), pb.expected());
    EXPECT_EQ(r.fields().offset(), 12);
    EXPECT_TRUE(r.fields().data().empty());
    EXPECT_EQ(r.fields().labels().at("k"), "v");
    EXPECT_EQ(r.data_size(), data.size());
    EXPECT_EQ(joined(r), data);
    if (piece == 4096) {
      EXPECT_GT(r.data().size(), 1U) << "data is not joined into one buffer";
    }
  }
}

TEST(WriteRequest, ReusedForTheNextMessageKeepsNothingOfTheOneBefore) {
  content_v1::WriteContentRequest first;
  first.set_ref("a");
  first.set_data("first");
  content_v1::WriteContentRequest second;
  second.set_action(content_v1::WRITE);
  WriteRequest r;
  ASSERT_TRUE(r.parse(buffer_of(first.SerializeAsString(), 3)).ok());
  ASSERT_TRUE(r.parse(buffer_of(second.SerializeAsString(), 3)).ok());
  EXPECT_EQ(r.fields().ref(), "");
  EXPECT_EQ(r.fields().action(), content_v1::WRITE);
  EXPECT_EQ(r.data_size(), 0U);
  EXPECT_TRUE(r.data().empty());
}

TEST(WriteRequest, TheLastDataFieldWinsAsInProtobuf) {
  content_v1::WriteContentRequest a;
  a.set_data("old");
  content_v1::WriteContentRequest b;
  b.set_data("newer");
  WriteRequest r;
  ASSERT_TRUE(r.parse(buffer_of(a.SerializeAsString() + b.SerializeAsString(), 2)).ok());
  EXPECT_EQ(joined(r), "newer");
  EXPECT_EQ(r.data_size(), 5U);
}

TEST(WriteRequest, MalformedMessagesAreInvalidArgument) {
  content_v1::WriteContentRequest pb;
  pb.set_ref("r");
  pb.set_data(std::string(1000, 'x'));
  const std::string wire = pb.SerializeAsString();
  const std::vector<std::string> bad = {
      wire.substr(0, wire.size() - 1),                                  // data cut short
      std::string("\x32\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11),  // data length too long for a varint
      std::string("\x32\x80", 2),                                       // data length cut short
      std::string("\x12\x05"
                  "ab",
                  4),                      // ref longer than the message
      std::string("\x08", 1),              // a varint field without its value
      std::string("\x0b", 1),              // wire type 3 (a group)
      std::string("\x00\x01", 2),          // field number 0
      std::string("\x12\x02\xff\xfe", 4),  // ref that is not UTF-8
      std::string("\x29\x01\x02", 3),      // fixed64 cut short
  };
  for (const std::string& wire_bad : bad) {
    WriteRequest r;
    const Status st = r.parse(buffer_of(wire_bad, 1));
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << testing::PrintToString(wire_bad);
  }
}

TEST(WriteRequest, AnEmptyMessageIsAllDefaults) {
  WriteRequest r;
  ASSERT_TRUE(r.parse(grpc::ByteBuffer(nullptr, 0)).ok());
  EXPECT_EQ(r.fields().ref(), "");
  EXPECT_EQ(r.data_size(), 0U);
}

}  // namespace
}  // namespace berth::api
