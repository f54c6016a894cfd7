#include "plugin_module_test.hpp"

#include <dlfcn.h>

namespace berth::test {

void PluginModuleTest::SetUp() {
  handle_ = dlopen(module_.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle_, nullptr) << dlerror();
  auto entry = reinterpret_cast<berth_plugin_entry_fn>(dlsym(handle_, BERTH_PLUGIN_ENTRY_SYMBOL));
  ASSERT_NE(entry, nullptr) << dlerror();
  table_ = entry();
  ASSERT_NE(table_, nullptr);
  ASSERT_EQ(table_->abi_version, BERTH_PLUGIN_ABI_VERSION);
  for (uint32_t i = 0; i < table_->count; ++i) {
    if (type_ == table_->plugins[i].type && id_ == table_->plugins[i].id) plugin_ = &table_->plugins[i];
  }
  ASSERT_NE(plugin_, nullptr) << module_ << " declares no plugin " << type_ << "." << id_;
  root_ = dir_.path() / (type_ + "." + id_);
  std::filesystem::create_directories(root_);
}

void PluginModuleTest::TearDown() {
  if (handle_ != nullptr) dlclose(handle_);
}

}  // namespace berth::test
