#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::billing {

/// A plan: its Stripe price and what it entitles a user to.
struct plan {
  std::string name;
  std::string price_id;  // empty for "free"
  int rank = 0;          // higher is better; chooses among several subscribed prices
  int64_t ai_runs_per_month = 0;
  int ai_max_concurrent = 0;
};

/// The plans of config/plans.json (built in, or TRAINIA_PLANS_FILE). Immutable
/// after loading; shared read-only by every thread.
class plan_catalog {
 public:
  /// Parses the JSON document `{ "<name>": {"rank", "price_id", "ai_runs_per_month",
  /// "ai_max_concurrent"}, … }`. Requires a "free" plan without a price; price
  /// ids and ranks must be unique. On failure sets `err` to one line.
  static std::optional<plan_catalog> parse(std::string_view json_text, std::string& err);
  /// Loads `path`, or the built-in plans when `path` is empty.
  static std::optional<plan_catalog> load(const std::string& path, std::string& err);

  const plan* by_name(std::string_view name) const;
  const plan* by_price(std::string_view price_id) const;
  const plan& free() const;
  /// The best-ranked plan among the given subscription item prices; null if
  /// none of them is a known price.
  const plan* from_prices(const std::vector<std::string>& price_ids) const;
  const std::vector<plan>& all() const { return plans_; }

 private:
  std::vector<plan> plans_;
};

}  // namespace trainia::billing
