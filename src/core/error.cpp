#include "core/error.hpp"

namespace trainia {

const char* code_name(errc e) noexcept {
  switch (e) {
    case errc::none: return "none";
    case errc::unauthorized: return "unauthorized";
    case errc::forbidden: return "forbidden";
    case errc::not_found: return "not_found";
    case errc::method_not_allowed: return "method_not_allowed";
    case errc::conflict: return "conflict";
    case errc::precondition_failed: return "precondition_failed";
    case errc::payload_too_large: return "payload_too_large";
    case errc::unsupported_media_type: return "unsupported_media_type";
    case errc::invalid_json: return "invalid_json";
    case errc::validation_failed: return "validation_failed";
    case errc::invalid_signature: return "invalid_signature";
    case errc::invalid_event: return "invalid_event";
    case errc::quota_exceeded: return "quota_exceeded";
    case errc::rate_limited: return "rate_limited";
    case errc::upstream_error: return "upstream_error";
    case errc::service_unavailable: return "service_unavailable";
    case errc::internal: return "internal";
    case errc::bad_request: return "bad_request";
    case errc::headers_too_large: return "headers_too_large";
  }
  return "internal";
}

caf::error fail(errc code, std::string message) {
  error_info info;
  info.message = std::move(message);
  return caf::make_error(code, std::move(info));
}

caf::error fail(errc code, std::string message, std::string internal) {
  error_info info;
  info.message = std::move(message);
  info.internal = std::move(internal);
  return caf::make_error(code, std::move(info));
}

caf::error fail_validation(std::vector<field_error> fields) {
  error_info info;
  info.message = "request validation failed";
  info.fields = std::move(fields);
  return caf::make_error(errc::validation_failed, std::move(info));
}

caf::error fail_unavailable(std::string message, int32_t retry_after_seconds,
                            std::string internal) {
  error_info info;
  info.message = std::move(message);
  info.retry_after_seconds = retry_after_seconds;
  info.internal = std::move(internal);
  return caf::make_error(errc::service_unavailable, std::move(info));
}

caf::error fail_rate_limited(std::string message, int32_t retry_after_seconds) {
  error_info info;
  info.message = std::move(message);
  info.retry_after_seconds = retry_after_seconds;
  return caf::make_error(errc::rate_limited, std::move(info));
}

error_info info_of(const caf::error& e) {
  if (e.category() == caf::atom("trainia") && e.context().match_elements<error_info>())
    return e.context().get_as<error_info>(0);
  return {};
}

bool is(const caf::error& e, errc code) {
  return e.category() == caf::atom("trainia") && e.code() == static_cast<uint8_t>(code);
}

}  // namespace trainia
