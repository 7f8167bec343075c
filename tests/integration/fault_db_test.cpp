// Fault tests (issue #7 part 4) for the database: PostgreSQL restarted while
// clients are busy, a database turned read-only, and a tablespace that runs
// out of disk. In each: no request hangs, writes answer 503 with Retry-After
// (never 500) and leave nothing half done, and the server recovers without a
// restart. (The database stopped and started while idle is db_fault_test.cpp.)
#include "billing/stripe_fixtures.hpp"
#include "integration/server_fixture.hpp"
#include "support/private_cluster.hpp"

#include <catch2/catch.hpp>

#include <sys/mount.h>

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

using namespace trainia::test;
using namespace std::chrono_literals;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string profile = "/api/users/profile";

/// Polls `ok` every 100 ms for up to `limit`.
template <class F>
bool within(std::chrono::milliseconds limit, F ok) {
  auto end = clock_type::now() + limit;
  while (clock_type::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return ok();
}

void check_unavailable(const http_response& r) {
  CHECK(r.status == 503);
  CHECK(r.json()["error"]["code"] == "service_unavailable");
  CHECK_FALSE(r.header("Retry-After").empty());
  CHECK(r.body.find("read-only") == std::string::npos);  // the inside does not leak
  CHECK(r.body.find("No space") == std::string::npos);
}

std::string database_name(const std::string& url) {
  auto slash = url.rfind('/');
  auto q = url.find('?', slash);
  return url.substr(slash + 1, q == std::string::npos ? std::string::npos : q - slash - 1);
}

/// A small tmpfs mounted for the test's lifetime (we are root in a container;
/// when mounting is not permitted, `ok()` is false and the test says so).
class small_tmpfs {
 public:
  explicit small_tmpfs(const std::string& size) {
    base_ = temp_dir("trainia-diskfull");
    run_command("chmod 755 " + base_);
    path_ = base_ + "/ts";
    run_command("mkdir -p " + path_);
    ok_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0700").c_str()) == 0;
    if (ok_) {
      const char* user = std::getenv("TRAINIA_TEST_PG_RUN_AS");
      if (user && *user) run_command("chown " + std::string(user) + " " + path_);
    }
  }
  ~small_tmpfs() {
    if (ok_ && ::umount(path_.c_str()) != 0) ::umount2(path_.c_str(), MNT_DETACH);
    run_command("rm -rf " + base_);
  }
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

 private:
  std::string base_, path_;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("fault: PostgreSQL restarted under load: no hang, only 2xx or 503 with Retry-After, then recovery",
          "[integration][fault]") {
  private_cluster cluster;
  auto url = cluster.create_database("trainia");
  migrate(url);
  trainia_server s({.env = {{"TRAINIA_DB_CONNECT_TIMEOUT_MS", "1000"},
                            {"TRAINIA_DB_STATEMENT_TIMEOUT_MS", "3000"},
                            {"TRAINIA_RATE_LIMIT_PER_SECOND", "100000"},
                            {"TRAINIA_RATE_LIMIT_BURST", "100000"}},
                    .database_url = url});
  constexpr int clients = 4;
  for (int i = 0; i < clients; ++i)
    REQUIRE(s.client().get(profile, s.auth("user_load_" + std::to_string(i))).status == 200);

  std::atomic<bool> stop{false};
  std::mutex mx;
  std::map<int, int> statuses;
  std::vector<std::string> problems;
  std::atomic<int64_t> worst_ms{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < clients; ++i)
    ts.emplace_back([&, i] {
      auto c = s.client();
      auto auth = s.auth("user_load_" + std::to_string(i));
      for (int n = 0; !stop; ++n) {
        auto t0 = clock_type::now();
        http_response r;
        try {
          // Writes need the database every time; the reads alternate between
          // the session's cache and the database.
          if (n % 3 == 0) r = c.get(profile, auth);
          else if (n % 3 == 1) r = c.put_json(profile, {{"full_name", "n" + std::to_string(n)}}, auth);
          else r = c.get("/api/subscriptions", auth);
        } catch (const std::exception& e) {  // a time-out of the client (10 s): a hang
          std::lock_guard<std::mutex> g(mx);
          problems.push_back(e.what());
          continue;
        }
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
        int64_t prev = worst_ms.load();
        while (ms > prev && !worst_ms.compare_exchange_weak(prev, ms)) {
        }
        std::lock_guard<std::mutex> g(mx);
        ++statuses[r.status];
        if (r.status == 503 && (r.header("Retry-After").empty() ||
                                r.json()["error"]["code"] != "service_unavailable"))
          problems.push_back("503 without Retry-After or code: " + r.body);
        if (r.status != 200 && r.status != 503) problems.push_back(std::to_string(r.status) + ": " + r.body);
      }
    });
  std::this_thread::sleep_for(1s);
  cluster.stop();
  std::this_thread::sleep_for(2s);
  cluster.start();
  std::this_thread::sleep_for(3s);
  stop = true;
  for (auto& t : ts) t.join();

  INFO("statuses: " << json(statuses).dump());
  CHECK(problems.empty());
  for (const auto& p : problems) UNSCOPED_INFO(p);
  CHECK(worst_ms < 10000);
  CHECK(statuses[200] > 0);
  CHECK(statuses[503] > 0);  // the outage was seen, and answered as such
  // Afterwards every client succeeds again without restarting the server.
  for (int i = 0; i < clients; ++i) {
    auto auth = s.auth("user_load_" + std::to_string(i));
    auto c = s.client();
    CHECK(within(15s, [&] { return c.put_json(profile, {{"full_name", "after"}}, auth).status == 200; }));
    CHECK(c.get(profile, auth).json()["full_name"] == "after");
    CHECK(c.get("/api/subscriptions", auth).status == 200);
  }
  CHECK(s.admin().get("/readyz").status == 200);
  CHECK(s.process().running());
  pg db(url);
  CHECK(db.count("SELECT count(*) FROM user_profiles WHERE full_name = 'after'") == clients);
}

TEST_CASE("fault: a read-only database: writes 503 with Retry-After and no effect, reads 200, then recovery",
          "[integration][fault]") {
  trainia_server s({.env = {{"STRIPE_WEBHOOK_SECRET", stripe::webhook_secret}}});
  auto c = s.client();
  REQUIRE(c.put_json(profile, {{"full_name", "Before"}}, s.auth("user_ro")).status == 200);
  auto name = database_name(s.database_url());
  pg admin(admin_url());  // ALTER DATABASE must come from outside the read-only database
  auto set_read_only = [&](bool on) {
    admin.exec("ALTER DATABASE " + name + (on ? " SET default_transaction_read_only = on" :
                                                " RESET default_transaction_read_only"));
    // New sessions get the setting: end the server's current ones.
    admin.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
               "pg_backend_pid()",
               {name});
  };
  set_read_only(true);
  // The pools reconnect (their sessions were ended); a plain read shows when.
  REQUIRE(within(10s, [&] { return c.get("/api/ai/tasks", s.auth("user_ro")).status == 200; }));
  auto before = table_digest(s.database_url());

  for (int i = 0; i < 3; ++i) {
    auto w = c.put_json(profile, {{"full_name", "During " + std::to_string(i)}}, s.auth("user_ro"));
    INFO(w.body);
    check_unavailable(w);
  }
  auto ev = stripe::fixture("customer.created");
  ev["id"] = "evt_readonly_1";
  auto hook = stripe::deliver(c, ev);
  check_unavailable(hook);
  // A user seen for the first time needs a row written: 503 as well, not 500.
  check_unavailable(c.get(profile, s.auth("user_new_while_ro")));
  // Reads are served.
  CHECK(c.get("/api/ai/tasks", s.auth("user_ro")).status == 200);
  CHECK(table_digest(s.database_url()) == before);
  // It was the read-only refusal (SQLSTATE 25006) that was answered 503.
  CHECK(s.log().find("[25006]") != std::string::npos);

  set_read_only(false);
  CHECK(within(10s, [&] {
    return c.put_json(profile, {{"full_name", "After"}}, s.auth("user_ro")).status == 200;
  }));
  CHECK(c.get(profile, s.auth("user_ro")).json()["full_name"] == "After");
  // Stripe's retry now succeeds (once the service pool has reconnected too).
  CHECK(within(10s, [&] { return stripe::deliver(c, ev).status == 200; }));
  pg db(s.database_url());
  CHECK(db.count("SELECT count(*) FROM stripe_events WHERE event_id = 'evt_readonly_1'") == 1);
  CHECK(c.get(profile, s.auth("user_new_while_ro")).status == 200);
}

TEST_CASE("fault: the disk fills up: writes 503 with no partial effect, space freed: recovery",
          "[integration][fault]") {
  small_tmpfs disk("24m");  // outlives the cluster below (destroyed after it)
  if (!disk.ok()) {
    WARN("cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN): disk-full test not run");
    return;
  }
  private_cluster cluster;
  auto url = cluster.create_database("trainia");
  migrate(url);
  pg db(url);
  // The profiles table (and its TOAST table) lives on the small disk.
  db.exec("CREATE TABLESPACE small LOCATION '" + disk.path() + "'");
  db.exec("ALTER TABLE user_profiles SET TABLESPACE small");
  trainia_server s({.env = {{"TRAINIA_DB_CONNECT_TIMEOUT_MS", "1000"}}, .database_url = url});
  auto c = s.client();
  REQUIRE(c.put_json(profile, {{"full_name", "Before"}}, s.auth("user_disk")).status == 200);

  // Fill the disk: ~2 KB rows (stored inline, uncompressed) until PostgreSQL says 53100.
  db.exec("CREATE TABLE filler (x text) TABLESPACE small");
  std::string full_error;
  for (int batch : {1000, 100, 10, 1}) {  // big rows batches first, then fill the last gaps
    for (int k = 0; k < 200; ++k) {
      try {
        db.exec("INSERT INTO filler SELECT (SELECT string_agg(md5(random()::text || g2 || g), '') FROM generate_series(1, "
                "60) g2) FROM generate_series(1, " + std::to_string(batch) + ") g");
      } catch (const std::exception& e) {
        full_error = e.what();
        break;
      }
    }
  }
  INFO(full_error);
  REQUIRE(full_error.find("No space left on device") != std::string::npos);

  // A write that needs new pages: preferences of ~12 KB that do not compress.
  std::string blob;
  for (int i = 0; i < 12; ++i) blob += random_hex(500);
  auto before = table_digest(url);
  for (int i = 0; i < 3; ++i) {
    auto w = c.put_json(profile, {{"full_name", "During"}, {"preferences", {{"blob", blob}}}}, s.auth("user_disk"));
    INFO(w.body);
    check_unavailable(w);
  }
  CHECK(table_digest(url) == before);
  CHECK(*db.scalar("SELECT full_name FROM user_profiles WHERE clerk_user_id = 'user_disk'") == "Before");
  CHECK(s.log().find("[53100]") != std::string::npos);
  // Reads are still served.
  CHECK(c.get(profile, s.auth("user_disk")).status == 200);
  CHECK(s.admin().get("/healthz").status == 200);

  db.exec("DROP TABLE filler");
  CHECK(within(10s, [&] {
    return c.put_json(profile, {{"full_name", "After"}, {"preferences", {{"blob", blob}}}}, s.auth("user_disk"))
               .status == 200;
  }));
  auto after = c.get(profile, s.auth("user_disk")).json();
  CHECK(after["full_name"] == "After");
  CHECK(after["preferences"]["blob"] == blob);
  CHECK(s.process().running());
  db.exec("ALTER TABLE user_profiles SET TABLESPACE pg_default");  // so the tablespace can go with the cluster
}

TEST_CASE("fault: connections the database refuses are logged with its reason, once per connection, not per retry",
          "[integration][fault]") {
  // PGOPTIONS reach the server's connections; one naming a setting that does
  // not exist makes PostgreSQL refuse every one of them.
  server_options o;
  o.env["PGOPTIONS"] = "-c trainia_no_such_setting=1";
  o.env["DATABASE_POOL_SIZE"] = "2";
  o.env["DATABASE_SERVICE_POOL_SIZE"] = "2";
  o.wait_ready = false;
  trainia_server s(o);
  auto refused = [&] {
    size_t n = 0;
    std::istringstream in(s.log());
    for (std::string line; std::getline(in, line);) {
      auto j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "database connection failed; retrying" &&
          j.value("reason", "").find("trainia_no_such_setting") != std::string::npos)
        ++n;
    }
    return n;
  };
  for (int i = 0; i < 150 && refused() < 4; ++i) std::this_thread::sleep_for(20ms);
  CHECK(refused() == 4);  // the two connections of each pool
  auto ready = s.admin().get("/readyz");
  CHECK(ready.status == 503);
  // Their retries (back-off from 100 ms) do not log again.
  std::this_thread::sleep_for(1500ms);
  CHECK(refused() == 4);
}
