#include "actors/session_directory.hpp"

#include <caf/actor_addr.hpp>

namespace trainia {

session_directory::shard& session_directory::shard_for(const std::string& user_id) {
  return shards_[std::hash<std::string>{}(user_id) % shards_.size()];
}

const session_directory::shard& session_directory::shard_for(const std::string& user_id) const {
  return shards_[std::hash<std::string>{}(user_id) % shards_.size()];
}

user_session_actor session_directory::find_or_spawn(const std::string& user_id, const spawn_fn& spawn) {
  auto& s = shard_for(user_id);
  std::lock_guard<std::mutex> g(s.mx);
  auto& slot = s.map[user_id];
  if (!slot) slot = spawn(user_id);
  return slot;
}

user_session_actor session_directory::find(const std::string& user_id) const {
  const auto& s = shard_for(user_id);
  std::lock_guard<std::mutex> g(s.mx);
  auto it = s.map.find(user_id);
  return it == s.map.end() ? user_session_actor{} : it->second;
}

bool session_directory::erase_if(const std::string& user_id, const caf::actor_addr& who) {
  auto& s = shard_for(user_id);
  std::lock_guard<std::mutex> g(s.mx);
  auto it = s.map.find(user_id);
  if (it == s.map.end() || it->second.address() != who) return false;
  s.map.erase(it);
  return true;
}

size_t session_directory::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> g(s.mx);
    n += s.map.size();
  }
  return n;
}

void session_directory::for_each(const std::function<void(const user_session_actor&)>& f) const {
  for (const auto& s : shards_) {
    std::vector<user_session_actor> copy;
    {
      std::lock_guard<std::mutex> g(s.mx);
      for (const auto& [k, v] : s.map) copy.push_back(v);
    }
    for (const auto& a : copy) f(a);
  }
}

void session_directory::clear() {
  for (auto& s : shards_) {
    std::unordered_map<std::string, user_session_actor> drop;
    {
      std::lock_guard<std::mutex> g(s.mx);
      drop.swap(s.map);
    }
  }
}

}  // namespace trainia
