// Group commit of AI submits: submits of different users that queue for a
// database connection are written in one transaction, and each still gets
// the outcome it would have had alone (quota, Idempotency-Key replay, a
// missing profile, a failure of one of them).
#include "ai/ai_fixture.hpp"
#include "ops/ops_support.hpp"
#include "support/pg.hpp"
#include "support/poll.hpp"

#include <future>

using namespace trainia::test;
using namespace trainia::test::ai;
using trainia::test::ops::scrape;

namespace {

const std::map<std::string, std::string> grouped{{"pool", "request"}};

/// The environment: one request connection (so submits queue behind a held
/// one), and a quick provider.
std::map<std::string, std::string> one_connection_env(const fake_http_server& fake, int runs,
                                                       const std::string& statement_timeout_ms) {
  return provider_env(fake, {{"TRAINIA_PLANS_FILE", plans_file(runs, 50)},
                             {"DATABASE_POOL_SIZE", "1"},
                             {"TRAINIA_DB_QUEUE_TIMEOUT_MS", "20000"},
                             {"TRAINIA_DB_STATEMENT_TIMEOUT_MS", statement_timeout_ms}});
}

/// Takes the row lock of `user`'s usage counter in `locker`'s open transaction.
void lock_counter(pg& locker, const std::string& user) {
  locker.exec("BEGIN");
  REQUIRE(locker.count("SELECT count(*) FROM (SELECT 1 FROM usage_counters u JOIN user_profiles p ON p.id = u.user_id "
                       "WHERE p.clerk_user_id = $1 FOR UPDATE OF u) x",
                       {user}) == 1);
}

/// Submits `body` as `user` on a thread of its own; the future holds the response.
std::future<http_response> submit_async(trainia_server& s, const std::string& user, json body,
                                        header_list extra = {}) {
  return std::async(std::launch::async, [&s, user, body = std::move(body), extra = std::move(extra)] {
    auto c = s.client();
    return submit(c, s.auth(user), body, "", extra);
  });
}

/// Waits until some backend waits for a row lock (the held submit occupies the connection).
bool someone_waits_for_a_lock(const std::string& url) {
  return poll_until([&] {
    pg q(url);
    return q.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") >= 1;
  });
}

/// The node called `name` anywhere in the /admin/actors tree.
const json* find_actor(const json& node, const std::string& name) {
  if (node.value("name", "") == name) return &node;
  if (node.contains("children"))
    for (const auto& c : node["children"])
      if (auto found = find_actor(c, name)) return found;
  return nullptr;
}

/// Waits until the request pool's queue holds `n` jobs.
bool queued_jobs(const trainia_server& s, int n) {
  return poll_until([&] {
    auto tree = s.admin().get("/admin/actors").json();
    auto pool = find_actor(tree, "db_pool/request");
    return pool && (*pool)["mailbox_depth"] == n;
  });
}

}  // namespace

TEST_CASE("submits of several users queued for the connection commit together, each with its own outcome",
          "[integration][ai][group]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) { return json_reply(200, completion("re " + prompt_of(r))); });
  trainia_server s({.env = one_connection_env(fake, 2, "20000")});
  auto c = s.client();
  // Warm-up, one at a time: every session holds its plan, every counter exists.
  for (auto u : {"user_gc_holder", "user_gc_a", "user_gc_b", "user_gc_full", "user_gc_gone"})
    REQUIRE(submit(c, s.auth(u), {{"prompt", "warm-up"}}, "?wait=10").status == 200);
  REQUIRE(submit(c, s.auth("user_gc_full"), {{"prompt", "warm-up 2"}}, "?wait=10").status == 200);
  auto keyed = submit(c, s.auth("user_gc_key"), {{"prompt", "keyed"}}, "?wait=10", {{"Idempotency-Key", "gc-key-1"}});
  REQUIRE(keyed.status == 200);
  auto keyed_id = keyed.json()["task_id"].get<std::string>();
  REQUIRE(queued_jobs(s, 0));
  double before = scrape(s).value_or_zero("trainia_db_grouped_jobs_total", grouped);

  // The holder's submit takes the only connection and waits for our lock.
  pg locker(s.database_url());
  lock_counter(locker, "user_gc_holder");
  auto holder = submit_async(s, "user_gc_holder", {{"prompt", "held"}});
  REQUIRE(someone_waits_for_a_lock(s.database_url()));
  std::vector<std::pair<std::string, std::future<http_response>>> calls;
  calls.emplace_back("a", submit_async(s, "user_gc_a", {{"prompt", "from a"}}));
  calls.emplace_back("b", submit_async(s, "user_gc_b", {{"prompt", "from b"}}));
  calls.emplace_back("full", submit_async(s, "user_gc_full", {{"prompt", "over quota"}}));
  calls.emplace_back("key", submit_async(s, "user_gc_key", {{"prompt", "keyed"}}, {{"Idempotency-Key", "gc-key-1"}}));
  calls.emplace_back("gone", submit_async(s, "user_gc_gone", {{"prompt", "after deletion"}}));
  REQUIRE(queued_jobs(s, 5));
  // Gone's profile is deleted after its submit was queued: the group finds no
  // profile for it, and alone it creates the profile again.
  pg admin(s.database_url());
  admin.exec("DELETE FROM user_profiles WHERE clerk_user_id = 'user_gc_gone'");
  locker.exec("COMMIT");

  auto h = holder.get();
  CHECK(h.status == 202);
  std::map<std::string, http_response> r;
  for (auto& [name, f] : calls) r.emplace(name, f.get());
  // All five went to the connection together.
  CHECK(scrape(s).value("trainia_db_grouped_jobs_total", grouped) - before == 5);

  CHECK(r["a"].status == 202);
  CHECK(r["b"].status == 202);
  REQUIRE(r["full"].status == 402);
  CHECK(r["full"].json()["error"]["details"] == json{{"plan", "free"}, {"limit", 2}, {"used", 2}});
  REQUIRE(r["key"].status == 202);
  CHECK(r["key"].json()["task_id"] == keyed_id);
  CHECK(r["gone"].status == 202);

  // In the database: one new task each for a, b and gone, none for full and key.
  pg db(s.database_url());
  auto tasks = [&](const std::string& user) {
    return db.count("SELECT count(*) FROM ai_tasks t JOIN user_profiles p ON p.id = t.user_id WHERE p.clerk_user_id = $1",
                    {user});
  };
  CHECK(tasks("user_gc_a") == 2);
  CHECK(tasks("user_gc_b") == 2);
  CHECK(tasks("user_gc_full") == 2);
  CHECK(tasks("user_gc_key") == 1);
  CHECK(tasks("user_gc_gone") == 1);
  // a's and b's runs were reserved by one transaction (their counters' last
  // writer); gone's, reserved alone after its profile was created, by another.
  auto xmin = [&](const std::string& user) {
    return db.scalar("SELECT u.xmin::text FROM usage_counters u JOIN user_profiles p ON p.id = u.user_id "
                     "WHERE p.clerk_user_id = $1",
                     {user})
        .value_or("none");
  };
  CHECK(xmin("user_gc_a") == xmin("user_gc_b"));
  CHECK(xmin("user_gc_a") != xmin("user_gc_gone"));
  CHECK(xmin("user_gc_gone") != "none");
  CHECK(runs_used(s.database_url(), "user_gc_a") == 2);
  CHECK(runs_used(s.database_url(), "user_gc_full") == 2);
  CHECK(runs_used(s.database_url(), "user_gc_key") == 1);
  CHECK(runs_used(s.database_url(), "user_gc_gone") == 1);
  // Each task ran with its own user's input.
  for (auto [name, user, prompt] : {std::tuple{"a", "user_gc_a", "from a"}, std::tuple{"b", "user_gc_b", "from b"},
                                    std::tuple{"gone", "user_gc_gone", "after deletion"}}) {
    auto t = await_task(c, s.auth(user), r[name].json()["task_id"].get<std::string>());
    CHECK(t["status"] == "succeeded");
    CHECK(t["result"]["content"] == std::string("re ") + prompt);
    CHECK(t["input"]["prompt"] == prompt);
  }
}

TEST_CASE("a group whose one member fails is rolled back and the others are written alone",
          "[integration][ai][group]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("ok")); });
  // A statement waiting for a lock longer than 4 s fails (57014 → 503).
  trainia_server s({.env = one_connection_env(fake, 100, "4000")});
  auto c = s.client();
  for (auto u : {"user_gf_holder", "user_gf_a", "user_gf_b", "user_gf_stuck"})
    REQUIRE(submit(c, s.auth(u), {{"prompt", "warm-up"}}, "?wait=10").status == 200);
  REQUIRE(queued_jobs(s, 0));
  double before = scrape(s).value_or_zero("trainia_db_grouped_jobs_total", grouped);

  pg stuck_lock(s.database_url());
  lock_counter(stuck_lock, "user_gf_stuck");  // held throughout: its submit cannot be written
  pg holder_lock(s.database_url());
  lock_counter(holder_lock, "user_gf_holder");
  auto holder = submit_async(s, "user_gf_holder", {{"prompt", "held"}});
  REQUIRE(someone_waits_for_a_lock(s.database_url()));
  auto a = submit_async(s, "user_gf_a", {{"prompt", "a"}});
  auto b = submit_async(s, "user_gf_b", {{"prompt", "b"}});
  auto stuck = submit_async(s, "user_gf_stuck", {{"prompt", "stuck"}});
  REQUIRE(queued_jobs(s, 3));
  holder_lock.exec("COMMIT");

  CHECK(holder.get().status == 202);
  // The group waits for the stuck user's lock until the statement times out,
  // rolls back, and its members run alone: a and b are written, stuck fails
  // again and is answered 503 with nothing stored.
  CHECK(a.get().status == 202);
  CHECK(b.get().status == 202);
  auto st = stuck.get();
  CHECK(st.status == 503);
  CHECK(st.json()["error"]["code"] == "service_unavailable");
  stuck_lock.exec("COMMIT");
  CHECK(scrape(s).value("trainia_db_grouped_jobs_total", grouped) - before == 3);
  CHECK(runs_used(s.database_url(), "user_gf_a") == 2);
  CHECK(runs_used(s.database_url(), "user_gf_b") == 2);
  CHECK(runs_used(s.database_url(), "user_gf_stuck") == 1);
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM ai_tasks t JOIN user_profiles p ON p.id = t.user_id WHERE p.clerk_user_id = $1",
                 {"user_gf_stuck"}) == 1);
}
