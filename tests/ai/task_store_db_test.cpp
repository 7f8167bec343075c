// The AI pipeline's SQL, run as the server runs it (db::tx, RLS role per
// job) against a freshly migrated database.
#include "ai/pipeline.hpp"
#include "ai/task_store.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "db/db_fixture.hpp"
#include "db/tx.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace trainia;

namespace {

config ai_config() {
  config c;
  c.openai_model = "gpt-4o-mini";
  c.auth = auth_mode::dev;
  c.ai_concurrency = 4;
  c.ai_queue_limit = 100;
  c.ai_max_attempts = 3;
  c.ai_lease_seconds = 30;
  c.ai_call_timeout_ms = 1000;
  c.ai_task_deadline_ms = 60000;
  c.ai_retry_base_ms = 10;
  c.ai_poll_interval_ms = 100;
  c.ai_metrics_interval_ms = 1000;
  return c;
}

const char* period_start = "2026-11-01T00:00:00.000Z";

plan_info plan(int64_t runs, int32_t concurrent) {
  return plan_info{"free", runs, concurrent, period_start, "2026-12-01T00:00:00.000Z"};
}

/// A migrated database and the pipeline state the jobs use (no actors).
struct ai_db {
  test::migrated_db m;
  config cfg = ai_config();
  obs::registry metrics;
  services svc{cfg, metrics, "instance-a"};
  ai::pipeline pipe{svc};
  std::unique_ptr<db::connection> conn = m.open();
  test::pg admin{m.db.url()};

  /// Runs `fn` in one transaction on `c` as `who`, as a pool worker does.
  caf::message run(db::connection& c, db::access who, const ai::job_fn& fn,
                   const std::string& instance = "instance-a") {
    db::tx t(c, who, instance);
    auto reply = fn(t);
    auto e = t.finish(!reply.match_elements<caf::error>());
    REQUIRE_FALSE(e);
    return reply;
  }
  caf::message as_user(const std::string& user, const ai::job_fn& fn) {
    return run(*conn, {db::role::request, user}, fn);
  }
  caf::message as_service(const ai::job_fn& fn, const std::string& instance = "instance-a") {
    return run(*conn, {db::role::service, {}}, fn, instance);
  }
  caf::message submit(const std::string& user, const plan_info& p, std::string prompt = "hello",
                      std::optional<std::string> key = std::nullopt) {
    ai::task_input in;
    in.prompt = std::move(prompt);
    in.model = "gpt-4o-mini";
    auto job = ai::submit_job(pipe, in, std::move(key))(p);
    return as_user(user, job.fn);
  }
  int64_t used(const std::string& user) {
    return admin.count(
        "SELECT coalesce((SELECT ai_runs_used FROM usage_counters u JOIN user_profiles p ON p.id = "
        "u.user_id WHERE p.clerk_user_id = $1), 0)",
        {user});
  }
};

template <class T>
T reply_as(const caf::message& m) {
  if (m.match_elements<caf::error>())
    FAIL("job failed: " + info_of(m.get_as<caf::error>(0)).message + " / " + info_of(m.get_as<caf::error>(0)).internal);
  REQUIRE(m.match_elements<T>());
  return m.get_as<T>(0);
}

caf::error error_of(const caf::message& m) {
  REQUIRE(m.match_elements<caf::error>());
  return m.get_as<caf::error>(0);
}

}  // namespace

/// Finishes one task through the batch job (as the recorder would, alone in its batch).
ai::task_doc finish_one(ai_db& d, const std::string& id, int32_t attempts, const ai::call_outcome& o,
                        const char* instance = nullptr) {
  ai::finish_request r{id, attempts, o};
  auto job = ai::finish_batch_job(d.pipe, {r});
  auto docs = reply_as<std::vector<ai::task_doc>>(instance ? d.as_service(std::move(job), instance)
                                                           : d.as_service(std::move(job)));
  REQUIRE(docs.size() == 1);
  return docs[0];
}

TEST_CASE("a submit charges one run of the plan's period, past the limit it is 402 with details", "[db][ai]") {
  ai_db d;
  auto first = reply_as<ai::submit_result>(d.submit("user_q", plan(2, 10)));
  CHECK(first.status == "queued");
  CHECK_FALSE(first.replay);
  reply_as<ai::submit_result>(d.submit("user_q", plan(2, 10)));
  CHECK(d.used("user_q") == 2);
  auto e = error_of(d.submit("user_q", plan(2, 10)));
  CHECK(is(e, errc::quota_exceeded));
  CHECK(nlohmann::json::parse(info_of(e).details_json) == nlohmann::json{{"plan", "free"}, {"limit", 2}, {"used", 2}});
  CHECK(d.used("user_q") == 2);
  CHECK(d.admin.count("SELECT count(*) FROM ai_tasks") == 2);
  // The row is what the pipeline needs: queued, model, deadline, the period charged.
  auto row = d.admin.query(
      "SELECT status, model, quota_period_start = $1::timestamptz AS charged, "
      "deadline_at > now() + interval '50 seconds' AS deadline, max_attempts, attempts "
      "FROM ai_tasks WHERE id = $2",
      {std::string(period_start), first.task_id});
  REQUIRE(row.size() == 1);
  CHECK(row[0]["status"] == "queued");
  CHECK(row[0]["model"] == "gpt-4o-mini");
  CHECK(row[0]["charged"] == "t");
  CHECK(row[0]["deadline"] == "t");
  CHECK(row[0]["max_attempts"] == "3");
  CHECK(row[0]["attempts"] == "0");
  // A plan without runs refuses at once.
  CHECK(is(error_of(d.submit("user_zero", plan(0, 1))), errc::quota_exceeded));
}

TEST_CASE("an Idempotency-Key returns the first task without a second charge", "[db][ai]") {
  ai_db d;
  auto a = reply_as<ai::submit_result>(d.submit("user_k", plan(10, 10), "same", "key-1"));
  auto b = reply_as<ai::submit_result>(d.submit("user_k", plan(10, 10), "same", "key-1"));
  CHECK(b.task_id == a.task_id);
  CHECK(b.replay);
  CHECK(d.used("user_k") == 1);
  // The same key with another request is a conflict, and charges nothing.
  CHECK(is(error_of(d.submit("user_k", plan(10, 10), "different", "key-1")), errc::conflict));
  CHECK(d.used("user_k") == 1);
  // Keys are per user.
  auto other = reply_as<ai::submit_result>(d.submit("user_k2", plan(10, 10), "same", "key-1"));
  CHECK(other.task_id != a.task_id);
  // A replay is answered even when the quota is used up since.
  CHECK(reply_as<ai::submit_result>(d.submit("user_k", plan(1, 10), "same", "key-1")).task_id == a.task_id);
}

TEST_CASE("the in-flight limit counts the user's queued and running tasks", "[db][ai]") {
  ai_db d;
  reply_as<ai::submit_result>(d.submit("user_c", plan(10, 2)));
  reply_as<ai::submit_result>(d.submit("user_c", plan(10, 2)));
  auto e = error_of(d.submit("user_c", plan(10, 2)));
  CHECK(is(e, errc::rate_limited));
  CHECK(info_of(e).retry_after_seconds >= 1);
  CHECK(d.used("user_c") == 2);  // the refused submit's reservation rolled back
  // Another user is not affected; a finished task frees a place.
  reply_as<ai::submit_result>(d.submit("user_c_other", plan(10, 2)));
  d.admin.exec(
      "UPDATE ai_tasks SET status = 'failed' WHERE id = (SELECT t.id FROM ai_tasks t JOIN user_profiles p "
      "ON p.id = t.user_id WHERE p.clerk_user_id = 'user_c' LIMIT 1)");
  reply_as<ai::submit_result>(d.submit("user_c", plan(10, 2)));
}

TEST_CASE("a full queue refuses with 503 and charges nothing", "[db][ai]") {
  ai_db d;
  d.pipe.queued_hint = d.cfg.ai_queue_limit;
  auto e = error_of(d.submit("user_full", plan(10, 10)));
  CHECK(is(e, errc::service_unavailable));
  CHECK(info_of(e).retry_after_seconds > 0);
  CHECK(d.used("user_full") == 0);
  CHECK(d.admin.count("SELECT count(*) FROM ai_tasks") == 0);
  d.pipe.queued_hint = 0;
  reply_as<ai::submit_result>(d.submit("user_full", plan(10, 10)));
  CHECK(d.pipe.queued_hint.load() == 1);  // counted as queued
}

TEST_CASE("five concurrent submits on five connections with one run left: exactly one is accepted", "[db][ai]") {
  ai_db d;
  reply_as<ai::submit_result>(d.submit("user_race", plan(5, 10)));
  d.admin.exec("UPDATE usage_counters SET ai_runs_used = 4");
  std::atomic<int> accepted{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 5; ++i)
    threads.emplace_back([&] {
      auto c = d.m.open();
      ai::task_input in;
      in.prompt = "race";
      in.model = "gpt-4o-mini";
      auto job = ai::submit_job(d.pipe, in, std::nullopt)(plan(5, 10));
      db::tx t(*c, {db::role::request, "user_race"}, "instance-a");
      auto reply = job.fn(t);
      bool ok = !reply.match_elements<caf::error>();
      t.finish(ok);
      if (ok)
        ++accepted;
      else if (is(reply.get_as<caf::error>(0), errc::quota_exceeded))
        ++refused;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  CHECK(accepted == 1);
  CHECK(refused == 4);
  CHECK(other == 0);
  CHECK(d.used("user_race") == 5);
}

TEST_CASE("claims never hand one task to two processes and take the oldest first", "[db][ai]") {
  ai_db d;
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i)
    ids.push_back(reply_as<ai::submit_result>(d.submit("user_many", plan(100, 100))).task_id);
  std::mutex mx;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int p = 0; p < 4; ++p)
    threads.emplace_back([&, p] {
      auto c = d.m.open();
      auto instance = "instance-" + std::to_string(p);
      obs::registry reg;
      services s{d.cfg, reg, instance};
      ai::pipeline pipe{s};
      for (;;) {
        db::tx t(*c, {db::role::service, {}}, instance);
        auto reply = ai::claim_job(pipe, 3, false, true)(t);
        t.finish(!reply.match_elements<caf::error>());
        REQUIRE(reply.match_elements<ai::claimed_batch>());
        auto b = reply.get_as<ai::claimed_batch>(0);
        if (b.tasks.empty()) break;
        std::lock_guard g(mx);
        for (auto& task : b.tasks) {
          claimed.insert(task.id);
          CHECK(task.attempts == 1);
          CHECK(task.user_id == "user_many");
          CHECK(task.remaining_ms > 50000);
          CHECK(nlohmann::json::parse(task.input_json)["prompt"] == "hello");
        }
      }
    });
  for (auto& t : threads) t.join();
  CHECK(claimed.size() == 40);
  CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == 40);
  CHECK(d.admin.count("SELECT count(*) FROM ai_tasks WHERE status = 'running' AND lease_owner LIKE 'instance-%' "
                      "AND lease_expires_at > now() AND attempts = 1 AND claims = 1") == 40);
  // Oldest first: the first claim of a fresh queue gets the first submitted.
  ai_db e;
  auto first = reply_as<ai::submit_result>(e.submit("user_order", plan(10, 10), "one")).task_id;
  reply_as<ai::submit_result>(e.submit("user_order", plan(10, 10), "two"));
  auto b = reply_as<ai::claimed_batch>(e.as_service(ai::claim_job(e.pipe, 1, false, true)));
  REQUIRE(b.tasks.size() == 1);
  CHECK(b.tasks[0].id == first);
  CHECK(b.from_queue == 1);
}

TEST_CASE("an expired lease is taken over, out of attempts the task fails and its run is given back", "[db][ai]") {
  ai_db d;
  auto id = reply_as<ai::submit_result>(d.submit("user_lease", plan(10, 10))).task_id;
  CHECK(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 5, false, true), "instance-a")).tasks.size() == 1);
  // A live lease is not taken by another process.
  obs::registry reg;
  services other_svc{d.cfg, reg, "instance-b"};
  ai::pipeline other{other_svc};
  CHECK(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(other, 5, false, true), "instance-b")).tasks.empty());
  // instance-a dies; its lease runs out.
  d.admin.exec("UPDATE ai_tasks SET lease_expires_at = now() - interval '1 second'");
  // A claim for queued tasks only (the polls between two lease scans) leaves it.
  CHECK(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(other, 5, false, false), "instance-b")).tasks.empty());
  CHECK(d.admin.scalar("SELECT lease_owner FROM ai_tasks") == "instance-a");
  auto b = reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(other, 5, false, true), "instance-b"));
  REQUIRE(b.tasks.size() == 1);
  CHECK(b.tasks[0].id == id);
  CHECK(b.tasks[0].attempts == 2);
  CHECK(b.from_queue == 0);
  CHECK(d.admin.scalar("SELECT lease_owner FROM ai_tasks") == "instance-b");
  // The late finish of instance-a changes nothing now.
  ai::call_outcome ok;
  ok.status = "succeeded";
  ok.result_json = R"({"content":"late","model":"m","finish_reason":"stop","usage":{}})";
  CHECK(finish_one(d, id, 1, ok, "instance-a").id.empty());
  CHECK(d.admin.scalar("SELECT status FROM ai_tasks") == "running");
  // instance-b dies too, and a third claim finds the attempts spent.
  d.admin.exec("UPDATE ai_tasks SET lease_expires_at = now() - interval '1 second', attempts = 3");
  auto last = reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 5, false, true)));
  CHECK(last.tasks.empty());
  CHECK(last.ended == std::vector<std::string>{id});
  auto row = d.admin.query("SELECT status, error_message, lease_owner, quota_refunded FROM ai_tasks");
  CHECK(row[0]["status"] == "failed");
  CHECK(row[0]["error_message"] == "the task was interrupted (its worker process stopped) and has used all 3 attempts");
  CHECK_FALSE(row[0]["lease_owner"].has_value());
  CHECK(row[0]["quota_refunded"] == "t");
  CHECK(d.used("user_lease") == 0);
}

TEST_CASE("finishing records usage, latency and finish_reason, and gives runs back once", "[db][ai]") {
  ai_db d;
  auto ok_id = reply_as<ai::submit_result>(d.submit("user_fin", plan(10, 10))).task_id;
  auto bad_id = reply_as<ai::submit_result>(d.submit("user_fin", plan(10, 10))).task_id;
  REQUIRE(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 5, false, true))).tasks.size() == 2);
  CHECK(d.used("user_fin") == 2);
  ai::call_outcome ok;
  ok.status = "succeeded";
  ok.result_json =
      R"({"content":"hi","model":"gpt-4o-mini","finish_reason":"stop","usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}})";
  ok.finish_reason = "stop";
  ok.prompt_tokens = 5;
  ok.completion_tokens = 2;
  ok.total_tokens = 7;
  ok.latency_ms = 52;
  auto doc = finish_one(d, ok_id, 1, ok);
  CHECK(doc.status == "succeeded");
  auto j = nlohmann::json::parse(doc.json);
  CHECK(j["result"]["content"] == "hi");
  CHECK(j["attempts"] == 1);
  auto row = d.admin.query(
      "SELECT prompt_tokens, completion_tokens, total_tokens, provider_latency_ms, finish_reason, "
      "finished_at IS NOT NULL AS done, lease_owner FROM ai_tasks WHERE id = $1",
      {ok_id});
  CHECK(row[0]["prompt_tokens"] == "5");
  CHECK(row[0]["completion_tokens"] == "2");
  CHECK(row[0]["total_tokens"] == "7");
  CHECK(row[0]["provider_latency_ms"] == "52");
  CHECK(row[0]["finish_reason"] == "stop");
  CHECK(row[0]["done"] == "t");
  CHECK_FALSE(row[0]["lease_owner"].has_value());

  ai::call_outcome down;
  down.status = "failed";
  down.error_message = "the AI provider answered HTTP 500 (after 3 attempts)";
  down.refund = true;
  auto failed = finish_one(d, bad_id, 3, down);
  CHECK(failed.status == "failed");
  CHECK(d.used("user_fin") == 1);  // given back
  // A second finish (a duplicate) gives nothing back again.
  CHECK(finish_one(d, bad_id, 3, down).id.empty());
  CHECK(d.used("user_fin") == 1);
}

TEST_CASE("cancel: a queued task at once with its run back, a running one flagged, a finished one 409", "[db][ai]") {
  ai_db d;
  auto queued = reply_as<ai::submit_result>(d.submit("user_x", plan(10, 10))).task_id;
  auto c = reply_as<ai::cancel_result>(d.as_user("user_x", ai::cancel_task_job(d.pipe, queued)));
  CHECK(c.previous == "queued");
  CHECK(c.task.status == "cancelled");
  CHECK(nlohmann::json::parse(c.task.json)["cancel_requested"] == true);
  CHECK(d.used("user_x") == 0);
  CHECK(is(error_of(d.as_user("user_x", ai::cancel_task_job(d.pipe, queued))), errc::conflict));

  auto running = reply_as<ai::submit_result>(d.submit("user_x", plan(10, 10))).task_id;
  REQUIRE(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 1, false, true))).tasks.size() == 1);
  auto r = reply_as<ai::cancel_result>(d.as_user("user_x", ai::cancel_task_job(d.pipe, running)));
  CHECK(r.previous == "running");
  CHECK(r.task.status == "running");
  CHECK(r.ours);
  CHECK(d.used("user_x") == 1);  // the provider may have worked: not given back
  auto leases = reply_as<ai::lease_batch>(d.as_service(ai::renew_job(d.pipe)));
  CHECK(leases.held == std::vector<std::string>{running});
  CHECK(leases.cancel == std::vector<std::string>{running});
  // Someone else's task does not exist for this user.
  CHECK(is(error_of(d.as_user("user_y", ai::cancel_task_job(d.pipe, running))), errc::not_found));
  CHECK(is(error_of(d.as_user("user_y", ai::get_task_job(running))), errc::not_found));
  CHECK(reply_as<ai::task_doc>(d.as_user("user_x", ai::get_task_job(running))).status == "running");
}

TEST_CASE("lease renewals do not move updated_at, transitions do", "[db][ai]") {
  ai_db d;
  auto id = reply_as<ai::submit_result>(d.submit("user_t", plan(10, 10))).task_id;
  REQUIRE(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 1, false, true))).tasks.size() == 1);
  auto before = d.admin.scalar("SELECT updated_at::text FROM ai_tasks");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  reply_as<ai::lease_batch>(d.as_service(ai::renew_job(d.pipe)));
  CHECK(d.admin.scalar("SELECT updated_at::text FROM ai_tasks") == before);
  CHECK(d.admin.count("SELECT count(*) FROM ai_tasks WHERE lease_expires_at > now() + interval '25 seconds'") == 1);
}

TEST_CASE("the task list pages newest first with a cursor that never skips a task", "[db][ai]") {
  ai_db d;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(reply_as<ai::submit_result>(d.submit("user_p", plan(10, 10))).task_id);
  reply_as<ai::submit_result>(d.submit("user_p_other", plan(10, 10)));
  std::vector<std::string> seen;
  std::optional<int64_t> before;
  for (int page = 0; page < 5; ++page) {
    auto p = nlohmann::json::parse(reply_as<ai::task_page>(d.as_user("user_p", ai::list_tasks_job(2, before))).json);
    for (auto& t : p["tasks"]) seen.push_back(t["task_id"]);
    if (p["next_before"].is_null()) break;
    before = parse_rfc3339_us(p["next_before"].get<std::string>());
    REQUIRE(before);
  }
  CHECK(seen == std::vector<std::string>(ids.rbegin(), ids.rend()));
}

TEST_CASE("counts by status for the gauge", "[db][ai]") {
  ai_db d;
  reply_as<ai::submit_result>(d.submit("user_n", plan(10, 10)));
  reply_as<ai::submit_result>(d.submit("user_n", plan(10, 10)));
  reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 1, false, true)));
  auto c = reply_as<ai::status_counts>(d.as_service(ai::count_job()));
  std::map<std::string, int64_t> by;
  for (size_t i = 0; i < c.status.size(); ++i) by[c.status[i]] = c.count[i];
  CHECK(by == std::map<std::string, int64_t>{{"queued", 1}, {"running", 1}});
}

TEST_CASE("one finish batch records several runs, skips a lost lease and gives each refunded run back once",
          "[db][ai]") {
  ai_db d;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(reply_as<ai::submit_result>(d.submit("user_batch", plan(10, 10))).task_id);
  auto other = reply_as<ai::submit_result>(d.submit("user_batch2", plan(10, 10))).task_id;
  REQUIRE(reply_as<ai::claimed_batch>(d.as_service(ai::claim_job(d.pipe, 10, false, true))).tasks.size() == 5);
  CHECK(d.used("user_batch") == 4);
  // ids[3] was taken over by another process meanwhile.
  d.admin.exec("UPDATE ai_tasks SET lease_owner = 'instance-z' WHERE id = $1", {ids[3]});

  ai::call_outcome ok;
  ok.status = "succeeded";
  ok.result_json = R"({"content":"a \"quoted\", {braced} answer","model":"m","finish_reason":"stop","usage":{}})";
  ok.finish_reason = "stop";
  ok.total_tokens = 9;
  ai::call_outcome down;
  down.status = "failed";
  down.error_message = "the AI provider answered HTTP 503, {twice}, \"really\"";
  down.refund = true;
  std::vector<ai::finish_request> reqs{{ids[0], 1, ok}, {ids[1], 2, down}, {ids[2], 1, down}, {ids[3], 1, ok},
                                       {other, 1, down}};
  auto docs = reply_as<std::vector<ai::task_doc>>(d.as_service(ai::finish_batch_job(d.pipe, reqs)));
  REQUIRE(docs.size() == 5);
  CHECK(docs[0].id == ids[0]);
  CHECK(docs[0].status == "succeeded");
  CHECK(nlohmann::json::parse(docs[0].json)["result"]["content"] == "a \"quoted\", {braced} answer");
  CHECK(docs[1].status == "failed");
  CHECK(nlohmann::json::parse(docs[1].json)["error_message"] == down.error_message);
  CHECK(docs[2].status == "failed");
  CHECK(docs[3].id.empty());  // lease lost: unchanged
  CHECK(docs[4].id == other);
  CHECK(d.admin.scalar("SELECT status FROM ai_tasks WHERE id = $1", {ids[3]}) == "running");
  CHECK(d.admin.scalar("SELECT total_tokens FROM ai_tasks WHERE id = $1", {ids[0]}) == "9");
  CHECK(d.admin.scalar("SELECT attempts FROM ai_tasks WHERE id = $1", {ids[1]}) == "2");
  // Two runs of user_batch given back in one statement, one of user_batch2.
  CHECK(d.used("user_batch") == 2);
  CHECK(d.used("user_batch2") == 0);
  // The same batch again changes nothing and gives nothing back.
  auto again = reply_as<std::vector<ai::task_doc>>(d.as_service(ai::finish_batch_job(d.pipe, reqs)));
  for (const auto& doc : again) CHECK(doc.id.empty());
  CHECK(d.used("user_batch") == 2);
}
