#include "net/net_test_support.hpp"
#include "net/outbound_client.hpp"
#include "observability/log.hpp"
#include "support/fake_http_server.hpp"
#include "support/jwt_mint.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

using namespace std::chrono_literals;
using trainia::net::outbound_client;
using trainia::net::outbound_request;
using trainia::net::outbound_response;
using trainia::net::retry_options;
using namespace trainia::test;

namespace {

long long ms(std::chrono::milliseconds d) { return d.count(); }

retry_options retry_5xx(int max_attempts, std::chrono::milliseconds wait) {
  retry_options o;
  o.max_attempts = max_attempts;
  o.decide = [wait](const outbound_response& r, int) -> std::optional<std::chrono::milliseconds> {
    if (r.status >= 500) return wait;
    return std::nullopt;
  };
  return o;
}

}  // namespace

TEST_CASE("outbound: POST and GET round trip with headers and body as sent", "[net]") {
  fake_http_server fake;
  fake.on("POST", "/v1/things", [](const recorded_request&) {
    return json_reply(201, R"({"id":"th_1"})", {{"X-Request-Id", "req_42"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}});
  });
  fake.on("GET", "/v1/things/th_1", [](const recorded_request&) { return json_reply(200, R"({"id":"th_1"})"); });
  outbound_client client({});

  outbound_request req;
  req.method = "POST";
  req.url = fake.base_url() + "/v1/things?expand[]=a&x=1";
  req.headers = {{"Authorization", "Bearer sk_test_abc"},
                 {"Content-Type", "application/x-www-form-urlencoded"},
                 {"Idempotency-Key", "idem-1"},
                 {"X-Multi", "one"},
                 {"X-Multi", "two"},
                 {"Content-Length", "999"}};  // framing is the client's: ignored
  req.body = "name=Ada&plan=pro";
  auto r = call_sync(client, req);

  CHECK(r.status == 201);
  CHECK(r.error.empty());
  CHECK_FALSE(r.timed_out);
  CHECK_FALSE(r.cancelled);
  CHECK(r.attempts == 1);
  CHECK(r.body == R"({"id":"th_1"})");
  CHECK(r.header("x-request-id") == "req_42");
  CHECK(r.header("X-REQUEST-ID") == "req_42");
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("absent").empty());
  int cookies = 0;
  for (const auto& [k, v] : r.headers) {
    for (char ch : k) CHECK_FALSE((ch >= 'A' && ch <= 'Z'));
    if (k == "set-cookie") ++cookies;
  }
  CHECK(cookies == 2);

  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/v1/things?expand[]=a&x=1");
  CHECK(seen[0].body == "name=Ada&plan=pro");
  CHECK(seen[0].header("Authorization") == "Bearer sk_test_abc");
  CHECK(seen[0].header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(seen[0].header("Idempotency-Key") == "idem-1");
  CHECK(seen[0].header("X-Multi") == "one, two");
  CHECK(seen[0].header("Content-Length") == std::to_string(req.body.size()));
  CHECK(seen[0].header("Host") == "127.0.0.1:" + std::to_string(fake.port()));
  CHECK(seen[0].header("User-Agent").rfind("trainia/", 0) == 0);

  auto g = call_sync(client, get(fake.base_url() + "/v1/things/th_1"));
  CHECK(g.status == 200);
  CHECK(g.body == R"({"id":"th_1"})");
  seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].method == "GET");
  CHECK(seen[1].body.empty());
  CHECK(seen[1].header("Content-Length").empty());
}

TEST_CASE("outbound: keep-alive connections are reused", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/ping", [](const recorded_request& r) { return json_reply(200, "\"" + r.target + "\""); });
  outbound_client client({});
  for (int i = 0; i < 50; ++i) {
    auto r = call_sync(client, get(fake.base_url() + "/ping/" + std::to_string(i)));
    REQUIRE(r.status == 200);
    CHECK(r.body == "\"/ping/" + std::to_string(i) + "\"");
  }
  CHECK(client.connections_opened() == 1);
  CHECK(client.connections_reused() == 49);
  CHECK(fake.connections_accepted() == 1);
  for (const auto& r : fake.requests()) CHECK(r.connection == 1);
}

TEST_CASE("outbound: a connection the server closed while idle is not reused", "[net]") {
  fake_http_server fake;
  fake.close_idle_after(100ms);
  fake.on("GET", "/", [](const recorded_request&) { return json_reply(200, "{}"); });
  outbound_client client({});
  REQUIRE(call_sync(client, get(fake.base_url() + "/a")).status == 200);
  std::this_thread::sleep_for(400ms);  // the server hangs up meanwhile
  auto r = call_sync(client, get(fake.base_url() + "/b"));
  CHECK(r.status == 200);
  CHECK(r.attempts == 1);
  CHECK(client.connections_opened() == 2);
  CHECK(client.connections_reused() == 0);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].connection != seen[1].connection);
}

TEST_CASE("outbound: a reused connection that dies before the response is replaced transparently", "[net]") {
  fake_http_server fake;
  std::atomic<int> n{0};
  fake.on("POST", "/charge", [&n](const recorded_request&) {
    fake_response fr = json_reply(200, R"({"ok":true})");
    if (++n == 2) fr.close_without_response = true;  // as if the keep-alive ran out just then
    return fr;
  });
  outbound_client client({});
  outbound_request req;
  req.method = "POST";
  req.url = fake.base_url() + "/charge";
  req.headers = {{"Idempotency-Key", "idem-stale"}};
  req.body = "amount=100";
  REQUIRE(call_sync(client, req).status == 200);
  auto r = call_sync(client, req);
  CHECK(r.status == 200);
  CHECK(r.attempts == 1);  // the stale connection does not count as an attempt
  CHECK(client.connections_reused() == 1);
  CHECK(client.connections_opened() == 2);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].connection == seen[0].connection);
  CHECK(seen[2].connection != seen[1].connection);
  CHECK(seen[2].header("Idempotency-Key") == "idem-stale");
  CHECK(seen[2].body == "amount=100");
}

TEST_CASE("outbound: a fresh connection that fails is reported, not replayed", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/", [](const recorded_request&) {
    fake_response fr;
    fr.close_without_response = true;
    return fr;
  });
  outbound_client client({});
  auto r = call_sync(client, get(fake.base_url() + "/x"));
  CHECK(r.status == 0);
  CHECK(r.error.find("reading the response") != std::string::npos);
  CHECK(r.attempts == 1);
  CHECK(fake.count("GET", "/") == 1);
}

TEST_CASE("outbound: connection refused is status 0 with an error", "[net]") {
  outbound_client client({});
  auto port = free_port();  // nobody listens there
  auto r = call_sync(client, get("http://127.0.0.1:" + std::to_string(port) + "/v1/x"));
  CHECK(r.status == 0);
  CHECK_FALSE(r.timed_out);
  CHECK_FALSE(r.cancelled);
  CHECK(r.attempts == 1);
  CHECK(r.error.find("could not connect to 127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(r.error.find("refused") != std::string::npos);
  CHECK(client.connections_opened() == 0);
}

TEST_CASE("outbound: a request that hangs times out and its connection is dropped", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/hang", [](const recorded_request&) {
    fake_response fr;
    fr.hang = true;
    return fr;
  });
  fake.on("GET", "/ok", [](const recorded_request&) { return json_reply(200, "{}"); });
  outbound_client client({});
  auto req = get(fake.base_url() + "/hang");
  req.timeout = 300ms;
  auto r = call_sync(client, req);
  CHECK(r.status == 0);
  CHECK(r.timed_out);
  CHECK(r.error.find("timed out after 300 ms") != std::string::npos);
  CHECK(ms(r.elapsed) >= 290);
  CHECK(ms(r.elapsed) < 3000);
  auto ok = call_sync(client, get(fake.base_url() + "/ok"));
  CHECK(ok.status == 200);
  CHECK(client.connections_opened() == 2);  // the timed-out connection was not pooled
  CHECK(client.connections_reused() == 0);
}

TEST_CASE("outbound: connect time-out against an unresponsive host", "[net]") {
  black_hole_listener hole;
  outbound_client client({});
  auto req = get("http://127.0.0.1:" + std::to_string(hole.port()) + "/");
  req.connect_timeout = 300ms;
  auto r = call_sync(client, req);
  CHECK(r.status == 0);
  CHECK(r.timed_out);
  CHECK(r.error.find("connecting to 127.0.0.1") != std::string::npos);
  CHECK(ms(r.elapsed) >= 290);
  CHECK(ms(r.elapsed) < 3000);
}

TEST_CASE("outbound: retries per the decider reuse the same request", "[net]") {
  fake_http_server fake;
  std::atomic<int> n{0};
  fake.on("POST", "/v1/payment_intents", [&n](const recorded_request&) {
    int k = ++n;
    return k <= 2 ? json_reply(500, R"({"error":{"type":"api_error"}})") : json_reply(200, R"({"id":"pi_1"})");
  });
  outbound_client client({});
  outbound_request req;
  req.method = "POST";
  req.url = fake.base_url() + "/v1/payment_intents";
  req.headers = {{"Idempotency-Key", "idem-retry-7"}};
  req.body = "amount=2000&currency=eur";
  std::vector<std::pair<int, int>> consulted;  // (status, attempt); the decider runs on the client's thread
  std::mutex mx;
  retry_options retry;
  retry.max_attempts = 5;
  retry.decide = [&](const outbound_response& r, int attempt) -> std::optional<std::chrono::milliseconds> {
    std::lock_guard lock(mx);
    consulted.emplace_back(r.status, attempt);
    if (r.status >= 500) return 20ms;
    return std::nullopt;
  };
  auto r = call_sync(client, req, retry);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"id":"pi_1"})");
  CHECK(r.attempts == 3);
  CHECK(ms(r.elapsed) >= 40);
  {
    std::lock_guard lock(mx);
    CHECK(consulted == std::vector<std::pair<int, int>>{{500, 1}, {500, 2}, {200, 3}});
  }
  auto seen = fake.requests();
  REQUIRE(seen.size() == 3);
  for (const auto& s : seen) {
    CHECK(s.header("Idempotency-Key") == "idem-retry-7");
    CHECK(s.body == "amount=2000&currency=eur");
  }
}

TEST_CASE("outbound: max_attempts bounds the retries and the decider is not asked after the last", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/", [](const recorded_request&) { return json_reply(503, "{}"); });
  outbound_client client({});
  std::atomic<int> asked{0};
  retry_options retry;
  retry.max_attempts = 3;
  retry.decide = [&asked](const outbound_response&, int) -> std::optional<std::chrono::milliseconds> {
    ++asked;
    return 5ms;
  };
  auto r = call_sync(client, get(fake.base_url() + "/x"), retry);
  CHECK(r.status == 503);
  CHECK(r.attempts == 3);
  CHECK(asked == 2);
  CHECK(fake.count("GET", "/") == 3);
}

TEST_CASE("outbound: the deadline stops retries and cuts an attempt in flight", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/fail", [](const recorded_request&) { return json_reply(500, R"({"n":1})"); });
  fake.on("GET", "/hang", [](const recorded_request&) {
    fake_response fr;
    fr.hang = true;
    return fr;
  });
  outbound_client client({});

  SECTION("no back-off sleeps past it: the last response is delivered") {
    auto retry = retry_5xx(100, 100ms);
    retry.deadline = std::chrono::steady_clock::now() + 350ms;
    auto r = call_sync(client, get(fake.base_url() + "/fail"), retry);
    CHECK(r.status == 500);
    CHECK(r.body == R"({"n":1})");
    CHECK(r.attempts >= 2);
    CHECK(r.attempts <= 4);
    CHECK(ms(r.elapsed) < 600);
    CHECK(fake.count("GET", "/fail") == static_cast<size_t>(r.attempts));
  }
  SECTION("an attempt in flight at the deadline ends timed out") {
    auto req = get(fake.base_url() + "/hang");
    req.timeout = 10s;
    retry_options retry;
    retry.deadline = std::chrono::steady_clock::now() + 300ms;
    auto r = call_sync(client, req, retry);
    CHECK(r.status == 0);
    CHECK(r.timed_out);
    CHECK(r.error.find("deadline") != std::string::npos);
    CHECK(ms(r.elapsed) >= 280);
    CHECK(ms(r.elapsed) < 2000);
  }
  SECTION("a deadline already passed starts nothing") {
    retry_options retry;
    retry.deadline = std::chrono::steady_clock::now() - 1ms;
    auto r = call_sync(client, get(fake.base_url() + "/fail"), retry);
    CHECK(r.status == 0);
    CHECK(r.timed_out);
    CHECK(r.attempts == 0);
    std::this_thread::sleep_for(50ms);
    CHECK(fake.count("GET", "/fail") == 0);
  }
}

TEST_CASE("outbound: cancel during a hanging request, a back-off wait and a connect", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/hang", [](const recorded_request&) {
    fake_response fr;
    fr.hang = true;
    return fr;
  });
  fake.on("GET", "/busy", [](const recorded_request&) { return json_reply(503, "{}"); });
  outbound_client client({});
  auto p = std::make_shared<std::promise<outbound_response>>();
  auto f = p->get_future();
  auto done = [p](outbound_response r) { p->set_value(std::move(r)); };

  SECTION("hanging request") {
    auto h = client.send(get(fake.base_url() + "/hang"), {}, done);
    REQUIRE(fake.wait_for("GET", "/hang", 1, 5s));
    CHECK_FALSE(h.done());
    h.cancel();
    REQUIRE(f.wait_for(2s) == std::future_status::ready);
    auto r = f.get();
    CHECK(r.cancelled);
    CHECK(r.status == 0);
    CHECK_FALSE(r.timed_out);
    CHECK(r.attempts == 1);
    CHECK(eventually([&] { return h.done(); }));
    h.cancel();  // no effect once finished
  }
  SECTION("back-off wait") {
    std::promise<void> waiting;
    auto waiting_f = waiting.get_future();
    retry_options retry;
    retry.max_attempts = 3;
    retry.decide = [&waiting](const outbound_response&, int) -> std::optional<std::chrono::milliseconds> {
      waiting.set_value();
      return 10s;
    };
    auto h = client.send(get(fake.base_url() + "/busy"), retry, done);
    REQUIRE(waiting_f.wait_for(5s) == std::future_status::ready);
    std::this_thread::sleep_for(20ms);
    h.cancel();
    REQUIRE(f.wait_for(2s) == std::future_status::ready);
    auto r = f.get();
    CHECK(r.cancelled);
    CHECK(r.attempts == 1);
    CHECK(ms(r.elapsed) < 2000);
    std::this_thread::sleep_for(100ms);
    CHECK(fake.count("GET", "/busy") == 1);
  }
  SECTION("connect") {
    black_hole_listener hole;
    auto req = get("http://127.0.0.1:" + std::to_string(hole.port()) + "/");
    req.connect_timeout = 10s;
    auto h = client.send(req, {}, done);
    std::this_thread::sleep_for(100ms);
    h.cancel();
    REQUIRE(f.wait_for(2s) == std::future_status::ready);
    auto r = f.get();
    CHECK(r.cancelled);
    CHECK_FALSE(r.timed_out);
    CHECK(ms(r.elapsed) < 2000);
  }
}

TEST_CASE("outbound: destroying the client cancels calls in flight", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/hang", [](const recorded_request&) {
    fake_response fr;
    fr.hang = true;
    return fr;
  });
  auto p = std::make_shared<std::promise<outbound_response>>();
  auto f = p->get_future();
  auto client = std::make_unique<outbound_client>(outbound_client::options{});
  auto h = client->send(get(fake.base_url() + "/hang"), {}, [p](outbound_response r) { p->set_value(std::move(r)); });
  REQUIRE(fake.wait_for("GET", "/hang", 1, 5s));
  auto t0 = std::chrono::steady_clock::now();
  client.reset();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  REQUIRE(f.wait_for(0s) == std::future_status::ready);
  CHECK(f.get().cancelled);
  CHECK(h.done());
}

TEST_CASE("outbound: 200 concurrent calls all complete on the client's threads", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/echo/", [](const recorded_request& r) {
    fake_response fr = json_reply(200, "\"" + r.path().substr(6) + "\"");
    fr.delay = 5ms;
    return fr;
  });
  outbound_client client({.threads = 2});
  constexpr int n = 200;
  std::mutex mx;
  std::condition_variable cv;
  int finished = 0, right = 0;
  std::set<std::thread::id> threads;
  for (int i = 0; i < n; ++i) {
    client.send(get(fake.base_url() + "/echo/" + std::to_string(i)), {}, [&, i](outbound_response r) {
      std::lock_guard lock(mx);
      threads.insert(std::this_thread::get_id());
      if (r.status == 200 && r.body == "\"" + std::to_string(i) + "\"") ++right;
      ++finished;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mx);
  REQUIRE(cv.wait_for(lock, 30s, [&] { return finished == n; }));
  CHECK(right == n);
  CHECK(threads.count(std::this_thread::get_id()) == 0);
  CHECK(threads.size() <= 2);
  CHECK(fake.count("GET", "/echo/") == static_cast<size_t>(n));
  CHECK(client.connections_opened() + client.connections_reused() == static_cast<uint64_t>(n));
  CHECK(client.connections_opened() == fake.connections_accepted());
}

TEST_CASE("outbound: bad URLs and headers are refused without sending anything", "[net]") {
  fake_http_server fake;
  fake.on("GET", "/", [](const recorded_request&) { return json_reply(200, "{}"); });
  outbound_client client({});
  auto base = fake.base_url();
  for (std::string url : {std::string("ftp://127.0.0.1/"), std::string("127.0.0.1:80/x"), std::string("http://"),
                          std::string("http://127.0.0.1:99999/"), base + "/a b", base + "/x\r\nX-Evil: 1",
                          std::string("http://u:p@127.0.0.1/")}) {
    INFO(url);
    auto r = call_sync(client, get(url));
    CHECK(r.status == 0);
    CHECK_FALSE(r.error.empty());
    CHECK(r.attempts == 0);
  }
  auto bad_header = get(base + "/ok");
  bad_header.headers = {{"X-Note", "a\r\nX-Evil: 1"}};
  auto r = call_sync(client, bad_header);
  CHECK(r.status == 0);
  CHECK(r.error.find("header") != std::string::npos);
  auto bad_method = get(base + "/ok");
  bad_method.method = "GET /evil";
  CHECK(call_sync(client, bad_method).status == 0);
  std::this_thread::sleep_for(50ms);
  CHECK(fake.requests().empty());
  CHECK(fake.connections_accepted() == 0);
}

TEST_CASE("outbound: never logs request bodies, Authorization or query strings", "[net]") {
  fake_http_server fake;
  fake.on("POST", "/v1/", [](const recorded_request&) { return json_reply(402, R"({"error":"card"})"); });
  auto dir = temp_dir("trainia-net-log");
  std::string log_path = dir + "/stderr.log";
  fflush(stderr);
  int saved = dup(2);
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  dup2(fd, 2);
  close(fd);
  trainia::log::set_level(trainia::log_level::debug);
  {
    outbound_client client({});
    outbound_request req;
    req.method = "POST";
    req.url = fake.base_url() + "/v1/charges?api_key=query-secret-77";
    req.headers = {{"Authorization", "Bearer sk_live_header_secret"}};
    req.body = "card=body-secret-4242";
    CHECK(call_sync(client, req).status == 402);
    req.url = "http://127.0.0.1:" + std::to_string(free_port()) + "/v1/x?api_key=query-secret-77";
    CHECK(call_sync(client, req).status == 0);
  }
  trainia::log::set_level(trainia::log_level::info);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  auto text = read_file(log_path);
  CHECK(text.find("outbound call finished") != std::string::npos);  // it did log
  CHECK(text.find("body-secret") == std::string::npos);
  CHECK(text.find("sk_live_header_secret") == std::string::npos);
  CHECK(text.find("query-secret") == std::string::npos);
}
