#include "http/handlers/profile_handlers.hpp"

#include "http/call.hpp"
#include "http/etag.hpp"
#include "profiles/profile_validation.hpp"

#include <optional>

namespace trainia::http {

namespace {

void send_profile(const context_ptr& ctx, const profile_doc& doc) {
  response res{status::ok, ctx->req.version()};
  res.set(bhttp::field::etag, doc.etag);
  res.set(bhttp::field::content_type, "application/json");
  res.body() = doc.body;
  ctx->respond(std::move(res));
}

/// Test hook (X-Trainia-Fault, test hooks only): "crash-session" makes the
/// user's session actor throw; "crash-session-listed" also leaves the dead
/// actor in the session directory. The value: whether to leave it listed.
std::optional<bool> crash_requested(const context_ptr& ctx) {
  if (!ctx->app.cfg.enable_test_hooks) return std::nullopt;
  auto f = ctx->header("x-trainia-fault");
  if (f == "crash-session") return false;
  if (f == "crash-session-listed") return true;
  return std::nullopt;
}

void answer_profile(const context_ptr& ctx, const profile_doc& doc) {
  auto inm = ctx->header("if-none-match");
  if (!inm.empty() && none_match_hits(inm, doc.etag)) {
    response res{status::not_modified, ctx->req.version()};
    res.set(bhttp::field::etag, doc.etag);
    return ctx->respond(std::move(res));
  }
  send_profile(ctx, doc);
}

}  // namespace

void get_profile(const context_ptr& ctx) {
  if (auto keep_listed = crash_requested(ctx)) {
    // Test hook: a message that makes this user's session actor throw.
    return call_session(ctx, [ctx](bool) { ctx->respond_json(status::ok, "{}"); }, crash_atom::value, *keep_listed);
  }
  // Fast path, on this I/O thread: the profile the user's session actor has
  // published, under the same rate limit, without a round trip through it.
  if (auto shared = ctx->app.svc.sessions.shared(ctx->user->user_id)) {
    bool admitted = false;
    int retry_after = 1;
    if (auto doc = shared->cached_profile(admitted, retry_after)) {
      if (!admitted) return ctx->fail(fail_rate_limited(session_shared::refusal, retry_after));
      ctx->app.svc.metrics.profile_cached_reads.inc();
      return answer_profile(ctx, *doc);
    }
  }
  call_session(ctx, [ctx](profile_doc& doc) { answer_profile(ctx, doc); }, get_profile_atom::value);
}

void put_profile(const context_ptr& ctx) {
  auto update = profiles::validate_update(ctx->req.body());
  if (!update) return ctx->fail(update.error());
  auto if_match = ctx->header("if-match");
  update->if_match = std::string(if_match);
  call_session(ctx, [ctx](profile_doc& doc) { send_profile(ctx, doc); }, put_profile_atom::value,
               std::move(*update));
}

}  // namespace trainia::http
