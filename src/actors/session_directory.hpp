#pragma once

#include "actors/interfaces.hpp"
#include "actors/session_shared.hpp"

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace trainia {

/// Maps a Clerk user id to that user's live session actor and what it shares
/// with the HTTP threads (session_shared). Sharded: a lookup locks one of 64
/// shards, never the whole map. Holding the handle here is what keeps an
/// idle-but-not-yet-evicted session alive.
class session_directory {
 public:
  struct entry {
    user_session_actor actor;
    std::shared_ptr<session_shared> shared;
  };
  using spawn_fn = std::function<entry(const std::string& user_id)>;

  /// The user's session, spawned with `spawn` if there is none.
  user_session_actor find_or_spawn(const std::string& user_id, const spawn_fn& spawn);
  /// What the user's live session shares, if there is one.
  std::shared_ptr<session_shared> shared(const std::string& user_id) const;
  /// The user's data changed elsewhere: drops the published profile at once
  /// (no HTTP thread serves it after this returns) and tells the session to
  /// drop the rest of its cache.
  void invalidate(const std::string& user_id) const;
  /// `invalidate` for every live session (notifications may have been missed).
  void invalidate_all() const;
  /// Removes the entry only if it still names `who` (a newer session stays).
  bool erase_if(const std::string& user_id, const caf::actor_addr& who);
  size_t size() const;
  /// Drops every handle (shutdown).
  void clear();

 private:
  /// std::hash<std::string_view> under another name. libstdc++ 12 counts
  /// std::hash<std::string> as a slow hash and, in maps of up to 20 entries,
  /// finds a key by comparing it with every entry instead of hashing it; a
  /// shard of a directory holding fewer than ~1,300 users is that small. A
  /// hasher of our own is "fast" to the library (a cached profile GET at 64
  /// connections: ~3% less server CPU per request; what the lookup still
  /// costs is cache misses on the bucket and the node).
  struct user_id_hash {
    size_t operator()(const std::string& s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct shard {
    mutable std::mutex mx;
    std::unordered_map<std::string, entry, user_id_hash> map;
  };
  shard& shard_for(const std::string& user_id);
  const shard& shard_for(const std::string& user_id) const;
  std::array<shard, 64> shards_;
};

}  // namespace trainia
