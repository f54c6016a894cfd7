#include "registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::host {

std::size_t Registry::add(PluginInfo info) {
  std::lock_guard lock(mu_);
  info.state = PluginState::kInitialising;
  records_.push_back({std::move(info), nullptr});
  return records_.size() - 1;
}

void Registry::set_ok(std::size_t index, std::shared_ptr<Instance> instance) {
  std::lock_guard lock(mu_);
  records_[index].info.state = PluginState::kOk;
  records_[index].info.error = {};
  records_[index].instance = std::move(instance);
  init_order_.push_back(index);
}

void Registry::set_failed(std::size_t index, PluginState state, Status why) {
  std::lock_guard lock(mu_);
  records_[index].info.state = state;
  records_[index].info.error = std::move(why);
}

void Registry::set_export(std::size_t index, std::string key, std::string value) {
  std::lock_guard lock(mu_);
  records_[index].info.exports[std::move(key)] = std::move(value);
}

void Registry::add_capability(std::size_t index, std::string capability) {
  std::lock_guard lock(mu_);
  records_[index].info.capabilities.push_back(std::move(capability));
}

void Registry::add_platform(std::size_t index, Platform platform) {
  std::lock_guard lock(mu_);
  records_[index].info.platforms.push_back(std::move(platform));
}

std::vector<PluginInfo> Registry::list() const {
  std::lock_guard lock(mu_);
  std::vector<PluginInfo> out;
  out.reserve(records_.size());
  for (const auto& r : records_) out.push_back(r.info);
  return out;
}

PluginInfo Registry::info(std::size_t index) const {
  std::lock_guard lock(mu_);
  return records_.at(index).info;
}

Result<std::shared_ptr<Instance>> Registry::get(std::string_view type, std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const auto& r : records_) {
    if (r.info.type != type || r.info.id != id) continue;
    if (r.instance) return r.instance;
    if (r.info.state == PluginState::kInitialising) {
      return failed_precondition("plugin " + r.info.key() + " is still initialising");
    }
    return failed_precondition("plugin " + r.info.key() +
                               " is not available: " + std::string(plugin_state_name(r.info.state)) +
                               (r.info.error.ok() ? "" : ": " + r.info.error.message()));
  }
  // Also a plugin that would initialise later: InitContext lookups see only
  // the plugins initialised before, which requires_types orders.
  return not_found(
      "plugin " + std::string(type) + "." + std::string(id) +
      " is not loaded (not installed, disabled, or not initialised before the one asking: name its "
      "type in requires_types)");
}

std::vector<Registered<Instance>> Registry::get_all(std::string_view type) const {
  std::lock_guard lock(mu_);
  std::vector<Registered<Instance>> out;
  for (std::size_t i : init_order_) {
    const Record& r = records_[i];
    if (r.info.type == type && r.instance) out.push_back({r.info.id, r.instance});
  }
  return out;
}

std::vector<Registry::Initialised> Registry::instances() const {
  std::lock_guard lock(mu_);
  std::vector<Initialised> out;
  for (std::size_t i : init_order_)
    out.push_back({records_[i].info.type, records_[i].info.id, records_[i].instance});
  return out;
}

Status Registry::close_all() {
  std::vector<std::pair<std::string, std::shared_ptr<Instance>>> closing;
  {
    std::lock_guard lock(mu_);
    for (auto it = init_order_.rbegin(); it != init_order_.rend(); ++it) {
      closing.emplace_back(records_[*it].info.key(), std::move(records_[*it].instance));
    }
    init_order_.clear();
  }
  Status first;
  for (auto& [key, inst] : closing) {
    Status s;
    try {
      s = inst->close();
    } catch (const std::exception& e) {
      s = internal(std::string("close threw: ") + e.what());
    }
    if (!s.ok()) {
      spdlog::warn("close plugin {}: {}", key, s.to_string());
      if (first.ok()) first = s.with_context("close " + key);
    } else {
      spdlog::debug("closed plugin {}", key);
    }
    // Drop our reference now, so each plugin dies before those it depends on.
    inst.reset();
  }
  return first;
}

}  // namespace berth::host
