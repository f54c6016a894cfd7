// Image documents: manifests, indexes and configs with their limits, schema 1
// refused, chain IDs, and the manifest an index offers for a platform.
#include "oci/oci.hpp"

#include <gtest/gtest.h>

#include <string>

#include "status_matchers.hpp"

namespace berth::oci {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

Descriptor desc(std::string_view media_type) { return {std::string(media_type), kA, 100, {}}; }

TEST(OciManifest, ReadsConfigAndLayersOfBothFormats) {
  const std::string oci = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                          kB + R"(","size":7},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
                          kC + R"(","size":9,
               "annotations":{"k":"v"}}]})";
  auto m = parse_manifest(oci, desc(kOciManifest));
  ASSERT_OK(m.status());
  EXPECT_EQ(m->config.digest, kB);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 9);
  EXPECT_EQ(m->layers[0].annotations.at("k"), "v");
  // Docker's: the media type may come from the descriptor alone.
  const std::string docker =
      R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" + kB + R"(","size":1},"layers":[]})";
  auto d = parse_manifest(docker, desc(kDockerManifest));
  ASSERT_OK(d.status());
  EXPECT_EQ(d->media_type, kDockerManifest);
  EXPECT_TRUE(d->layers.empty());
}

TEST(OciManifest, BadDocumentsAreRefusedNamingTheProblem) {
  const struct {
    std::string json;
    std::string want;
  } kCases[] = {
      {R"({"schemaVersion":1,"name":"x","fsLayers":[]})", "Docker schema 1"},
      {"not json", "is not JSON"},
      {R"({"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})", "not a manifest's"},
      {R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]})", "has no config"},
      {R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:12","size":1}})",
       "config"},
      {R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":")" + kB +
           R"(","size":-1}})",
       "size -1 is negative"},
      {std::string(kMaxManifestBytes + 1, ' '), "more than the 4 MiB a manifest or index may have"},
  };
  for (const auto& c : kCases) {
    auto m = parse_manifest(c.json, desc(kOciManifest));
    ASSERT_FALSE(m.ok()) << c.json.substr(0, 80);
    EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
    EXPECT_NE(m.status().message().find(c.want), std::string::npos) << m.status().message();
    EXPECT_NE(m.status().message().find(kA), std::string::npos) << "names the document";
  }
}

TEST(OciIndex, ChoosesTheBestManifestForAPlatform) {
  const std::string json =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      kA + R"(","size":1,
     "platform":{"os":"linux","architecture":"arm","variant":"v6"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      kB + R"(","size":1,
     "platform":{"os":"linux","architecture":"arm","variant":"v7"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      kC + R"(","size":1,
     "platform":{"os":"linux","architecture":"amd64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
      kC + R"(","size":1}]})";
  auto index = parse_index(json, desc(kOciIndex));
  ASSERT_OK(index.status());
  ASSERT_EQ(index->manifests.size(), 4u);
  EXPECT_FALSE(index->manifests[3].platform.has_value());
  auto arm = choose(*index, {"linux", "arm", "v7"});
  ASSERT_EQ(arm.size(), 2u);
  EXPECT_EQ(arm[0].descriptor.digest, kB) << "v7 before v6 on a v7 host";
  EXPECT_EQ(arm[1].descriptor.digest, kA);
  auto amd64 = choose(*index, {"linux", "amd64", ""});
  ASSERT_EQ(amd64.size(), 1u);
  EXPECT_EQ(amd64[0].descriptor.digest, kC);
  EXPECT_TRUE(choose(*index, {"windows", "amd64", ""}).empty());
  EXPECT_CODE(parse_index(R"({"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"digest":")" + kA + R"(","size":1,"platform":{"os":"linux"}}]})",
                          desc(kOciIndex))
                  .status(),
              Code::kInvalidArgument);
}

TEST(OciConfig, ReadsPlatformAndDiffIdsWithinItsLimit) {
  const std::string json =
      R"({"architecture":"x86_64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" + kB + R"(",")" +
      kC + R"("]}})";
  auto c = parse_config(json, desc(kOciConfig));
  ASSERT_OK(c.status());
  EXPECT_EQ(c->platform.architecture, "amd64") << "normalized";
  EXPECT_EQ(c->diff_ids, (std::vector<std::string>{kB, kC}));
  EXPECT_CODE(parse_config(R"({"rootfs":{"type":"layers","diff_ids":["nope"]}})", desc(kOciConfig)).status(),
              Code::kInvalidArgument);
  auto big = parse_config(std::string(kMaxConfigBytes + 1, ' '), desc(kOciConfig));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("20 MiB a config"), std::string::npos) << big.status().message();
}

TEST(OciConfig, ReadsWhatAContainerStartsWith) {
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  auto c = parse_config(R"({"config":{"Entrypoint":["/e"],"Cmd":null,"Env":["A=1"],"WorkingDir":"/w",)"
                        R"("User":"app:staff","StopSignal":"SIGINT"},)" +
                            rootfs + "}",
                        desc(kOciConfig));
  ASSERT_OK(c.status());
  EXPECT_EQ(c->process.entrypoint, (std::vector<std::string>{"/e"}));
  EXPECT_TRUE(c->process.cmd.empty()) << "Docker writes null for none";
  EXPECT_EQ(c->process.env, (std::vector<std::string>{"A=1"}));
  EXPECT_EQ(c->process.working_dir, "/w");
  EXPECT_EQ(c->process.user, "app:staff");
  EXPECT_EQ(c->process.stop_signal, "SIGINT");
  auto none = parse_config("{" + rootfs + "}", desc(kOciConfig));
  ASSERT_OK(none.status());
  EXPECT_TRUE(none->process.entrypoint.empty());
  EXPECT_CODE(parse_config(R"({"config":{"Cmd":"sh"},)" + rootfs + "}", desc(kOciConfig)).status(),
              Code::kInvalidArgument);
  EXPECT_CODE(parse_config(R"({"config":{"User":1},)" + rootfs + "}", desc(kOciConfig)).status(),
              Code::kInvalidArgument);
}

TEST(OciChainIds, AsContainerdNamesUnpackedSnapshots) {
  auto chain = chain_ids({kA, kB, kC});
  ASSERT_OK(chain.status());
  // sha256 of "<chain(n-1)> <diff_id(n)>", checked with sha256sum.
  EXPECT_EQ(*chain, (std::vector<std::string>{
                        kA, "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c",
                        "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588"}));
  EXPECT_TRUE(chain_ids({})->empty());
  EXPECT_CODE(chain_ids({"sha256:xyz"}).status(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace berth::oci
