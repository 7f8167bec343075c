// Issue #5: every contract metric on /metrics, parsed back by the strict
// parser, present with its TYPE and moving when its event happens.
#include "ai/ai_fixture.hpp"
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "ops/ops_support.hpp"
#include "support/pg.hpp"
#include "support/poll.hpp"
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <set>
#include <thread>
#include <vector>

using namespace trainia::test;
using trainia::test::ops::scrape;
using trainia::test::ops::sum_of;
namespace stripe = trainia::test::stripe;

namespace {

const std::string profile = "/api/users/profile";

std::string random_uuid() {
  auto h = random_hex(16);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-8" + h.substr(17, 3) + "-" + h.substr(20, 12);
}

}  // namespace

TEST_CASE("ops metrics: every contract family is exposed with its type and parses strictly", "[integration][ops]") {
  trainia_server s;
  REQUIRE(s.client().get(profile, s.auth("user_ops_types")).status == 200);
  auto d = scrape(s);
  const std::map<std::string, std::string> contract = {
    {"trainia_http_requests_total", "counter"},         {"trainia_http_request_duration_seconds", "histogram"},
    {"trainia_actor_mailbox_depth", "gauge"},           {"trainia_actor_restarts_total", "counter"},
    {"trainia_actor_messages_total", "counter"},        {"trainia_db_pool_connections", "gauge"},
    {"trainia_db_query_duration_seconds", "histogram"}, {"trainia_ai_tasks", "gauge"},
    {"trainia_stripe_events_total", "counter"}};
  for (const auto& [name, type] : contract) {
    INFO(name);
    REQUIRE(d.has(name));
    CHECK(d.families.at(name).type == type);
    CHECK_FALSE(d.families.at(name).help.empty());
  }
  // The label sets the contract names.
  auto labels_of = [&](const std::string& family, const std::string& sample) {
    std::set<std::string> keys;
    for (const auto& smp : d.families.at(family).samples)
      if (smp.name == sample)
        for (const auto& [k, v] : smp.labels) keys.insert(k);
    return keys;
  };
  CHECK(labels_of("trainia_http_requests_total", "trainia_http_requests_total") ==
        std::set<std::string>{"route", "method", "status"});
  CHECK(labels_of("trainia_http_request_duration_seconds", "trainia_http_request_duration_seconds_count") ==
        std::set<std::string>{"route"});
  CHECK(labels_of("trainia_actor_mailbox_depth", "trainia_actor_mailbox_depth") == std::set<std::string>{"actor"});
  CHECK(labels_of("trainia_actor_messages_total", "trainia_actor_messages_total") == std::set<std::string>{"actor"});
  CHECK(labels_of("trainia_actor_restarts_total", "trainia_actor_restarts_total") == std::set<std::string>{"actor"});
  CHECK(labels_of("trainia_db_pool_connections", "trainia_db_pool_connections") ==
        std::set<std::string>{"pool", "state"});
  // Every status of the task lifecycle is exposed (0 included) once the pipeline counted.
  REQUIRE(poll_until([&] { return scrape(s).families.at("trainia_ai_tasks").samples.size() >= 5; }));
  for (std::string st : {"queued", "running", "succeeded", "failed", "cancelled"})
    CHECK_NOTHROW(scrape(s).value("trainia_ai_tasks", {{"status", st}}));
  // Each pool exposes its three states, and they add up to the configured size.
  for (auto [pool, size] : {std::pair<std::string, double>{"request", 4}, {"service", 2}}) {
    INFO(pool);
    CHECK(sum_of(d, "trainia_db_pool_connections", {{"pool", pool}}) == size);
    for (std::string state : {"idle", "busy", "disconnected"})
      CHECK_NOTHROW(d.value("trainia_db_pool_connections", {{"pool", pool}, {"state", state}}));
    // Connections are opened in the background (the pool serves as soon as one
    // is up): every one of them is connected shortly after start-up.
    CHECK(poll_until([&, pool = pool] {
      return scrape(s).value("trainia_db_pool_connections", {{"pool", pool}, {"state", "disconnected"}}) == 0;
    }));
  }
}

TEST_CASE("ops metrics: HTTP requests are counted by route template, exactly, with latency", "[integration][ops]") {
  trainia_server s;
  auto c = s.client();
  auto auth = s.auth("user_ops_http");
  wait_for_listener(s);  // its first connection drops every published profile, rightly
  REQUIRE(c.get(profile, auth).status == 200);  // first sight: the profile exists from here on
  auto before = scrape(s);
  const std::map<std::string, std::string> ok_get{{"route", profile}, {"method", "GET"}, {"status", "200"}};
  const int n = 7;
  for (int i = 0; i < n; ++i) REQUIRE(c.get(profile, auth).status == 200);
  // Tasks by id: counted under the template, never under the raw path.
  const int m = 3;
  std::vector<std::string> ids;
  for (int i = 0; i < m; ++i) {
    ids.push_back(random_uuid());
    REQUIRE(c.get("/api/ai/tasks/" + ids.back(), auth).status == 404);
  }
  // Paths that are no route, with characters that need escaping: one fixed label.
  const int u = 4;
  std::vector<std::string> junk = {"/no-such-route-" + random_hex(6), "/api/users/profile/" + random_hex(6),
                                   "/no-such-route/%22quoted%22", "/no-such-route/back%5Cslash"};
  for (const auto& p : junk) REQUIRE(c.get(p).status == 404);
  // Same for raw quote and backslash bytes in the target.
  auto raw = raw_exchange("127.0.0.1", s.port(),
                          "GET /no-such-route/\"x\\y HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                          std::chrono::seconds(5));
  CHECK(raw.find("HTTP/1.1 4") == 0);
  // Made-up methods: one fixed label value, not one series per method.
  for (const std::string& verb : std::vector<std::string>{"BREWCOFFEE", "X" + random_hex(8)}) {
    auto made_up = raw_exchange("127.0.0.1", s.port(), verb + " /nowhere HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                                std::chrono::seconds(5));
    CHECK(made_up.find("HTTP/1.1 4") == 0);
  }
  auto after = scrape(s);

  CHECK(after.value("trainia_http_requests_total", ok_get) - before.value("trainia_http_requests_total", ok_get) == n);
  CHECK(after.value("trainia_http_request_duration_seconds_count", {{"route", profile}}) -
          before.value("trainia_http_request_duration_seconds_count", {{"route", profile}}) ==
        n);
  CHECK(after.value("trainia_http_request_duration_seconds_sum", {{"route", profile}}) >
        before.value("trainia_http_request_duration_seconds_sum", {{"route", profile}}));
  const std::map<std::string, std::string> task_404{{"route", "/api/ai/tasks/{id}"}, {"method", "GET"}, {"status", "404"}};
  CHECK(after.value("trainia_http_requests_total", task_404) - before.value_or_zero("trainia_http_requests_total", task_404) ==
        m);
  const std::map<std::string, std::string> unmatched{{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}};
  CHECK(after.value_or_zero("trainia_http_requests_total", unmatched) -
          before.value_or_zero("trainia_http_requests_total", unmatched) >=
        u);
  for (const auto& smp : after.families.at("trainia_http_requests_total").samples) {
    INFO(smp.labels.at("method"));
    CHECK(smp.labels.at("method").find("BREWCOFFEE") == std::string::npos);
    CHECK(smp.labels.at("method").rfind("X", 0) != 0);
  }
  CHECK(after.value_or_zero("trainia_http_requests_total", {{"route", "unmatched"}, {"method", "OTHER"}, {"status", "404"}}) +
            after.value_or_zero("trainia_http_requests_total", {{"route", "unmatched"}, {"method", "OTHER"}, {"status", "405"}}) +
            after.value_or_zero("trainia_http_requests_total", {{"route", "unmatched"}, {"method", "OTHER"}, {"status", "400"}}) ==
        2);
  // No label anywhere carries a raw path (no cardinality growth per path).
  for (const auto& [fname, f] : after.families)
    for (const auto& smp : f.samples)
      for (const auto& [k, v] : smp.labels) {
        INFO(fname << " " << k << "=" << v);
        CHECK(v.find("no-such-route") == std::string::npos);
        for (const auto& id : ids) CHECK(v.find(id) == std::string::npos);
      }
  std::set<std::string> routes;
  for (const auto& smp : after.families.at("trainia_http_requests_total").samples) routes.insert(smp.labels.at("route"));
  for (const auto& r : routes) {
    INFO(r);
    CHECK((r == "unmatched" || r.rfind("/", 0) == 0));
  }
  // Requests of the operator listener are counted too (this scrape's own route).
  CHECK(after.value("trainia_http_requests_total", {{"route", "/metrics"}, {"method", "GET"}, {"status", "200"}}) >= 1);

  // The profile GETs after the first are answered from the profile the
  // session actor published (on the I/O thread); the task reads go through
  // the session actor and the database.
  CHECK(after.value("trainia_session_cached_reads_total") - before.value("trainia_session_cached_reads_total") == n);
  CHECK(after.value("trainia_actor_messages_total", {{"actor", "user_session"}}) -
          before.value("trainia_actor_messages_total", {{"actor", "user_session"}}) >=
        m);
  CHECK(after.value("trainia_db_query_duration_seconds_count", {{"pool", "request"}}) >
        before.value("trainia_db_query_duration_seconds_count", {{"pool", "request"}}));
  // A PUT is a database job: the request pool's histogram counts it.
  auto jobs = after.value("trainia_db_query_duration_seconds_count", {{"pool", "request"}});
  REQUIRE(c.put_json(profile, {{"full_name", "Metric Mover"}}, auth).status == 200);
  CHECK(scrape(s).value("trainia_db_query_duration_seconds_count", {{"pool", "request"}}) >= jobs + 1);
}

TEST_CASE("ops metrics: an injected session crash raises actor restarts", "[integration][ops]") {
  trainia_server s;
  auto c = s.client();
  REQUIRE(c.get(profile, s.auth("user_ops_crash")).status == 200);
  auto before = scrape(s).value_or_zero("trainia_actor_restarts_total", {{"actor", "user_session"}});
  auto h = s.auth("user_ops_crash");
  h.emplace_back("X-Trainia-Fault", "crash-session");
  CHECK(c.get(profile, h).status == 500);
  CHECK(poll_until([&] {
    return scrape(s).value_or_zero("trainia_actor_restarts_total", {{"actor", "user_session"}}) == before + 1;
  }));
  CHECK(c.get(profile, s.auth("user_ops_crash")).status == 200);
}

TEST_CASE("ops metrics: pool connections and pool queue depth move while the database is held up",
          "[integration][ops]") {
  // One request connection, so a second job has to wait in the pool's queue.
  trainia_server s({.env = {{"DATABASE_POOL_SIZE", "1"},
                            {"TRAINIA_DB_QUEUE_TIMEOUT_MS", "15000"},
                            {"TRAINIA_DB_STATEMENT_TIMEOUT_MS", "15000"}}});
  // The pools open their connections in the background after start-up; jobs
  // sent meanwhile (the AI dispatcher's first poll, on the service pool) wait
  // in a pool's queue until then.
  CHECK(poll_until([&] {
    auto d = scrape(s);
    return d.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "idle"}}) == 1 &&
           d.value("trainia_actor_mailbox_depth", {{"actor", "db_pool"}}) == 0;
  }));
  auto idle = scrape(s);
  CHECK(idle.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "idle"}}) == 1);
  CHECK(idle.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "busy"}}) == 0);
  CHECK(idle.value("trainia_actor_mailbox_depth", {{"actor", "db_pool"}}) == 0);

  pg blocker(s.database_url());
  blocker.exec("BEGIN");
  blocker.exec("LOCK TABLE user_profiles IN ACCESS EXCLUSIVE MODE");
  std::vector<std::future<int>> calls;
  for (int i = 0; i < 3; ++i)
    calls.push_back(std::async(std::launch::async, [&s, i] {
      auto c = s.client();
      return c.request("GET", profile, "", s.auth("user_ops_held_" + std::to_string(i)), std::chrono::seconds(30))
        .status;
    }));
  bool busy_seen = poll_until([&] {
    auto d = scrape(s);
    return d.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "busy"}}) == 1 &&
           d.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "idle"}}) == 0 &&
           d.value("trainia_actor_mailbox_depth", {{"actor", "db_pool"}}) >= 2;
  });
  blocker.exec("COMMIT");
  CHECK(busy_seen);
  for (auto& f : calls) CHECK(f.get() == 200);
  CHECK(poll_until([&] {
    auto d = scrape(s);
    return d.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "idle"}}) == 1 &&
           d.value("trainia_actor_mailbox_depth", {{"actor", "db_pool"}}) == 0;
  }));
}

TEST_CASE("ops metrics: an AI run moves trainia_ai_tasks and a signed Stripe event moves trainia_stripe_events_total",
          "[integration][ops]") {
  fake_http_server provider;
  provider.on("POST", ai::chat_path, [](const recorded_request&) { return json_reply(200, ai::completion("pong")); });
  // The built-in plans (price_pro_monthly is "pro"), not the AI fixture's.
  auto env = ai::provider_env(provider, {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}, {"TRAINIA_PLANS_FILE", ""}});
  trainia_server s({.env = env});
  auto c = s.client();
  auto auth = s.auth("user_ops_ai");

  REQUIRE(poll_until([&] { return scrape(s).families.at("trainia_ai_tasks").samples.size() >= 5; }));
  auto before = scrape(s).value("trainia_ai_tasks", {{"status", "succeeded"}});
  auto r = ai::submit(c, auth, {{"prompt", "ping"}}, "?wait=20");
  REQUIRE(r.status == 200);
  CHECK(r.json()["status"] == "succeeded");
  CHECK(poll_until([&] { return scrape(s).value("trainia_ai_tasks", {{"status", "succeeded"}}) == before + 1; }));

  // Stripe: an ignored type and an applied subscription event, by type and outcome.
  pg db(s.database_url());
  db.exec("INSERT INTO user_profiles (clerk_user_id, stripe_customer_id) VALUES ('user_ops_stripe', 'cus_ops_metrics')");
  auto m0 = scrape(s);
  auto ignored = [](const prom_document& d) {
    return d.value_or_zero("trainia_stripe_events_total", {{"type", "customer.created"}, {"outcome", "ignored"}});
  };
  auto applied = [](const prom_document& d) {
    return d.value_or_zero("trainia_stripe_events_total",
                           {{"type", "customer.subscription.created"}, {"outcome", "applied"}});
  };
  auto ev = stripe::fixture("customer.created");
  ev["id"] = "evt_ops_metrics_ignored";
  REQUIRE(stripe::deliver(c, ev).status == 200);
  auto sub = stripe::subscription_event("customer.subscription.created", "evt_ops_metrics_applied", unix_now() - 2,
                                        "sub_ops_metrics", "cus_ops_metrics", "active");
  REQUIRE(stripe::deliver(c, sub).status == 200);
  CHECK(poll_until([&] {
    auto d = scrape(s);
    return ignored(d) == ignored(m0) + 1 && applied(d) == applied(m0) + 1;
  }));
  // A bad signature stores nothing and counts no event.
  auto body = sub.dump();
  CHECK(stripe::deliver_signed(c, body, stripe::signature_header("whsec_wrong", unix_now(), body)).status == 400);
  auto d = scrape(s);
  CHECK(applied(d) == applied(m0) + 1);
  CHECK(d.value("trainia_http_requests_total",
                {{"route", "/api/webhooks/stripe"}, {"method", "POST"}, {"status", "400"}}) >= 1);
}
