#include "http/auth_gate.hpp"

#include "auth/token_cache.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

namespace trainia::http {

namespace {

std::string_view cookie_value(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    auto semi = cookies.find(';');
    auto part = cookies.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) {
      auto v = part.substr(eq + 1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace

std::string_view session_token(const request_context& ctx, bool& via_cookie) {
  via_cookie = false;
  auto authz = ctx.header("authorization");
  if (!authz.empty()) {
    if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
      auto t = authz.substr(7);
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      return t;
    }
    return {};
  }
  auto cookies = ctx.header("cookie");
  auto v = cookie_value(cookies, "__session");
  if (!v.empty()) via_cookie = true;
  return v;
}

caf::error authenticate(request_context& ctx) {
  auto& metrics = ctx.app.svc.metrics;
  bool via_cookie = false;
  auto token = session_token(ctx, via_cookie);
  if (token.empty()) {
    metrics.auth_failures.with({{"reason", "missing"}}).inc();
    return fail(errc::unauthorized, "a session token is required");
  }
  auto outcome = ctx.app.verifier->verify(token, unix_now());
  if (auto* err = std::get_if<auth::jwt_error>(&outcome)) {
    metrics.auth_failures.with({{"reason", std::string(auth::to_string(*err))}}).inc();
    if (auth::is_forbidden(*err)) return fail(errc::forbidden, std::string(auth::to_string(*err)));
    return fail(errc::unauthorized, "invalid session token: " + std::string(auth::to_string(*err)));
  }
  ctx.user = std::move(std::get<auth::principal>(outcome));
  ctx.via_cookie = via_cookie;
  return {};
}

}  // namespace trainia::http
