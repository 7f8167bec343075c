#include "actors/session_shared.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using trainia::profile_doc;
using trainia::session_shared;

namespace {

session_shared::profile_ptr doc(const std::string& body) {
  return std::make_shared<const profile_doc>(profile_doc{body, "\"" + body + "\""});
}

}  // namespace

TEST_CASE("session_shared: nothing cached means no fast path and no token taken", "[actors]") {
  session_shared s(1.0, 1.0);  // one token in the bucket
  bool admitted = true;
  int retry = 0;
  CHECK(s.cached_profile(admitted, retry) == nullptr);
  // The token is still there for the actor's own admission.
  CHECK(s.admit(retry));
  CHECK_FALSE(s.admit(retry));
  CHECK(retry >= 1);
}

TEST_CASE("session_shared: a published profile is served under the same rate limit", "[actors]") {
  session_shared s(0.001, 2.0);
  REQUIRE(s.publish_loaded(doc("a"), s.epoch()));
  bool admitted = false;
  int retry = 0;
  auto p = s.cached_profile(admitted, retry);
  REQUIRE(p);
  CHECK(p->body == "a");
  CHECK(admitted);
  CHECK(s.admit(retry));  // the second token, taken by the actor path
  p = s.cached_profile(admitted, retry);
  REQUIRE(p);
  CHECK_FALSE(admitted);  // refused: the bucket is shared by both paths
  CHECK(retry >= 1);
}

TEST_CASE("session_shared: a load that started before an invalidation or a write never publishes", "[actors]") {
  session_shared s(100.0, 100.0);
  auto before = s.epoch();
  s.invalidate();
  CHECK_FALSE(s.publish_loaded(doc("stale"), before));
  CHECK(s.profile() == nullptr);

  auto loaded_at = s.epoch();
  s.replace(doc("written"));
  CHECK_FALSE(s.publish_loaded(doc("read before the write"), loaded_at));
  REQUIRE(s.profile());
  CHECK(s.profile()->body == "written");

  s.invalidate();
  CHECK(s.profile() == nullptr);
  CHECK(s.publish_loaded(doc("fresh"), s.epoch()));
  CHECK(s.profile()->body == "fresh");
}

TEST_CASE("session_shared: concurrent readers and a writer see whole profiles", "[actors]") {
  session_shared s(1e9, 1e9);
  s.replace(doc("0"));
  std::vector<std::thread> readers;
  std::atomic<int> torn{0};
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      bool admitted = false;
      int retry = 0;
      for (int i = 0; i < 20000; ++i)
        if (auto p = s.cached_profile(admitted, retry))
          if (p->etag != "\"" + p->body + "\"") ++torn;
    });
  for (int i = 1; i < 2000; ++i) {
    if (i % 3 == 0)
      s.invalidate();
    else
      s.replace(doc(std::to_string(i)));
  }
  for (auto& r : readers) r.join();
  CHECK(torn == 0);
}
