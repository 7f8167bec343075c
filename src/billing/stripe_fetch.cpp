#include "billing/stripe_fetch.hpp"

namespace trainia::billing {

bool can_fetch_subscriptions(const services& svc) {
  return !svc.cfg.stripe_secret_key.empty() && svc.outbound != nullptr;
}

bool valid_subscription_id(const std::string& id) {
  if (id.empty() || id.size() > 255) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

net::outbound_request subscription_request(const config& cfg, const std::string& id) {
  net::outbound_request req;
  req.method = "GET";
  std::string base = cfg.stripe_api_base;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + "/v1/subscriptions/" + id;
  req.headers.emplace_back("Authorization", "Bearer " + cfg.stripe_secret_key);
  req.headers.emplace_back("Accept", "application/json");
  req.timeout = std::chrono::seconds(10);
  return req;
}

net::retry_options fetch_retry() {
  net::retry_options r;
  r.max_attempts = 3;
  r.decide = [](const net::outbound_response& resp, int attempt) -> std::optional<std::chrono::milliseconds> {
    if (resp.cancelled) return std::nullopt;
    if (resp.status == 0 || resp.status == 429 || resp.status >= 500) return std::chrono::milliseconds(200 * attempt);
    return std::nullopt;
  };
  r.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  return r;
}

std::shared_ptr<const nlohmann::json> read_fetched_subscription(const net::outbound_response& r,
                                                                const std::string& id) {
  if (r.status != 200) return nullptr;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) return nullptr;
  auto it = j.find("id");
  if (it == j.end() || !it->is_string() || *it != id) return nullptr;
  return std::make_shared<const nlohmann::json>(std::move(j));
}

}  // namespace trainia::billing
