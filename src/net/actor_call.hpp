#pragma once

#include "actors/atoms.hpp"
#include "net/outbound_client.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/send.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace trainia::net {

/// A unit of work an actor runs in its own context.
using actor_task = std::function<void()>;

/// Sends `req` through `c` on behalf of the actor `self`. The actor must handle
/// `(run_atom, actor_task& t) { t(); }`: when the call finishes, the client's
/// thread only sends that message, and `on_done(outbound_response&)` then runs
/// inside the actor, so it may touch the actor's state. Only a weak reference
/// to the actor is kept: if the actor is gone, nothing runs (and the call does
/// not keep it alive). `F` must be copyable.
///
/// `at_end()`, when given, runs on the client's thread as soon as the call
/// has ended, before that message is sent: for a notice that must not wait
/// in the scheduler's queue behind other actors (it must be cheap and
/// thread-safe; it runs even when the actor is gone).
template <class Self, class F, class AtEnd = void (*)()>
call_handle call_from_actor(Self* self, outbound_client& c, outbound_request req, retry_options retry, F on_done,
                            AtEnd at_end = [] {}) {
  return c.send(std::move(req), std::move(retry),
                [addr = self->address(), on_done = std::move(on_done),
                 at_end = std::move(at_end)](outbound_response r) mutable {
                  at_end();
                  auto dest = caf::actor_cast<caf::actor>(addr);
                  if (!dest) return;
                  auto res = std::make_shared<outbound_response>(std::move(r));
                  caf::anon_send(dest, run_atom::value,
                                 actor_task([f = std::move(on_done), res]() mutable { f(*res); }));
                });
}

}  // namespace trainia::net

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(trainia::net::actor_task)
