#include "billing/subscription_snapshot.hpp"

#include "billing/stripe_event.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <array>

namespace trainia::billing {
namespace {

constexpr std::array<std::string_view, 8> lifecycle = {
    "incomplete", "trialing", "active", "past_due", "unpaid", "paused", "incomplete_expired", "canceled"};

caf::error bad(std::string why) {
  return fail(errc::invalid_event, why, why);
}

std::optional<int64_t> unix_at(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  auto v = it->get<int64_t>();
  if (v <= 0 || v > 253402300799) return std::nullopt;
  return v;
}

std::string price_of(const nlohmann::json& item) {
  if (auto p = item.find("price"); p != item.end()) {
    if (auto id = stripe_ref(*p); !id.empty()) return id;
  }
  if (auto p = item.find("plan"); p != item.end()) return stripe_ref(*p);
  return {};
}

}  // namespace

int status_rank(std::string_view status) {
  auto it = std::find(lifecycle.begin(), lifecycle.end(), status);
  return it == lifecycle.end() ? -1 : static_cast<int>(it - lifecycle.begin());
}

bool incoming_wins_tie(std::string_view stored_status, std::string_view incoming_status) {
  return status_rank(incoming_status) >= status_rank(stored_status);
}

caf::expected<subscription_snapshot> read_subscription(const nlohmann::json& obj, const plan_catalog& plans) {
  if (!obj.is_object()) return bad("the subscription is not an object");
  subscription_snapshot s;
  if (auto it = obj.find("object"); it != obj.end() && !(it->is_string() && *it == "subscription"))
    return bad("the object is not a subscription");
  auto id = obj.find("id");
  if (id == obj.end() || !id->is_string() || id->get_ref<const std::string&>().rfind("sub_", 0) != 0)
    return bad("the subscription has no sub_ id");
  s.id = id->get<std::string>();
  if (auto c = obj.find("customer"); c != obj.end()) s.customer_id = stripe_ref(*c);
  if (s.customer_id.empty()) return bad("the subscription has no customer");
  auto status = obj.find("status");
  if (status == obj.end() || !status->is_string() || status_rank(status->get<std::string>()) < 0)
    return bad("the subscription status is unknown");
  s.status = status->get<std::string>();
  if (auto c = obj.find("cancel_at_period_end"); c != obj.end() && c->is_boolean())
    s.cancel_at_period_end = c->get<bool>();

  std::vector<std::pair<std::string, std::string>> items;  // (price, item id)
  if (auto it = obj.find("items"); it != obj.end() && it->is_object()) {
    if (auto data = it->find("data"); data != it->end() && data->is_array()) {
      for (const auto& item : *data) {
        if (!item.is_object()) continue;
        auto price = price_of(item);
        if (price.empty()) continue;
        items.emplace_back(price, item.value("id", std::string()));
        s.price_ids.push_back(price);
        auto start = unix_at(item, "current_period_start");
        auto end = unix_at(item, "current_period_end");
        if (start && (!s.period_start || *start < *s.period_start)) s.period_start = start;
        if (end && (!s.period_end || *end > *s.period_end)) s.period_end = end;
      }
    }
  }
  if (!s.period_start && !s.period_end) {
    s.period_start = unix_at(obj, "current_period_start");
    s.period_end = unix_at(obj, "current_period_end");
  }
  if (s.period_start && s.period_end && *s.period_end <= *s.period_start) s.period_end.reset();
  if (s.price_ids.empty()) {
    // A very old shape: one plan on the subscription itself.
    if (auto p = obj.find("plan"); p != obj.end()) {
      if (auto price = stripe_ref(*p); !price.empty()) {
        s.price_ids.push_back(price);
        items.emplace_back(price, "");
      }
    }
  }
  const plan* p = plans.from_prices(s.price_ids);
  if (!p) {
    std::string list;
    for (const auto& id : s.price_ids) list += (list.empty() ? "" : ", ") + id;
    return bad("no price of the subscription is in the plan catalog (" + (list.empty() ? "none" : list) + ")");
  }
  s.plan_name = p->name;
  for (const auto& [price, item] : items)
    if (price == p->price_id) {
      s.price_id = price;
      s.item_id = item;
      break;
    }
  return s;
}

}  // namespace trainia::billing
