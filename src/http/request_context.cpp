#include "http/request_context.hpp"

#include "actors/atoms.hpp"
#include "http/actor_bridge.hpp"
#include "http/connection.hpp"
#include "http/error_response.hpp"
#include "observability/log.hpp"

#include <caf/send.hpp>

namespace trainia::http {

request_context::request_context(app_context& a, request&& r, std::string id, std::weak_ptr<http_connection> conn,
                                 caf::actor bridge)
  : app(a), req(std::move(r)), request_id(std::move(id)), conn_(std::move(conn)), bridge_(std::move(bridge)) {}

void request_context::respond(response&& res) {
  if (answered_.exchange(true, std::memory_order_acq_rel)) return;
  if (auto c = conn_.lock()) c->deliver(shared_from_this(), std::move(res));
}

void request_context::respond_json(status s, std::string body) {
  response res{s, req.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  respond(std::move(res));
}

void request_context::fail(const caf::error& e, const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  if (answered()) return;
  auto m = map_error(e);
  if (!m.internal.empty() || m.code >= status::internal_server_error) {
    auto level = m.code >= status::internal_server_error && m.kind != errc::service_unavailable ? log_level::error
                                                                                               : log_level::warn;
    log::write(level, "request failed",
               {{"request_id", request_id},
                {"route", route_label()},
                {"status", static_cast<int>(m.code)},
                {"code", code_name(m.kind)},
                {"internal", m.internal},
                user ? log::field("user_id", user->user_id) : log::field("user_id", nullptr)});
  }
  response res{m.code, req.version()};
  res.set(bhttp::field::content_type, "application/json");
  if (m.retry_after > 0) res.set(bhttp::field::retry_after, std::to_string(m.retry_after));
  for (const auto& [k, v] : extra_headers) res.set(k, v);
  res.body() = std::move(m.body);
  respond(std::move(res));
}

void request_context::extend_deadline(std::chrono::milliseconds total) {
  if (auto c = conn_.lock()) c->extend_deadline(total);
}

void request_context::in_actor(std::function<void(caf::event_based_actor*)> f) {
  caf::anon_send(bridge_, run_atom::value, bridge_task(std::move(f)));
}

std::string_view request_context::route_label() const {
  return matched ? std::string_view(matched->pattern) : std::string_view("unmatched");
}

std::string_view request_context::header(std::string_view name) const {
  auto it = req.find(name);
  return it == req.end() ? std::string_view() : std::string_view(it->value().data(), it->value().size());
}

std::string_view request_context::path() const {
  std::string_view t(req.target().data(), req.target().size());
  auto q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else out += s[i];
  }
  return out;
}

}  // namespace

std::optional<std::string> request_context::query(std::string_view name) const {
  std::string_view t(req.target().data(), req.target().size());
  auto q = t.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  auto rest = t.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    auto eq = part.find('=');
    auto key = part.substr(0, eq);
    if (decode_component(key) == name)
      return eq == std::string_view::npos ? std::string() : decode_component(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

}  // namespace trainia::http
