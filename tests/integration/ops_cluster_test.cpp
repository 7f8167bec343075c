// Issue #5: two trainia processes on one database behind Debian's nginx,
// configured from deploy/nginx.conf. A change made through one is served by
// the other within a second (LISTEN/NOTIFY invalidation of the cached copy),
// and killing one loses no acknowledged request.
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "ops/ops_support.hpp"
#include "support/pg.hpp"
#include "support/poll.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace trainia::test;
using nlohmann::json;
namespace stripe = trainia::test::stripe;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string profile = "/api/users/profile";

std::map<std::string, std::string> cluster_env() {
  return {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret},
          {"TRAINIA_RATE_LIMIT_PER_SECOND", "10000"},
          {"TRAINIA_RATE_LIMIT_BURST", "10000"}};
}

/// Polls `ok` every 10 ms for up to `limit`; returns how long it took, or
/// nullopt when it never held.
std::optional<std::chrono::milliseconds> time_until(const std::function<bool()>& ok,
                                                    std::chrono::milliseconds limit = std::chrono::seconds(3)) {
  auto start = clock_type::now();
  while (clock_type::now() - start < limit) {
    if (ok()) return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("ops cluster: a profile changed through one instance is served by the other within a second",
          "[integration][ops][cluster]") {
  trainia_server a({.env = cluster_env()});
  trainia_server b({.env = cluster_env(), .database_url = a.database_url()});
  // Both LISTEN before the test starts: a listener that connects later drops
  // every cached copy (rightly), which would blur what is measured.
  wait_for_listener(a);
  wait_for_listener(b);
  auto ca = a.client();
  auto cb = b.client();
  const std::string user = "user_ops_cluster_profile";
  // B caches the profile first, so only an invalidation can make it see the change.
  auto first = cb.get(profile, b.auth(user));
  REQUIRE(first.status == 200);
  CHECK(first.json()["full_name"].is_null());
  auto jobs_before = ops::scrape(b).value("trainia_db_query_duration_seconds_count", {{"pool", "request"}});
  REQUIRE(cb.get(profile, b.auth(user)).status == 200);
  // Served from B's session actor: no database job for a cached read.
  CHECK(ops::scrape(b).value("trainia_db_query_duration_seconds_count", {{"pool", "request"}}) == jobs_before);

  for (int round = 1; round <= 3; ++round) {
    auto name = "Cluster Name " + std::to_string(round);
    REQUIRE(ca.put_json(profile, {{"full_name", name}}, a.auth(user)).status == 200);
    auto took = time_until([&] {
      auto r = cb.get(profile, b.auth(user));
      return r.status == 200 && r.json()["full_name"] == name;
    });
    INFO("round " << round);
    REQUIRE(took);
    CHECK(took->count() <= 1000);
  }
  // And the other way round.
  REQUIRE(cb.put_json(profile, {{"preferences", {{"theme", "dark"}}}}, b.auth(user)).status == 200);
  auto took = time_until([&] {
    auto r = ca.get(profile, a.auth(user));
    return r.status == 200 && r.json()["preferences"] == json{{"theme", "dark"}};
  });
  REQUIRE(took);
  CHECK(took->count() <= 1000);
}

TEST_CASE("ops cluster: a Stripe webhook received by one instance changes the plan the other serves",
          "[integration][ops][cluster]") {
  trainia_server a({.env = cluster_env()});
  trainia_server b({.env = cluster_env(), .database_url = a.database_url()});
  // Both LISTEN before the test starts: a listener that connects later drops
  // every cached copy (rightly), which would blur what is measured.
  wait_for_listener(a);
  wait_for_listener(b);
  auto ca = a.client();
  auto cb = b.client();
  const std::string user = "user_ops_cluster_plan";
  {
    pg db(a.database_url());
    db.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ($1, 'cus_ops_cluster')", {user});
  }
  auto before = cb.get("/api/subscriptions", b.auth(user));
  REQUIRE(before.status == 200);
  REQUIRE(before.json()["plan"] == "free");
  CHECK(before.json()["entitlements"]["ai_runs_per_month"] == 50);

  auto ev = stripe::subscription_event("customer.subscription.created", "evt_ops_cluster_1", unix_now() - 2,
                                       "sub_ops_cluster", "cus_ops_cluster", "active", "price_pro_monthly");
  REQUIRE(stripe::deliver(ca, ev).status == 200);
  auto took = time_until([&] {
    auto r = cb.get("/api/subscriptions", b.auth(user));
    return r.status == 200 && r.json()["plan"] == "pro";
  });
  REQUIRE(took);
  CHECK(took->count() <= 1000);
  auto after = cb.get("/api/subscriptions", b.auth(user)).json();
  CHECK(after["entitlements"]["ai_runs_per_month"] == 2000);
  CHECK(after["subscription"]["stripe_subscription_id"] == "sub_ops_cluster");

  // Cancelled through B: A serves free again.
  REQUIRE(ca.get("/api/subscriptions", a.auth(user)).json()["plan"] == "pro");
  auto del = stripe::subscription_event("customer.subscription.deleted", "evt_ops_cluster_2", unix_now() - 1,
                                        "sub_ops_cluster", "cus_ops_cluster", "canceled", "price_pro_monthly");
  REQUIRE(stripe::deliver(cb, del).status == 200);
  took = time_until([&] {
    auto r = ca.get("/api/subscriptions", a.auth(user));
    return r.status == 200 && r.json()["plan"] == "free";
  });
  REQUIRE(took);
  CHECK(took->count() <= 1000);
}

TEST_CASE("ops cluster: through nginx, killing one instance loses no acknowledged request",
          "[integration][ops][cluster]") {
  trainia_server a({.env = cluster_env()});
  trainia_server b({.env = cluster_env(), .database_url = a.database_url()});
  // Both LISTEN before the test starts: a listener that connects later drops
  // every cached copy (rightly), which would blur what is measured.
  wait_for_listener(a);
  wait_for_listener(b);
  ops::nginx_proxy nginx(a.port(), b.port());

  // Through nginx, both instances answer (round robin), with the request id passed through.
  std::set<std::string> served_by;
  for (int i = 0; i < 6; ++i) {
    auto rid = "ops-nginx-" + std::to_string(i) + "-" + random_hex(4);
    auto r = nginx.client().get(profile, {bearer(a.token("user_ops_rr")), {"X-Request-Id", rid}});
    REQUIRE(r.status == 200);
    CHECK(r.header("X-Request-Id") == rid);
    // Access lines are written within ~20 ms, with others of their thread.
    poll_until([&] {
      return a.log().find(rid) != std::string::npos || b.log().find(rid) != std::string::npos;
    });
    if (a.log().find(rid) != std::string::npos) served_by.insert("a");
    if (b.log().find(rid) != std::string::npos) served_by.insert("b");
  }
  CHECK(served_by == std::set<std::string>{"a", "b"});
  // Operator endpoints are not proxied.
  CHECK(nginx.client().get("/metrics").status == 404);
  CHECK(nginx.client().get("/admin/actors").status == 404);

  // A burst of writes from several threads; A is SIGKILLed part way through.
  const int threads = 4, per_thread = 30;
  struct outcome {
    std::string kind, key, value;  // "put": user, full_name; "hook": event id
    int status = 0;                // 0: connection error
    bool after_kill = false;
  };
  std::vector<std::vector<outcome>> results(threads);
  std::vector<std::vector<std::string>> tokens(threads);
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; i += 2)
      tokens[t].push_back(a.token("user_ops_burst_" + std::to_string(t) + "_" + std::to_string(i)));
  std::atomic<int> done{0};
  std::atomic<bool> killed{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        outcome o;
        o.after_kill = killed.load();
        try {
          auto c = nginx.client();
          if (i % 2 == 0) {
            o.kind = "put";
            o.key = "user_ops_burst_" + std::to_string(t) + "_" + std::to_string(i);
            o.value = "Burst " + std::to_string(t) + "/" + std::to_string(i);
            o.status = c.request("PUT", profile, json{{"full_name", o.value}}.dump(),
                                 {bearer(tokens[t][i / 2]), {"Content-Type", "application/json"}},
                                 std::chrono::seconds(20))
                         .status;
          } else {
            o.kind = "hook";
            o.key = "evt_ops_burst_" + std::to_string(t) + "_" + std::to_string(i);
            auto ev = stripe::fixture("customer.created");
            ev["id"] = o.key;
            o.status = stripe::deliver(c, ev).status;
          }
        } catch (const std::exception&) {
          o.status = 0;
        }
        results[t].push_back(o);
        ++done;
      }
    });
  while (done.load() < threads * per_thread / 3) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  a.process().kill_hard();  // SIGKILL: no graceful drain
  killed = true;
  for (auto& th : pool) th.join();

  pg db(b.database_url());
  int acked = 0, acked_after_kill = 0, failed = 0;
  for (const auto& per : results)
    for (const auto& o : per) {
      INFO(o.kind << " " << o.key << " → " << o.status);
      if (o.status >= 200 && o.status < 300) {
        ++acked;
        if (o.after_kill) ++acked_after_kill;
        if (o.kind == "put")
          CHECK(db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = $1", {o.key}) == o.value);
        else
          CHECK(db.count("SELECT count(*) FROM stripe_events WHERE event_id = $1", {o.key}) == 1);
      } else {
        ++failed;
        // Only what a dying upstream can cause: a gateway error or a dropped connection.
        CHECK((o.status == 0 || o.status == 502 || o.status == 503 || o.status == 504));
      }
    }
  INFO("acked " << acked << ", after the kill " << acked_after_kill << ", failed " << failed);
  CHECK(acked + failed == threads * per_thread);
  CHECK(failed <= 2 * threads);  // about the requests in flight at the kill
  CHECK(acked_after_kill >= threads * per_thread / 2);
  // nginx keeps serving through B.
  for (int i = 0; i < 5; ++i) CHECK(nginx.client().get(profile, a.auth("user_ops_rr")).status == 200);
}
