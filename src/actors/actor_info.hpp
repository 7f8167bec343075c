#pragma once

#include "observability/metrics.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace trainia {

/// Per-kind metric children, resolved once so recording takes no lock.
struct kind_stats {
  obs::counter* messages;
  obs::counter* restarts;
  obs::gauge* mailbox;
  obs::gauge* alive;
};

/// Live facts about one actor instance, written by the actor itself (atomics)
/// and read by /admin/actors. Owned jointly by the actor and the directory.
class actor_info {
 public:
  actor_info(std::string kind, std::string name, std::string parent, kind_stats stats)
    : kind_(std::move(kind)), name_(std::move(name)), parent_(std::move(parent)), stats_(stats) {}

  const std::string& kind() const { return kind_; }
  const std::string& name() const { return name_; }
  const std::string& parent() const { return parent_; }

  /// Counts one handled message (instance and kind).
  void handled() noexcept {
    messages_.fetch_add(1, std::memory_order_relaxed);
    stats_.messages->inc();
  }
  /// Records a sampled mailbox depth; the kind gauge carries the sum.
  void mailbox(int64_t depth) noexcept {
    auto prev = mailbox_.exchange(depth, std::memory_order_relaxed);
    stats_.mailbox->add(depth - prev);
  }
  void state(const char* s) noexcept { state_.store(s, std::memory_order_relaxed); }

  nlohmann::json to_json() const;
  /// Undo this instance's share of the kind gauges (on exit).
  void retire() noexcept;

 private:
  std::string kind_, name_, parent_;
  kind_stats stats_;
  std::atomic<uint64_t> messages_{0};
  std::atomic<int64_t> mailbox_{0};
  std::atomic<const char*> state_{"running"};
};

/// Registry of live actors for /admin/actors. Registration happens at spawn and
/// exit (not per message), under one mutex.
class actor_directory {
 public:
  explicit actor_directory(obs::registry& m) : metrics_(m) {}

  kind_stats stats(const std::string& kind);
  /// Registers an instance; the returned handle unregisters on `remove`.
  std::shared_ptr<actor_info> add(std::string kind, std::string name, std::string parent);
  void remove(const std::shared_ptr<actor_info>& info);
  /// A supervisor (`parent`) restarts a failed child of `kind`: counts it in
  /// trainia_actor_restarts_total{actor=kind} and in the tree.
  void count_restart(const std::string& kind, const std::string& parent, const std::string& reason);
  /// Restarts counted for `kind` under `parent` so far.
  uint64_t restarts(const std::string& kind, const std::string& parent) const;

  /// The supervision tree: each node lists its children; large groups of one
  /// kind under a parent are summarised (count + the first `max_listed`).
  nlohmann::json tree(size_t max_listed = 50) const;

  obs::registry& metrics() { return metrics_; }

 private:
  obs::registry& metrics_;
  mutable std::mutex mx_;
  std::list<std::shared_ptr<actor_info>> live_;
  struct restart_record {
    uint64_t count = 0;
    std::string last_failure;
  };
  std::map<std::pair<std::string, std::string>, restart_record> restarts_;  // (parent, kind)
};

}  // namespace trainia
