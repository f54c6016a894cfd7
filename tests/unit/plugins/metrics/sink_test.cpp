// The metrics plugin's sink: what it accepts, what a scrape of it shows, and
// the exposer really serving /v1/metrics on a loopback port.
#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>

#include "berth/unique_fd.hpp"
#include "listen_address.hpp"
#include "prometheus_sink.hpp"

namespace berth::metrics_plugin {
namespace {

TEST(ListenAddress, TakesIpAndPortAsContainerdDoes) {
  EXPECT_EQ(*civetweb_listening_port("127.0.0.1:1338"), "127.0.0.1:1338");
  EXPECT_EQ(*civetweb_listening_port(":1338"), "1338");
  EXPECT_EQ(*civetweb_listening_port("localhost:9"), "127.0.0.1:9");
  EXPECT_EQ(*civetweb_listening_port("[::1]:1338"), "[::1]:1338");
}

TEST(ListenAddress, RefusesWhatIsNotIpAndPort) {
  for (const char* bad : {"", "1338", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:0",
                          "127.0.0.1:65536", "example.com:80", "[::1:80", "[nope]:80", "1.2.3:80"}) {
    auto r = civetweb_listening_port(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("[metrics] address"), std::string::npos) << r.status().message();
  }
}

// A source with figures that change between scrapes, as a plugin's would.
class CountingSource final : public MetricsSource {
 public:
  std::vector<metrics::Family> collect() override {
    const double n = ++calls;
    return {{.name = "test_calls_total",
             .help = "Scrapes seen",
             .kind = metrics::Kind::kCounter,
             .samples = {{.labels = {{"who", "a"}}, .value = n}}},
            // The same family again, another label set: merged into one.
            {.name = "test_calls_total",
             .help = "ignored: the first family's help wins",
             .kind = metrics::Kind::kCounter,
             .samples = {{.labels = {{"who", "b"}}, .value = 2 * n}}},
            {.name = "bad name", .help = "refused", .kind = metrics::Kind::kGauge, .samples = {{{}, 1}}},
            {.name = "test_level", .help = "A gauge", .kind = metrics::Kind::kGauge, .samples = {{{}, 42}}}};
  }
  std::atomic<int> calls{0};
};

TEST(PrometheusSink, ShowsCountersHistogramsSourcesAndPluginStatus) {
  PrometheusSink sink(nullptr);
  auto c = sink.counter("test_requests_total", "Requests", {{"method", "Get"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  (*c)->add(3);
  // The same name and labels: the same counter.
  (*sink.counter("test_requests_total", "Requests", {{"method", "Get"}}))->add(1);
  auto h = sink.histogram("test_seconds", "Latency", {{"method", "Get"}}, {0.1, 1});
  ASSERT_TRUE(h.ok()) << h.status().message();
  (*h)->observe(0.05);
  (*h)->observe(0.5);
  auto source = std::make_shared<CountingSource>();
  sink.set_sources({{"test.plugin", source}});

  const std::string text = sink.exposition();
  EXPECT_NE(text.find("test_requests_total{method=\"Get\"} 4"), std::string::npos) << text;
  EXPECT_NE(text.find("test_seconds_bucket{method=\"Get\",le=\"0.1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("test_seconds_bucket{method=\"Get\",le=\"1\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("test_seconds_count{method=\"Get\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE test_calls_total counter"), std::string::npos) << text;
  EXPECT_EQ(text.find("# HELP test_calls_total ignored"), std::string::npos) << text;
  EXPECT_NE(text.find("test_calls_total{who=\"a\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("test_calls_total{who=\"b\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("test_level 42"), std::string::npos) << text;
  EXPECT_EQ(text.find("bad name"), std::string::npos) << text;
  // Collected afresh at every scrape.
  EXPECT_NE(sink.exposition().find("test_calls_total{who=\"a\"} 2"), std::string::npos);

  // Once the host takes the sources away, they are never called again.
  sink.set_sources({});
  const int calls = source->calls;
  EXPECT_EQ(sink.exposition().find("test_calls_total"), std::string::npos);
  EXPECT_EQ(source->calls, calls);
}

TEST(PrometheusSink, RefusesBadNamesAndKindClashes) {
  PrometheusSink sink(nullptr);
  EXPECT_EQ(sink.counter("bad name", "x", {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(sink.counter("ok_total", "x", {{"bad label", "v"}}).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(sink.counter("used_total", "x", {}).ok());
  EXPECT_EQ(sink.histogram("used_total", "x", {}, {1}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(sink.histogram("descending", "x", {}, {2, 1}).status().code(), Code::kInvalidArgument);
}

class PluginList final : public PluginSet {
 public:
  std::vector<PluginInfo> list() const override {
    PluginInfo ok{.type = "io.containerd.content.v1", .id = "content"};
    PluginInfo bad{.type = "io.containerd.snapshotter.v1", .id = "zfs", .state = PluginState::kSkip};
    return {ok, bad};
  }
};

TEST(PrometheusSink, PluginStatusFromThePluginSet) {
  PrometheusSink sink(std::make_shared<PluginList>());
  const std::string text = sink.exposition();
  EXPECT_NE(text.find(R"(berth_plugin_status{id="content",state="ok",type="io.containerd.content.v1"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(berth_plugin_status{id="zfs",state="skip",type="io.containerd.snapshotter.v1"} 1)"),
            std::string::npos)
      << text;
}

// A loopback port nothing listens on now.
int free_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
  return ntohs(a.sin_port);
}

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET url: {HTTP status, body}.
std::pair<long, std::string> http_get(const std::string& url) {
  std::string body;
  long code = 0;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  return {code, body};
}

TEST(PrometheusSink, ServesV1MetricsOnTheConfiguredAddress) {
  PrometheusSink sink(nullptr);
  (*sink.counter("test_served_total", "x", {}))->add(5);
  const std::string address = "127.0.0.1:" + std::to_string(free_port());
  ASSERT_TRUE(sink.serve(address).ok());
  EXPECT_EQ(sink.serve(address).code(), Code::kFailedPrecondition);

  auto [code, body] = http_get("http://" + address + "/v1/metrics");
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("test_served_total 5"), std::string::npos) << body;

  // Another server on the same port is refused with the reason.
  PrometheusSink other(nullptr);
  Status s = other.serve(address);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find(address), std::string::npos) << s.message();

  ASSERT_TRUE(sink.close().ok());
  EXPECT_EQ(http_get("http://" + address + "/v1/metrics").first, 0);  // nothing listens
}

}  // namespace
}  // namespace berth::metrics_plugin
