#pragma once

#include "config/config.hpp"
#include "http/types.hpp"

namespace trainia::http {

using request_parser = bhttp::request_parser<bhttp::string_body>;

/// Applies the limits every request is read under (api.md §2): header and
/// body sizes from the configuration. The one setup shared by the connection
/// and the HTTP fuzzer (tests/fuzz/fuzz_http.cpp), so both exercise the same parser.
inline void configure_parser(request_parser& p, const config& cfg) {
  p.header_limit(static_cast<uint32_t>(cfg.http_max_header_bytes));
  p.body_limit(static_cast<uint64_t>(cfg.http_max_body_bytes));
}

}  // namespace trainia::http
