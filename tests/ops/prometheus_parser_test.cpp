// The strict exposition parser used by the operations tests refuses what
// Prometheus' own text parser refuses (and a little more that a correct
// exporter never writes), so a test that parses /metrics proves the format.
#include "support/prometheus.hpp"

#include <catch2/catch.hpp>

using trainia::test::parse_prometheus;

TEST_CASE("strict parser: a well-formed exposition with escapes and a timestamp is accepted", "[ops][prometheus]") {
  auto d = parse_prometheus(
    "# HELP a_total Things, with a \\\\ and a \\n in help.\n"
    "# TYPE a_total counter\n"
    "a_total{k=\"q\\\"uote\",b=\"back\\\\slash\",n=\"new\\nline\"} 3 1700000000000\n"
    "a_total{k=\"other\"} 0\n"
    "# HELP h Latency.\n"
    "# TYPE h histogram\n"
    "h_bucket{r=\"x\",le=\"0.1\"} 1\n"
    "h_bucket{r=\"x\",le=\"+Inf\"} 2\n"
    "h_sum{r=\"x\"} 0.5\n"
    "h_count{r=\"x\"} 2\n");
  CHECK(d.value("a_total", {{"k", "q\"uote"}, {"b", "back\\slash"}, {"n", "new\nline"}}) == 3);
  CHECK(d.families.at("a_total").help == "Things, with a \\\\ and a \\n in help.");
  CHECK(d.value("h_count", {{"r", "x"}}) == 2);
}

TEST_CASE("strict parser: order, duplicates and shape errors are refused", "[ops][prometheus]") {
  // HELP or TYPE after the family's samples, or twice.
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx 1\n# HELP x late\n"));
  CHECK_THROWS(parse_prometheus("# HELP x one\n# HELP x two\n# TYPE x gauge\nx 1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\n# TYPE x gauge\nx 1\n"));
  // A family's lines must stay together.
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\ny 1\nx{a=\"2\"} 1\n"));
  // The same series twice.
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx{a=\"1\",b=\"2\"} 1\nx{b=\"2\",a=\"1\"} 2\n"));
  // Label syntax: missing separator, bad escape in HELP, junk after the value.
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx{a=\"1\"b=\"2\"} 1\n"));
  CHECK_THROWS(parse_prometheus("# HELP x bad \\q escape\n# TYPE x gauge\nx 1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx 1 notatimestamp\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx 1 1700000000000 extra\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx{a=\"1\"\n"));
  // Counters never go negative; histograms keep `le` on buckets only and end at +Inf = _count.
  CHECK_THROWS(parse_prometheus("# TYPE c_total counter\nc_total -1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum{le=\"1\"} 1\nh_count 1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"
                                "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"));
  // The text ends with a newline.
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx 1"));
}
