#include "app/routes.hpp"

#include "http/handlers/operator_handlers.hpp"
#include "http/handlers/profile_handlers.hpp"

namespace trainia {

using http::verb;

http::router api_routes(obs::registry& m) {
  http::router r(m);
  r.add(verb::get, "/api/users/profile", http::get_profile, {.authenticated = true});
  r.add(verb::put, "/api/users/profile", http::put_profile, {.authenticated = true, .json_body = true});
  // Billing routes (src/billing)
  // Identity routes (src/identity)
  // AI routes (src/ai)
  return r;
}

http::router admin_routes(obs::registry& m) {
  http::router r(m);
  r.add(verb::get, "/healthz", http::healthz);
  r.add(verb::get, "/readyz", http::readyz);
  r.add(verb::get, "/metrics", http::metrics);
  r.add(verb::get, "/admin/actors", http::actors);
  // Operator routes of billing (src/billing)
  return r;
}

}  // namespace trainia
