#pragma once

#include <map>
#include <string>
#include <vector>

namespace trainia::test {

/// One sample line of the exposition format.
struct prom_sample {
  std::string name;  // full sample name (e.g. x_bucket)
  std::map<std::string, std::string> labels;
  double value = 0;
};

/// A parsed exposition: families (by declared name) with type, help and samples.
struct prom_family {
  std::string type, help;
  std::vector<prom_sample> samples;
};

struct prom_document {
  std::map<std::string, prom_family> families;
  /// Value of the sample `name` whose labels include all of `match`; throws if absent.
  double value(const std::string& name, const std::map<std::string, std::string>& match = {}) const;
  /// As value(), but 0 when absent.
  double value_or_zero(const std::string& name, const std::map<std::string, std::string>& match = {}) const;
  bool has(const std::string& family) const { return families.count(family) > 0; }
};

/// Parses Prometheus text format 0.0.4 strictly, throwing std::runtime_error
/// naming the line on: a sample without a preceding # TYPE for its family, a
/// malformed name, label, separator or escape (label values: \\ \" \n only;
/// HELP: \\ \n only), a duplicate label, a non-numeric value or timestamp,
/// TYPE or HELP declared twice or after the family's samples, a family whose
/// lines are not together, the same series twice, a negative counter,
/// histogram buckets without `le`, not in increasing order, not cumulative,
/// without a +Inf bucket or with one that differs from _count, a missing
/// _sum/_count, `le` outside _bucket, and a text not ending in a newline.
prom_document parse_prometheus(const std::string& text);

}  // namespace trainia::test
