#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trainia::net {

/// An absolute http(s) URL split for a request.
struct parsed_url {
  bool tls = false;          // https
  std::string host;          // lower-cased; an IPv6 literal without brackets
  uint16_t port = 0;         // explicit or the scheme's default
  bool host_is_ip = false;   // IPv4 or IPv6 literal: no DNS, no SNI
  std::string target;        // path + query ("/" when empty); the fragment is dropped
  std::string host_header;   // Host header value: host[:port], brackets for IPv6
  std::string origin;        // pool key: scheme://host:port
};

/// Parses `url`. Accepts http:// and https:// (scheme in any case), a DNS name
/// or an IP literal ([v6] in brackets), an optional port 1..65535, and a
/// path/query without spaces or control characters. Anything else (other
/// schemes, user info, empty host, bad port, …) yields nullopt and a short
/// reason in `error`.
std::optional<parsed_url> parse_url(std::string_view url, std::string& error);

}  // namespace trainia::net
