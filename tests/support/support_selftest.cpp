// Self-tests of the test-support library: the fake server and the client
// against each other, raw sockets, child processes, ports, and (only when
// TRAINIA_TEST_PG_URL is set) the PostgreSQL helpers.

#include "support/fake_http_server.hpp"
#include "support/http_client.hpp"
#include "support/pg.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

#include <catch2/catch.hpp>

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <thread>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace t = trainia::test;

namespace {

using clock_type = std::chrono::steady_clock;

std::chrono::milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

/// Polls `pred` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = clock_type::now() + timeout;
  while (!pred()) {
    if (clock_type::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

t::child_process sh(const std::string& script, const std::string& log, std::map<std::string, std::string> env = {}) {
  return t::child_process::start({"/bin/sh", {"-c", script}, std::move(env), log});
}

/// A one-connection-at-a-time server that answers each request with a
/// keep-alive response and then closes the connection anyway (a stale
/// keep-alive connection from the client's point of view).
class closing_server {
 public:
  closing_server() {
    acceptor_.open(tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~closing_server() {
    boost::system::error_code ec;
    stop_ = true;
    tcp::socket poke(ioc_);  // wakes the blocking accept
    poke.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  using tcp = boost::asio::ip::tcp;
  void serve() {
    namespace http = boost::beast::http;
    while (!stop_) {
      tcp::socket s(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      boost::beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(s, buf, req, ec);
      if (ec) continue;
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = "served";
      res.keep_alive(true);
      res.prepare_payload();
      http::write(s, res, ec);
      s.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

// --- fake_http_server + http_client ------------------------------------------

TEST_CASE("support: fake server and client round trip", "[support]") {
  t::fake_http_server server;
  CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
  server.on("POST", "/v1/echo", [](const t::recorded_request& r) {
    t::fake_response res;
    res.status = 201;
    res.headers = {{"X-Test", "a"}, {"X-Multi", "1"}, {"X-Multi", "2"}};
    res.body = "got " + r.body + " as " + r.header("content-type");
    return res;
  });
  server.on("GET", "/v1/json", [](const t::recorded_request&) { return t::json_reply(200, R"({"ok":true})"); });
  server.on("PUT", "/v1/fail",
            [](const t::recorded_request&) -> t::fake_response { throw std::runtime_error("boom"); });
  t::http_client c("127.0.0.1", server.port());

  auto r = c.post_json("/v1/echo/x?q=1", {{"a", 1}}, {{"X-Custom", "v"}});
  CHECK(r.status == 201);
  CHECK(r.header("x-test") == "a");
  CHECK(r.header("X-TEST") == "a");
  CHECK(r.has_header("x-multi"));
  CHECK(r.header("X-Multi") == "1, 2");
  CHECK_FALSE(r.has_header("X-Absent"));
  CHECK(r.header("X-Absent").empty());
  CHECK(r.body == R"(got {"a":1} as application/json)");
  CHECK_THROWS_WITH(r.json(), Contains("not JSON") && Contains("got {"));

  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/v1/echo/x?q=1");
  CHECK(reqs[0].path() == "/v1/echo/x");
  CHECK(reqs[0].body == R"({"a":1})");
  CHECK(reqs[0].header("HOST") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(reqs[0].header("content-length") == "7");
  CHECK(reqs[0].header("x-custom") == "v");

  SECTION("JSON, 404 for unmatched routes, 500 for throwing handlers") {
    CHECK(c.get("/v1/json").json() == nlohmann::json{{"ok", true}});
    auto nf = c.get("/nowhere");
    CHECK(nf.status == 404);
    CHECK(nf.header("Content-Type") == "application/json");
    CHECK_THAT(nf.json()["error"]["message"].get<std::string>(), Contains("/nowhere"));
    auto boom = c.put_json("/v1/fail", nlohmann::json::array());
    CHECK(boom.status == 500);
    CHECK_THAT(boom.json()["error"]["message"].get<std::string>(), Contains("boom"));
    CHECK(server.count("GET", "/") == 2);
    CHECK(server.count("PUT", "/v1/fail") == 1);
    CHECK(server.count("POST", "/v1/echo") == 1);
    CHECK(server.count("POST", "/v2") == 0);
  }
  SECTION("a caller's Content-Type is not duplicated; headers repeat as given") {
    c.post_json("/v1/echo", nlohmann::json::object(),
                {{"content-type", "application/merge-patch+json"}, {"X-R", "1"}, {"X-R", "2"}});
    auto last = server.requests().back();
    CHECK(last.header("Content-Type") == "application/merge-patch+json");
    CHECK(last.header("X-R") == "1, 2");
  }
  SECTION("clear forgets requests, clear_routes forgets routes") {
    server.clear();
    CHECK(server.requests().empty());
    CHECK(c.get("/v1/json").status == 200);
    server.clear_routes();
    CHECK(c.get("/v1/json").status == 404);
    CHECK(server.count("GET", "/v1/json") == 2);
  }
  SECTION("HEAD responses have no body") {
    server.on("HEAD", "/h", [](const t::recorded_request&) { return t::json_reply(200, "{}"); });
    auto h = c.request("HEAD", "/h");
    CHECK(h.status == 200);
    CHECK(h.body.empty());
    CHECK(c.get("/v1/json").status == 200);  // the connection is still in sync
  }
}

TEST_CASE("support: keep-alive reuse and transparent reconnects", "[support]") {
  t::fake_http_server server;
  server.on("GET", "/ok", [](const t::recorded_request&) { return t::json_reply(200, "{}"); });
  server.on("GET", "/bye", [](const t::recorded_request&) {
    return t::json_reply(200, "{}", {{"Connection", "close"}});
  });
  server.on("GET", "/drop", [](const t::recorded_request&) {
    t::fake_response r;
    r.close_without_response = true;
    return r;
  });
  t::http_client c("127.0.0.1", server.port());
  for (int i = 0; i < 3; ++i) CHECK(c.get("/ok").status == 200);
  CHECK(c.connections_opened() == 1);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].connection == reqs[2].connection);

  CHECK(c.get("/bye").status == 200);  // the server says it will close
  CHECK(c.get("/ok").status == 200);
  CHECK(c.connections_opened() == 2);
  CHECK(server.requests().back().connection != reqs[0].connection);

  SECTION("a fresh connection closed without a response is an error, not retried") {
    t::http_client fresh("127.0.0.1", server.port());
    CHECK_THROWS_WITH(fresh.get("/drop"), Contains("GET /drop"));
    CHECK(server.count("GET", "/drop") == 1);
  }
  SECTION("a server that closes a kept-alive connection: the next request reconnects") {
    closing_server closing;
    t::http_client k("127.0.0.1", closing.port());
    for (int i = 0; i < 3; ++i) CHECK(k.get("/").body == "served");
    CHECK(k.connections_opened() == 3);
  }
  SECTION("timeouts and refused connections throw with a clear message") {
    server.on("GET", "/slow", [](const t::recorded_request&) {
      t::fake_response r;
      r.delay = 2s;
      return r;
    });
    auto start = clock_type::now();
    CHECK_THROWS_WITH(c.request("GET", "/slow", "", {}, 200ms), Contains("timed out after 200 ms"));
    CHECK(since(start) < 1500ms);
    CHECK(c.get("/ok").status == 200);  // reconnects after the timeout
    t::http_client nobody("127.0.0.1", t::free_port());
    CHECK_THROWS_WITH(nobody.get("/"), Contains("cannot connect"));
  }
}

TEST_CASE("support: a delayed response does not block other requests", "[support]") {
  t::fake_http_server server;
  server.on("GET", "/slow", [](const t::recorded_request&) {
    t::fake_response r;
    r.delay = 1500ms;
    r.body = "slow";
    return r;
  });
  server.on("GET", "/fast", [](const t::recorded_request&) {
    t::fake_response r;
    r.body = "fast";
    return r;
  });
  auto start = clock_type::now();
  auto slow = std::async(std::launch::async, [&] {
    t::http_client c("127.0.0.1", server.port());
    auto r = c.get("/slow");
    return std::make_pair(r.body, since(start));
  });
  REQUIRE(server.wait_for("GET", "/slow", 1, 5s));
  t::http_client c2("127.0.0.1", server.port());
  auto fast_start = clock_type::now();
  CHECK(c2.get("/fast").body == "fast");
  CHECK(since(fast_start) < 500ms);
  CHECK(slow.wait_for(0ms) == std::future_status::timeout);  // still delayed
  auto [body, took] = slow.get();
  CHECK(body == "slow");
  CHECK(took >= 1400ms);
}

TEST_CASE("support: many concurrent connections with delays", "[support]") {
  t::fake_http_server server;
  server.on("GET", "/d", [](const t::recorded_request&) {
    t::fake_response r;
    r.delay = 100ms;
    return r;
  });
  auto start = clock_type::now();
  std::vector<std::future<int>> done;
  for (int i = 0; i < 32; ++i)
    done.push_back(std::async(std::launch::async, [&] {
      t::http_client c("127.0.0.1", server.port());
      int ok = 0;
      for (int k = 0; k < 3; ++k) ok += c.get("/d").status == 200;
      return ok;
    }));
  int total = 0;
  for (auto& f : done) total += f.get();
  CHECK(total == 96);
  CHECK(since(start) < 3s);  // 32 connections × 3 × 100 ms would be ~10 s if serialised
  CHECK(server.count("GET", "/d") == 96);
}

TEST_CASE("support: hanging and delayed requests are released when the server is destroyed", "[support]") {
  auto server = std::make_unique<t::fake_http_server>();
  server->on("GET", "/hang", [](const t::recorded_request&) {
    t::fake_response r;
    r.hang = true;
    return r;
  });
  server->on("GET", "/late", [](const t::recorded_request&) {
    t::fake_response r;
    r.delay = 60s;
    return r;
  });
  uint16_t port = server->port();
  auto call = [port](std::string target) {
    return std::async(std::launch::async, [port, target] {
      t::http_client c("127.0.0.1", port);
      try {
        c.request("GET", target, "", {}, 30s);
        return std::string("answered");
      } catch (const std::runtime_error& e) {
        return std::string(e.what());
      }
    });
  };
  auto hang = call("/hang");
  auto late = call("/late");
  REQUIRE(server->wait_for("GET", "/hang", 1, 5s));
  REQUIRE(server->wait_for("GET", "/late", 1, 5s));
  CHECK(hang.wait_for(300ms) == std::future_status::timeout);  // it really hangs
  auto start = clock_type::now();
  server.reset();
  CHECK(since(start) < 2s);
  REQUIRE(hang.wait_for(5s) == std::future_status::ready);
  REQUIRE(late.wait_for(5s) == std::future_status::ready);
  CHECK_THAT(hang.get(), Contains("GET /hang"));
  CHECK_THAT(late.get(), Contains("GET /late"));
  CHECK_THROWS(t::http_client("127.0.0.1", port).request("GET", "/", "", {}, 1s));  // no longer listening
}

// --- raw mode ----------------------------------------------------------------

TEST_CASE("support: raw_exchange and raw_connection", "[support]") {
  t::fake_http_server server;
  server.on("GET", "/ok", [](const t::recorded_request& r) {
    t::fake_response res;
    res.body = "ok:" + r.target;
    return res;
  });

  SECTION("a malformed request gets 400 and a closed connection") {
    auto start = clock_type::now();
    auto out = t::raw_exchange("127.0.0.1", server.port(), "NOT HTTP AT ALL\r\n\r\n", 5s);
    CHECK_THAT(out, StartsWith("HTTP/1.1 400"));
    CHECK(since(start) < 2s);  // ended by the server's close, not the timeout
    CHECK(server.requests().empty());
  }
  SECTION("a valid request with Connection: close returns the whole response") {
    auto out =
        t::raw_exchange("127.0.0.1", server.port(), "GET /ok?a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s);
    CHECK_THAT(out, StartsWith("HTTP/1.1 200"));
    CHECK_THAT(out, Contains("\r\n\r\nok:/ok?a"));
  }
  SECTION("a kept-alive connection: raw_exchange returns at the timeout with what arrived") {
    auto start = clock_type::now();
    auto out = t::raw_exchange("127.0.0.1", server.port(), "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", 300ms);
    CHECK(since(start) >= 250ms);
    CHECK_THAT(out, Contains("ok:/ok"));
  }
  SECTION("slow-loris style: partial request, pause, rest; pipelining") {
    t::raw_connection c("127.0.0.1", server.port());
    REQUIRE(c.send("GET /ok HTTP/1.1\r\nHo"));
    CHECK_FALSE(c.closed_by_peer(200ms));  // the fake server has no header timeout
    CHECK_FALSE(c.read_response(100ms).has_value());
    REQUIRE(c.send("st: x\r\n\r\nGET /ok/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto first = c.read_response(2s);
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK(first->body == "ok:/ok");
    auto second = c.read_response(2s);
    REQUIRE(second);
    CHECK(second->body == "ok:/ok/2");
    CHECK(second->header("connection") == "close");
    CHECK(c.closed_by_peer(2s));
    CHECK_FALSE(c.read_response(100ms).has_value());
    CHECK(eventually([&] { return !c.send("more"); }, 2s));  // fails once the peer's reset arrives
  }
  SECTION("closed_by_peer keeps what the server sent for read_response") {
    server.on("GET", "/close", [](const t::recorded_request&) {
      t::fake_response r;
      r.headers = {{"Connection", "close"}};
      r.body = "bye";
      return r;
    });
    t::raw_connection c;
    c.connect("127.0.0.1", server.port());
    REQUIRE(c.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(c.closed_by_peer(2s));
    CHECK_THAT(c.pending(), StartsWith("HTTP/1.1 200"));
    auto r = c.read_response(100ms);
    REQUIRE(r);
    CHECK(r->body == "bye");
  }
  SECTION("connecting to a closed port throws") {
    CHECK_THROWS_WITH(t::raw_connection("127.0.0.1", t::free_port()), Contains("raw_connection to 127.0.0.1"));
  }
}

// --- child processes, ports ----------------------------------------------------

TEST_CASE("support: child_process", "[support]") {
  auto dir = t::temp_dir("support-selftest");
  auto log = dir + "/child.log";

  SECTION("exit code, log appended, clean environment plus the given variables") {
    { std::ofstream(log) << "before\n"; }
    ::setenv("TRAINIA_SELFTEST_LEAK", "leaked", 1);
    auto p =
        sh("echo \"out:$FOO:${TRAINIA_SELFTEST_LEAK-unset}:$PATH\"; echo err >&2; exit 7", log, {{"FOO", "bar baz"}});
    CHECK(p.pid() > 0);
    CHECK(p.wait(5s) == 7);
    CHECK(p.wait(0ms) == 7);
    CHECK_FALSE(p.running());
    auto text = file_text(log);
    CHECK_THAT(text, StartsWith("before\n"));
    CHECK_THAT(text, Contains("out:bar baz:unset:/"));
    CHECK_THAT(text, Contains("err\n"));
    ::unsetenv("TRAINIA_SELFTEST_LEAK");
  }
  SECTION("SIGTERM reaches the child, which has default dispositions and its own group") {
    auto p = sh("trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done", log);
    REQUIRE(eventually([&] { return file_text(log).find("ready") != std::string::npos; }));
    CHECK(getpgid(p.pid()) == p.pid());
    CHECK(p.running());
    CHECK_FALSE(p.wait(100ms).has_value());
    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 3);
    CHECK_THAT(file_text(log), Contains("got-term"));
  }
  SECTION("killed by a signal: 128 + signal") {
    auto p = sh("exec sleep 30", "");
    p.signal(SIGTERM);
    CHECK(p.wait(5s) == 128 + SIGTERM);
  }
  SECTION("inherited descriptors are closed") {
    int fd = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC: would leak without the explicit close
    REQUIRE(fd >= 0);
    REQUIRE(::dup2(fd, 77) == 77);
    auto p = sh("if [ -e /proc/$$/fd/77 ]; then echo fd-open; else echo fd-closed; fi", log);
    CHECK(p.wait(5s) == 0);
    ::close(77);
    ::close(fd);
    CHECK_THAT(file_text(log), Contains("fd-closed"));
  }
  SECTION("working_dir") {
    auto p = t::child_process::start({"/bin/sh", {"-c", "pwd"}, {}, log, dir});
    CHECK(p.wait(5s) == 0);
    CHECK_THAT(file_text(log), Contains(dir));
  }
  SECTION("the destructor kills and reaps the whole group") {
    int pid = 0;
    {
      auto p = sh("sleep 30 & echo \"started $!\"; wait", log);
      pid = p.pid();
      REQUIRE(eventually([&] { return file_text(log).find('\n') != std::string::npos; }));
    }
    CHECK(::kill(pid, 0) == -1);  // reaped: no such process
    // The background sleep (same group) is dead too: gone, or a zombie until init reaps it.
    auto grandchild = file_text(log).substr(8);
    grandchild.pop_back();
    CHECK(eventually([&] {
      auto stat = file_text("/proc/" + grandchild + "/stat");
      return stat.empty() || stat.find(") Z ") != std::string::npos;
    }));
  }
  SECTION("kill_hard and moves") {
    auto p = sh("exec sleep 30", "");
    t::child_process q = std::move(p);
    CHECK(q.running());
    q.kill_hard();
    CHECK_FALSE(q.running());
    CHECK(q.wait(0ms) == 128 + SIGKILL);
  }
  SECTION("start errors are reported") {
    CHECK_THROWS_WITH(t::child_process::start({"/nonexistent/binary", {}, {}, ""}),
                      Contains("cannot execute /nonexistent/binary") && Contains("No such file"));
    CHECK_THROWS_WITH(t::child_process::start({"/bin/true", {}, {}, "/nonexistent/dir/log"}),
                      Contains("cannot open log"));
  }
  t::run_command("rm -rf '" + dir + "'");
}

TEST_CASE("support: free_port and wait_for_http", "[support]") {
  std::set<uint16_t> seen;
  for (int i = 0; i < 50; ++i) {
    auto p = t::free_port();
    CHECK(p > 0);
    CHECK(seen.insert(p).second);
  }
  t::fake_http_server server;
  CHECK_FALSE(t::claim_port(server.port()));  // a fake server's port is never handed out
  CHECK(seen.count(server.port()) == 0);

  server.on("GET", "/healthz", [](const t::recorded_request&) { return t::json_reply(200, "{}"); });
  CHECK(t::wait_for_http(server.port(), "/healthz", 2s));
  CHECK(t::wait_for_http(server.port(), "/missing", 2s, 404));
  auto start = clock_type::now();
  CHECK_FALSE(t::wait_for_http(t::free_port(), "/healthz", 300ms));
  CHECK(since(start) >= 300ms);
  CHECK(since(start) < 2s);
}

TEST_CASE("support: test_env helpers", "[support]") {
  auto h = t::random_hex(8);
  CHECK(h.size() == 16);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(t::random_hex(8) != h);
  auto d = t::temp_dir("selftest");
  struct stat st {};
  REQUIRE(::stat(d.c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  ::rmdir(d.c_str());
  int code = -1;
  CHECK(t::run_command("echo hi; exit 3", &code) == "hi\n");
  CHECK(code == 3);
  CHECK(std::abs(t::unix_now() - static_cast<int64_t>(std::time(nullptr))) <= 1);
  CHECK_THROWS_WITH(t::read_file("/nonexistent/file"), Contains("/nonexistent/file"));
}

// --- PostgreSQL ----------------------------------------------------------------

TEST_CASE("support: with_database", "[support]") {
  CHECK(t::with_database("postgresql://postgres@127.0.0.1:5432/postgres", "t_1") ==
        "postgresql://postgres@127.0.0.1:5432/t_1");
  CHECK(t::with_database("postgres://u:p@h:1/db?sslmode=disable&x=1", "t_1") ==
        "postgres://u:p@h:1/t_1?sslmode=disable&x=1");
  CHECK(t::with_database("postgresql://h:1", "t_1") == "postgresql://h:1/t_1");
  CHECK(t::with_database("postgresql://h:1?application_name=a", "t_1") == "postgresql://h:1/t_1?application_name=a");
  CHECK(t::with_database("host=h port=1 dbname=postgres", "t_1") == "host=h port=1 dbname=postgres dbname=t_1");
}

TEST_CASE("support: scratch_database and pg", "[support][pg]") {
  if (!t::have_database()) {
    WARN("TRAINIA_TEST_PG_URL is not set: PostgreSQL helpers not tested");
    return;
  }
  t::pg admin(t::admin_url());
  auto db = std::make_unique<t::scratch_database>();
  const std::string name = db->name();
  CHECK_THAT(name, StartsWith("t_"));
  CHECK(admin.count("SELECT count(*) FROM pg_database WHERE datname = $1", {name}) == 1);
  {
    t::pg p(db->url());
    CHECK(p.scalar("SELECT current_database()") == name);
    p.exec("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, note text); CREATE INDEX ON items (name)");
    p.exec("INSERT INTO items VALUES ($1, $2, $3)", {"1", "one", std::nullopt});
    p.exec("INSERT INTO items VALUES ($1, $2, $3)", {"2", "two", "second"});
    auto rows = p.query("SELECT id, name, note FROM items ORDER BY id");
    REQUIRE(rows.size() == 2);
    CHECK(rows.columns == std::vector<std::string>{"id", "name", "note"});
    CHECK(rows[0]["name"] == "one");
    CHECK_FALSE(rows[0]["note"].has_value());
    CHECK(rows[0]["note"].value_or("none") == "none");
    CHECK(rows[1]["note"] == "second");
    CHECK(rows[1][std::size_t{0}] == "2");
    CHECK(rows.at(1, "name") == "two");
    int n = 0;
    for (const auto& row : rows) n += row["id"].has_value();
    CHECK(n == 2);
    CHECK_THROWS_WITH(rows[0]["nope"], Contains("no column \"nope\"") && Contains("id, name, note"));
    CHECK(p.count("SELECT count(*) FROM items WHERE name = $1", {"two"}) == 1);
    CHECK(p.count("SELECT NULL::int") == 0);
    CHECK_FALSE(p.scalar("SELECT note FROM items WHERE id = 1").has_value());
    CHECK_FALSE(p.scalar("SELECT 1 WHERE false").has_value());
    CHECK_THROWS_WITH(p.count("SELECT 'x'"), Contains("not an integer"));
    CHECK_THROWS_WITH(p.query("SELECT * FROM missing_table"),
                      Contains("missing_table") && Contains("42P01") && Contains("in: SELECT"));
    CHECK_THROWS_WITH(p.exec("INSERT INTO items VALUES ($1, $2)", {"1", "dup"}), Contains("23505"));
    // p stays connected while the database is dropped: WITH (FORCE) ends it.
    db.reset();
    CHECK(admin.count("SELECT count(*) FROM pg_database WHERE datname = $1", {name}) == 0);
    CHECK_THROWS(p.query("SELECT 1"));
  }
  CHECK_THROWS_WITH(t::pg(t::with_database(t::admin_url(), "no_such_db_" + t::random_hex(4))),
                    Contains("cannot connect"));
}

TEST_CASE("support: pg_cluster_control", "[support][pg]") {
  t::pg_cluster_control ctl;
  const char* ctl_env = std::getenv("TRAINIA_TEST_PG_CTL");
  const char* data_env = std::getenv("TRAINIA_TEST_PGDATA");
  CHECK(ctl.available() == (ctl_env && *ctl_env && data_env && *data_env));
  if (!ctl.available()) {
    CHECK_THROWS_WITH(ctl.stop(), Contains("TRAINIA_TEST_PG_CTL"));
    return;
  }
  CHECK(ctl.running());
  // Stopping the shared cluster would disturb tests running in parallel: only
  // on explicit request (a private cluster in the environment).
  const char* allow = std::getenv("TRAINIA_TEST_ALLOW_PG_RESTART");
  if (!allow || std::string(allow) != "1") return;
  ctl.stop();
  CHECK_FALSE(ctl.running());
  CHECK_THROWS_WITH(ctl.stop(), Contains("pg_ctl stop failed"));
  CHECK_THROWS_WITH(t::pg(t::admin_url()), Contains("cannot connect"));
  ctl.start();
  CHECK(ctl.running());
  CHECK(t::pg(t::admin_url()).scalar("SELECT 1") == "1");
}
