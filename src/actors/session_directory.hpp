#pragma once

#include "actors/interfaces.hpp"

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace trainia {

/// Maps a Clerk user id to that user's live session actor. Sharded: a lookup
/// locks one of 64 shards, never the whole map. Holding the handle here is
/// what keeps an idle-but-not-yet-evicted session alive.
class session_directory {
 public:
  using spawn_fn = std::function<user_session_actor(const std::string& user_id)>;

  /// The user's session, spawned with `spawn` if there is none.
  user_session_actor find_or_spawn(const std::string& user_id, const spawn_fn& spawn);
  /// The user's session if one is live.
  user_session_actor find(const std::string& user_id) const;
  /// Removes the entry only if it still names `who` (a newer session stays).
  bool erase_if(const std::string& user_id, const caf::actor_addr& who);
  size_t size() const;
  /// Calls `f` on every live session (copy taken shard by shard).
  void for_each(const std::function<void(const user_session_actor&)>& f) const;
  /// Drops every handle (shutdown).
  void clear();

 private:
  struct shard {
    mutable std::mutex mx;
    std::unordered_map<std::string, user_session_actor> map;
  };
  shard& shard_for(const std::string& user_id);
  const shard& shard_for(const std::string& user_id) const;
  std::array<shard, 64> shards_;
};

}  // namespace trainia
