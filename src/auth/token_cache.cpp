#include "auth/token_cache.hpp"

#include "core/sha256.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace trainia::auth {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

}  // namespace

token_cache::token_cache(size_t max_entries, size_t shards, int64_t leeway_seconds)
    : shard_count_(std::clamp<size_t>(shards, 1, std::max<size_t>(1, max_entries))),
      leeway_(std::max<int64_t>(0, leeway_seconds)) {
  per_shard_ = max_entries / shard_count_;
  shards_ = std::make_unique<shard[]>(shard_count_);
}

token_cache::shard& token_cache::shard_for(const digest& key) const noexcept {
  // Other bytes than the map's bucket hash (digest_hash reads bytes 0-7).
  uint64_t h = 0;
  std::memcpy(&h, key.data() + 8, sizeof h);
  return shards_[h % shard_count_];
}

bool token_cache::usable(int64_t expires_at, int64_t now) const noexcept {
  return now <= saturating_add(expires_at, leeway_);
}

void token_cache::shard::erase(map::iterator it) {
  entries.erase(it);
  if (!entries.empty()) return;
  // The map's buckets come from the pool too: rebuild it empty, then release.
  map{&pool}.swap(entries);
  pool.release();
}

std::optional<principal> token_cache::find(std::string_view token, int64_t now) const {
  if (per_shard_ == 0) return std::nullopt;
  const digest key = sha256_digest(token);
  shard& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto& entries = s.entries;
  const auto it = entries.find(key);
  if (it == entries.end()) return std::nullopt;
  if (!usable(it->second.expires_at, now)) {
    s.erase(it);
    return std::nullopt;
  }
  return it->second.to_principal();
}

void token_cache::insert(std::string_view token, const principal& p, int64_t now) {
  if (per_shard_ == 0) return;
  const digest key = sha256_digest(token);
  shard& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto& entries = s.entries;
  if (const auto it = entries.find(key); it != entries.end()) {
    it->second = entry(p, &s.pool);
    return;
  }
  if (entries.size() >= per_shard_) {
    std::erase_if(entries, [&](const auto& kv) { return !usable(kv.second.expires_at, now); });
    const size_t target = per_shard_ - std::max<size_t>(1, per_shard_ / 8);
    while (entries.size() > target) entries.erase(entries.begin());
  }
  entries.emplace(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple(p, &s.pool));
}

void token_cache::insert(std::string_view token, const principal& p) {
  insert(token, p, unix_now());
}

size_t token_cache::size() const {
  size_t total = 0;
  for (size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].entries.size();
  }
  return total;
}

size_t token_cache::bytes_held() const {
  size_t total = 0;
  for (size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].heap.held;
  }
  return total;
}

caching_verifier::caching_verifier(std::shared_ptr<const key_set> keys, verify_options opts,
                                   size_t max_entries, size_t shards)
    : verifier_(std::move(keys), std::move(opts)),
      cache_(max_entries, shards, verifier_.options().leeway_seconds) {}

std::variant<principal, jwt_error> caching_verifier::verify(std::string_view token,
                                                            int64_t now) const noexcept {
  try {
    if (auto hit = cache_.find(token, now)) return std::move(*hit);
  } catch (...) {
    // Allocation failure while copying a hit: fall through to a full verify.
  }
  verifications_.fetch_add(1, std::memory_order_relaxed);
  auto result = verifier_.verify(token, now);
  if (const principal* p = std::get_if<principal>(&result)) {
    try {
      cache_.insert(token, *p, now);
    } catch (...) {
      // Not caching is always correct.
    }
  }
  return result;
}

}  // namespace trainia::auth
