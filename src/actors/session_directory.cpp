#include "actors/session_directory.hpp"

#include "actors/atoms.hpp"

#include <caf/actor_addr.hpp>
#include <caf/send.hpp>

#include <vector>

namespace trainia {

namespace {

void invalidate_entry(const session_directory::entry& e) {
  e.shared->invalidate();
  caf::anon_send(e.actor, invalidate_atom::value);
}

}  // namespace

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
  if (!slot.actor) slot = spawn(user_id);
  return slot.actor;
}

std::shared_ptr<session_shared> session_directory::shared(const std::string& user_id) const {
  const auto& s = shard_for(user_id);
  std::lock_guard<std::mutex> g(s.mx);
  auto it = s.map.find(user_id);
  return it == s.map.end() ? nullptr : it->second.shared;
}

void session_directory::invalidate(const std::string& user_id) const {
  entry e;
  {
    const auto& s = shard_for(user_id);
    std::lock_guard<std::mutex> g(s.mx);
    auto it = s.map.find(user_id);
    if (it == s.map.end()) return;
    e = it->second;
  }
  invalidate_entry(e);
}

void session_directory::invalidate_all() const {
  for (const auto& s : shards_) {
    std::vector<entry> copy;
    {
      std::lock_guard<std::mutex> g(s.mx);
      copy.reserve(s.map.size());
      for (const auto& [k, v] : s.map) copy.push_back(v);
    }
    for (const auto& e : copy) invalidate_entry(e);
  }
}

bool session_directory::erase_if(const std::string& user_id, const caf::actor_addr& who) {
  auto& s = shard_for(user_id);
  std::lock_guard<std::mutex> g(s.mx);
  auto it = s.map.find(user_id);
  if (it == s.map.end() || it->second.actor.address() != who) return false;
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

void session_directory::clear() {
  for (auto& s : shards_) {
    decltype(s.map) drop;
    {
      std::lock_guard<std::mutex> g(s.mx);
      drop.swap(s.map);
    }
  }
}

}  // namespace trainia
