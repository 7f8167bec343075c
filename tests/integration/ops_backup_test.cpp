// Issue #5: scripts/backup of a database the server has filled, restored by
// scripts/restore into a fresh cluster: every row of every table is there and
// the schema is at the latest migration.
#include "ai/ai_fixture.hpp"
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "ops/ops_support.hpp"
#include "support/pg.hpp"
#include "support/private_cluster.hpp"

#include <catch2/catch.hpp>

#include <regex>

using namespace trainia::test;
using nlohmann::json;
namespace stripe = trainia::test::stripe;

namespace {

std::string last_line(const std::string& text) {
  auto t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

TEST_CASE("ops backup: scripts/backup then scripts/restore into a fresh cluster keeps every row",
          "[integration][ops][backup]") {
  const auto root = ops::source_root();
  fake_http_server provider;
  provider.on("POST", ai::chat_path, [](const recorded_request&) { return json_reply(200, ai::completion("kept")); });
  // The built-in plans (price_pro_monthly is "pro"), not the AI fixture's.
  auto env = ai::provider_env(provider, {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}, {"TRAINIA_PLANS_FILE", ""}});
  trainia_server s({.env = env});
  auto c = s.client();

  // Fill it through the server: profiles, a linked subscription, ledger rows, AI tasks.
  for (int i = 0; i < 3; ++i) {
    auto user = "user_ops_backup_" + std::to_string(i);
    REQUIRE(c.put_json("/api/users/profile", {{"full_name", "Backup " + std::to_string(i)}, {"preferences", {{"n", i}}}},
                       s.auth(user))
              .status == 200);
  }
  REQUIRE(stripe::deliver(c, stripe::checkout_event("evt_ops_backup_1", unix_now() - 5, "user_ops_backup_0",
                                                    "cus_ops_backup", "sub_ops_backup"))
            .status == 200);
  REQUIRE(stripe::deliver(c, stripe::subscription_event("customer.subscription.created", "evt_ops_backup_2",
                                                        unix_now() - 4, "sub_ops_backup", "cus_ops_backup", "active"))
            .status == 200);
  REQUIRE(stripe::eventually([&] {
    return c.get("/api/subscriptions", s.auth("user_ops_backup_0")).json()["plan"] == "pro";
  }));
  auto run = ai::submit(c, s.auth("user_ops_backup_1"), {{"prompt", "remember me"}}, "?wait=20");
  REQUIRE(run.status == 200);
  REQUIRE(run.json()["status"] == "succeeded");
  // Quiesce: nothing writes while the copies are compared.
  REQUIRE(s.stop() == 0);

  auto source = ops::table_digests(s.database_url());
  for (std::string t : {"schema_migrations", "user_profiles", "subscriptions", "stripe_events", "ai_tasks"}) {
    INFO(t);
    REQUIRE(source.count(t));
    CHECK(source.at(t).rows > 0);
  }

  // Backup: a custom-format dump named after the migration version.
  auto dir = temp_dir("trainia-backup");
  auto backup = ops::shell("PATH=/usr/bin:/bin " + ops::sh_quote(root + "/scripts/backup") + " " +
                           ops::sh_quote(s.database_url()) + " " + ops::sh_quote(dir));
  INFO(backup.output);
  REQUIRE(backup.exit_code == 0);
  auto file = last_line(backup.output);
  pg src(s.database_url());
  auto version = src.scalar("SELECT max(version) FROM schema_migrations").value();
  char v4[16];
  std::snprintf(v4, sizeof v4, "v%04d", std::stoi(version));
  CHECK(file.rfind(dir + "/trainia-", 0) == 0);
  CHECK(file.find(v4) != std::string::npos);
  CHECK(std::regex_search(file, std::regex(R"(-\d{8}T\d{6}Z\.dump$)")));
  CHECK(read_file(file).substr(0, 5) == "PGDMP");  // pg_dump's custom format
  CHECK(ops::shell("ls " + ops::sh_quote(dir) + " | grep -c partial").output == "0\n");

  // Restore into an empty database of a cluster of our own.
  private_cluster fresh;
  auto target = fresh.create_database("trainia_restored");
  auto restore = ops::shell("PATH=/usr/bin:/bin TRAINIA_BIN=" + ops::sh_quote(trainia_binary()) + " " +
                            ops::sh_quote(root + "/scripts/restore") + " " + ops::sh_quote(file) + " " +
                            ops::sh_quote(target));
  INFO(restore.output);
  REQUIRE(restore.exit_code == 0);
  CHECK(restore.output.find(", 0 pending") != std::string::npos);

  // The binary agrees: every migration applied, none pending.
  auto status = run_trainia({"migrate", "status"}, {{"DATABASE_URL", target}});
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(status.output.find(" pending\n") != std::string::npos);
  CHECK(std::regex_search(status.output, std::regex(R"(\d+ migration\(s\), 0 pending)")));
  CHECK(status.output.find("pending  ") == std::string::npos);  // no row marked pending

  // Every table, row for row.
  auto restored = ops::table_digests(target);
  CHECK(restored.size() == source.size());
  for (const auto& [table, digest] : source) {
    INFO(table << ": " << digest.rows << " rows");
    REQUIRE(restored.count(table));
    CHECK(restored.at(table).rows == digest.rows);
    CHECK(restored.at(table).md5 == digest.md5);
  }
  // The policies and roles came along: Row-Level Security is still forced.
  pg dst(target);
  CHECK(dst.count("SELECT count(*) FROM pg_class WHERE relname = 'user_profiles' AND relforcerowsecurity") == 1);
  CHECK(dst.count("SELECT count(*) FROM pg_roles WHERE rolname IN ('trainia_request', 'trainia_service')") == 2);

  // A restore into a database that is not empty is refused.
  auto again = ops::shell("PATH=/usr/bin:/bin " + ops::sh_quote(root + "/scripts/restore") + " " + ops::sh_quote(file) +
                          " " + ops::sh_quote(target));
  CHECK(again.exit_code != 0);
  CHECK(again.output.find("not empty") != std::string::npos);

  // And a server runs on the restored copy and serves the old data.
  trainia_server r({.env = env, .database_url = target});
  auto p = r.client().get("/api/users/profile", r.auth("user_ops_backup_2"));
  REQUIRE(p.status == 200);
  CHECK(p.json()["full_name"] == "Backup 2");
  CHECK(r.client().get("/api/subscriptions", r.auth("user_ops_backup_0")).json()["plan"] == "pro");
  run_command("rm -rf " + ops::sh_quote(dir));
}
