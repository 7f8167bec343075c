// Not run by default ("[.]"): the latency the pipeline adds to a provider
// call, for `POST /api/ai/run?wait=30` against a provider answering in 50 ms.
// Run with: integration_tests "[ai][bench]"
#include "ai/ai_fixture.hpp"

#include <algorithm>

using namespace trainia::test;
using namespace trainia::test::ai;

TEST_CASE("latency added to a 50 ms provider by a waited submit", "[.][ai][bench]") {
  fake_http_server fake;
  answer_after(fake, 50ms, "ok");
  trainia_server s(
      {.env = provider_env(fake, {{"LOG_LEVEL", "warn"}, {"TRAINIA_PLANS_FILE", plans_file(100000, 10)}})});
  auto c = s.client();
  auto a = s.auth("user_bench");
  std::vector<double> ms;
  for (int i = 0; i < 120; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = submit(c, a, {{"prompt", "hi " + std::to_string(i)}}, "?wait=30");
    auto d = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(r.status == 200);
    if (i >= 20) ms.push_back(d);  // after warm-up
  }
  std::sort(ms.begin(), ms.end());
  WARN("median " << ms[ms.size() / 2] << " ms, p90 " << ms[ms.size() * 9 / 10] << " ms, min " << ms.front() << " ms");
  CHECK(ms[ms.size() / 2] < 50.0 + 20.0);
}
