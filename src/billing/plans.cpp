#include "billing/plans.hpp"

#include "core/embedded_files.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace trainia::billing {

std::optional<plan_catalog> plan_catalog::parse(std::string_view text, std::string& err) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.empty()) {
    err = "expected a JSON object of plans";
    return std::nullopt;
  }
  plan_catalog c;
  std::set<std::string> prices;
  std::set<int> ranks;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& v = it.value();
    const std::string& name = it.key();
    auto bad = [&](const std::string& what) {
      err = "plan \"" + name + "\": " + what;
      return std::nullopt;
    };
    if (!v.is_object()) return bad("expected an object");
    for (auto f = v.begin(); f != v.end(); ++f)
      if (f.key() != "rank" && f.key() != "price_id" && f.key() != "ai_runs_per_month" &&
          f.key() != "ai_max_concurrent")
        return bad("unknown field \"" + f.key() + "\"");
    plan p;
    p.name = name;
    if (!v.contains("rank") || !v["rank"].is_number_integer()) return bad("rank must be an integer");
    p.rank = v["rank"].get<int>();
    if (v.contains("price_id") && !v["price_id"].is_null()) {
      if (!v["price_id"].is_string() || v["price_id"].get<std::string>().empty())
        return bad("price_id must be a string or null");
      p.price_id = v["price_id"].get<std::string>();
    }
    if (!v.contains("ai_runs_per_month") || !v["ai_runs_per_month"].is_number_integer() ||
        v["ai_runs_per_month"].get<int64_t>() < 0)
      return bad("ai_runs_per_month must be a non-negative integer");
    p.ai_runs_per_month = v["ai_runs_per_month"].get<int64_t>();
    if (!v.contains("ai_max_concurrent") || !v["ai_max_concurrent"].is_number_integer() ||
        v["ai_max_concurrent"].get<int>() < 1)
      return bad("ai_max_concurrent must be a positive integer");
    p.ai_max_concurrent = v["ai_max_concurrent"].get<int>();
    if (name == "free" && !p.price_id.empty()) return bad("the free plan has no price");
    if (name != "free" && p.price_id.empty()) return bad("a paid plan needs a price_id");
    if (!p.price_id.empty() && !prices.insert(p.price_id).second) return bad("price_id used twice");
    if (!ranks.insert(p.rank).second) return bad("rank used twice");
    c.plans_.push_back(std::move(p));
  }
  if (!c.by_name("free")) {
    err = "a plan named \"free\" is required";
    return std::nullopt;
  }
  return c;
}

std::optional<plan_catalog> plan_catalog::load(const std::string& path, std::string& err) {
  if (path.empty()) return parse(find_embedded(embedded_config(), "plans.json"), err);
  std::ifstream in(path);
  if (!in) {
    err = "cannot read " + path;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), err);
}

const plan* plan_catalog::by_name(std::string_view name) const {
  for (const auto& p : plans_)
    if (p.name == name) return &p;
  return nullptr;
}

const plan* plan_catalog::by_price(std::string_view price_id) const {
  if (price_id.empty()) return nullptr;
  for (const auto& p : plans_)
    if (p.price_id == price_id) return &p;
  return nullptr;
}

const plan& plan_catalog::free() const { return *by_name("free"); }

const plan* plan_catalog::from_prices(const std::vector<std::string>& price_ids) const {
  const plan* best = nullptr;
  for (const auto& id : price_ids)
    if (const plan* p = by_price(id); p && (!best || p->rank > best->rank)) best = p;
  return best;
}

}  // namespace trainia::billing
