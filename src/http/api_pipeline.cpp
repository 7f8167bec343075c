#include "http/api_pipeline.hpp"

#include "core/error.hpp"
#include "http/auth_gate.hpp"
#include "http/request_context.hpp"

namespace trainia::http {

namespace {

constexpr const char* allowed_headers =
  "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_safe_method(verb v) { return v == verb::get || v == verb::head || v == verb::options; }

}  // namespace

bool is_json_media_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto media = ct.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
  return beast::iequals(media, "application/json");
}

bool api_pipeline::origin_allowed(std::string_view origin) const {
  for (const auto& o : app_.cfg.cors_allowed_origins)
    if (o == origin) return true;
  return false;
}

void api_pipeline::handle(const context_ptr& ctx) {
  auto path = ctx->path();
  bool api = starts_with(path, "/api/");
  bool webhook = starts_with(path, "/api/webhooks/");
  auto origin = ctx->header("origin");
  if (api && !webhook && !origin.empty() && origin_allowed(origin)) ctx->cors_origin = std::string(origin);

  auto method = ctx->req.method();
  if (method == verb::options) {
    auto m = routes_.match(verb::options, path);
    if (!m.path_known) return ctx->fail(fail(errc::not_found, "no such resource"));
    response res{status::no_content, ctx->req.version()};
    res.set(bhttp::field::allow, m.allow + ", OPTIONS");
    if (!ctx->cors_origin.empty()) {
      res.set(bhttp::field::access_control_allow_methods, m.allow + ", OPTIONS");
      res.set(bhttp::field::access_control_allow_headers, allowed_headers);
      res.set(bhttp::field::access_control_max_age, "600");
    }
    return ctx->respond(std::move(res));
  }

  auto m = routes_.match(method, path);
  if (!m.found) {
    if (m.path_known)
      return ctx->fail(fail(errc::method_not_allowed, "method not allowed"), {{"allow", m.allow}});
    return ctx->fail(fail(errc::not_found, "no such resource"));
  }
  ctx->matched = m.found;
  ctx->params = std::move(m.params);
  const auto& opts = m.found->opts;

  if (opts.authenticated) {
    if (auto e = authenticate(*ctx)) return ctx->fail(e);
    // A browser sends the cookie on cross-site requests too: refuse writes
    // that the cookie alone authorises from an origin we do not know.
    if (ctx->via_cookie && !is_safe_method(method) && !origin.empty() && !origin_allowed(origin))
      return ctx->fail(fail(errc::forbidden, "cross-origin request refused"));
  }
  if (opts.json_body) {
    auto ct = ctx->header("content-type");
    if ((!ctx->req.body().empty() || !ct.empty()) && !is_json_media_type(ct))
      return ctx->fail(fail(errc::unsupported_media_type, "Content-Type must be application/json"));
  }
  m.found->handler(ctx);
}

void api_pipeline::decorate(const request_context& ctx, response& res) const {
  if (!ctx.cors_origin.empty()) {
    res.set(bhttp::field::access_control_allow_origin, ctx.cors_origin);
    res.set(bhttp::field::access_control_allow_credentials, "true");
  }
  auto path = ctx.path();
  if (starts_with(path, "/api/") && !starts_with(path, "/api/webhooks/") && !ctx.header("origin").empty())
    res.set(bhttp::field::vary, "Origin");
  if (ctx.matched && ctx.matched->opts.authenticated && res.find(bhttp::field::cache_control) == res.end())
    res.set(bhttp::field::cache_control, "private, no-cache");
}

}  // namespace trainia::http
