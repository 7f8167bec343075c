#include "http/error_response.hpp"

#include <caf/sec.hpp>
#include <nlohmann/json.hpp>

namespace trainia::http {

status status_of(errc code) {
  switch (code) {
    case errc::unauthorized: return status::unauthorized;
    case errc::forbidden: return status::forbidden;
    case errc::not_found: return status::not_found;
    case errc::method_not_allowed: return status::method_not_allowed;
    case errc::conflict: return status::conflict;
    case errc::precondition_failed: return status::precondition_failed;
    case errc::payload_too_large: return status::payload_too_large;
    case errc::unsupported_media_type: return status::unsupported_media_type;
    case errc::invalid_json:
    case errc::validation_failed:
    case errc::invalid_signature:
    case errc::invalid_event:
    case errc::bad_request: return status::bad_request;
    case errc::headers_too_large: return status::request_header_fields_too_large;
    case errc::quota_exceeded: return status::payment_required;
    case errc::rate_limited: return status::too_many_requests;
    case errc::upstream_error: return status::bad_gateway;
    case errc::service_unavailable: return status::service_unavailable;
    case errc::internal:
    case errc::none: return status::internal_server_error;
  }
  return status::internal_server_error;
}

std::string error_body(errc code, std::string_view message) {
  nlohmann::json j;
  j["error"] = {{"code", code_name(code)}, {"message", message}};
  return j.dump();
}

mapped_error map_error(const caf::error& e) {
  mapped_error m;
  if (e.category() == caf::atom("trainia")) {
    auto code = static_cast<errc>(e.code());
    auto info = info_of(e);
    nlohmann::json err{{"code", code_name(code)}, {"message", info.message.empty() ? code_name(code) : info.message}};
    if (code == errc::validation_failed) {
      auto details = nlohmann::json::array();
      for (const auto& f : info.fields) details.push_back({{"path", f.path}, {"message", f.message}});
      err["details"] = details;
    } else if (!info.details_json.empty()) {
      auto d = nlohmann::json::parse(info.details_json, nullptr, false);
      if (!d.is_discarded()) err["details"] = d;
    }
    m.kind = code;
    m.code = status_of(code);
    m.retry_after = info.retry_after_seconds;
    if (code == errc::rate_limited && m.retry_after <= 0) m.retry_after = 1;
    m.internal = std::move(info.internal);
    m.body = nlohmann::json{{"error", err}}.dump();
    return m;
  }
  if (e == caf::sec::request_receiver_down || e == caf::sec::request_timeout) {
    m.kind = errc::service_unavailable;
    m.code = status::service_unavailable;
    m.retry_after = 1;
    m.body = error_body(errc::service_unavailable, "the service is restarting a component; retry");
  } else {
    m.kind = errc::internal;
    m.code = status::internal_server_error;
    m.body = error_body(errc::internal, "internal error");
  }
  m.internal = "actor error: " + caf::to_string(e);
  return m;
}

}  // namespace trainia::http
