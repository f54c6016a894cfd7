// berth pull against a registry that lies or overwhelms, one way per test
// (tests/support/fake_http_server.hpp answers every request): a manifest
// over 4 MiB, a manifest whose digest is not the one asked for, a config
// over 20 MiB (by its descriptor, and sent to a descriptor that said less),
// a layer cut short, one running long, one of the right length but other
// bytes. Each is a clear error, and the
// pull leaves nothing in content, snapshots, images or leases.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ctr_fixture.hpp"
#include "digest.hpp"
#include "fake_http_server.hpp"

namespace berth::test {
namespace {

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kLayerType = "application/vnd.oci.image.layer.v1.tar";

struct Blob {
  std::string media_type;
  std::string bytes;
  [[nodiscard]] std::string digest() const { return sha256_of(bytes); }
};

std::string descriptor(const std::string& media_type, const std::string& digest, std::size_t size) {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + digest + R"(","size":)" +
         std::to_string(size) + "}";
}

std::string manifest(const std::string& config_desc, const std::vector<std::string>& layer_descs = {}) {
  std::string layers;
  for (const auto& l : layer_descs) layers += (layers.empty() ? "" : ",") + l;
  return R"({"schemaVersion":2,"mediaType":")" + std::string(kManifestType) + R"(","config":)" + config_desc +
         R"(,"layers":[)" + layers + "]}";
}

std::string config_json(const std::vector<std::string>& diff_ids) {
  std::string ids;
  for (const auto& d : diff_ids) ids += (ids.empty() ? "\"" : ",\"") + d + "\"";
  return R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[)" + ids + "]}}";
}

// A tar holding one file `name` of `size` zero bytes.
std::string one_file_tar(const std::string& name, std::size_t size) {
  std::string header(512, '\0');
  name.copy(header.data(), name.size());
  auto octal = [&](std::size_t at, std::size_t width, std::size_t value) {
    std::string digits(width - 1, '0');
    for (std::size_t i = width - 1; i-- > 0; value >>= 3) digits[i] = static_cast<char>('0' + (value & 7));
    digits.copy(header.data() + at, digits.size());
  };
  octal(100, 8, 0644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  header[156] = '0';
  std::string("ustar\00000").copy(header.data() + 257, 8);
  std::fill(header.begin() + 148, header.begin() + 156, ' ');
  std::size_t sum = 0;
  for (unsigned char c : header) sum += c;
  octal(148, 7, sum);
  std::string tar = header + std::string(size, '\0');
  tar.resize((tar.size() + 511) / 512 * 512 + 1024, '\0');
  return tar;
}

class BerthPullHostileTest : public CtrFixture {
 protected:
  // The registry: "/v2/" answers 200, "/v2/<repo>/manifests/<ref>" and
  // "/v2/<repo>/blobs/<digest>" what `routes` holds for the path, and
  // anything else 404.
  struct Route {
    std::string content_type;
    std::string body;
    std::size_t content_length = std::string::npos;  // npos: body.size()
  };
  void serve(std::map<std::string, Route> routes) {
    routes_ = std::move(routes);
    server_ = std::make_unique<FakeServer>([this](const std::string& request) { return answer(request); });
  }

  std::string answer(const std::string& request) {
    const auto sp1 = request.find(' ');
    const auto sp2 = request.find(' ', sp1 + 1);
    const std::string method = request.substr(0, sp1);
    const std::string path = request.substr(sp1 + 1, sp2 - sp1 - 1);
    {
      std::lock_guard lock(mu_);
      asked_.push_back(path);
    }
    if (path == "/v2/") return FakeServer::answer("200 OK", "", "{}");
    auto it = routes_.find(path);
    if (it == routes_.end())
      return FakeServer::answer("404 Not Found", "Content-Type: application/json\r\n",
                                R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]})");
    const Route& r = it->second;
    const std::size_t length = r.content_length == std::string::npos ? r.body.size() : r.content_length;
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + r.content_type +
                       "\r\nContent-Length: " + std::to_string(length) + "\r\nConnection: close\r\n\r\n";
    return method == "HEAD" ? head : head + r.body;
  }

  CommandResult pull(const std::string& repo_ref) const {
    return berth({"pull", "--plain-http", server_->host() + "/" + repo_ref});
  }

  void expect_refused(const CommandResult& r, const std::string& message) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
    EXPECT_EQ(ok({"images", "ls", "-q"}), "");
    EXPECT_EQ(ok({"leases", "ls", "-q"}), "");
    EXPECT_EQ(ok({"content", "ls", "-q"}), "");
    EXPECT_EQ(ok({"snapshots", "ls"}).find("sha256:"), std::string::npos);
  }

  // The paths requested so far.
  std::vector<std::string> asked() {
    std::lock_guard lock(mu_);
    return asked_;
  }

  std::map<std::string, Route> routes_;
  std::mutex mu_;
  std::vector<std::string> asked_;
  std::unique_ptr<FakeServer> server_;
};

TEST_F(BerthPullHostileTest, AManifestOver4MiBIsRefused) {
  const Blob config{kConfigType, config_json({})};
  std::string huge = manifest(descriptor(kConfigType, config.digest(), config.bytes.size()));
  huge.insert(1, R"("padding":")" + std::string(5 << 20, 'x') + R"(",)");
  serve({{"/v2/bad/huge/manifests/1", {kManifestType, huge}}});
  expect_refused(pull("bad/huge:1"), "larger than the 4 MiB a manifest may have");
}

TEST_F(BerthPullHostileTest, AManifestWhoseDigestLiesIsRefused) {
  const Blob config{kConfigType, config_json({})};
  const std::string body = manifest(descriptor(kConfigType, config.digest(), config.bytes.size()));
  const std::string asked = "sha256:" + std::string(64, 'a');
  serve({{"/v2/bad/lie/manifests/" + asked, {kManifestType, body}}});
  expect_refused(pull("bad/lie@" + asked), "not the one asked for");
}

TEST_F(BerthPullHostileTest, AConfigOver20MiBIsRefusedUnread) {
  const Blob config{kConfigType, config_json({})};
  const std::string body = manifest(descriptor(kConfigType, config.digest(), 30u << 20));
  serve({{"/v2/bad/config/manifests/1", {kManifestType, body}},
         {"/v2/bad/config/blobs/" + config.digest(), {kConfigType, std::string(30u << 20, ' ')}}});
  expect_refused(pull("bad/config:1"), "is 31457280 bytes, more than the 20 MiB allowed");
  for (const auto& path : asked()) EXPECT_EQ(path.find("/blobs/"), std::string::npos) << "fetched " << path;
}

TEST_F(BerthPullHostileTest, AConfigLongerThanItsDescriptorIsRefused) {
  const Blob config{kConfigType, config_json({})};
  const std::string body = manifest(descriptor(kConfigType, config.digest(), config.bytes.size()));
  std::string thirty_mib = config.bytes + std::string((30u << 20) - config.bytes.size(), ' ');
  serve({{"/v2/bad/long/manifests/1", {kManifestType, body}},
         {"/v2/bad/long/blobs/" + config.digest(), {kConfigType, thirty_mib}}});
  expect_refused(pull("bad/long:1"), "DataLoss");
}

TEST_F(BerthPullHostileTest, ALayerCutShortOrRunningLongIsRefused) {
  const Blob layer{kLayerType, one_file_tar("f", 1 << 20)};
  const Blob config{kConfigType, config_json({layer.digest()})};
  const std::string body = manifest(descriptor(kConfigType, config.digest(), config.bytes.size()),
                                    {descriptor(kLayerType, layer.digest(), layer.bytes.size())});
  // Short: the registry says and sends half the layer.
  serve(
      {{"/v2/bad/short/manifests/1", {kManifestType, body}},
       {"/v2/bad/short/blobs/" + config.digest(), {kConfigType, config.bytes}},
       {"/v2/bad/short/blobs/" + layer.digest(), {kLayerType, layer.bytes.substr(0, layer.bytes.size() / 2)}},
       // Long: the whole layer and then some.
       {"/v2/bad/long/manifests/1", {kManifestType, body}},
       {"/v2/bad/long/blobs/" + config.digest(), {kConfigType, config.bytes}},
       {"/v2/bad/long/blobs/" + layer.digest(), {kLayerType, layer.bytes + std::string(4096, '\0')}}});
  expect_refused(pull("bad/short:1"), "DataLoss");
  expect_refused(pull("bad/long:1"), "DataLoss");
}

TEST_F(BerthPullHostileTest, ALayerOfTheRightLengthButOtherBytesIsRefused) {
  const Blob layer{kLayerType, one_file_tar("f", 1 << 20)};
  const Blob config{kConfigType, config_json({layer.digest()})};
  const std::string body = manifest(descriptor(kConfigType, config.digest(), config.bytes.size()),
                                    {descriptor(kLayerType, layer.digest(), layer.bytes.size())});
  serve({{"/v2/bad/other/manifests/1", {kManifestType, body}},
         {"/v2/bad/other/blobs/" + config.digest(), {kConfigType, config.bytes}},
         {"/v2/bad/other/blobs/" + layer.digest(), {kLayerType, one_file_tar("g", 1 << 20)}}});
  auto pulled = pull("bad/other:1");
  expect_refused(pulled, "DataLoss");
  EXPECT_NE(pulled.output.find("unexpected digest"), std::string::npos) << pulled.output;
  // Nothing kept to resume from: the ingest of the wrong bytes is gone too.
  EXPECT_EQ(ok({"content", "active"}).find("layer"), std::string::npos) << ok({"content", "active"});
}

}  // namespace
}  // namespace berth::test
