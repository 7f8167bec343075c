#include "actors/atoms.hpp"
#include "core/error.hpp"
#include "db/db_fixture.hpp"
#include "db/pool.hpp"
#include "db/run.hpp"
#include "db/tx.hpp"

#include <caf/all.hpp>

#include <set>

using namespace trainia;
using namespace std::chrono_literals;

namespace {

db::pool_options options(const std::string& url, int size) {
  db::pool_options o;
  o.name = "test";
  o.connect.conninfo = url;
  o.connect.connect_timeout_ms = 1000;
  o.size = size;
  o.queue_limit = 1000;
  o.queue_timeout_ms = 2000;
  o.instance_id = "pool-test";
  return o;
}

db::job sleep_job(double seconds) {
  return db::job{{db::role::service, {}}, "sleep", [seconds](db::tx& t) -> caf::message {
                   auto r = t.exec_adhoc("SELECT pg_sleep($1::float8), pg_backend_pid()", {seconds});
                   if (!r) return caf::make_message(std::move(r.error()));
                   return caf::make_message(r->int64(0, 1));
                 }};
}

}  // namespace

TEST_CASE("the pool spreads jobs over its connections and answers every caller", "[db][actors]") {
  test::migrated_db m;
  obs::registry metrics;
  actor_directory dir(metrics);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto pool = db::spawn_pool(sys, options(m.db.url(), 4), dir, "test");
  {
    caf::scoped_actor self{sys};
    // Wait until the workers are connected.
    for (int i = 0; i < 100; ++i) {
      bool up = false;
      self->request(pool, 1s, ping_atom::value).receive([&](bool b) { up = b; }, [](caf::error&) {});
      if (up) break;
      std::this_thread::sleep_for(20ms);
    }
    // 16 concurrent jobs on 4 connections: every connection takes a share.
    using handle_t = decltype(self->request(pool, 10s, db_exec_atom::value, sleep_job(0.1)));
    std::vector<handle_t> pending;
    for (int i = 0; i < 16; ++i) pending.push_back(self->request(pool, 10s, db_exec_atom::value, sleep_job(0.1)));
    std::set<int64_t> backends;
    int answered = 0;
    for (auto& h : pending)
      h.receive(
        [&](int64_t pid) {
          backends.insert(pid);
          ++answered;
        },
        [&](caf::error& e) { FAIL(sys.render(e)); });
    CHECK(answered == 16);
    CHECK(backends.size() == 4);
  }
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE("with the database unreachable the pool answers 503 at once", "[db][actors]") {
  obs::registry metrics;
  actor_directory dir(metrics);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto pool = db::spawn_pool(sys, options("postgresql://postgres@127.0.0.1:1/none", 2), dir, "test");
  {
    caf::scoped_actor self{sys};
    std::this_thread::sleep_for(100ms);
    auto start = std::chrono::steady_clock::now();
    bool got_error = false;
    self->request(pool, 10s, db_exec_atom::value, sleep_job(0)).receive(
      [&](int64_t) {}, [&](caf::error& e) { got_error = is(e, errc::service_unavailable); });
    CHECK(got_error);
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    CHECK(metrics.db_connections.with({{"pool", "test"}, {"state", "disconnected"}}).value() == 2);
  }
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}

TEST_CASE("a worker that crashes is restarted and counted, the pool keeps serving", "[db][actors]") {
  test::migrated_db m;
  obs::registry metrics;
  actor_directory dir(metrics);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto pool = db::spawn_pool(sys, options(m.db.url(), 2), dir, "test");
  {
    caf::scoped_actor self{sys};
    std::this_thread::sleep_for(300ms);
    self->send(pool, crash_atom::value, uint64_t{0});
    for (int i = 0; i < 100 && dir.restarts("db_worker", "db_pool/test") == 0; ++i) std::this_thread::sleep_for(20ms);
    CHECK(dir.restarts("db_worker", "db_pool/test") == 1);
    CHECK(metrics.actor_restarts.with({{"actor", "db_worker"}}).value() == 1);
    int ok = 0;
    for (int i = 0; i < 6; ++i)
      self->request(pool, 10s, db_exec_atom::value, sleep_job(0)).receive([&](int64_t) { ++ok; },
                                                                         [&](caf::error& e) { FAIL(sys.render(e)); });
    CHECK(ok == 6);
  }
  caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
}
