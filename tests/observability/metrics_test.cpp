#include "observability/log.hpp"
#include "observability/metrics.hpp"
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

using namespace trainia;

TEST_CASE("the exposition parses back strictly and carries what was recorded", "[observability]") {
  obs::registry m;
  m.http_requests.with({{"route", "/api/users/profile"}, {"method", "GET"}, {"status", "200"}}).inc(3);
  m.http_duration.with({{"route", "/api/users/profile"}}).observe(0.002);
  m.http_duration.with({{"route", "/api/users/profile"}}).observe(0.3);
  m.http_duration.with({{"route", "/api/users/profile"}}).observe(50);  // beyond the last bound
  m.actor_mailbox.with({{"actor", "weird \"kind\"\\with\nnewline"}}).set(4);
  m.db_connections.with({{"pool", "request"}, {"state", "idle"}}).set(8);
  auto doc = test::parse_prometheus(m.render());
  CHECK(doc.families.at("trainia_http_requests_total").type == "counter");
  CHECK(doc.families.at("trainia_http_request_duration_seconds").type == "histogram");
  CHECK(doc.value("trainia_http_requests_total", {{"route", "/api/users/profile"}, {"status", "200"}}) == 3);
  CHECK(doc.value("trainia_http_request_duration_seconds_count", {{"route", "/api/users/profile"}}) == 3);
  CHECK(doc.value("trainia_http_request_duration_seconds_bucket", {{"route", "/api/users/profile"}, {"le", "0.0025"}}) == 1);
  CHECK(doc.value("trainia_http_request_duration_seconds_bucket", {{"route", "/api/users/profile"}, {"le", "0.5"}}) == 2);
  CHECK(doc.value("trainia_http_request_duration_seconds_bucket", {{"route", "/api/users/profile"}, {"le", "+Inf"}}) == 3);
  CHECK(doc.value("trainia_http_request_duration_seconds_sum", {{"route", "/api/users/profile"}}) == Approx(50.302));
  CHECK(doc.value("trainia_actor_mailbox_depth", {{"actor", "weird \"kind\"\\with\nnewline"}}) == 4);
  CHECK(doc.value("trainia_db_pool_connections", {{"pool", "request"}, {"state", "idle"}}) == 8);
}

TEST_CASE("the strict parser refuses broken expositions", "[observability]") {
  CHECK_THROWS(test::parse_prometheus("x 1\n"));  // no TYPE
  CHECK_THROWS(test::parse_prometheus("# TYPE x counter\nx{a=\"1\",a=\"2\"} 1\n"));
  CHECK_THROWS(test::parse_prometheus("# TYPE x counter\nx{a=\"\\q\"} 1\n"));
  CHECK_THROWS(test::parse_prometheus("# TYPE x counter\nx one\n"));
  CHECK_THROWS(test::parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
  CHECK_THROWS(test::parse_prometheus("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n"));
}

TEST_CASE("log strings are escaped as JSON", "[observability]") {
  std::string out;
  log::append_json_string(out, "a\"b\\c\nd\x01");
  CHECK(out == "\"a\\\"b\\\\c\\nd\\u0001\"");
}
