#include "app/routes.hpp"

#include "billing/stripe_webhook.hpp"
#include "billing/subscriptions_api.hpp"
#include "billing/upgrade_api.hpp"
#include "ai/http_handlers.hpp"
#include "http/handlers/operator_handlers.hpp"
#include "http/handlers/profile_handlers.hpp"
#include "identity/clerk_webhook.hpp"

namespace trainia {

using http::verb;

http::router api_routes(obs::registry& m) {
  http::router r(m);
  r.add(verb::get, "/api/users/profile", http::get_profile, {.authenticated = true});
  r.add(verb::put, "/api/users/profile", http::put_profile, {.authenticated = true, .json_body = true});
  // Billing routes (src/billing)
  r.add(verb::get, "/api/subscriptions", billing::get_subscriptions, {.authenticated = true});
  r.add(verb::post, "/api/subscriptions/upgrade", billing::post_upgrade, {.authenticated = true, .json_body = true});
  r.add(verb::post, "/api/webhooks/stripe", billing::stripe_webhook_handler(), {.json_body = true});
  // Identity routes (src/identity)
  r.add(verb::post, "/api/webhooks/clerk", identity::clerk_webhook_handler(), {.json_body = true});
  // AI routes (src/ai)
  r.add(verb::post, "/api/ai/run", ai::http_run, {.authenticated = true, .json_body = true});
  r.add(verb::get, "/api/ai/tasks", ai::http_list_tasks, {.authenticated = true});
  r.add(verb::get, "/api/ai/tasks/{id}", ai::http_get_task, {.authenticated = true});
  r.add(verb::post, "/api/ai/tasks/{id}/cancel", ai::http_cancel_task, {.authenticated = true});
  return r;
}

http::router admin_routes(obs::registry& m) {
  http::router r(m);
  r.add(verb::get, "/healthz", http::healthz);
  r.add(verb::get, "/readyz", http::readyz);
  r.add(verb::get, "/metrics", http::metrics);
  r.add(verb::get, "/admin/actors", http::actors);
  // Operator routes of billing (src/billing)
  r.add(verb::post, "/admin/stripe/events/{event_id}/replay", billing::stripe_replay_handler());
  return r;
}

}  // namespace trainia
