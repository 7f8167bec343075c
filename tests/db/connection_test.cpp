#include "core/error.hpp"
#include "db/db_fixture.hpp"
#include "db/tx.hpp"

#include <chrono>
#include <cstdlib>

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

namespace {

/// On user_profiles: a row for 'user_refused' fails its INSERT; COMMIT sleeps
/// 1 s for 'user_slow_commit' and fails for 'user_failed_commit' (a deferred
/// constraint trigger runs inside COMMIT).
void install_profile_hooks(const std::string& url) {
  test::pg admin(url);
  admin.exec(R"sql(
    CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.clerk_user_id = 'user_refused' THEN RAISE EXCEPTION 'refused by the test'; END IF;
      RETURN NEW;
    END $$)sql");
  admin.exec("CREATE TRIGGER test_refuse BEFORE INSERT ON user_profiles FOR EACH ROW EXECUTE FUNCTION test_refuse()");
  admin.exec(R"sql(
    CREATE FUNCTION test_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.clerk_user_id = 'user_slow_commit' THEN PERFORM pg_sleep(1); END IF;
      IF NEW.clerk_user_id = 'user_failed_commit' THEN RAISE EXCEPTION 'failed at commit by the test'; END IF;
      RETURN NULL;
    END $$)sql");
  admin.exec(
    "CREATE CONSTRAINT TRIGGER test_at_commit AFTER INSERT ON user_profiles DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION test_at_commit()");
}

struct early_seen {
  int calls = 0;
  std::string user;     // what the batch's statement returned
  int64_t visible = -1;  // rows of that user another session saw at that moment
};

/// Runs profiles/get_or_create for `user` and COMMIT in one batch, watching
/// the results before the commit.
caf::expected<std::vector<db::result>> create_watched(test::migrated_db& m, db::connection& c,
                                                      const std::string& user, early_seen& seen) {
  db::access who{db::role::request, user};
  std::string instance = "t";
  db::tx t(c, who, instance);
  db::tx::before_commit early = [&](std::vector<db::result>& all, size_t first) {
    ++seen.calls;
    seen.user = all.at(first).text(0, 1);
    test::pg other(m.db.url());
    seen.visible = other.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = $1", {user});
  };
  auto r = t.exec_batch({{&db::sql("profiles/get_or_create"), {user}}}, true, &early);
  t.finish(static_cast<bool>(r));
  return r;
}

}  // namespace

TEST_CASE("a batch's results reach the caller before its COMMIT has finished", "[db]") {
  test::migrated_db m;
  install_profile_hooks(m.db.url());
  auto c = m.open();
  early_seen seen;
  auto r = create_watched(m, *c, "user_slow_commit", seen);
  REQUIRE(r);
  CHECK(r->front().text(0, 1) == "user_slow_commit");
  // The callback ran once, with the statement's row, while the row was not
  // yet committed (the COMMIT was still sleeping).
  CHECK(seen.calls == 1);
  CHECK(seen.user == "user_slow_commit");
  CHECK(seen.visible == 0);
  test::pg p(m.db.url());
  CHECK(p.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_slow_commit'") == 1);
}

TEST_CASE("a batch's early results are not given when a statement fails, and a failed COMMIT is still an error",
          "[db]") {
  test::migrated_db m;
  install_profile_hooks(m.db.url());
  auto c = m.open();
  test::pg p(m.db.url());
  {
    // The statement itself fails: nothing is seen early, nothing is stored.
    early_seen seen;
    auto r = create_watched(m, *c, "user_refused", seen);
    REQUIRE_FALSE(r);
    CHECK(is(r.error(), errc::internal));
    CHECK(seen.calls == 0);
    CHECK(p.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_refused'") == 0);
  }
  {
    // The statement succeeds and COMMIT fails: the results were seen early,
    // the batch still fails and nothing is stored.
    early_seen seen;
    auto r = create_watched(m, *c, "user_failed_commit", seen);
    REQUIRE_FALSE(r);
    CHECK(seen.calls == 1);
    CHECK(seen.user == "user_failed_commit");
    CHECK(p.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_failed_commit'") == 0);
  }
  // The connection serves the next batch normally.
  early_seen seen;
  auto ok = create_watched(m, *c, "user_after", seen);
  REQUIRE(ok);
  CHECK(seen.calls == 1);
  CHECK(p.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id = 'user_after'") == 1);
}

TEST_CASE("a transaction asking for generic plans has them, and only it", "[db]") {
  test::migrated_db m;
  auto c = m.open();
  std::string instance = "t";
  auto mode = [](db::tx& t) {
    auto r = t.exec_adhoc("SELECT current_setting('plan_cache_mode')");
    REQUIRE(r);
    return r->text(0, 0);
  };
  {
    db::tx t(*c, db::access{db::role::service, "", true}, instance);
    // The statements' results are the caller's, not the context's.
    auto r = t.exec(db::sql("profiles/get_or_create"), {"user_g"});
    REQUIRE(r);
    REQUIRE(r->rows() == 1);
    CHECK(r->text(0, 1) == "user_g");
    CHECK(mode(t) == "force_generic_plan");
    auto both = t.exec_batch({{&db::sql("profiles/get_or_create"), {"user_h"}}}, true);
    REQUIRE(both);
    REQUIRE(both->size() == 1);
    CHECK((*both)[0].text(0, 1) == "user_h");
    // A new transaction of the same tx opens with the setting again.
    auto first = t.exec_adhoc("SELECT current_setting('plan_cache_mode'), current_setting('role')");
    REQUIRE(first);
    CHECK(first->text(0, 0) == "force_generic_plan");
    CHECK(first->text(0, 1) == "trainia_service");
    REQUIRE_FALSE(t.finish(true));
  }
  {
    // The setting ended with those transactions: the connection is back to the default.
    db::tx t(*c, db::access{db::role::service, ""}, instance);
    CHECK(mode(t) == "auto");
    REQUIRE_FALSE(t.finish(true));
  }
  test::pg p(m.db.url());
  CHECK(p.count("SELECT count(*) FROM user_profiles WHERE clerk_user_id IN ('user_g', 'user_h')") == 2);
}

TEST_CASE("a connection passes the environment's PGOPTIONS on after its own settings", "[db]") {
  test::migrated_db m;
  std::unique_ptr<db::connection> c;
  {
    struct env_guard {
      env_guard() { ::setenv("PGOPTIONS", "-c work_mem=7MB", 1); }
      ~env_guard() { ::unsetenv("PGOPTIONS"); }  // also when open() throws
    } pgoptions;
    c = m.open(4000);
  }
  REQUIRE(c);
  auto r = c->exec_params(
    "SELECT current_setting('work_mem'), current_setting('statement_timeout'), current_setting('TimeZone')", {});
  REQUIRE(r);
  CHECK(r->text(0, 0) == "7MB");
  CHECK(r->text(0, 1) == "4s");  // its own settings still hold
  CHECK(r->text(0, 2) == "UTC");
}
