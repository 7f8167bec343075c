// The AI pipeline under supervision: a crashing worker is restarted and its
// task retried, not lost; the tree shows supervisor, dispatcher and workers.
#include "ai/ai_fixture.hpp"
#include "support/prometheus.hpp"

using namespace trainia::test;
using namespace trainia::test::ai;

namespace {

const json* child_named(const json& node, const std::string& name) {
  for (const auto& c : node["children"])
    if (c["name"] == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("a worker that crashes is restarted and its task retried, the restart is counted",
          "[integration][ai][supervision]") {
  fake_http_server fake;
  fake.on("POST", chat_path,
          [](const recorded_request& r) { return json_reply(200, completion("answer to " + prompt_of(r))); });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_AI_CONCURRENCY", "2"}})});
  auto c = s.client();
  auto r = submit(c, s.auth("user_crash"), {{"prompt", "__trainia_test_crash_worker__"}}, "?wait=15");
  REQUIRE(r.status == 200);
  auto t = r.json();
  CHECK(t["status"] == "succeeded");
  CHECK(t["attempts"] == 2);  // the crashed run counts
  CHECK(t["result"]["content"] == "answer to __trainia_test_crash_worker__");
  CHECK(fake.count("POST", chat_path) == 1);  // the first run died before calling
  // Others are served as usual.
  auto other = submit(c, s.auth("user_bystander"), {{"prompt", "fine"}}, "?wait=10");
  CHECK(other.status == 200);
  CHECK(other.json()["status"] == "succeeded");

  auto m = parse_prometheus(s.admin().get("/metrics").body);
  CHECK(m.value("trainia_actor_restarts_total", {{"actor", "ai_worker"}}) == 1);
  auto tree = s.admin().get("/admin/actors").json();
  auto sup = child_named(tree, "ai_supervisor");
  REQUIRE(sup);
  auto disp = child_named(*sup, "ai_dispatcher");
  REQUIRE(disp);
  bool found = false;
  for (const auto& k : (*disp)["child_kinds"]) {
    if (k["kind"] != "ai_worker") continue;
    found = true;
    CHECK(k["alive"] == 4);  // 2 × ai.concurrency: a worker writing its outcome has handed its slot on
    CHECK(k["restarts"] == 1);
  }
  CHECK(found);
  auto log = s.log();
  CHECK(log.find("\"msg\":\"actor crashed\"") != std::string::npos);
  CHECK(log.find("AI worker failed; restarting it") != std::string::npos);
}

TEST_CASE("without test hooks the crash prompt is an ordinary prompt", "[integration][ai][supervision]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request&) { return json_reply(200, completion("plain")); });
  trainia_server s({.env = provider_env(fake, {{"TRAINIA_TEST_HOOKS", "false"}})});
  auto c = s.client();
  auto r = submit(c, s.auth("user_nohook"), {{"prompt", "__trainia_test_crash_worker__"}}, "?wait=10");
  REQUIRE(r.status == 200);
  CHECK(r.json()["attempts"] == 1);
  CHECK(parse_prometheus(s.admin().get("/metrics").body)
            .value_or_zero("trainia_actor_restarts_total", {{"actor", "ai_worker"}}) == 0);
}

TEST_CASE("the server stops promptly after waited submits and with a wait in progress",
          "[integration][ai][supervision]") {
  fake_http_server fake;
  fake.on("POST", chat_path, [](const recorded_request& r) {
    auto res = json_reply(200, completion("ok"));
    if (prompt_of(r) == "slow") res.delay = 20000ms;
    return res;
  });
  trainia_server s(
      {.env = provider_env(fake, {{"TRAINIA_SHUTDOWN_GRACE_MS", "1000"}, {"TRAINIA_AI_CALL_TIMEOUT_MS", "30000"}})});
  auto c = s.client();
  REQUIRE(submit(c, s.auth("user_stop"), {{"prompt", "quick"}}, "?wait=60").status == 200);
  std::thread waiting([&] {
    auto wc = s.client();
    try {
      submit(wc, s.auth("user_stop_2"), {{"prompt", "slow"}}, "?wait=60");
    } catch (const std::exception&) {
      // The connection may close under it: that is the point.
    }
  });
  REQUIRE(fake.wait_for("POST", chat_path, 2, 5s));
  auto started = std::chrono::steady_clock::now();
  CHECK(s.stop(std::chrono::seconds(20)) == std::optional<int>(0));
  CHECK(std::chrono::steady_clock::now() - started < 8s);
  waiting.join();
}
