#include "integration/server_fixture.hpp"
#include "support/http_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

using namespace trainia::test;

TEST_CASE("SIGTERM: in-flight requests finish, then a clean exit 0", "[integration][lifecycle]") {
  trainia_server s;
  // Keep a request in flight across the signal: a slow database job.
  pg db(s.database_url());
  REQUIRE(s.client().get("/api/users/profile", s.auth("user_slow")).status == 200);
  db.exec("BEGIN");
  db.exec("LOCK TABLE user_profiles IN ACCESS EXCLUSIVE MODE");
  std::optional<http_response> in_flight;
  std::thread t([&] {
    auto c = s.client();
    in_flight = c.put_json("/api/users/profile", {{"full_name", "finished"}}, s.auth("user_slow"));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  s.process().signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  db.exec("COMMIT");  // release the lock: the request can complete
  t.join();
  REQUIRE(in_flight);
  CHECK(in_flight->status == 200);
  auto code = s.process().wait(std::chrono::seconds(20));
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(s.log().find("\"msg\":\"stopped\"") != std::string::npos);
  // New connections are refused once it has stopped.
  CHECK_THROWS(http_client("127.0.0.1", s.port()).get("/api/users/profile"));
}

TEST_CASE("a bad setting stops start-up with one line naming it", "[integration][lifecycle]") {
  auto r = run_trainia({"serve"}, {{"DATABASE_URL", "postgresql://x@127.0.0.1/x"}, {"AUTH_MODE", "dev"},
                                   {"PORT", "eighty"}});
  CHECK(r.exit_code == 2);
  CHECK(r.output == "config error: PORT: expected an integer between 1 and 65535, got \"eighty\"\n");
  auto missing = run_trainia({"serve"}, {{"AUTH_MODE", "dev"}});
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.rfind("config error: DATABASE_URL: required", 0) == 0);
  auto no_key = run_trainia({"serve"}, {{"DATABASE_URL", "postgresql://x@127.0.0.1/x"}});
  CHECK(no_key.exit_code == 2);
  CHECK(no_key.output.find("CLERK_JWT_KEY") != std::string::npos);
  auto bad_key = run_trainia({"serve"}, {{"DATABASE_URL", "postgresql://x@127.0.0.1/x"}, {"CLERK_JWT_KEY", "garbage"}});
  CHECK(bad_key.exit_code == 2);
  CHECK(bad_key.output.rfind("config error: CLERK_JWT_KEY:", 0) == 0);
}

TEST_CASE("CLI: --version, --help, migrate status, unknown commands", "[integration][lifecycle]") {
  auto v = run_trainia({"--version"}, {});
  CHECK(v.exit_code == 0);
  CHECK(v.output.rfind("trainia ", 0) == 0);
  auto h = run_trainia({"--help"}, {});
  CHECK(h.exit_code == 0);
  CHECK(h.output.find("DATABASE_URL") != std::string::npos);
  CHECK(run_trainia({"frobnicate"}, {}).exit_code == 2);

  scratch_database sdb;
  auto pending = run_trainia({"migrate", "status"}, {{"DATABASE_URL", sdb.url()}});
  CHECK(pending.exit_code == 0);
  CHECK(pending.output.find("0001_initial_schema.sql") != std::string::npos);
  CHECK(pending.output.find("pending") != std::string::npos);
  migrate(sdb.url());
  auto applied = run_trainia({"migrate", "status"}, {{"DATABASE_URL", sdb.url()}});
  CHECK(applied.output.find("applied") != std::string::npos);
  CHECK(applied.output.find(", 0 pending") != std::string::npos);
}

TEST_CASE("/readyz fails while the schema is behind the binary", "[integration][lifecycle]") {
  scratch_database sdb;  // not migrated
  trainia_server s({.database_url = sdb.url(), .wait_ready = false});
  auto r = s.admin().get("/readyz");
  CHECK(r.status == 503);
  migrate(sdb.url());
  CHECK(s.admin().get("/readyz").status == 200);
}

TEST_CASE("dev mode: dev-token issues tokens the dev server accepts", "[integration][lifecycle]") {
  auto dir = temp_dir("trainia-dev");
  auto key = dir + "/dev.pem";
  auto tok = run_trainia({"dev-token", "user_dev"}, {{"AUTH_MODE", "dev"}, {"TRAINIA_DEV_KEY_FILE", key}});
  REQUIRE(tok.exit_code == 0);
  auto token = tok.output.substr(0, tok.output.find('\n'));
  trainia_server s({.env = {{"AUTH_MODE", "dev"}, {"TRAINIA_DEV_KEY_FILE", key}, {"CLERK_JWT_KEY", ""}, {"CLERK_ISSUER", ""}}});
  auto r = s.client().get("/api/users/profile", {bearer(token)});
  CHECK(r.status == 200);
  CHECK(r.json()["user_id"] == "user_dev");
  // A Clerk-signed token is not accepted by a dev-mode server.
  CHECK(s.client().get("/api/users/profile", s.auth("user_dev")).status == 401);
}
