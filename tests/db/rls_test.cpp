#include "core/error.hpp"
#include "db/db_fixture.hpp"
#include "db/tx.hpp"

using namespace trainia;

namespace {

// Two users with a row in every user-owned table, written as the service role.
void seed(test::pg& p) {
  p.exec("BEGIN");
  p.exec("SET LOCAL ROLE trainia_service");
  for (const char* u : {"user_a", "user_b"}) {
    p.exec("INSERT INTO user_profiles (clerk_user_id, full_name) VALUES ($1, $1)", {std::string(u)});
    p.exec("INSERT INTO subscriptions (user_id, stripe_subscription_id, stripe_customer_id, plan_name, status) "
           "SELECT id, 'sub_' || $1, 'cus_' || $1, 'pro', 'active' FROM user_profiles WHERE clerk_user_id = $1",
           {std::string(u)});
    p.exec("INSERT INTO ai_tasks (user_id, input) SELECT id, '{\"prompt\":\"hi\"}' FROM user_profiles "
           "WHERE clerk_user_id = $1",
           {std::string(u)});
    p.exec("INSERT INTO usage_counters (user_id, period_start, period_end, ai_runs_used) SELECT id, "
           "'2026-11-01', '2026-12-01', 3 FROM user_profiles WHERE clerk_user_id = $1",
           {std::string(u)});
  }
  p.exec("INSERT INTO stripe_events (event_id, type, raw_payload) VALUES ('evt_1', 'x', '{}')");
  p.exec("INSERT INTO audit_log (actor, action) VALUES ('system', 'seed')");
  p.exec("COMMIT");
}

}  // namespace

TEST_CASE("as the request role, a query with no WHERE sees only the current user's rows", "[db][rls]") {
  test::migrated_db m;
  test::pg admin(m.db.url());
  seed(admin);
  // The server's own transaction set-up (db::tx), connected as a superuser as
  // in local development: SET LOCAL ROLE must still bind it to RLS.
  auto c = m.open();
  db::access who{db::role::request, "user_a"};
  std::string instance = "test";
  db::tx t(*c, who, instance);
  for (const char* table : {"user_profiles", "subscriptions", "ai_tasks", "usage_counters"}) {
    INFO(table);
    auto r = t.exec_adhoc(std::string("SELECT count(*) FROM ") + table);
    REQUIRE(r);
    CHECK(r->int64(0, 0) == 1);
  }
  auto mine = t.exec_adhoc("SELECT clerk_user_id FROM user_profiles");
  REQUIRE(mine);
  CHECK(mine->text(0, 0) == "user_a");
  auto who_am_i = t.exec_adhoc("SELECT current_user");
  REQUIRE(who_am_i);
  CHECK(who_am_i->text(0, 0) == "trainia_request");
  REQUIRE_FALSE(t.finish(true));
}

TEST_CASE("the request role cannot read the ledger or audit log, nor write others' rows", "[db][rls]") {
  test::migrated_db m;
  test::pg admin(m.db.url());
  seed(admin);
  auto c = m.open();
  db::access who{db::role::request, "user_a"};
  std::string instance = "test";
  {
    db::tx t(*c, who, instance);
    auto r = t.exec_adhoc("SELECT count(*) FROM stripe_events");
    REQUIRE_FALSE(r);  // permission denied: not even a count leaks
    t.finish(false);
  }
  {
    db::tx t(*c, who, instance);
    auto r = t.exec_adhoc("SELECT count(*) FROM audit_log");
    REQUIRE_FALSE(r);
    t.finish(false);
  }
  {
    db::tx t(*c, who, instance);
    auto r = t.exec_adhoc("UPDATE user_profiles SET full_name = 'pwned'");
    REQUIRE(r);
    CHECK(r->affected() == 1);  // only user_a's own row
    REQUIRE_FALSE(t.finish(true));
  }
  // Only the caller's own row changed (the superuser sees all rows).
  CHECK(admin.count("SELECT count(*) FROM user_profiles WHERE full_name = 'pwned'") == 1);
  CHECK(*admin.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_a'") == "pwned");
  CHECK(*admin.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_b'") == "user_b");
  {
    db::tx t(*c, who, instance);
    auto r = t.exec_adhoc("INSERT INTO user_profiles (clerk_user_id) VALUES ('user_c')");
    REQUIRE_FALSE(r);  // WITH CHECK: a user can only create their own profile
    t.finish(false);
  }
  {
    db::tx t(*c, who, instance);
    auto r = t.exec_adhoc("DELETE FROM user_profiles");
    REQUIRE_FALSE(r);  // no DELETE privilege at all
    t.finish(false);
  }
  {
    db::tx t(*c, who, instance);
    auto r = t.exec_adhoc("UPDATE user_profiles SET stripe_customer_id = 'cus_evil'");
    REQUIRE_FALSE(r);  // column privilege: billing links are the service's
    t.finish(false);
  }
}

TEST_CASE("without app.user_id the request role sees nothing, the service role sees all", "[db][rls]") {
  test::migrated_db m;
  test::pg admin(m.db.url());
  seed(admin);
  auto c = m.open();
  std::string instance = "test";
  {
    db::access nobody{db::role::request, ""};
    db::tx t(*c, nobody, instance);
    auto r = t.exec_adhoc("SELECT count(*) FROM user_profiles");
    REQUIRE(r);
    CHECK(r->int64(0, 0) == 0);
    t.finish(true);
  }
  {
    db::access service{db::role::service, ""};
    db::tx t(*c, service, instance);
    auto r = t.exec_adhoc("SELECT (SELECT count(*) FROM user_profiles), (SELECT count(*) FROM stripe_events)");
    REQUIRE(r);
    CHECK(r->int64(0, 0) == 2);
    CHECK(r->int64(0, 1) == 1);
    t.finish(true);
  }
  // The context is transaction-local: after commit the connection is itself again.
  auto after = c->exec_params("SELECT current_user, coalesce(current_setting('app.user_id', true), '')", {});
  REQUIRE(after);
  CHECK(after->text(0, 0) == "postgres");
  CHECK(after->text(0, 1) == "");
}

TEST_CASE("a non-superuser table owner is bound by the forced policies too", "[db][rls]") {
  test::migrated_db m;
  test::pg admin(m.db.url());
  seed(admin);
  auto owner = "owner_" + test::random_hex(4);
  admin.exec("CREATE ROLE " + owner + " LOGIN");
  admin.exec("GRANT ALL ON ALL TABLES IN SCHEMA public TO " + owner);
  admin.exec("ALTER TABLE user_profiles OWNER TO " + owner);
  admin.exec("BEGIN");
  admin.exec("SET LOCAL ROLE " + owner);
  CHECK(admin.count("SELECT count(*) FROM user_profiles") == 0);  // FORCE: no policy for the owner
  admin.exec("ROLLBACK");
  admin.exec("ALTER TABLE user_profiles OWNER TO postgres");
  admin.exec("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + owner);
  admin.exec("DROP ROLE " + owner);
}
