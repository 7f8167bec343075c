#include "integration/server_fixture.hpp"
#include "support/poll.hpp"
#include "support/private_cluster.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace trainia::test;
using clock_type = std::chrono::steady_clock;

TEST_CASE("database down: fast 503s and failing /readyz, back up: recovery without a restart",
          "[integration][fault]") {
  private_cluster cluster;
  auto url = cluster.create_database("trainia");
  migrate(url);
  trainia_server s({.env = {{"TRAINIA_DB_CONNECT_TIMEOUT_MS", "1000"}}, .database_url = url});
  auto c = s.client();
  REQUIRE(c.get("/api/users/profile", s.auth("user_1")).status == 200);

  cluster.stop();
  // A user whose profile is not cached needs the database: 503 within 5 s.
  auto start = clock_type::now();
  auto r = c.get("/api/users/profile", s.auth("user_2"));
  auto took = clock_type::now() - start;
  CHECK(r.status == 503);
  CHECK(r.json()["error"]["code"] == "service_unavailable");
  CHECK_FALSE(r.header("Retry-After").empty());
  CHECK(took < std::chrono::seconds(5));
  // Writes too.
  auto w = c.put_json("/api/users/profile", {{"full_name", "x"}}, s.auth("user_1"));
  CHECK(w.status == 503);
  CHECK(s.admin().get("/readyz").status == 503);
  CHECK(s.admin().get("/healthz").status == 200);  // the process itself is fine
  // Repeated calls stay fast (no hang, no queue build-up).
  for (int i = 0; i < 5; ++i) {
    auto t0 = clock_type::now();
    CHECK(c.get("/api/users/profile", s.auth("user_3")).status == 503);
    CHECK(clock_type::now() - t0 < std::chrono::seconds(5));
  }

  cluster.start();
  auto back = clock_type::now();
  bool recovered = false;
  while (clock_type::now() - back < std::chrono::seconds(15)) {
    if (c.get("/api/users/profile", s.auth("user_2")).status == 200) {
      recovered = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK(recovered);
  CHECK(c.put_json("/api/users/profile", {{"full_name", "back"}}, s.auth("user_1")).status == 200);
  // /readyz asks through the service pool, whose connections come back on
  // their own back-off: ready again within the same 15 s bound.
  CHECK(poll_until([&] { return s.admin().get("/readyz").status == 200; }, std::chrono::seconds(15)));
  CHECK(s.process().running());
}
