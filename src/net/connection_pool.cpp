#include "net/connection_pool.hpp"

#include <vector>

namespace trainia::net {

connection_pool::connection_pool(size_t max_idle_per_origin, std::chrono::seconds idle_keepalive)
  : max_idle_(max_idle_per_origin), keepalive_(idle_keepalive) {}

connection_pool::bucket& connection_pool::bucket_for(const std::string& origin) {
  {
    std::shared_lock lock(mx_);
    if (auto it = buckets_.find(origin); it != buckets_.end()) return *it->second;
  }
  std::unique_lock lock(mx_);
  auto& slot = buckets_[origin];
  if (!slot) slot = std::make_unique<bucket>();
  return *slot;
}

bool connection_pool::expired(const connection& c, std::chrono::steady_clock::time_point now) const {
  return now - c.idle_since >= keepalive_;
}

std::shared_ptr<connection> connection_pool::checkout(const std::string& origin) {
  auto& b = bucket_for(origin);
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<connection>> dead;
  std::shared_ptr<connection> found;
  {
    std::lock_guard lock(b.mx);
    while (!b.idle.empty()) {
      auto c = std::move(b.idle.back());
      b.idle.pop_back();
      if (!expired(*c, now) && c->reusable_when_idle()) {
        found = std::move(c);
        break;
      }
      dead.push_back(std::move(c));
    }
  }
  for (auto& c : dead) c->close();
  return found;
}

void connection_pool::checkin(std::shared_ptr<connection> c) {
  if (max_idle_ == 0 || shut_.load()) return c->close();
  c->idle_since = std::chrono::steady_clock::now();
  auto& b = bucket_for(c->origin);
  std::shared_ptr<connection> evicted;
  {
    std::lock_guard lock(b.mx);
    if (b.idle.size() >= max_idle_) {
      evicted = std::move(b.idle.front());
      b.idle.pop_front();
    }
    b.idle.push_back(std::move(c));
  }
  if (evicted) evicted->close();
  // shut() may have emptied the buckets between our check and the push.
  if (shut_.load()) shut();
}

void connection_pool::sweep() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<connection>> dead;
  std::shared_lock map_lock(mx_);
  for (auto& [origin, b] : buckets_) {
    std::lock_guard lock(b->mx);
    for (auto it = b->idle.begin(); it != b->idle.end();) {
      if (expired(**it, now) || !(*it)->reusable_when_idle()) {
        dead.push_back(std::move(*it));
        it = b->idle.erase(it);
      } else {
        ++it;
      }
    }
  }
  map_lock.unlock();
  for (auto& c : dead) c->close();
}

void connection_pool::shut() {
  shut_.store(true);
  std::vector<std::shared_ptr<connection>> all;
  {
    std::shared_lock map_lock(mx_);
    for (auto& [origin, b] : buckets_) {
      std::lock_guard lock(b->mx);
      for (auto& c : b->idle) all.push_back(std::move(c));
      b->idle.clear();
    }
  }
  for (auto& c : all) c->close();
}

size_t connection_pool::idle_count() const {
  size_t n = 0;
  std::shared_lock map_lock(mx_);
  for (const auto& [origin, b] : buckets_) {
    std::lock_guard lock(b->mx);
    n += b->idle.size();
  }
  return n;
}

}  // namespace trainia::net
