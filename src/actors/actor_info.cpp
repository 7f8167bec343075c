#include "actors/actor_info.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace trainia {

void actor_info::retire() noexcept {
  stats_.mailbox->add(-mailbox_.exchange(0, std::memory_order_relaxed));
  stats_.alive->add(-1);
}

nlohmann::json actor_info::to_json() const {
  nlohmann::json j;
  j["name"] = name_;
  j["kind"] = kind_;
  j["state"] = state_.load(std::memory_order_relaxed);
  j["mailbox_depth"] = mailbox_.load(std::memory_order_relaxed);
  j["messages"] = messages_.load(std::memory_order_relaxed);
  return j;
}

kind_stats actor_directory::stats(const std::string& kind) {
  obs::labels l{{"actor", kind}};
  return {&metrics_.actor_messages.with(l), &metrics_.actor_restarts.with(l), &metrics_.actor_mailbox.with(l),
          &metrics_.actor_alive.with(l)};
}

std::shared_ptr<actor_info> actor_directory::add(std::string kind, std::string name, std::string parent) {
  auto st = stats(kind);
  st.alive->add(1);
  auto info = std::make_shared<actor_info>(std::move(kind), std::move(name), std::move(parent), st);
  std::lock_guard<std::mutex> g(mx_);
  live_.push_back(info);
  return info;
}

void actor_directory::remove(const std::shared_ptr<actor_info>& info) {
  if (!info) return;
  info->retire();
  std::lock_guard<std::mutex> g(mx_);
  live_.remove(info);
}

void actor_directory::count_restart(const std::string& kind, const std::string& parent, const std::string& reason) {
  stats(kind).restarts->inc();
  std::lock_guard<std::mutex> g(mx_);
  auto& r = restarts_[{parent, kind}];
  ++r.count;
  r.last_failure = reason;
}

uint64_t actor_directory::restarts(const std::string& kind, const std::string& parent) const {
  std::lock_guard<std::mutex> g(mx_);
  auto it = restarts_.find({parent, kind});
  return it == restarts_.end() ? 0 : it->second.count;
}

nlohmann::json actor_directory::tree(size_t max_listed) const {
  std::lock_guard<std::mutex> g(mx_);
  std::map<std::string, nlohmann::json> nodes;  // by name
  std::map<std::string, std::vector<std::string>> children;
  for (const auto& info : live_) {
    nodes[info->name()] = info->to_json();
    children[info->parent()].push_back(info->name());
  }
  std::function<nlohmann::json(const std::string&)> build = [&](const std::string& name) {
    nlohmann::json n = nodes[name];
    nlohmann::json kids = nlohmann::json::array();
    std::map<std::string, nlohmann::json> groups;  // by child kind
    for (const auto& c : children[name]) {
      const auto kind = nodes[c]["kind"].get<std::string>();
      auto& grp = groups[kind];
      if (grp.is_null()) grp = {{"kind", kind}, {"alive", 0}, {"restarts", 0}, {"last_failure", nullptr}};
      auto alive = grp["alive"].get<size_t>();
      grp["alive"] = alive + 1;
      if (alive < max_listed) kids.push_back(build(c));
    }
    for (const auto& [key, rec] : restarts_) {
      if (key.first != name) continue;
      auto& grp = groups[key.second];
      if (grp.is_null()) grp = {{"kind", key.second}, {"alive", 0}};
      grp["restarts"] = rec.count;
      grp["last_failure"] = rec.last_failure;
    }
    n["children"] = kids;
    n["child_kinds"] = nlohmann::json::array();
    for (auto& [k, grp] : groups) n["child_kinds"].push_back(grp);
    return n;
  };
  nlohmann::json roots = nlohmann::json::array();
  for (const auto& name : children[""]) roots.push_back(build(name));
  return roots.size() == 1 ? roots[0] : nlohmann::json{{"roots", roots}};
}

}  // namespace trainia
