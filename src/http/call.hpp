#pragma once

#include "actors/atoms.hpp"
#include "actors/user_session.hpp"
#include "core/error.hpp"
#include "http/request_context.hpp"

#include <caf/all.hpp>

#include <tuple>

namespace trainia::http {

/// Asks `dest` (from the connection's bridge actor) and passes the typed reply
/// to `on_reply`, which runs on a CAF thread and must answer `ctx`. An error
/// reply answers `ctx` with its contract error.
template <class Dest, class OnReply, class... Ts>
void call(const context_ptr& ctx, Dest dest, OnReply on_reply, Ts... xs) {
  if (!dest) {
    ctx->fail(fail_unavailable("a component is restarting; retry", 1, "no handle for call"));
    return;
  }
  ctx->in_actor([ctx, dest, on_reply, args = std::make_tuple(std::move(xs)...)](caf::event_based_actor* self) {
    std::apply(
      [&](const auto&... a) {
        self->request(dest, caf::infinite, a...).then(on_reply, [ctx](caf::error& e) { ctx->fail(e); });
      },
      args);
  });
}

/// As `call`, with an explicit error continuation instead of the contract's
/// error response (for operator endpoints that answer in their own shape).
template <class Dest, class OnReply, class OnError, class... Ts>
void call_or(const context_ptr& ctx, Dest dest, OnReply on_reply, OnError on_error, Ts... xs) {
  if (!dest) return on_error(fail_unavailable("a component is restarting; retry", 1, "no handle for call"));
  ctx->in_actor([ctx, dest, on_reply, on_error, args = std::make_tuple(std::move(xs)...)](caf::event_based_actor* self) {
    std::apply(
      [&](const auto&... a) {
        self->request(dest, caf::infinite, a...).then(on_reply, [on_error](caf::error& e) { on_error(e); });
      },
      args);
  });
}

namespace detail {

template <class OnReply, class Args>
void session_attempt(caf::event_based_actor* self, const context_ptr& ctx, OnReply on_reply, Args args, int tries) {
  auto& svc = ctx->app.svc;
  // No supervisor (shutting down, or restarting it): spawning a session now
  // would leave it unsupervised and could hold up shutdown.
  if (!svc.session_supervisor.get()) {
    ctx->fail(fail_unavailable("the service is restarting; retry", 1, "no session supervisor"));
    return;
  }
  auto session = svc.sessions.find_or_spawn(
    ctx->user->user_id, [&svc](const std::string& id) { return spawn_user_session(svc, id); });
  std::apply(
    [&](const auto&... a) {
      self->request(session, caf::infinite, a...)
        .then(on_reply, [=](caf::error& e) {
          // The session was evicted or crashed before it read our message:
          // nothing happened yet, so asking its successor is safe. The dead
          // actor may still be listed (it unlists itself as it terminates,
          // which a busy machine can delay): unlist it, so that the retry
          // spawns the successor instead of asking the dead one again.
          if (e == caf::sec::request_receiver_down && tries < 3) {
            ctx->app.svc.sessions.erase_if(ctx->user->user_id, session.address());
            session_attempt(self, ctx, on_reply, args, tries + 1);
          } else {
            ctx->fail(e);
          }
        });
    },
    args);
}

}  // namespace detail

/// Asks the authenticated user's session actor (spawned on first use).
template <class OnReply, class... Ts>
void call_session(const context_ptr& ctx, OnReply on_reply, Ts... xs) {
  ctx->in_actor([ctx, on_reply, args = std::make_tuple(std::move(xs)...)](caf::event_based_actor* self) {
    detail::session_attempt(self, ctx, on_reply, args, 0);
  });
}

}  // namespace trainia::http
