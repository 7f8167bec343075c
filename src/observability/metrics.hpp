#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace trainia::obs {

/// Monotonic counter. Recording is one relaxed atomic add: no lock.
class counter {
 public:
  void inc(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }
  /// Copies a monotonic count kept elsewhere (e.g. the token verifier's).
  void mirror(uint64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

/// Gauge that can go up and down.
class gauge {
 public:
  void set(int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(int64_t d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

/// Fixed-bucket histogram of seconds; lock-free recording.
class histogram {
 public:
  static constexpr std::array<double, 14> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1.0,   2.5,   5.0,  10.0};
  void observe(double seconds) noexcept;
  /// Cumulative counts per bound (Prometheus `le`), then +Inf.
  std::array<uint64_t, bounds.size() + 1> cumulative() const noexcept;
  uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6; }

 private:
  std::array<std::atomic<uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

enum class metric_type { counter, gauge, histogram };

using labels = std::vector<std::pair<std::string, std::string>>;

/// A named metric with one child per label set. Children are created once
/// (under the family's lock) and never destroyed, so a caller may keep the
/// returned reference and record through it without any lock.
template <class T>
class family {
 public:
  family(std::string name, std::string help, metric_type type)
    : name_(std::move(name)), help_(std::move(help)), type_(type) {}

  T& with(const labels& l) {
    {
      std::shared_lock lock(mx_);
      if (auto it = index_.find(l); it != index_.end()) return *it->second;
    }
    std::unique_lock lock(mx_);
    auto& slot = index_[l];
    if (!slot) {
      children_.emplace_back();
      slot = &children_.back();
    }
    return *slot;
  }

  template <class F>
  void each(F f) const {
    std::shared_lock lock(mx_);
    for (const auto& [l, child] : index_) f(l, *child);
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  metric_type type() const { return type_; }

 private:
  std::string name_, help_;
  metric_type type_;
  mutable std::shared_mutex mx_;
  std::map<labels, T*> index_;
  std::deque<T> children_;  // stable addresses
};

/// Every metric the server exposes on /metrics (api.md "Operator listener").
/// One instance per process, created before the actor system.
struct registry {
  registry();

  family<counter> http_requests{"trainia_http_requests_total", "HTTP requests by route template, method and status.",
                                metric_type::counter};
  family<histogram> http_duration{"trainia_http_request_duration_seconds", "HTTP request latency by route template.",
                                  metric_type::histogram};
  family<gauge> http_connections{"trainia_http_connections", "Open client connections by listener.", metric_type::gauge};
  family<gauge> actor_mailbox{"trainia_actor_mailbox_depth", "Messages waiting in mailboxes, summed per actor kind.",
                              metric_type::gauge};
  family<counter> actor_restarts{"trainia_actor_restarts_total", "Actor restarts after a failure, per actor kind.",
                                 metric_type::counter};
  family<counter> actor_messages{"trainia_actor_messages_total", "Messages handled, per actor kind.",
                                 metric_type::counter};
  family<gauge> actor_alive{"trainia_actor_alive", "Running actors, per actor kind.", metric_type::gauge};
  family<gauge> db_connections{"trainia_db_pool_connections", "Database connections by pool and state.",
                               metric_type::gauge};
  family<histogram> db_query_duration{"trainia_db_query_duration_seconds", "Database job latency (queue wait excluded) by pool.",
                                      metric_type::histogram};
  family<counter> db_rejected{"trainia_db_rejected_total", "Database jobs refused by a pool, by reason.",
                              metric_type::counter};
  family<counter> db_grouped{"trainia_db_grouped_jobs_total",
                              "Database jobs handed to a connection together with others of their kind (group commit), by pool.",
                              metric_type::counter};
  family<gauge> ai_tasks{"trainia_ai_tasks", "AI tasks by status, as last counted in the database.", metric_type::gauge};
  family<histogram> ai_provider_duration{"trainia_ai_provider_duration_seconds", "AI provider call latency.",
                                         metric_type::histogram};
  family<counter> stripe_events{"trainia_stripe_events_total", "Stripe webhook events by type and outcome.",
                                metric_type::counter};
  family<counter> auth_failures{"trainia_auth_failures_total", "Rejected session tokens by reason.",
                                metric_type::counter};
  family<counter> auth_verifications{"trainia_auth_rsa_verifications_total", "RS256 signature verifications performed (cache misses).",
                                     metric_type::counter};
  family<counter> session_cached_reads{"trainia_session_cached_reads_total",
                                       "Profile reads answered on an I/O thread from the profile a session actor published.",
                                       metric_type::counter};
  counter& profile_cached_reads = session_cached_reads.with({});  // the hot path records through this

  /// Prometheus text exposition format 0.0.4.
  std::string render() const;
};

/// Escapes a label value for the exposition format (\\, \", \n).
std::string escape_label(const std::string& v);

}  // namespace trainia::obs
