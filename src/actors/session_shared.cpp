#include "actors/session_shared.hpp"

namespace trainia {

bool session_shared::admit(int& retry_after) {
  auto now = clock::now();
  std::lock_guard<std::mutex> g(mx_);
  last_used_ = now;
  return bucket_.take(now, retry_after);
}

session_shared::profile_ptr session_shared::cached_profile(bool& admitted, int& retry_after) {
  auto now = clock::now();
  std::lock_guard<std::mutex> g(mx_);
  if (!profile_) return nullptr;
  last_used_ = now;
  admitted = bucket_.take(now, retry_after);
  return profile_;
}

session_shared::profile_ptr session_shared::profile() const {
  std::lock_guard<std::mutex> g(mx_);
  return profile_;
}

uint64_t session_shared::epoch() const {
  std::lock_guard<std::mutex> g(mx_);
  return epoch_;
}

bool session_shared::publish_loaded(profile_ptr p, uint64_t loaded_at) {
  std::lock_guard<std::mutex> g(mx_);
  if (epoch_ != loaded_at) return false;
  profile_ = std::move(p);
  return true;
}

void session_shared::replace(profile_ptr p) {
  std::lock_guard<std::mutex> g(mx_);
  ++epoch_;
  profile_ = std::move(p);
}

void session_shared::invalidate() {
  std::lock_guard<std::mutex> g(mx_);
  ++epoch_;
  profile_.reset();
}

session_shared::clock::time_point session_shared::last_used() const {
  std::lock_guard<std::mutex> g(mx_);
  return last_used_;
}

}  // namespace trainia
