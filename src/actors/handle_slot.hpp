#pragma once

#include <caf/actor.hpp>

#include <atomic>
#include <memory>

namespace trainia {

/// The current handle of a supervised singleton. The supervisor stores a new
/// handle after each restart; readers (Asio threads, other actors) load it per
/// use, so nobody keeps talking to a dead generation.
template <class Handle = caf::actor>
class handle_slot {
 public:
  Handle get() const {
    auto p = p_.load(std::memory_order_acquire);
    return p ? *p : Handle{};
  }
  void set(Handle h) { p_.store(std::make_shared<const Handle>(std::move(h)), std::memory_order_release); }
  void clear() { p_.store(nullptr, std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const Handle>> p_;
};

}  // namespace trainia
