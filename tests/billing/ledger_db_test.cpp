// The ledger's group-commit statement and the apply step's exactly-once
// guard, against a real migrated database (no server process).
#include "billing/apply_event.hpp"
#include "billing/ledger.hpp"
#include "billing/stripe_event.hpp"
#include "billing/stripe_fixtures.hpp"
#include "core/error.hpp"
#include "db/db_fixture.hpp"  // tests/db
#include "db/tx.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace trainia;
using namespace trainia::test;

namespace {

billing::stripe_delivery delivery(const nlohmann::json& ev) {
  auto body = std::make_shared<const std::string>(ev.dump());
  auto e = billing::parse_stripe_event(*body);
  REQUIRE(e);
  return {std::move(*e), body};
}

template <class T>
T run_job(db::connection& c, std::function<caf::message(db::tx&)> fn) {
  static const std::string instance = "test";
  db::access who{db::role::service, {}};
  db::tx t(c, who, instance);
  auto reply = fn(t);
  bool ok = !reply.match_elements<caf::error>();
  if (!ok) FAIL_CHECK(caf::to_string(reply));
  REQUIRE(!t.finish(ok));
  REQUIRE(reply.match_elements<T>());
  return reply.get_as<T>(0);
}

billing::apply_input input(std::string id, std::shared_ptr<const nlohmann::json> doc, bool replay = false) {
  billing::apply_input in;
  in.event_id = std::move(id);
  in.doc = std::move(doc);
  in.replay = replay;
  return in;
}

const billing::plan_catalog& catalog() {
  static billing::plan_catalog c = [] {
    std::string err;
    auto p = billing::plan_catalog::load("", err);
    REQUIRE(p);
    return *p;
  }();
  return c;
}

}  // namespace

TEST_CASE("ledger: copies in one batch fold into one row with attempts = copies", "[db][billing]") {
  if (!have_database()) return;
  migrated_db m;
  auto c = m.open();
  auto ev = stripe::fixture("customer.created");
  auto other = ev;
  other["id"] = "evt_other";
  std::vector<billing::stripe_delivery> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(delivery(ev));
  batch.push_back(delivery(other));
  auto stored = run_job<billing::stored_batch>(*c, billing::store_events_job(batch));
  REQUIRE(stored.events.size() == 2);
  for (const auto& e : stored.events) {
    CHECK(e.inserted);
    CHECK(e.unapplied);
  }
  pg p(m.db.url());
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = $1", {ev["id"].get<std::string>()}) == "5");
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = 'evt_other'") == "1");
  CHECK(p.scalar("SELECT extract(epoch FROM event_created)::bigint FROM stripe_events WHERE event_id = 'evt_other'") ==
        std::to_string(ev["created"].get<int64_t>()));
  // The stored payload is the event (jsonb keeps the content, not the bytes).
  CHECK(nlohmann::json::parse(*p.scalar("SELECT raw_payload::text FROM stripe_events WHERE event_id = 'evt_other'")) ==
        other);

  // A second batch: known ids are duplicates, attempts move on.
  auto again = run_job<billing::stored_batch>(*c, billing::store_events_job({delivery(ev), delivery(ev)}));
  REQUIRE(again.events.size() == 1);
  CHECK_FALSE(again.events[0].inserted);
  CHECK(again.events[0].unapplied);
  CHECK(p.scalar("SELECT attempts FROM stripe_events WHERE event_id = $1", {ev["id"].get<std::string>()}) == "7");
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 2);
}

TEST_CASE("ledger: concurrent batches of the same ids from two connections store each once", "[db][billing]") {
  if (!have_database()) return;
  migrated_db m;
  std::vector<billing::stripe_delivery> batch;
  for (int i = 0; i < 50; ++i) {
    auto ev = stripe::fixture("customer.created");
    ev["id"] = "evt_conc_" + std::to_string(i);
    batch.push_back(delivery(ev));
  }
  auto reversed = batch;
  std::reverse(reversed.begin(), reversed.end());  // the job sorts: no deadlock
  int inserted[2] = {0, 0};
  auto worker = [&](int k, std::vector<billing::stripe_delivery> b) {
    auto c = m.open();
    auto r = run_job<billing::stored_batch>(*c, billing::store_events_job(std::move(b)));
    for (const auto& e : r.events) inserted[k] += e.inserted;
  };
  std::thread a(worker, 0, batch), b(worker, 1, reversed);
  a.join();
  b.join();
  CHECK(inserted[0] + inserted[1] == 50);
  pg p(m.db.url());
  CHECK(p.count("SELECT count(*) FROM stripe_events") == 50);
  CHECK(p.count("SELECT count(*) FROM stripe_events WHERE attempts = 2") == 50);
}

TEST_CASE("apply: an event runs once, a second run is a no-op, a replay re-runs idempotently", "[db][billing]") {
  if (!have_database()) return;
  migrated_db m;
  auto c = m.open();
  pg p(m.db.url());
  p.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_ledger', 'cus_ledger')");
  auto ev = stripe::subscription_event("customer.subscription.created", "evt_sub_once", 1764064800, "sub_ledger",
                                       "cus_ledger", "active");
  auto d = delivery(ev);
  run_job<billing::stored_batch>(*c, billing::store_events_job({d}));
  auto first =
      run_job<billing::apply_result>(*c, billing::apply_event_job(input("evt_sub_once", d.event.doc), catalog()));
  CHECK(first.outcome == "applied");
  CHECK(first.outcome_changed);
  CHECK(first.users == std::vector<std::string>{"user_ledger"});
  auto second = run_job<billing::apply_result>(*c, billing::apply_event_job(input("evt_sub_once", nullptr), catalog()));
  CHECK(second.already_done);
  CHECK(second.outcome == "applied");
  auto third =
      run_job<billing::apply_result>(*c, billing::apply_event_job(input("evt_sub_once", nullptr, true), catalog()));
  CHECK(third.outcome == "applied");
  CHECK_FALSE(third.outcome_changed);
  CHECK(third.users.empty());
  CHECK(p.count("SELECT count(*) FROM audit_log WHERE action = 'customer.subscription.created'") == 1);
  CHECK(p.scalar("SELECT status || '/' || plan_name FROM subscriptions WHERE stripe_subscription_id = 'sub_ledger'") ==
        "active/pro");
}
