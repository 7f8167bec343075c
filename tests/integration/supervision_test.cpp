#include "integration/server_fixture.hpp"
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace trainia::test;

TEST_CASE("a crashing session actor is isolated, restarted and counted", "[integration][supervision]") {
  // The bystander below asks in a tight loop: lift the per-user rate limit.
  trainia_server s({.env = {{"TRAINIA_RATE_LIMIT_PER_SECOND", "100000"}, {"TRAINIA_RATE_LIMIT_BURST", "100000"}}});
  auto c = s.client();
  REQUIRE(c.get("/api/users/profile", s.auth("user_victim")).status == 200);

  // Other users keep being served while the victim's actor crashes.
  std::atomic<bool> stop{false};
  std::atomic<int> others_ok{0}, others_bad{0};
  auto bystander_auth = s.auth("user_bystander");
  std::thread bystander([&] {
    auto bc = s.client();
    while (!stop) {
      auto r = bc.get("/api/users/profile", bystander_auth);
      (r.status == 200 ? others_ok : others_bad)++;
    }
  });

  auto h = s.auth("user_victim");
  h.emplace_back("X-Trainia-Fault", "crash-session");
  auto crashed = c.get("/api/users/profile", h);
  CHECK(crashed.status == 500);
  CHECK(crashed.json()["error"]["code"] == "internal");
  CHECK(crashed.body.find("injected") == std::string::npos);  // nothing of the inside leaks

  // The victim's next request gets a fresh session and succeeds.
  auto next = c.get("/api/users/profile", s.auth("user_victim"));
  CHECK(next.status == 200);
  CHECK(next.json()["user_id"] == "user_victim");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  bystander.join();
  CHECK(others_ok > 0);
  CHECK(others_bad == 0);

  // The restart is counted in /metrics and in /admin/actors.
  auto m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_actor_restarts_total", {{"actor", "user_session"}}) == 1);
  auto tree = s.admin().get("/admin/actors").json();
  CHECK(tree["name"] == "root_supervisor");
  bool found = false;
  for (const auto& child : tree["children"]) {
    if (child["name"] != "session_supervisor") continue;
    for (const auto& k : child["child_kinds"]) {
      if (k["kind"] != "user_session") continue;
      found = true;
      CHECK(k["restarts"] == 1);
      CHECK(k["last_failure"].get<std::string>().find("runtime_error") != std::string::npos);
    }
  }
  CHECK(found);
  // The crash was logged as a JSON line, not CAF's plain text.
  CHECK(s.log().find("\"msg\":\"actor crashed\"") != std::string::npos);
  CHECK(s.log().find("*** unhandled exception") == std::string::npos);
}

TEST_CASE("/admin/actors shows the supervision tree with the pools and their workers", "[integration][supervision]") {
  trainia_server s;
  auto tree = s.admin().get("/admin/actors").json();
  CHECK(tree["kind"] == "root_supervisor");
  std::set<std::string> names;
  for (const auto& child : tree["children"]) {
    names.insert(child["name"].get<std::string>());
    CHECK(child.contains("state"));
    CHECK(child.contains("mailbox_depth"));
    CHECK(child.contains("messages"));
  }
  CHECK(names.count("db_pool/request"));
  CHECK(names.count("db_pool/service"));
  CHECK(names.count("session_supervisor"));
  for (const auto& child : tree["children"])
    if (child["name"] == "db_pool/request") CHECK(child["children"].size() == 4);  // DATABASE_POOL_SIZE=4
}
