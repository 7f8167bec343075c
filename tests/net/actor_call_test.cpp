#include "net/actor_call.hpp"
#include "net/net_test_support.hpp"
#include "support/fake_http_server.hpp"

#include <caf/all.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;
using namespace trainia::test;
namespace net = trainia::net;

namespace {

using result_atom = caf::atom_constant<caf::atom("t_result")>;
using block_atom = caf::atom_constant<caf::atom("t_block")>;

/// What the test can see of the actor from outside.
struct probe {
  std::atomic<bool> ran{false};
  std::atomic<int> ended{0};             // times at_end ran
  std::atomic<bool> ran_when_ended{false};  // whether on_done had run when at_end ran
  std::atomic<bool> blocked{false};      // the actor is inside its (t_block) handler
  std::atomic<bool> release{false};      // lets that handler return
  std::mutex mx;
  net::call_handle handle;
};

struct caller_state {
  int status = 0;
  bool in_run_handler = false;  // set while the actor handles (run_atom, actor_task)
  bool inside_run_message = false;
  int deliveries = 0;
};

/// Calls `url` once on start; reports (status, inside_run_message, deliveries)
/// to `report` from inside its own context.
caf::behavior caller(caf::stateful_actor<caller_state>* self, net::outbound_client* client, std::string url,
                     caf::actor report, std::shared_ptr<probe> p) {
  net::outbound_request req;
  req.url = url;
  auto h = net::call_from_actor(
    self, *client, req, {},
    [self, report, p](net::outbound_response& r) {
      p->ran = true;
      auto& st = self->state;  // actor state: only safe because this runs inside the actor
      st.status = r.status;
      st.inside_run_message = st.in_run_handler;
      ++st.deliveries;
      self->send(report, result_atom::value, st.status, st.inside_run_message, st.deliveries);
    },
    [p] {
      p->ran_when_ended = p->ran.load();
      ++p->ended;
    });
  {
    std::lock_guard lock(p->mx);
    p->handle = h;
  }
  return {
    [self](trainia::run_atom, net::actor_task& t) {
      self->state.in_run_handler = true;
      t();
      self->state.in_run_handler = false;
    },
    [p](block_atom) {
      // Keeps the actor busy (its mailbox waits) until the test lets it go.
      p->blocked = true;
      while (!p->release) std::this_thread::sleep_for(1ms);
    },
  };
}

/// GET /slow answers {} after `delay`.
void serve_slow(fake_http_server& fake, std::chrono::milliseconds delay) {
  fake.on("GET", "/slow", [delay](const recorded_request&) {
    fake_response fr = json_reply(200, "{}");
    fr.delay = delay;
    return fr;
  });
}

/// Receives the caller's one report: a 200, handled inside the actor, once.
bool one_ok_result(caf::scoped_actor& test) {
  bool got = false;
  test->receive(
    [&](result_atom, int status, bool inside, int deliveries) {
      got = true;
      CHECK(status == 200);
      CHECK(inside);
      CHECK(deliveries == 1);
    },
    caf::after(10s) >> [] {});
  return got;
}

}  // namespace

TEST_CASE("call_from_actor delivers the response inside the actor", "[net][actors]") {
  fake_http_server fake;
  fake.on("GET", "/models", [](const recorded_request&) { return json_reply(200, R"({"data":[]})"); });
  net::outbound_client client({});
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  {
    caf::scoped_actor test{sys};
    auto p = std::make_shared<probe>();
    auto a = sys.spawn(caller, &client, fake.base_url() + "/models", caf::actor{test}, p);
    CHECK(one_ok_result(test));
    CHECK(p->ran);
    CHECK(p->ended == 1);
    CHECK_FALSE(p->ran_when_ended);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  sys.await_all_actors_done();
}

TEST_CASE("call_from_actor runs nothing once the actor has died", "[net][actors]") {
  fake_http_server fake;
  serve_slow(fake, 300ms);
  net::outbound_client client({});
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto p = std::make_shared<probe>();
  {
    caf::scoped_actor test{sys};
    auto a = sys.spawn(caller, &client, fake.base_url() + "/slow", caf::actor{test}, p);
    REQUIRE(fake.wait_for("GET", "/slow", 1, 5s));  // the call is under way
    test->monitor(a);
    caf::anon_send_exit(a, caf::exit_reason::kill);
    bool down = false;
    test->receive([&](caf::down_msg&) { down = true; }, caf::after(5s) >> [] {});
    REQUIRE(down);
    a = nullptr;
    // The client finishes the call (its `done` ran and found no actor)…
    REQUIRE(eventually([&] {
      std::lock_guard lock(p->mx);
      return p->handle.done();
    }));
    std::this_thread::sleep_for(100ms);
    // …and nothing was delivered, while at_end still ran, once.
    CHECK_FALSE(p->ran);
    CHECK(p->ended == 1);
    bool stray = false;
    test->receive([&](result_atom, int, bool, int) { stray = true; }, caf::after(50ms) >> [] {});
    CHECK_FALSE(stray);
  }
  sys.await_all_actors_done();
}

TEST_CASE("call_from_actor's at_end runs at the call's end while the actor is busy", "[net][actors]") {
  fake_http_server fake;
  serve_slow(fake, 100ms);
  net::outbound_client client({});
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto p = std::make_shared<probe>();
  {
    caf::scoped_actor test{sys};
    auto a = sys.spawn(caller, &client, fake.base_url() + "/slow", caf::actor{test}, p);
    REQUIRE(fake.wait_for("GET", "/slow", 1, 5s));
    caf::anon_send(a, block_atom::value);
    REQUIRE(eventually([&] { return p->blocked.load(); }));
    // The call ends while the actor cannot take messages: at_end runs anyway…
    REQUIRE(eventually([&] { return p->ended.load() == 1; }));
    CHECK_FALSE(p->ran_when_ended);
    CHECK_FALSE(p->ran);
    // …and the response is handled once the actor is free again.
    p->release = true;
    CHECK(one_ok_result(test));
    CHECK(p->ended == 1);
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  sys.await_all_actors_done();
}
