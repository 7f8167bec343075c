#include "support/prometheus.hpp"

#include <cmath>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace trainia::test {

namespace {

bool valid_metric_name(const std::string& s) {
  static const std::regex re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(s, re);
}

bool valid_label_name(const std::string& s) {
  static const std::regex re("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(s, re);
}

double parse_value(const std::string& v, const std::string& line) {
  if (v == "+Inf") return INFINITY;
  if (v == "-Inf") return -INFINITY;
  if (v == "NaN") return NAN;
  size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (...) {
    throw std::runtime_error("bad value in: " + line);
  }
  if (used != v.size()) throw std::runtime_error("bad value in: " + line);
  return d;
}

std::string family_of(const std::string& sample, const std::map<std::string, prom_family>& fams) {
  if (fams.count(sample)) return sample;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      auto base = sample.substr(0, sample.size() - s.size());
      auto it = fams.find(base);
      if (it != fams.end() && (it->second.type == "histogram" || it->second.type == "summary")) return base;
    }
  }
  return {};
}

void check_histograms(const std::map<std::string, prom_family>& fams) {
  for (const auto& [name, f] : fams) {
    if (f.type != "histogram") continue;
    // Group by labels without `le`.
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts, sums;
    for (const auto& s : f.samples) {
      auto key = s.labels;
      if (s.name == name + "_bucket") {
        auto le = key.find("le");
        if (le == key.end()) throw std::runtime_error(name + ": bucket without le");
        double bound = parse_value(le->second, name);
        key.erase(le);
        buckets[key].push_back({bound, s.value});
      } else if (s.name == name + "_count") {
        counts[key] = s.value;
      } else if (s.name == name + "_sum") {
        sums[key] = s.value;
      } else {
        throw std::runtime_error(name + ": unexpected sample " + s.name);
      }
    }
    for (const auto& [key, bs] : buckets) {
      double prev_bound = -INFINITY, prev = 0;
      for (const auto& [bound, v] : bs) {
        if (!(bound > prev_bound)) throw std::runtime_error(name + ": buckets not in increasing le order");
        if (v < prev) throw std::runtime_error(name + ": buckets not cumulative");
        prev_bound = bound;
        prev = v;
      }
      if (!std::isinf(bs.back().first)) throw std::runtime_error(name + ": no +Inf bucket");
      if (!counts.count(key) || !sums.count(key)) throw std::runtime_error(name + ": missing _count or _sum");
      if (counts.at(key) != bs.back().second) throw std::runtime_error(name + ": +Inf bucket differs from _count");
    }
  }
}

}  // namespace

prom_document parse_prometheus(const std::string& text) {
  prom_document doc;
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("exposition does not end with a newline");
  std::istringstream in(text);
  std::string line;
  std::set<std::string> helped, finished;  // families with HELP; families whose block has ended
  std::set<std::pair<std::string, std::map<std::string, std::string>>> series;
  std::string current;  // the family whose lines are being read
  auto enter = [&](const std::string& fam, const std::string& l) {
    if (fam == current) return;
    if (finished.count(fam)) throw std::runtime_error("lines of a family are not together: " + l);
    if (!current.empty()) finished.insert(current);
    current = fam;
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream ls(line);
      std::string hash, kind, name;
      ls >> hash >> kind >> name;
      if (hash != "#") continue;  // "#x" is a comment too
      if (kind == "HELP") {
        if (!valid_metric_name(name)) throw std::runtime_error("bad HELP name: " + line);
        enter(name, line);
        if (!helped.insert(name).second) throw std::runtime_error("HELP declared twice: " + line);
        if (!doc.families[name].samples.empty()) throw std::runtime_error("HELP after samples: " + line);
        std::string rest;
        std::getline(ls, rest);
        rest = rest.empty() ? "" : rest.substr(1);
        for (size_t k = 0; k < rest.size(); ++k)  // HELP escapes only \\ and \n
          if (rest[k] == '\\') {
            if (k + 1 >= rest.size() || (rest[k + 1] != '\\' && rest[k + 1] != 'n'))
              throw std::runtime_error("bad escape in HELP: " + line);
            ++k;
          }
        doc.families[name].help = rest;
      } else if (kind == "TYPE") {
        std::string type, extra;
        ls >> type;
        if (ls >> extra) throw std::runtime_error("junk after TYPE: " + line);
        if (!valid_metric_name(name)) throw std::runtime_error("bad TYPE name: " + line);
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
          throw std::runtime_error("bad TYPE: " + line);
        enter(name, line);
        auto& f = doc.families[name];
        if (!f.type.empty()) throw std::runtime_error("TYPE declared twice: " + line);
        if (!f.samples.empty()) throw std::runtime_error("TYPE after samples: " + line);
        f.type = type;
      }
      continue;
    }
    // name{labels} value [timestamp]
    prom_sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!valid_metric_name(s.name)) throw std::runtime_error("bad sample name: " + line);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) throw std::runtime_error("bad labels: " + line);
        std::string lname = line.substr(i, eq - i);
        if (!valid_label_name(lname)) throw std::runtime_error("bad label name: " + line);
        if (eq + 1 >= line.size() || line[eq + 1] != '"') throw std::runtime_error("unquoted label: " + line);
        size_t j = eq + 2;
        std::string val;
        for (;;) {
          if (j >= line.size()) throw std::runtime_error("unterminated label: " + line);
          char c = line[j];
          if (c == '\\') {
            if (j + 1 >= line.size()) throw std::runtime_error("bad escape: " + line);
            char n = line[j + 1];
            if (n == 'n') val += '\n';
            else if (n == '\\') val += '\\';
            else if (n == '"') val += '"';
            else throw std::runtime_error("bad escape: " + line);
            j += 2;
          } else if (c == '"') {
            ++j;
            break;
          } else {
            val += c;
            ++j;
          }
        }
        if (s.labels.count(lname)) throw std::runtime_error("duplicate label: " + line);
        s.labels[lname] = val;
        if (j < line.size() && line[j] == ',') ++j;
        else if (j >= line.size() || line[j] != '}') throw std::runtime_error("bad label separator: " + line);
        i = j;
      }
      if (i >= line.size()) throw std::runtime_error("unterminated labels: " + line);
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') throw std::runtime_error("no value: " + line);
    std::string rest = line.substr(i + 1);
    auto sp = rest.find(' ');
    s.value = parse_value(rest.substr(0, sp), line);
    if (sp != std::string::npos) {  // an optional integer timestamp (ms), nothing after it
      static const std::regex ts("-?[0-9]+");
      if (!std::regex_match(rest.substr(sp + 1), ts)) throw std::runtime_error("bad timestamp: " + line);
    }
    auto fam = family_of(s.name, doc.families);
    if (fam.empty() || doc.families[fam].type.empty())
      throw std::runtime_error("sample without TYPE: " + line);
    enter(fam, line);
    const auto& type = doc.families[fam].type;
    if (type == "counter" && !(s.value >= 0)) throw std::runtime_error("negative counter: " + line);
    if (type == "histogram" && s.name != fam + "_bucket" && s.labels.count("le"))
      throw std::runtime_error("le label outside _bucket: " + line);
    if (!series.insert({s.name, s.labels}).second) throw std::runtime_error("duplicate series: " + line);
    doc.families[fam].samples.push_back(std::move(s));
  }
  check_histograms(doc.families);
  return doc;
}

namespace {
const prom_sample* find_sample(const prom_document& d, const std::string& name,
                               const std::map<std::string, std::string>& match) {
  for (const auto& [fname, f] : d.families)
    for (const auto& s : f.samples) {
      if (s.name != name) continue;
      bool ok = true;
      for (const auto& [k, v] : match) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) ok = false;
      }
      if (ok) return &s;
    }
  return nullptr;
}
}  // namespace

double prom_document::value(const std::string& name, const std::map<std::string, std::string>& match) const {
  auto* s = find_sample(*this, name, match);
  if (!s) throw std::runtime_error("no sample " + name);
  return s->value;
}

double prom_document::value_or_zero(const std::string& name, const std::map<std::string, std::string>& match) const {
  auto* s = find_sample(*this, name, match);
  return s ? s->value : 0.0;
}

}  // namespace trainia::test
