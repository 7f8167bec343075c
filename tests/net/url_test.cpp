#include "net/url.hpp"

#include <catch2/catch.hpp>

using trainia::net::parse_url;

namespace {

trainia::net::parsed_url ok(const std::string& url) {
  std::string err;
  auto u = parse_url(url, err);
  INFO(url << " → " << err);
  REQUIRE(u);
  CHECK(err.empty());
  return *u;
}

std::string rejected(const std::string& url) {
  std::string err;
  auto u = parse_url(url, err);
  INFO(url);
  CHECK_FALSE(u);
  CHECK_FALSE(err.empty());
  return err;
}

}  // namespace

TEST_CASE("parse_url splits http and https URLs", "[net][url]") {
  auto a = ok("https://api.stripe.com/v1/customers?limit=3");
  CHECK(a.tls);
  CHECK(a.host == "api.stripe.com");
  CHECK(a.port == 443);
  CHECK_FALSE(a.host_is_ip);
  CHECK(a.target == "/v1/customers?limit=3");
  CHECK(a.host_header == "api.stripe.com");
  CHECK(a.origin == "https://api.stripe.com:443");

  auto b = ok("http://127.0.0.1:11434/api/chat");
  CHECK_FALSE(b.tls);
  CHECK(b.host == "127.0.0.1");
  CHECK(b.port == 11434);
  CHECK(b.host_is_ip);
  CHECK(b.target == "/api/chat");
  CHECK(b.host_header == "127.0.0.1:11434");
  CHECK(b.origin == "http://127.0.0.1:11434");

  auto c = ok("HTTP://Example.COM");
  CHECK(c.host == "example.com");
  CHECK(c.port == 80);
  CHECK(c.target == "/");
  CHECK(c.host_header == "example.com");

  auto d = ok("http://h.test?x=1#frag");
  CHECK(d.target == "/?x=1");
  CHECK(ok("http://h.test/p#frag").target == "/p");
  CHECK(ok("https://h.test:8443/").host_header == "h.test:8443");
  CHECK(ok("http://h.test:80/").host_header == "h.test");

  auto v6 = ok("http://[::1]:8080/x");
  CHECK(v6.host == "::1");
  CHECK(v6.host_is_ip);
  CHECK(v6.port == 8080);
  CHECK(v6.host_header == "[::1]:8080");
  CHECK(v6.origin == "http://[::1]:8080");
}

TEST_CASE("parse_url rejects what it cannot send safely", "[net][url]") {
  CHECK(rejected("ftp://example.com/").find("http") != std::string::npos);
  rejected("");
  rejected("example.com/path");
  rejected("//example.com/");
  rejected("http://");
  rejected("http:///path");
  rejected("http://:80/");
  rejected("http://host:/");
  rejected("http://host:0/");
  rejected("http://host:65536/");
  rejected("http://host:12a/");
  rejected("http://host:123456/");
  CHECK(rejected("http://user:secret@host/").find("user info") != std::string::npos);
  rejected("http://ho st/");
  rejected("http://host/a b");
  rejected("http://host/a\r\nX-Injected: 1");
  rejected("http://host/\x01");
  rejected("http://host/caf\xc3\xa9");
  rejected("http://[::1/");
  rejected("http://[zz::1]/");
  rejected("http://[::1]x/");
}
