#include "integration/server_fixture.hpp"
#include "support/http_client.hpp"
#include "support/pg.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace trainia::test;
using namespace std::chrono_literals;

TEST_CASE("pipelined requests are answered in order on one connection", "[integration][http]") {
  trainia_server s;
  auto token = s.token("user_pipe");
  std::string one = "GET /api/users/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                    "\r\nX-Request-Id: first\r\n\r\n";
  std::string two = "GET /api/nothing HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n";
  std::string three = "GET /api/users/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                      "\r\nX-Request-Id: third\r\nConnection: close\r\n\r\n";
  auto out = raw_exchange("127.0.0.1", s.port(), one + two + three, 10s);
  auto p1 = out.find("x-request-id: first");
  auto p2 = out.find("x-request-id: second");
  auto p3 = out.find("x-request-id: third");
  REQUIRE(p1 != std::string::npos);
  REQUIRE(p2 != std::string::npos);
  REQUIRE(p3 != std::string::npos);
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  CHECK(out.find("HTTP/1.1 404") != std::string::npos);
}

TEST_CASE("a client that trickles its header is cut off, others are served meanwhile", "[integration][http]") {
  trainia_server s({.env = {{"TRAINIA_HEADER_TIMEOUT_MS", "1000"}}});
  raw_connection slow("127.0.0.1", s.port());
  REQUIRE(slow.send("GET /api/users/profile HTTP/1.1\r\n"));
  auto c = s.client();
  bool cut = false;
  for (int i = 0; i < 30 && !cut; ++i) {
    slow.send("X-Slow: a\r\n");  // one header line every 100 ms: never finishes
    CHECK(c.get("/api/users/profile", s.auth("user_fast")).status == 200);
    std::this_thread::sleep_for(100ms);
    cut = !slow.send("X-Slow: b\r\n") || slow.closed_by_peer(10ms);
  }
  CHECK(cut);
}

TEST_CASE("an idle keep-alive connection is closed after the idle time-out", "[integration][http]") {
  trainia_server s({.env = {{"TRAINIA_IDLE_TIMEOUT_MS", "500"}}});
  raw_connection idle("127.0.0.1", s.port());
  CHECK(idle.closed_by_peer(3s));
}

TEST_CASE("each phase of a keep-alive connection has its own time-out, counted from its start", "[integration][http]") {
  // Idle 1 s, header 300 ms: requests 600 ms apart on one connection (longer
  // than a header may take, shorter than the idle time) are all answered,
  // over three times the idle time in all; then the idle time closes it.
  trainia_server s({.env = {{"TRAINIA_IDLE_TIMEOUT_MS", "1000"}, {"TRAINIA_HEADER_TIMEOUT_MS", "300"}}});
  auto token = s.token("user_phases");
  raw_connection conn("127.0.0.1", s.port());
  for (int i = 0; i < 6; ++i) {
    REQUIRE(conn.send("GET /api/users/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n"));
    auto r = conn.read_response(5s);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("connection") != "close");
    std::this_thread::sleep_for(600ms);
  }
  CHECK(conn.closed_by_peer(3s));
}

TEST_CASE("a request that outlives its deadline inside the server gets 503 and the connection stays usable",
          "[integration][http]") {
  trainia_server s({.env = {{"TRAINIA_REQUEST_TIMEOUT_MS", "500"}}});
  auto token = s.token("user_deadline");
  raw_connection conn("127.0.0.1", s.port());
  std::string get = "GET /api/users/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
  {
    trainia::test::pg blocker(s.database_url());
    blocker.exec("BEGIN");
    blocker.exec("LOCK TABLE user_profiles IN ACCESS EXCLUSIVE MODE");
    REQUIRE(conn.send(get));
    auto r = conn.read_response(5s);  // the profile of a user seen for the first time needs the database
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->json()["error"]["code"] == "service_unavailable");
    CHECK(r->header("retry-after") == "1");
    blocker.exec("COMMIT");
  }
  // The late answer of the first request is dropped; the next one is answered.
  REQUIRE(conn.send(get));
  auto r = conn.read_response(5s);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->json()["user_id"] == "user_deadline");
}

TEST_CASE("protocol errors: oversized headers 431, garbage 400, a body that lies is cut off", "[integration][http]") {
  trainia_server s({.env = {{"TRAINIA_BODY_TIMEOUT_MS", "1000"}}});
  std::string huge = "GET /api/users/profile HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  auto r = raw_exchange("127.0.0.1", s.port(), huge, 5s);
  CHECK(r.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(r.find("\"code\":\"headers_too_large\"") != std::string::npos);

  auto g = raw_exchange("127.0.0.1", s.port(), "NOT HTTP AT ALL\r\n\r\n", 5s);
  CHECK(g.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(g.find("\"code\":\"bad_request\"") != std::string::npos);

  // Declares 100 bytes, sends 5: the server waits out the body time-out and closes.
  raw_connection liar("127.0.0.1", s.port());
  liar.send("PUT /api/users/profile HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":");
  CHECK(liar.closed_by_peer(5s));
  // A chunked body over the limit: 413.
  std::string chunked = "PUT /api/users/profile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunk(64 * 1024, 'a');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 20; ++i) chunked += size_line + chunk + "\r\n";
  chunked += "0\r\n\r\n";
  auto big = raw_exchange("127.0.0.1", s.port(), chunked, 5s);
  CHECK(big.rfind("HTTP/1.1 413", 0) == 0);
  // Still serving.
  CHECK(s.client().get("/api/users/profile", s.auth("user_ok")).status == 200);
}

TEST_CASE("a client that writes its whole oversized body before reading still gets its 413 (lingering close)",
          "[integration][http]") {
  trainia_server s;
  // A simple client writes the whole request, then reads. The server refuses
  // at the Content-Length already; if it closed with the body unread, the
  // kernel would reset the connection and the client would see no answer.
  for (int round = 0; round < 3; ++round) {
    raw_connection c("127.0.0.1", s.port());
    const size_t size = 3 * 1024 * 1024;
    REQUIRE(c.send("PUT /api/users/profile HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(size) + "\r\n\r\n"));
    CHECK(c.send(std::string(size, ' '), 10s));
    auto r = c.read_response(5s);
    REQUIRE(r.has_value());
    CHECK(r->status == 413);
    CHECK(r->body.find("\"code\":\"payload_too_large\"") != std::string::npos);
    CHECK(c.closed_by_peer(5s));
  }
  CHECK(s.client().get("/api/users/profile", s.auth("user_after_413")).status == 200);
}
