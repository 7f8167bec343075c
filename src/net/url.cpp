#include "net/url.hpp"

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio/ip/address.hpp>

#include <cctype>

namespace trainia::net {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

bool dns_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// RFC 3986 allows more in a path than browsers send; what matters here is that
// nothing can split the request line (space, CR/LF, other controls) or be
// mistaken for something else (non-ASCII must arrive percent-encoded).
bool target_char(char c) {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

}  // namespace

std::optional<parsed_url> parse_url(std::string_view url, std::string& error) {
  parsed_url out;
  std::string_view rest;
  if (starts_with_ci(url, "https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (starts_with_ci(url, "http://")) {
    rest = url.substr(7);
  } else {
    error = "unsupported URL: only absolute http:// and https:// URLs are allowed";
    return std::nullopt;
  }

  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view tail = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) {
    error = "invalid URL: user info (user:password@) is not supported";
    return std::nullopt;
  }

  std::string_view host, port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "invalid URL: unterminated IPv6 literal";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        error = "invalid URL: unexpected text after the IPv6 literal";
        return std::nullopt;
      }
      port_text = after.substr(1);
      if (port_text.empty()) {
        error = "invalid URL: empty port";
        return std::nullopt;
      }
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec) {
      error = "invalid URL: bad IPv6 literal";
      return std::nullopt;
    }
    out.host = addr.to_string();
    out.host_is_ip = true;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        error = "invalid URL: empty port";
        return std::nullopt;
      }
    }
    if (host.empty()) {
      error = "invalid URL: missing host";
      return std::nullopt;
    }
    if (host.size() > 253) {
      error = "invalid URL: host name too long";
      return std::nullopt;
    }
    for (char c : host)
      if (!dns_name_char(c)) {
        error = "invalid URL: bad character in host";
        return std::nullopt;
      }
    out.host.reserve(host.size());
    for (char c : host) out.host += lower(c);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v4(out.host, ec);
    out.host_is_ip = !ec;
  }

  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned long p = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port_text.size() > 5) {
        error = "invalid URL: bad port";
        return std::nullopt;
      }
      p = p * 10 + static_cast<unsigned long>(c - '0');
    }
    if (p == 0 || p > 65535) {
      error = "invalid URL: port out of range";
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(p);
  }

  std::string_view target = tail.substr(0, tail.find('#'));
  for (char c : target)
    if (!target_char(c)) {
      error = "invalid URL: space, control or non-ASCII character in path or query";
      return std::nullopt;
    }
  if (target.empty() || target.front() != '/')
    out.target = "/" + std::string(target);  // "http://h?x=1" → "/?x=1"
  else
    out.target = std::string(target);

  bool ipv6 = out.host.find(':') != std::string::npos;
  std::string host_part = ipv6 ? "[" + out.host + "]" : out.host;
  bool default_port = out.port == (out.tls ? 443 : 80);
  out.host_header = default_port ? host_part : host_part + ":" + std::to_string(out.port);
  out.origin = std::string(out.tls ? "https://" : "http://") + host_part + ":" + std::to_string(out.port);
  return out;
}

}  // namespace trainia::net
