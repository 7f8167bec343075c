#include "ai/worker_slots.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using trainia::ai::worker_slots;

TEST_CASE("worker slots are taken until none is free and given back", "[ai][slots]") {
  worker_slots s;
  s.reset(2);
  CHECK(s.take());
  CHECK(s.take());
  CHECK_FALSE(s.take());
  CHECK(s.free() == 0);
  s.give(1);
  CHECK(s.free() == 1);
  CHECK(s.take_up_to(5) == 1);
  CHECK(s.take_up_to(5) == 0);
}

TEST_CASE("a submit borrows a slot a poll holds and the poll gives back only what is left", "[ai][slots]") {
  worker_slots s;
  s.reset(4);
  int n = s.take_up_to(64);
  REQUIRE(n == 4);
  s.poll_holds(n);
  CHECK(s.free() == 0);
  CHECK(s.take());  // borrowed from the poll
  CHECK(s.take());
  CHECK(s.poll_held() == 2);
  s.poll_ended(1);  // the poll claimed one task: one of its two slots is free again
  CHECK(s.poll_held() == 0);
  CHECK(s.free() == 1);
}

TEST_CASE("tasks a poll claimed beyond the slots it still held are owed", "[ai][slots]") {
  worker_slots s;
  s.reset(3);
  s.poll_holds(s.take_up_to(3));
  CHECK(s.take());
  CHECK(s.take());
  CHECK(s.take());
  CHECK_FALSE(s.take());  // nothing free, nothing left to borrow
  s.poll_ended(2);        // two claimed tasks wait in the dispatcher for a worker
  CHECK(s.free() == -2);
  CHECK_FALSE(s.take());
  CHECK(s.take_up_to(8) == 0);
  // The two waiting tasks start on the next workers that finish (no slot is
  // given back for those); the following finishes free slots again.
  s.give(1);
  CHECK(s.free() == -1);
}

TEST_CASE("a failed poll gives back every slot it still held", "[ai][slots]") {
  worker_slots s;
  s.reset(5);
  s.poll_holds(s.take_up_to(3));
  CHECK(s.take());  // one of the two free ones
  CHECK(s.take());
  CHECK(s.take());  // borrowed
  s.poll_ended(0);
  CHECK(s.free() == 2);
  CHECK(s.poll_held() == 0);
}

TEST_CASE("concurrent takers never get more slots than there are", "[ai][slots]") {
  worker_slots s;
  s.reset(100);
  s.poll_holds(s.take_up_to(30));
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        if (s.take()) taken.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  CHECK(taken.load() == 100);
  CHECK(s.free() == 0);
  CHECK(s.poll_held() == 0);
  s.poll_ended(0);
  CHECK(s.free() == 0);
}
