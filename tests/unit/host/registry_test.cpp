// The registry's lookups as a plugin's init sees them through its
// InitContext: instances with their ids, in init order, by interface.
#include "registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "berth/instance.hpp"
#include "init_context.hpp"
#include "status_matchers.hpp"

namespace berth::host {
namespace {

class Greeting {
 public:
  virtual ~Greeting() = default;
  [[nodiscard]] virtual std::string text() const = 0;
};

class Hello final : public Instance, public Greeting {
 public:
  explicit Hello(std::string text) : text_(std::move(text)) {}
  [[nodiscard]] std::string text() const override { return text_; }

 private:
  std::string text_;
};

class Plain final : public Instance {};

class RegistryLookups : public ::testing::Test {
 protected:
  // Registers type.id; initialises it with `instance` unless that is null.
  std::size_t add(const std::string& type, const std::string& id, std::shared_ptr<Instance> instance) {
    PluginInfo info;
    info.type = type;
    info.id = id;
    const std::size_t index = registry_->add(info);
    if (instance) registry_->set_ok(index, std::move(instance));
    return index;
  }

  HostInitContext context() const {
    return {registry_, 0, "io.test.v1", "asking", "/nonexistent/root", "/nonexistent/state", "", ""};
  }

  std::shared_ptr<Registry> registry_ = std::make_shared<Registry>();
};

TEST_F(RegistryLookups, GetAllNamesEachInstanceByIdInInitOrder) {
  const auto b = add("io.test.v1", "b", nullptr);
  add("io.test.v1", "a", std::make_shared<Hello>("from a"));
  add("io.other.v1", "c", std::make_shared<Plain>());
  // b finishes its init after a: init order, not registration order.
  registry_->set_ok(b, std::make_shared<Plain>());
  add("io.test.v1", "failed", nullptr);

  auto all = registry_->get_all("io.test.v1");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "a");
  EXPECT_EQ(all[1].id, "b");
  EXPECT_NE(std::dynamic_pointer_cast<Hello>(all[0].instance), nullptr);
  EXPECT_TRUE(registry_->get_all("io.none.v1").empty());
}

TEST_F(RegistryLookups, AllOfKeepsTheIdsOfThoseOfferingTheInterface) {
  add("io.test.v1", "plain", std::make_shared<Plain>());
  add("io.test.v1", "en", std::make_shared<Hello>("hello"));
  add("io.test.v1", "fr", std::make_shared<Hello>("bonjour"));
  const HostInitContext ctx = context();

  auto greetings = ctx.all_of<Greeting>("io.test.v1");
  ASSERT_EQ(greetings.size(), 2u);
  EXPECT_EQ(greetings[0].id, "en");
  EXPECT_EQ(greetings[0].instance->text(), "hello");
  EXPECT_EQ(greetings[1].id, "fr");
  EXPECT_EQ(greetings[1].instance->text(), "bonjour");

  auto first = ctx.first_of<Greeting>("io.test.v1");
  ASSERT_OK(test::status_of(first));
  EXPECT_EQ((*first)->text(), "hello");
  EXPECT_CODE(ctx.first_of<Greeting>("io.other.v1"), Code::kNotFound);
}

}  // namespace
}  // namespace berth::host
