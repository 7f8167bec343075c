#pragma once

#include "auth/jwt_verifier.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

namespace trainia::auth {

/// A bounded cache of tokens that verified successfully, keyed by the SHA-256
/// of the exact token text, so repeated requests with the same session token
/// skip RSA work. Equal digests mean equal tokens (SHA-256 is collision
/// resistant: nobody can make a second token that hits another's entry), and
/// an entry keeps 32 bytes of key instead of the ~800-byte token.
///
/// Thread-safe without a global lock: entries are spread over `shards` shards
/// by bits of the digest, each with its own mutex.
///
/// Bound: each shard holds at most max_entries / shards entries (so the total
/// never exceeds max_entries). When an insert finds its shard full, it first
/// drops the shard's expired entries; if that frees less than an eighth of the
/// shard, it drops further entries in the map's iteration order (effectively
/// arbitrary) until an eighth is free. Eviction thus costs one scan per eighth
/// of a shard's inserts, amortized O(1). Expired entries are also dropped when
/// `find` meets them. `max_entries == 0` disables the cache.
///
/// Memory: each shard keeps its entries (map nodes, buckets and the
/// principal's strings) in its own pool, so long-lived entries are packed
/// together instead of being scattered over the heap pages of whichever
/// threads verified them — scattered, a thousand cached tokens kept megabytes
/// of otherwise free pages resident after a busy period. A shard whose last
/// entry goes hands its pool back to the heap.
class token_cache {
 public:
  /// `shards` is clamped to [1, max(1, max_entries)]. An entry is usable until
  /// exp + `leeway_seconds` (negative counts as 0), matching the verifier's leeway.
  explicit token_cache(size_t max_entries = 65536, size_t shards = 16,
                       int64_t leeway_seconds = 5);

  token_cache(const token_cache&) = delete;
  token_cache& operator=(const token_cache&) = delete;

  /// The principal cached for exactly this token if it is still unexpired at
  /// `now` (now <= expires_at + leeway), else nullopt. Thread-safe. Throws
  /// std::bad_alloc, or std::runtime_error if OpenSSL cannot hash.
  std::optional<principal> find(std::string_view token, int64_t now) const;

  /// Caches `p` for `token`, replacing any previous entry. Only call with a
  /// principal that `jwt_verifier` returned for this token. `now` drives the
  /// purge of expired entries when the shard is full. Thread-safe. Throws as
  /// find does.
  void insert(std::string_view token, const principal& p, int64_t now);

  /// As above, with `now` taken from the system clock.
  void insert(std::string_view token, const principal& p);

  /// Current number of entries (a snapshot; shards are locked one at a time).
  size_t size() const;

  /// Bytes the shards' pools hold from the heap (a snapshot).
  size_t bytes_held() const;

  /// Maximum number of entries this cache will ever hold.
  size_t capacity() const noexcept { return per_shard_ * shard_count_; }

 private:
  using digest = std::array<unsigned char, 32>;
  /// SHA-256 output is uniform: its first bytes are a good bucket hash.
  struct digest_hash {
    size_t operator()(const digest& d) const noexcept {
      size_t h = 0;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  /// A principal whose three strings share one allocation in the shard's pool.
  struct entry {
    std::pmr::string text;  // user_id, session_id, authorized_party, back to back
    uint32_t user_len = 0, session_len = 0;
    int64_t expires_at = 0;
    entry(const principal& p, std::pmr::memory_resource* pool)
        : text(pool),
          user_len(static_cast<uint32_t>(p.user_id.size())),
          session_len(static_cast<uint32_t>(p.session_id.size())),
          expires_at(p.expires_at) {
      text.reserve(p.user_id.size() + p.session_id.size() + p.authorized_party.size());
      text.append(p.user_id).append(p.session_id).append(p.authorized_party);
    }
    principal to_principal() const {
      std::string_view t(text);
      return {std::string(t.substr(0, user_len)), std::string(t.substr(user_len, session_len)), expires_at,
              std::string(t.substr(user_len + session_len))};
    }
  };
  using map = std::pmr::unordered_map<digest, entry, digest_hash>;
  /// Counts what a shard's pool holds from the heap (guarded by the shard's mutex).
  struct counting_resource final : std::pmr::memory_resource {
    size_t held = 0;
    void* do_allocate(size_t bytes, size_t align) override {
      void* p = std::pmr::new_delete_resource()->allocate(bytes, align);
      held += bytes;
      return p;
    }
    void do_deallocate(void* p, size_t bytes, size_t align) override {
      std::pmr::new_delete_resource()->deallocate(p, bytes, align);
      held -= bytes;
    }
    bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
  };
  struct shard {
    std::mutex mutex;
    counting_resource heap;
    // Small chunks: a shard holds tens to thousands of entries, and a pool's
    // chunks grow geometrically up to max_blocks_per_chunk.
    std::pmr::unsynchronized_pool_resource pool{std::pmr::pool_options{32, 512}, &heap};
    map entries{&pool};
    void erase(map::iterator it);  // and gives the pool back when it was the last entry
  };

  shard& shard_for(const digest& key) const noexcept;
  bool usable(int64_t expires_at, int64_t now) const noexcept;

  size_t per_shard_;
  size_t shard_count_;
  int64_t leeway_;
  std::unique_ptr<shard[]> shards_;
};

/// jwt_verifier in front of a token_cache: a hit answers without RSA work; a
/// miss verifies and caches the result only when it is a principal (failures,
/// including session_pending, are never cached). Thread-safe.
class caching_verifier {
 public:
  /// The cache uses the verifier's leeway. `keys` must not be null.
  caching_verifier(std::shared_ptr<const key_set> keys, verify_options opts,
                   size_t max_entries = 65536, size_t shards = 16);

  /// Same contract and results as jwt_verifier::verify. Never throws.
  std::variant<principal, jwt_error> verify(std::string_view token, int64_t now) const noexcept;

  /// How many tokens were handed to the underlying jwt_verifier (cache misses).
  uint64_t verifications() const noexcept { return verifications_.load(std::memory_order_relaxed); }

  const token_cache& cache() const noexcept { return cache_; }
  const jwt_verifier& verifier() const noexcept { return verifier_; }

 private:
  jwt_verifier verifier_;
  mutable token_cache cache_;
  mutable std::atomic<uint64_t> verifications_{0};
};

}  // namespace trainia::auth
