// containerd's hosts directory: which hosts a registry namespace is reached
// through, in order, and with what trust and transport settings.
#include "registry-hosts/registry_hosts.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "status_matchers.hpp"
#include "temp_dir.hpp"

namespace berth::registry {
namespace {

TEST(RegistryHosts, WithoutAHostsFileTheNamespaceIsTheHost) {
  auto hosts = hosts_for("registry.example.com:5000", {});
  ASSERT_OK(hosts.status());
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_EQ((*hosts)[0].api_root(), "https://registry.example.com:5000/v2");
  EXPECT_EQ((*hosts)[0].capabilities, kAllCapabilities);
  EXPECT_EQ(hosts_for("docker.io", {})->front().api_root(), "https://registry-1.docker.io/v2");
  // A registry on this machine is plain http, as containerd has it.
  EXPECT_EQ(hosts_for("localhost:5000", {})->front().api_root(), "http://localhost:5000/v2");
  EXPECT_EQ(hosts_for("127.0.0.1:5000", {})->front().scheme, "http");
  EXPECT_EQ(hosts_for("[::1]:5000", {})->front().scheme, "http");
  EXPECT_EQ(hosts_for("r.example", {.plain_http = true})->front().scheme, "http");
  EXPECT_TRUE(hosts_for("r.example", {.skip_verify = true})->front().skip_verify);
  EXPECT_CODE(hosts_for("", {}).status(), Code::kInvalidArgument);
}

TEST(RegistryHosts, NamespaceDirectoriesAsContainerdSearchesThem) {
  EXPECT_EQ(namespace_dirs("myregistry.io:5000"),
            (std::vector<std::string>{"myregistry.io_5000_", "myregistry.io:5000", "_default"}));
  EXPECT_EQ(namespace_dirs("docker.io"), (std::vector<std::string>{"docker.io", "_default"}));
  EXPECT_EQ(namespace_dirs("[::1]:5000"),
            (std::vector<std::string>{"[::1]_5000_", "[::1]:5000", "_default"}));
}

TEST(RegistryHosts, MirrorsInFileOrderThenTheServer) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "docker.io");
  std::ofstream(dir / "docker.io/hosts.toml") << R"(
server = "https://registry-1.docker.io"

[host."https://zz-mirror.example.com"]
  capabilities = ["pull"]
[host."http://aa-mirror.internal:5000/prefix"]
  capabilities = ["pull", "resolve"]
  ca = "mirror.crt"
  skip_verify = true
  client = [["/etc/certs/client.cert", "/etc/certs/client.key"], ["client.pem", ""]]
  [host."http://aa-mirror.internal:5000/prefix".header]
    x-custom = ["a", "b"]
[host."https://odd.example.com/v2/upstream"]
  override_path = true
)";
  auto hosts = hosts_for("docker.io", {.config_dir = dir.path()});
  ASSERT_OK(hosts.status());
  ASSERT_EQ(hosts->size(), 4u);
  const auto& zz = (*hosts)[0];
  EXPECT_EQ(zz.api_root(), "https://zz-mirror.example.com/v2") << "file order, not sorted";
  EXPECT_TRUE(zz.can(kPull));
  EXPECT_FALSE(zz.can(kResolve));
  EXPECT_FALSE(zz.can(kPush));
  const auto& aa = (*hosts)[1];
  EXPECT_EQ(aa.api_root(), "http://aa-mirror.internal:5000/prefix/v2");
  EXPECT_TRUE(aa.can(kResolve));
  EXPECT_TRUE(aa.skip_verify);
  EXPECT_EQ(aa.ca_files, std::vector<std::filesystem::path>{dir / "docker.io/mirror.crt"});
  ASSERT_EQ(aa.client_certs.size(), 2u);
  EXPECT_EQ(aa.client_certs[0].second, "/etc/certs/client.key");
  EXPECT_EQ(aa.client_certs[1].first, dir / "docker.io/client.pem");
  EXPECT_TRUE(aa.client_certs[1].second.empty());
  EXPECT_EQ(aa.headers.at("x-custom"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*hosts)[2].api_root(), "https://odd.example.com/v2/upstream");
  EXPECT_EQ((*hosts)[2].capabilities, kAllCapabilities);
  EXPECT_EQ((*hosts)[3].api_root(), "https://registry-1.docker.io/v2");
  EXPECT_EQ((*hosts)[3].capabilities, kAllCapabilities);
}

TEST(RegistryHosts, PortNamespacesAndTheDefaultDirectory) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "r.example_5000_");
  std::ofstream(dir / "r.example_5000_/hosts.toml") << "server = \"http://r.example:5000\"\n";
  std::filesystem::create_directories(dir / "_default");
  std::ofstream(dir / "_default/hosts.toml")
      << "[host.\"https://everything.mirror\"]\n  capabilities = [\"pull\"]\n";
  auto port = hosts_for("r.example:5000", {.config_dir = dir.path()});
  ASSERT_OK(port.status());
  ASSERT_EQ(port->size(), 1u);
  EXPECT_EQ(port->front().api_root(), "http://r.example:5000/v2");
  auto other = hosts_for("quay.io", {.config_dir = dir.path()});
  ASSERT_OK(other.status());
  ASSERT_EQ(other->size(), 2u);
  EXPECT_EQ((*other)[0].api_root(), "https://everything.mirror/v2");
  EXPECT_EQ((*other)[1].api_root(), "https://quay.io/v2") << "the namespace itself comes last";
}

TEST(RegistryHosts, BadFilesNameTheFileLineAndKey) {
  const struct {
    const char* text;
    const char* want;
  } kCases[] = {
      {"server = 5\n", "hosts.toml:1:10: key 'server' must be a URL string"},
      {"server = \"registry.example\"\n", "is not a URL"},
      {"server = \"ftp://r.example\"\n", "scheme must be https or http"},
      {"capabilities = [\"pull\", \"fly\"]\n", "unknown capability \"fly\""},
      {"[host.\"https://m\"]\n  skip_verify = \"yes\"\n",
       "key 'host.\"https://m\".skip_verify' must be true or false"},
      {"[host.\"https://m\"]\n  colour = 1\n", "unknown key 'host.\"https://m\".colour'"},
      {"[host.\"https://m\"]\n  [host.\"https://m\".host.\"https://n\"]\n", "may not list hosts of its own"},
      {"server = \"https://r\n", "hosts.toml:1:"},
  };
  for (const auto& c : kCases) {
    auto hosts = parse_hosts_toml(c.text, "r.example", "/etc/berth/certs.d/r.example",
                                  "/etc/berth/certs.d/r.example/hosts.toml", {});
    ASSERT_FALSE(hosts.ok()) << c.text;
    EXPECT_EQ(hosts.status().code(), Code::kInvalidArgument) << c.text;
    EXPECT_NE(hosts.status().message().find(c.want), std::string::npos) << hosts.status().message();
  }
}

}  // namespace
}  // namespace berth::registry
