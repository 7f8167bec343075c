#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace trainia {

/// The contract's error codes (api.md §2). Every failure that reaches a client
/// is one of these; `http/error_response.cpp` is the only place that maps them
/// to statuses and bodies.
enum class errc : uint8_t {
  none = 0,
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  conflict,
  precondition_failed,
  payload_too_large,
  unsupported_media_type,
  invalid_json,
  validation_failed,
  invalid_signature,
  invalid_event,
  quota_exceeded,
  rate_limited,
  upstream_error,
  service_unavailable,
  internal,
  /// Unparseable HTTP (not in the contract's list: a protocol error, not an API error).
  bad_request,
  /// Request headers over the limit (RFC 6585 431).
  headers_too_large,
};

/// The stable text of a code, as it appears in `{"error":{"code":…}}`.
const char* code_name(errc e) noexcept;

/// One entry of `details` for `validation_failed`.
struct field_error {
  std::string path;
  std::string message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, field_error& x) {
  return f(x.path, x.message);
}

/// What travels inside a `caf::error` of category "trainia": the public text,
/// optional details, and an internal note that is logged but never sent.
struct error_info {
  std::string message;                // public
  std::vector<field_error> fields;    // `details` array for validation_failed
  std::string details_json;           // `details` object (e.g. quota_exceeded)
  std::string internal;               // logs only: SQLSTATE text, provider message…
  int32_t retry_after_seconds = 0;    // `Retry-After` when > 0
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, error_info& x) {
  return f(x.message, x.fields, x.details_json, x.internal, x.retry_after_seconds);
}

}  // namespace trainia

CAF_ERROR_CODE_ENUM(trainia::errc, "trainia")

namespace trainia {

/// Builds an error value with a public message.
caf::error fail(errc code, std::string message);

/// Builds an error value with a public message and an internal note for the logs.
caf::error fail(errc code, std::string message, std::string internal);

/// `validation_failed` with one `{path, message}` per offending field.
caf::error fail_validation(std::vector<field_error> fields);

/// `service_unavailable` with a `Retry-After` hint.
caf::error fail_unavailable(std::string message, int32_t retry_after_seconds,
                            std::string internal = {});

/// `rate_limited` with a `Retry-After` hint.
caf::error fail_rate_limited(std::string message, int32_t retry_after_seconds);

/// The error_info carried by a "trainia" error, or an empty one.
error_info info_of(const caf::error& e);

/// True if `e` is a "trainia" error with this code.
bool is(const caf::error& e, errc code);

}  // namespace trainia
