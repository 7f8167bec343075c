#include "billing/billing_supervisor.hpp"

#include "actors/atoms.hpp"
#include "billing/billing_shard.hpp"
#include "billing/ledger.hpp"
#include "billing/stripe_ingest.hpp"
#include "billing/sweep.hpp"
#include "billing/upgrade_desk.hpp"
#include "core/error.hpp"
#include "db/run.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

#include <functional>

namespace trainia::billing {
namespace {

using sup_pointer = caf::stateful_actor<billing_supervisor_state>*;

constexpr std::chrono::seconds sweep_interval{60};
constexpr int sweep_min_age_seconds = 30;
constexpr int sweep_page = 500;

constexpr size_t desk_index = 1 + billing_shards;

const char* child_kind(size_t i) {
  return i == 0 ? "stripe_ingest" : i == desk_index ? "upgrade_desk" : "billing_shard";
}

void start_child(sup_pointer self, size_t i) {
  auto& st = self->state;
  auto me = caf::actor_cast<caf::actor>(self);
  caf::actor child = i == 0            ? self->spawn(stripe_ingest, st.svc, me)
                     : i == desk_index ? self->spawn(upgrade_desk, st.svc)
                                       : self->spawn(billing_shard, st.svc, me, static_cast<int>(i - 1));
  self->monitor(child);
  st.children[i] = child;
  if (i == 0) {
    st.svc->stripe_ingest.set(child);
  } else if (i != desk_index) {
    auto held = std::move(st.held[i - 1]);
    st.held[i - 1].clear();
    for (auto& r : held) self->send(child, stripe_apply_atom::value, std::move(r));
  }
}

size_t shard_of(const std::string& key) {
  return std::hash<std::string>{}(key) % billing_shards;
}

void route(sup_pointer self, apply_request&& r) {
  auto& st = self->state;
  auto k = shard_of(r.routing_key);
  if (auto& shard = st.children[1 + k])
    self->send(shard, stripe_apply_atom::value, std::move(r));
  else
    st.held[k].push_back(std::move(r));
}

void sweep(sup_pointer self) {
  auto& st = self->state;
  if (st.sweeping || st.stopping) return;
  auto pool = st.svc->service_db.get();
  auto retry = [self] {
    auto& st = self->state;
    st.sweeping = false;
    ++st.sweep_failures;
    auto delay = std::chrono::milliseconds(std::min(30000, 250 << std::min(st.sweep_failures, 7)));
    self->delayed_send(self, delay, stripe_sweep_atom::value);
  };
  if (!pool) return retry();
  st.sweeping = true;
  int min_age = st.first_sweep_done ? sweep_min_age_seconds : 0;
  db::run(self, pool, {db::role::service, {}}, "billing/unapplied_events",
          unapplied_page_job(min_age, st.cursor_created, st.cursor_id, sweep_page))
      .then(
          [=](unapplied_page& page) {
            auto& st = self->state;
            st.sweeping = false;
            st.sweep_failures = 0;
            if (!page.event_ids.empty())
              log::info("applying stored Stripe events left unapplied",
                        {{"events", static_cast<uint64_t>(page.event_ids.size())}});
            for (size_t i = 0; i < page.event_ids.size(); ++i)
              route(self, apply_request{std::move(page.event_ids[i]), std::move(page.routing_keys[i]), nullptr, false});
            if (page.full) {
              st.cursor_created = page.last_created;
              st.cursor_id = page.last_id;
              self->send(self, stripe_sweep_atom::value);
              return;
            }
            st.cursor_created = 0;
            st.cursor_id = 0;
            st.first_sweep_done = true;
            self->delayed_send(self, sweep_interval, stripe_sweep_atom::value);
          },
          [=](caf::error& e) {
            log::warn("sweep of unapplied Stripe events failed; retrying", {{"error", info_of(e).message}});
            retry();
          });
}

caf::result<caf::message> replay(sup_pointer self, const std::string& event_id) {
  auto pool = self->state.svc->service_db.get();
  if (!pool) return fail_unavailable("the database is unavailable", 2, "no service pool");
  auto rp = self->make_response_promise();
  db::run(self, pool, {db::role::service, {}}, "billing/event_route", event_route_job(event_id))
      .then(
          [=](std::string& key) mutable {
            auto& shard = self->state.children[1 + shard_of(key)];
            if (!shard) return rp.deliver(fail_unavailable("billing is restarting; retry", 1, "shard down"));
            self->request(shard, caf::infinite, stripe_replay_atom::value, apply_request{event_id, key, nullptr, true})
                .then([=](replay_result& r) mutable { rp.deliver(std::move(r)); },
                      [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
          },
          [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

}  // namespace

caf::behavior billing_supervisor(caf::stateful_actor<billing_supervisor_state>* self, services* svc) {
  auto& st = self->state;
  st.svc = svc;
  st.info = svc->actors.add("billing_supervisor", "billing_supervisor", "root_supervisor");
  auto info = st.info;
  self->attach_functor([svc, info](const caf::error&) {
    svc->stripe_ingest.clear();
    svc->actors.remove(info);
  });
  st.children.resize(2 + billing_shards);
  st.held.resize(billing_shards);
  restart_policy policy;  // keeps restarting at the longest back-off: billing must not take the server down
  for (size_t i = 0; i < st.children.size(); ++i) st.trackers.emplace_back(policy);
  for (size_t i = 0; i < st.children.size(); ++i) start_child(self, i);
  self->set_error_handler([](caf::error&) {});
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    for (size_t i = 0; i < st.children.size(); ++i) {
      if (!st.children[i] || st.children[i].address() != dm.source) continue;
      st.children[i] = nullptr;
      if (i == 0) st.svc->stripe_ingest.clear();
      if (st.stopping) return;
      auto reason = dm.reason ? self->system().render(dm.reason) : std::string("exited");
      st.svc->actors.count_restart(child_kind(i), "billing_supervisor", reason);
      auto d = st.trackers[i].on_failure(std::chrono::steady_clock::now());
      log::warn("billing child failed; restarting",
                {{"actor", child_kind(i)}, {"reason", reason}, {"delay_ms", static_cast<int64_t>(d.delay.count())}});
      self->delayed_send(self, d.delay, restart_atom::value, static_cast<uint64_t>(i));
      return;
    }
  });
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    st.stopping = true;
    st.svc->stripe_ingest.clear();
    for (auto& c : st.children)
      if (c) self->send_exit(c, caf::exit_reason::user_shutdown);
    self->quit(em.reason);
  });
  self->send(self, stripe_sweep_atom::value);
  return {
      [=](stripe_apply_atom, apply_request& r) {
        self->state.info->handled();
        route(self, std::move(r));
      },
      [=](stripe_replay_atom, std::string& event_id) -> caf::result<caf::message> {
        self->state.info->handled();
        return replay(self, event_id);
      },
      [=](stripe_upgrade_atom, upgrade_request& r) -> caf::result<caf::message> {
        auto& desk = self->state.children[desk_index];
        if (!desk) return fail_unavailable("billing is restarting; retry", 1, "upgrade desk down");
        return self->delegate(desk, stripe_upgrade_atom::value, std::move(r));
      },
      [=](stripe_sweep_atom) { sweep(self); },
      [=](restart_atom, uint64_t i) {
        auto& st = self->state;
        if (st.stopping || i >= st.children.size() || st.children[i]) return;
        start_child(self, i);
      },
  };
}

caf::actor spawn_billing_supervisor(caf::actor_system& sys, services& svc) {
  return sys.spawn(billing_supervisor, &svc);
}

}  // namespace trainia::billing
