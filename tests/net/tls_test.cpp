#include "net/net_test_support.hpp"
#include "net/outbound_client.hpp"
#include "net/tls_server.hpp"
#include "support/fake_http_server.hpp"
#include "support/test_env.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace trainia::test;
using trainia::net::outbound_client;

namespace {

/// Certificates made once per test process with the openssl CLI.
struct certs {
  test_certificate local, other;
  static const certs& get() {
    static const certs c = [] {
      auto dir = temp_dir("trainia-net-tls");
      return certs{make_self_signed(dir, "local", "127.0.0.1", "IP:127.0.0.1,DNS:localhost"),
                   make_self_signed(dir, "other", "example.test", "DNS:example.test")};
    }();
    return c;
  }
};

std::string https(uint16_t port, const std::string& host = "127.0.0.1") {
  return "https://" + host + ":" + std::to_string(port) + "/v1/models";
}

}  // namespace

TEST_CASE("outbound TLS: a self-signed server is refused against the system CA store", "[net][tls]") {
  tls_test_server server(certs::get().local);
  outbound_client client({});
  auto r = call_sync(client, get(https(server.port())));
  CHECK(r.status == 0);
  CHECK(r.error.find("TLS handshake with 127.0.0.1:" + std::to_string(server.port()) + " failed") != std::string::npos);
  CHECK(r.error.find("certificate verify failed") != std::string::npos);
  CHECK(r.error.find("self-signed") != std::string::npos);
  CHECK_FALSE(r.timed_out);
  CHECK(server.requests() == 0);
  CHECK(server.handshakes_completed() == 0);
}

TEST_CASE("outbound TLS: trusted through ca_file when the host name matches, with SNI and reuse", "[net][tls]") {
  tls_test_server server(certs::get().local);
  outbound_client client({.ca_file = certs::get().local.cert_file});

  auto r = call_sync(client, get(https(server.port())));
  INFO(r.error);
  CHECK(r.status == 200);
  CHECK(r.body == "hello over tls");
  CHECK(server.last_sni().empty());  // an IP literal is never sent as SNI

  auto byname = call_sync(client, get(https(server.port(), "localhost")));
  INFO(byname.error);
  CHECK(byname.status == 200);
  CHECK(server.last_sni() == "localhost");

  auto again = call_sync(client, get(https(server.port())));
  CHECK(again.status == 200);
  CHECK(client.connections_opened() == 2);  // one per origin
  CHECK(client.connections_reused() == 1);
  CHECK(server.connections() == 2);
  CHECK(server.requests() == 3);
}

TEST_CASE("outbound TLS: a trusted certificate for another host name is refused", "[net][tls]") {
  tls_test_server server(certs::get().other);  // certificate for example.test only
  outbound_client client({.ca_file = certs::get().other.cert_file});
  auto r = call_sync(client, get(https(server.port())));
  CHECK(r.status == 0);
  CHECK(r.error.find("certificate does not match host name") != std::string::npos);
  CHECK(server.requests() == 0);
}

TEST_CASE("outbound TLS: an unreadable ca_file fails https calls clearly, http still works", "[net][tls]") {
  outbound_client client({.ca_file = "/nonexistent/ca.pem"});
  auto r = call_sync(client, get("https://127.0.0.1:1/"));
  CHECK(r.status == 0);
  CHECK(r.error.find("TLS trust store could not be loaded (/nonexistent/ca.pem): No such file or directory") !=
        std::string::npos);
  CHECK(client.connections_opened() == 0);
  fake_http_server plain;
  plain.on("GET", "/", [](const recorded_request&) { return json_reply(200, "{}"); });
  CHECK(call_sync(client, get(plain.base_url() + "/ok")).status == 200);
}
