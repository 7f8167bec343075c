// The rules ai_tasks enforces by itself (migrations 0001, 0005 and 0011: table
// CHECK constraints and the domains of its columns), whatever statement
// writes the row: every forbidden value is refused with check_violation
// (23514) and changes nothing; the limits themselves are allowed.
#include "db/db_fixture.hpp"

#include <string>

using namespace trainia;

namespace {

/// The SQLSTATE `sql` fails with, "" when it succeeds.
std::string sqlstate_of(test::pg& p, const std::string& sql) {
  PGresult* r = PQexec(p.native(), sql.c_str());
  std::string state;
  auto st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    state = s ? s : "?";
  }
  PQclear(r);
  return state;
}

/// An INSERT of one task of the test user, with `columns` set to `values`
/// besides user_id and input (unless `columns` names input).
std::string insert_task(const std::string& columns, const std::string& values) {
  bool has_input = columns.find("input") != std::string::npos;
  std::string cols = "user_id" + std::string(has_input ? "" : ", input") + (columns.empty() ? "" : ", " + columns);
  std::string vals = "(SELECT id FROM user_profiles WHERE clerk_user_id = 'schema_user')" +
                     std::string(has_input ? "" : ", '{\"prompt\":\"p\"}'") + (values.empty() ? "" : ", " + values);
  return "INSERT INTO ai_tasks (" + cols + ") VALUES (" + vals + ")";
}

}  // namespace

TEST_CASE("ai_tasks refuses every value its rules forbid and accepts their limits", "[db][ai][schema]") {
  test::migrated_db m;
  test::pg p(m.db.url());
  p.exec("INSERT INTO user_profiles (clerk_user_id) VALUES ('schema_user')");

  struct row {
    const char* rule;
    const char* columns;
    const char* values;
  };
  const row refused[] = {
      {"status list", "status", "'paused'"},
      {"input is an object", "input", "'[1]'"},
      {"result is an object", "status, result", "'failed', '\"text\"'"},
      {"attempts not negative", "attempts", "-1"},
      {"attempts within max_attempts", "attempts, max_attempts", "4, 3"},
      {"max_attempts at least 1", "max_attempts", "0"},
      {"max_attempts at most 100", "max_attempts", "101"},
      {"claims not negative", "claims", "-1"},
      {"idempotency key not empty", "idempotency_key", "''"},
      {"idempotency key at most 255", "idempotency_key", "repeat('k', 256)"},
      {"model at most 200", "model", "repeat('m', 201)"},
      {"error message at most 2000", "status, error_message", "'failed', repeat('e', 2001)"},
      {"finish reason at most 100", "finish_reason", "repeat('f', 101)"},
      {"prompt tokens not negative", "prompt_tokens", "-1"},
      {"completion tokens not negative", "completion_tokens", "-1"},
      {"total tokens not negative", "total_tokens", "-1"},
      {"provider latency not negative", "provider_latency_ms", "-1"},
      {"lease owner not empty", "status, lease_owner, lease_expires_at", "'running', '', now()"},
      {"lease owner at most 200", "status, lease_owner, lease_expires_at", "'running', repeat('o', 201), now()"},
      {"a running task is leased", "status", "'running'"},
      {"only a running task has a lease", "status, lease_owner", "'queued', 'me'"},
      {"a succeeded task has a result", "status", "'succeeded'"},
  };
  for (const auto& r : refused) {
    INFO(r.rule);
    CHECK(sqlstate_of(p, insert_task(r.columns, r.values)) == "23514");
  }
  CHECK(p.count("SELECT count(*) FROM ai_tasks") == 0);

  // The limits (and NULL where a column is optional) are allowed.
  REQUIRE(sqlstate_of(p, insert_task("status, result, attempts, max_attempts, claims, idempotency_key, model, "
                                     "error_message, finish_reason, prompt_tokens, completion_tokens, total_tokens, "
                                     "provider_latency_ms",
                                     "'succeeded', '{}', 100, 100, 0, repeat('k', 255), repeat('m', 200), "
                                     "repeat('e', 2000), repeat('f', 100), 0, 0, 0, 0")) == "");
  REQUIRE(sqlstate_of(p, insert_task("status, lease_owner, lease_expires_at, idempotency_key",
                                     "'running', repeat('o', 200), now(), 'k'")) == "");
  REQUIRE(sqlstate_of(p, insert_task("", "")) == "");
  CHECK(p.count("SELECT count(*) FROM ai_tasks") == 3);

  // An UPDATE is held to the same rules, column by column.
  const char* bad_updates[] = {
      "UPDATE ai_tasks SET prompt_tokens = -5",
      "UPDATE ai_tasks SET result = '[]'",
      "UPDATE ai_tasks SET error_message = repeat('e', 2001)",
      "UPDATE ai_tasks SET attempts = attempts + 1000",
      "UPDATE ai_tasks SET status = 'done'",
      "UPDATE ai_tasks SET model = repeat('m', 201)",
  };
  for (const char* sql : bad_updates) {
    INFO(sql);
    CHECK(sqlstate_of(p, sql) == "23514");
  }
  CHECK(p.count("SELECT count(*) FROM ai_tasks WHERE prompt_tokens IS NOT NULL AND prompt_tokens < 0") == 0);
  CHECK(p.count("SELECT count(*) FROM ai_tasks WHERE status NOT IN ('queued', 'running', 'succeeded')") == 0);
  CHECK(p.count("SELECT max(char_length(model)) FROM ai_tasks") == 200);
}
