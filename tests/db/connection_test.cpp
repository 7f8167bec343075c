#include "core/error.hpp"
#include "db/db_fixture.hpp"
#include "db/tx.hpp"

#include <chrono>

using namespace trainia;

TEST_CASE("a catalogued statement runs with the transaction context in one pipeline", "[db]") {
  test::migrated_db m;
  auto c = m.open();
  db::access who{db::role::request, "user_x"};
  std::string instance = "test-instance";
  db::tx t(*c, who, instance);
  auto r = t.exec(db::sql("profiles/get_or_create"), {"user_x"});
  REQUIRE(r);
  REQUIRE(r->rows() == 1);
  CHECK(r->text(0, 1) == "user_x");
  auto ctx = t.exec_adhoc("SELECT current_setting('app.user_id'), current_setting('app.origin')");
  REQUIRE(ctx);
  CHECK(ctx->text(0, 0) == "user_x");
  CHECK(ctx->text(0, 1) == "test-instance");
  REQUIRE_FALSE(t.finish(true));
  test::pg p(m.db.url());
  CHECK(p.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_x'") == 1);
}

TEST_CASE("a failing statement rolls back everything before it", "[db]") {
  test::migrated_db m;
  auto c = m.open();
  db::access who{db::role::service, ""};
  std::string instance = "t";
  {
    db::tx t(*c, who, instance);
    REQUIRE(t.exec_adhoc("INSERT INTO user_profiles (clerk_user_id) VALUES ('user_1')"));
    auto dup = t.exec_adhoc("INSERT INTO user_profiles (clerk_user_id) VALUES ('user_1')");
    REQUIRE_FALSE(dup);
    CHECK(is(dup.error(), errc::conflict));  // 23505 classified once
    CHECK(info_of(dup.error()).internal.find("23505") != std::string::npos);
    t.finish(false);
  }
  CHECK(c->healthy());
  test::pg p(m.db.url());
  CHECK(p.count("SELECT count(*) FROM user_profiles") == 0);
  // The connection is reusable after the failure.
  db::tx t2(*c, who, instance);
  REQUIRE(t2.exec_adhoc("SELECT 1"));
  t2.finish(true);
}

TEST_CASE("a statement past its time-out is answered as unavailable, not hung", "[db]") {
  test::migrated_db m;
  auto c = m.open(300);
  db::access who{db::role::service, ""};
  std::string instance = "t";
  db::tx t(*c, who, instance);
  auto start = std::chrono::steady_clock::now();
  auto r = t.exec_adhoc("SELECT pg_sleep(5)");
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::service_unavailable));
  CHECK(took < std::chrono::seconds(3));
  t.finish(false);
}

TEST_CASE("a connection killed by the server reports itself lost", "[db]") {
  test::migrated_db m;
  auto c = m.open();
  auto pid = c->exec_params("SELECT pg_backend_pid()", {});
  REQUIRE(pid);
  test::pg admin(m.db.url());
  admin.exec("SELECT pg_terminate_backend($1::int)", {pid->text(0, 0)});
  db::access who{db::role::service, ""};
  std::string instance = "t";
  db::tx t(*c, who, instance);
  auto r = t.exec_adhoc("SELECT 1");
  REQUIRE_FALSE(r);
  CHECK(is(r.error(), errc::service_unavailable));
  CHECK_FALSE(c->healthy());
}

TEST_CASE("a connection to nowhere fails fast with a value, not an exception", "[db]") {
  db::connect_options o;
  o.conninfo = "postgresql://postgres@127.0.0.1:1/none";
  o.connect_timeout_ms = 1000;
  auto start = std::chrono::steady_clock::now();
  auto c = db::connection::open(o);
  REQUIRE_FALSE(c);
  CHECK(is(c.error(), errc::service_unavailable));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
