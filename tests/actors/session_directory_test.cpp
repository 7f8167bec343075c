#include "actors/session_directory.hpp"

#include "actors/atoms.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>

using trainia::session_directory;
using trainia::session_shared;

namespace {

caf::behavior quiet_session(caf::event_based_actor*) {
  return {[](trainia::invalidate_atom) {}};
}

struct directory_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  session_directory dir;
  std::map<std::string, int> spawned;  // user id → spawn calls

  session_directory::spawn_fn spawner() {
    return [this](const std::string& user_id) {
      ++spawned[user_id];
      return session_directory::entry{sys.spawn(quiet_session), std::make_shared<session_shared>(1.0, 1.0)};
    };
  }
  ~directory_fixture() { dir.clear(); }
};

std::string user(int i) { return "user_" + std::to_string(i); }

}  // namespace

TEST_CASE("session_directory: one session per user, spawned on first sight only", "[actors]") {
  directory_fixture f;
  auto first = f.dir.find_or_spawn("user_a", f.spawner());
  auto again = f.dir.find_or_spawn("user_a", f.spawner());
  auto other = f.dir.find_or_spawn("user_b", f.spawner());
  CHECK(first == again);
  CHECK(first != other);
  CHECK(f.spawned["user_a"] == 1);
  CHECK(f.spawned["user_b"] == 1);
  CHECK(f.dir.size() == 2);
}

TEST_CASE("session_directory: shared() finds each user's own entry, in small and in large directories", "[actors]") {
  // 10 users leave every shard's map tiny (where the standard library may
  // scan instead of hashing); 5,000 put ~80 in each.
  for (int n : {10, 5000}) {
    directory_fixture f;
    std::map<std::string, std::shared_ptr<session_shared>> expected;
    for (int i = 0; i < n; ++i) {
      f.dir.find_or_spawn(user(i), [&](const std::string& id) {
        auto e = session_directory::entry{f.sys.spawn(quiet_session), std::make_shared<session_shared>(1.0, 1.0)};
        expected[id] = e.shared;
        return e;
      });
    }
    REQUIRE(f.dir.size() == static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      auto got = f.dir.shared(user(i));
      REQUIRE(got);
      CHECK(got == expected[user(i)]);
    }
    CHECK(f.dir.shared("user_unknown") == nullptr);
    CHECK(f.dir.shared(user(n)) == nullptr);
  }
}

TEST_CASE("session_directory: erase_if removes the entry only when it still names that session", "[actors]") {
  directory_fixture f;
  auto a = f.dir.find_or_spawn("user_a", f.spawner());
  auto stranger = f.sys.spawn(quiet_session);
  CHECK_FALSE(f.dir.erase_if("user_a", stranger.address()));
  CHECK(f.dir.shared("user_a") != nullptr);
  CHECK_FALSE(f.dir.erase_if("user_nobody", a.address()));
  CHECK(f.dir.erase_if("user_a", a.address()));
  CHECK(f.dir.shared("user_a") == nullptr);
  CHECK(f.dir.size() == 0);
  // The next sight spawns a new session.
  auto b = f.dir.find_or_spawn("user_a", f.spawner());
  CHECK(b != a);
  CHECK(f.spawned["user_a"] == 2);
  caf::anon_send_exit(stranger, caf::exit_reason::user_shutdown);
}

TEST_CASE("session_directory: invalidate moves the user's epoch and nobody else's", "[actors]") {
  directory_fixture f;
  f.dir.find_or_spawn("user_a", f.spawner());
  f.dir.find_or_spawn("user_b", f.spawner());
  auto a = f.dir.shared("user_a");
  auto b = f.dir.shared("user_b");
  auto a0 = a->epoch(), b0 = b->epoch();
  f.dir.invalidate("user_a");
  f.dir.invalidate("user_unknown");  // no session: nothing happens
  CHECK(a->epoch() != a0);
  CHECK(b->epoch() == b0);
  f.dir.invalidate_all();
  CHECK(b->epoch() != b0);
  f.dir.clear();
  CHECK(f.dir.size() == 0);
  CHECK(f.dir.shared("user_b") == nullptr);
}
