#pragma once

#include "actors/messages.hpp"
#include "actors/token_bucket.hpp"

#include <chrono>
#include <memory>
#include <mutex>

namespace trainia {

/// What one user's session actor shares with the HTTP threads: the user's
/// rate limit and the profile the actor has cached. The actor stays the only
/// writer of the profile (it loads it, replaces it after this user's writes,
/// drops it on invalidation); an HTTP thread may read a published profile
/// without a round trip through the actor (GET /api/users/profile's fast
/// path). One small mutex per user: requests of different users never meet.
///
/// `epoch` moves on every invalidation and every write, so that a load
/// started before one of them can never publish what it read.
class session_shared {
 public:
  using clock = std::chrono::steady_clock;
  using profile_ptr = std::shared_ptr<const profile_doc>;

  /// The public message of a request refused by the rate limit.
  static constexpr const char* refusal = "too many requests; slow down";

  session_shared(double per_second, double burst) : bucket_(per_second, burst), last_used_(clock::now()) {}

  /// The rate limit, taken once per request: false (with `retry_after` in
  /// whole seconds) when the user is over it.
  bool admit(int& retry_after);

  /// The fast path: nullptr when nothing is cached (no token taken: the
  /// caller goes through the actor, which takes it); otherwise the profile,
  /// with `admitted` telling whether the rate limit let the request through.
  profile_ptr cached_profile(bool& admitted, int& retry_after);

  /// The profile as the actor sees it (nullptr: load it).
  profile_ptr profile() const;
  uint64_t epoch() const;
  /// Publishes a profile loaded at `epoch`; refused if it moved meanwhile.
  bool publish_loaded(profile_ptr p, uint64_t loaded_at);
  /// After a write by this actor: the written profile (nullptr: unknown now,
  /// read afresh next time). Moves the epoch.
  void replace(profile_ptr p);
  /// Drops the cached profile (its row changed elsewhere). Moves the epoch.
  void invalidate();

  clock::time_point last_used() const;

 private:
  mutable std::mutex mx_;
  profile_ptr profile_;
  uint64_t epoch_ = 0;
  token_bucket bucket_;
  clock::time_point last_used_;
};

}  // namespace trainia
