#include "core/error.hpp"
#include "db/db_fixture.hpp"

#include <thread>

using namespace trainia;

namespace {

std::unique_ptr<db::connection> connect(const std::string& url) {
  db::connect_options o;
  o.conninfo = url;
  auto c = db::connection::open(o);
  REQUIRE(c);
  return std::move(*c);
}

std::vector<db::migration> with_files(std::vector<std::pair<std::string, std::string_view>> files) {
  auto m = db::make_migration_list(files);
  REQUIRE(m);
  return *m;
}

}  // namespace

TEST_CASE("migrations apply once each, in order, and report their status", "[db][migrations]") {
  test::scratch_database sdb;
  auto c = connect(sdb.url());
  auto list = with_files({{"0002_b.sql", "CREATE TABLE b (x int REFERENCES a (x))"},
                          {"0001_a.sql", "CREATE TABLE a (x int PRIMARY KEY)"}});
  std::vector<std::string> applied;
  auto n = db::migrate_up(*c, list, [&](const std::string& f) { applied.push_back(f); });
  REQUIRE(n);
  CHECK(*n == 2);
  CHECK(applied == std::vector<std::string>{"0001_a.sql", "0002_b.sql"});
  auto again = db::migrate_up(*c, list, [](const std::string&) {});
  REQUIRE(again);
  CHECK(*again == 0);
  auto st = db::migration_status(*c, list);
  REQUIRE(st);
  REQUIRE(st->size() == 2);
  CHECK((*st)[0].applied);
  CHECK((*st)[1].applied);
  test::pg p(sdb.url());
  CHECK(p.count("SELECT count(*) FROM schema_migrations") == 2);
  auto v = db::applied_version(*c);
  REQUIRE(v);
  CHECK(*v == 2);
}

TEST_CASE("pending migrations are listed, a failing one is rolled back whole", "[db][migrations]") {
  test::scratch_database sdb;
  auto c = connect(sdb.url());
  auto first = with_files({{"0001_a.sql", "CREATE TABLE a (x int)"}});
  REQUIRE(db::migrate_up(*c, first, [](const std::string&) {}));
  auto more = with_files({{"0001_a.sql", "CREATE TABLE a (x int)"},
                          {"0002_bad.sql", "CREATE TABLE b (y int); SELECT no_such_function()"}});
  auto st = db::migration_status(*c, more);
  REQUIRE(st);
  CHECK((*st)[1].applied == false);
  auto n = db::migrate_up(*c, more, [](const std::string&) {});
  REQUIRE_FALSE(n);
  CHECK(info_of(n.error()).message.find("0002_bad.sql failed") != std::string::npos);
  test::pg p(sdb.url());
  CHECK(p.count("SELECT count(*) FROM pg_tables WHERE tablename = 'b'") == 0);  // rolled back
  CHECK(p.count("SELECT count(*) FROM schema_migrations") == 1);
}

TEST_CASE("an applied migration that was edited is refused, naming the file", "[db][migrations]") {
  test::scratch_database sdb;
  auto c = connect(sdb.url());
  REQUIRE(db::migrate_up(*c, with_files({{"0001_a.sql", "CREATE TABLE a (x int)"}}), [](const std::string&) {}));
  auto edited = with_files({{"0001_a.sql", "CREATE TABLE a (x bigint)"}, {"0002_b.sql", "CREATE TABLE b (y int)"}});
  auto n = db::migrate_up(*c, edited, [](const std::string&) {});
  REQUIRE_FALSE(n);
  auto msg = info_of(n.error()).message;
  CHECK(msg.find("0001_a.sql was edited after it was applied") != std::string::npos);
  auto st = db::migration_status(*c, edited);
  REQUIRE_FALSE(st);
  test::pg p(sdb.url());
  CHECK(p.count("SELECT count(*) FROM pg_tables WHERE tablename = 'b'") == 0);  // nothing applied
}

TEST_CASE("a database ahead of the binary is refused", "[db][migrations]") {
  test::scratch_database sdb;
  auto c = connect(sdb.url());
  REQUIRE(db::migrate_up(*c, with_files({{"0001_a.sql", "SELECT 1"}, {"0002_b.sql", "SELECT 2"}}),
                         [](const std::string&) {}));
  auto n = db::migrate_up(*c, with_files({{"0001_a.sql", "SELECT 1"}}), [](const std::string&) {});
  REQUIRE_FALSE(n);
  CHECK(info_of(n.error()).message.find("unknown to this binary") != std::string::npos);
}

TEST_CASE("badly named migration files are refused", "[db][migrations]") {
  CHECK_FALSE(db::make_migration_list({{"1_a.sql", "SELECT 1"}}));
  CHECK_FALSE(db::make_migration_list({{"0001_a.txt", "SELECT 1"}}));
  CHECK_FALSE(db::make_migration_list({{"0001_a.sql", "SELECT 1"}, {"0001_b.sql", "SELECT 1"}}));
}

TEST_CASE("two concurrent migrators apply each migration exactly once", "[db][migrations]") {
  test::scratch_database sdb;
  // The second table's creation is slow, so the runs overlap.
  auto list = with_files({{"0001_a.sql", "CREATE TABLE a (x int); SELECT pg_sleep(0.3)"},
                          {"0002_b.sql", "CREATE TABLE b (y int)"}});
  int applied[2] = {-1, -1};
  std::thread t[2];
  for (int i = 0; i < 2; ++i)
    t[i] = std::thread([&, i] {
      auto c = connect(sdb.url());
      auto n = db::migrate_up(*c, list, [](const std::string&) {});
      applied[i] = n ? *n : -100;
    });
  for (auto& th : t) th.join();
  CHECK(applied[0] + applied[1] == 2);
  CHECK(applied[0] >= 0);
  CHECK(applied[1] >= 0);
  test::pg p(sdb.url());
  CHECK(p.count("SELECT count(*) FROM schema_migrations") == 2);
}

TEST_CASE("the embedded migrations apply to an empty database", "[db][migrations]") {
  test::migrated_db m;
  test::pg p(m.db.url());
  for (const char* t : {"user_profiles", "subscriptions", "ai_tasks", "stripe_events", "audit_log", "usage_counters"}) {
    INFO(t);
    CHECK(p.count("SELECT count(*) FROM pg_class WHERE relname = $1 AND relrowsecurity AND relforcerowsecurity",
                  {std::string(t)}) == 1);
  }
}
