#include "billing/billing_shard.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "billing/apply_event.hpp"
#include "billing/ledger.hpp"
#include "billing/stripe_fetch.hpp"
#include "core/error.hpp"
#include "db/run.hpp"
#include "net/actor_call.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

namespace trainia::billing {
namespace {

using shard_pointer = caf::stateful_actor<billing_shard_state>*;

constexpr int max_attempts = 8;  // database outage: ~0.2 s … 10 s apart, then left to the sweep
/// Past this many waiting events a shard keeps only an event's id and reads
/// its payload back from the ledger when its turn comes: a burst of webhooks
/// faster than they can be applied then costs ~100 bytes per event, not the
/// parsed JSON (every event is durable in stripe_events before it gets here).
constexpr size_t parsed_backlog_limit = 256;

void pump(shard_pointer self);

void done(shard_pointer self) {
  auto& st = self->state;
  st.queue.pop_front();
  if (st.queue.empty() && st.queue_grew) {
    decltype(st.queue)().swap(st.queue);
    st.queue_grew = false;
  }
  st.busy = false;
  pump(self);
}

void finished(shard_pointer self, apply_result& r) {
  auto& st = self->state;
  auto& w = st.queue.front();
  auto& svc = *st.svc;
  if (r.outcome_changed) svc.metrics.stripe_events.with({{"type", r.type}, {"outcome", r.outcome}}).inc();
  for (const auto& user : r.users)
    svc.sessions.invalidate(user);
  for (auto& f : r.follow_ups) self->send(st.router, stripe_apply_atom::value, std::move(f));
  if (!r.already_done) {
    auto level = r.outcome == "failed" ? log_level::warn : log_level::debug;
    if (log::enabled(level))
      log::write(level, "stripe event applied",
                 {{"event_id", w.request.event_id},
                  {"type", r.type},
                  {"outcome", r.outcome},
                  {"note", r.note},
                  {"error", r.error},
                  {"replay", w.request.replay}});
  }
  if (w.has_promise) w.promise.deliver(replay_result{w.request.event_id, r.outcome});
  done(self);
}

void on_error(shard_pointer self, const caf::error& e) {
  auto& st = self->state;
  auto& w = st.queue.front();
  if (w.has_promise) {
    w.promise.deliver(e);
    return done(self);
  }
  // Unavailable database, or a pool restarting under us: nothing was written; try again later.
  bool transient = is(e, errc::service_unavailable) || e.category() != caf::atom("trainia");
  if (transient && ++w.attempt < max_attempts) {
    auto delay = std::chrono::milliseconds(std::min(10000, 200 << std::min(w.attempt, 6)));
    self->delayed_send(self, delay, stripe_retry_atom::value);
    return;  // stays at the front; busy until the retry
  }
  auto info = info_of(e);
  log::warn("stripe event not applied", {{"event_id", w.request.event_id},
                                         {"error", info.message},
                                         {"internal", info.internal},
                                         {"attempts", w.attempt}});
  if (!transient && !is(e, errc::not_found)) {
    // A fault of this event (not of the database): record it, so the sweep does not retry it forever.
    if (auto pool = st.svc->service_db.get()) {
      auto id = w.request.event_id;
      auto msg = info.message.empty() ? std::string("internal error") : info.message;
      db::run(self, pool, {db::role::service, {}}, "billing/fail_event", fail_event_job(id, msg))
          .then([](bool) {}, [](caf::error&) {});
    }
  }
  done(self);
}

void start_fetch(shard_pointer self, const std::string& subscription_id) {
  auto& st = self->state;
  auto req = subscription_request(st.svc->cfg, subscription_id);
  net::call_from_actor(
      self, *st.svc->outbound, std::move(req), fetch_retry(), [self, subscription_id](net::outbound_response& resp) {
        auto& st = self->state;
        if (st.queue.empty()) return;
        auto& w = st.queue.front();
        w.fetched = read_fetched_subscription(resp, subscription_id);
        if (!w.fetched) {
          w.no_fetch = true;
          log::warn("Stripe did not settle a same-second tie; using the lifecycle rule",
                    {{"event_id", w.request.event_id}, {"status", resp.status}, {"error", resp.error}});
        }
        st.busy = false;
        pump(self);
      });
}

void pump(shard_pointer self) {
  auto& st = self->state;
  if (st.busy || st.queue.empty()) return;
  st.busy = true;
  auto& w = st.queue.front();
  auto pool = st.svc->service_db.get();
  if (!pool) return on_error(self, fail_unavailable("the database is unavailable", 2, "no service pool"));
  apply_input in;
  in.event_id = w.request.event_id;
  in.doc = w.request.doc;
  in.replay = w.request.replay;
  in.can_fetch = !w.no_fetch && can_fetch_subscriptions(*st.svc);
  in.fetched = w.fetched;
  db::run(self, pool, {db::role::service, {}}, "billing/apply_event", apply_event_job(std::move(in), *st.svc->plans))
      .then(
          [=](apply_result& r) {
            if (!r.fetch_subscription.empty() && valid_subscription_id(r.fetch_subscription))
              return start_fetch(self, r.fetch_subscription);
            if (!r.fetch_subscription.empty()) {
              self->state.queue.front().no_fetch = true;
              self->state.busy = false;
              return pump(self);
            }
            finished(self, r);
          },
          [=](caf::error& e) { on_error(self, e); });
}

void enqueue(shard_pointer self, apply_request&& r, caf::response_promise rp, bool has_promise) {
  auto& st = self->state;
  st.info->handled();
  billing_shard_state::work w;
  w.request = std::move(r);
  if (st.queue.size() >= parsed_backlog_limit) w.request.doc.reset();
  w.promise = std::move(rp);
  w.has_promise = has_promise;
  st.queue.push_back(std::move(w));
  st.queue_grew = st.queue_grew || st.queue.size() > parsed_backlog_limit;
  st.info->mailbox(static_cast<int64_t>(st.queue.size()));
  pump(self);
}

}  // namespace

caf::behavior billing_shard(caf::stateful_actor<billing_shard_state>* self, services* svc, caf::actor router,
                            int index) {
  auto& st = self->state;
  st.svc = svc;
  st.router = std::move(router);
  auto name = "billing_shard/" + std::to_string(index);
  st.info = svc->actors.add("billing_shard", name, "billing_supervisor");
  auto info = st.info;
  self->attach_functor([svc, info](const caf::error&) { svc->actors.remove(info); });
  self->set_exception_handler(crash_logger("billing_shard", name));
  self->set_error_handler([](caf::error&) {});
  return {
      [=](stripe_apply_atom, apply_request& r) { enqueue(self, std::move(r), {}, false); },
      [=](stripe_replay_atom, apply_request& r) -> caf::result<caf::message> {
        auto rp = self->make_response_promise();
        enqueue(self, std::move(r), rp, true);
        return rp;
      },
      [=](stripe_retry_atom) {
        self->state.busy = false;
        pump(self);
      },
      [=](run_atom, net::actor_task& t) { t(); },
  };
}

}  // namespace trainia::billing
