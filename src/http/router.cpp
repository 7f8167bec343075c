#include "http/router.hpp"

namespace trainia::http {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

route_stats::route_stats(obs::registry& m, std::string pattern, verb method)
  : m_(m), pattern_(std::move(pattern)), method_(bhttp::to_string(method)),
    duration_(&m.http_duration.with({{"route", pattern_}})) {}

void route_stats::record(unsigned status_code, double seconds) {
  duration_->observe(seconds);
  if (status_code >= by_status_.size()) status_code = 599;
  auto* c = by_status_[status_code].load(std::memory_order_acquire);
  if (!c) {
    c = &m_.http_requests.with({{"route", pattern_}, {"method", method_}, {"status", std::to_string(status_code)}});
    by_status_[status_code].store(c, std::memory_order_release);
  }
  c->inc();
}

void router::add(verb method, std::string pattern, handler_fn h, route_options opts) {
  route r{method, std::move(pattern), std::move(h), opts, {}, nullptr};
  r.stats = std::make_shared<route_stats>(m_, r.pattern, method);
  for (auto s : split_path(r.pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

route_match router::match(verb method, std::string_view path) const {
  route_match m;
  auto segs = split_path(path);
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& p = r.segments[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (segs[i].empty()) ok = false;
        else params.emplace_back(segs[i]);
      } else if (p != segs[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    m.path_known = true;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += std::string(bhttp::to_string(r.method));
    if (r.method == method && !m.found) {
      m.found = &r;
      m.params = std::move(params);
    }
  }
  return m;
}

}  // namespace trainia::http
