#include "greeter.hpp"

#include <utility>

#include "berth/log.hpp"

namespace hello {
namespace {

std::string repeat_greeting(const HelloConfig& config) {
  std::string out;
  for (int64_t i = 0; i < config.repeat; ++i) {
    if (i > 0) out += ' ';
    out += config.greeting;
  }
  return out;
}

berth::Result<std::size_t> count_in(berth::Metadata& metadata, berth::NamespaceStore& namespaces) {
  std::size_t count = 0;
  // A view transaction reads a consistent snapshot without blocking writers.
  berth::Status st = metadata.view([&](berth::Transaction& tx) -> berth::Status {
    auto list = namespaces.list(tx);
    if (!list.ok()) return list.status();
    count = list->size();
    return berth::ok_status();
  });
  if (!st.ok()) return st.with_context("count namespaces");
  return count;
}

}  // namespace

berth::Result<std::shared_ptr<Greeter>> Greeter::create(std::string name, const HelloConfig& config,
                                                        std::shared_ptr<berth::Metadata> metadata,
                                                        std::shared_ptr<berth::NamespaceStore> namespaces) {
  auto count = count_in(*metadata, *namespaces);
  if (!count.ok()) return count.status();
  return std::make_shared<Greeter>(std::move(name), repeat_greeting(config), std::move(metadata),
                                   std::move(namespaces), *count);
}

Greeter::Greeter(std::string name, std::string message, std::shared_ptr<berth::Metadata> metadata,
                 std::shared_ptr<berth::NamespaceStore> namespaces, std::size_t namespaces_at_init)
    : name_(std::move(name)),
      message_(std::move(message)),
      metadata_(std::move(metadata)),
      namespaces_(std::move(namespaces)),
      namespaces_at_init_(namespaces_at_init) {}

berth::Result<std::size_t> Greeter::count_namespaces() const { return count_in(*metadata_, *namespaces_); }

berth::Status Greeter::close() {
  auto count = count_namespaces();
  if (!count.ok()) return count.status();
  berth::log::info("{}: goodbye; {} namespace(s) at init, {} now", name_, namespaces_at_init_, *count);
  return berth::ok_status();
}

}  // namespace hello
