#include "observability/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace trainia::obs {

void histogram::observe(double seconds) noexcept {
  size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double us = seconds > 0 ? seconds * 1e6 : 0.0;
  sum_us_.fetch_add(static_cast<uint64_t>(std::llround(us)), std::memory_order_relaxed);
}

std::array<uint64_t, histogram::bounds.size() + 1> histogram::cumulative() const noexcept {
  std::array<uint64_t, bounds.size() + 1> out{};
  uint64_t run = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    run += buckets_[i].load(std::memory_order_relaxed);
    out[i] = run;
  }
  return out;
}

std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

namespace {

std::string label_text(const labels& l, const std::string& extra_key = {}, const std::string& extra_val = {}) {
  if (l.empty() && extra_key.empty()) return {};
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : l) {
    if (!first) s += ',';
    first = false;
    s += k + "=\"" + escape_label(v) + "\"";
  }
  if (!extra_key.empty()) {
    if (!first) s += ',';
    s += extra_key + "=\"" + extra_val + "\"";
  }
  return s + "}";
}

std::string number(double v, const char* fmt = "%.17g") {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out += "# HELP " + name + " " + help + "\n";
  out += "# TYPE " + name + " " + type + "\n";
}

void render_family(std::string& out, const family<counter>& f) {
  header(out, f.name(), f.help(), "counter");
  f.each([&](const labels& l, const counter& c) { out += f.name() + label_text(l) + " " + std::to_string(c.value()) + "\n"; });
}

void render_family(std::string& out, const family<gauge>& f) {
  header(out, f.name(), f.help(), "gauge");
  f.each([&](const labels& l, const gauge& g) { out += f.name() + label_text(l) + " " + std::to_string(g.value()) + "\n"; });
}

void render_family(std::string& out, const family<histogram>& f) {
  header(out, f.name(), f.help(), "histogram");
  f.each([&](const labels& l, const histogram& h) {
    auto cum = h.cumulative();
    for (size_t i = 0; i < histogram::bounds.size(); ++i)
      out += f.name() + "_bucket" + label_text(l, "le", number(histogram::bounds[i], "%g")) + " " + std::to_string(cum[i]) + "\n";
    out += f.name() + "_bucket" + label_text(l, "le", "+Inf") + " " + std::to_string(cum.back()) + "\n";
    out += f.name() + "_sum" + label_text(l) + " " + number(h.sum(), "%.6f") + "\n";
    // _count equals the +Inf bucket by construction, even under concurrent recording.
    out += f.name() + "_count" + label_text(l) + " " + std::to_string(cum.back()) + "\n";
  });
}

}  // namespace

registry::registry() = default;

std::string registry::render() const {
  std::string out;
  out.reserve(16384);
  render_family(out, http_requests);
  render_family(out, http_duration);
  render_family(out, http_connections);
  render_family(out, actor_mailbox);
  render_family(out, actor_restarts);
  render_family(out, actor_messages);
  render_family(out, actor_alive);
  render_family(out, db_connections);
  render_family(out, db_query_duration);
  render_family(out, db_rejected);
  render_family(out, db_grouped);
  render_family(out, ai_tasks);
  render_family(out, ai_provider_duration);
  render_family(out, stripe_events);
  render_family(out, auth_failures);
  render_family(out, auth_verifications);
  render_family(out, session_cached_reads);
  return out;
}

}  // namespace trainia::obs
