#include "billing/stripe_signature.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"

#include <charconv>

namespace trainia::billing {
namespace {

caf::error refuse(std::string why) {
  return fail(errc::invalid_signature, "the Stripe-Signature header does not verify", std::move(why));
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

caf::error verify_stripe_signature(std::string_view header, std::string_view body,
                                   const std::vector<std::string>& secrets, int64_t now_unix) {
  if (secrets.empty()) return refuse("no webhook secret configured");
  std::string_view t_text;
  bool t_seen = false;
  std::vector<std::string_view> v1;
  // Pieces are "key=value" separated by ','; unknown keys (v0, future schemes) are ignored.
  while (!header.empty()) {
    auto comma = header.find(',');
    auto piece = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = piece.substr(0, eq);
    auto value = piece.substr(eq + 1);
    if (key == "t") {
      if (t_seen) return refuse("t given twice");
      t_seen = true;
      t_text = value;
    } else if (key == "v1") {
      v1.push_back(value);
    }
  }
  if (!t_seen) return refuse("no timestamp");
  if (t_text.empty() || t_text.size() > 12) return refuse("malformed timestamp");
  int64_t t = 0;
  auto [end, ec] = std::from_chars(t_text.data(), t_text.data() + t_text.size(), t);
  if (ec != std::errc{} || end != t_text.data() + t_text.size() || t_text.front() == '-' || t_text.front() == '+')
    return refuse("malformed timestamp");
  if (v1.empty()) return refuse("no v1 signature");
  int64_t skew = now_unix - t;
  if (skew > stripe_tolerance_seconds || skew < -stripe_tolerance_seconds) return refuse("timestamp out of tolerance");

  std::string signed_payload;
  signed_payload.reserve(t_text.size() + 1 + body.size());
  signed_payload.append(t_text).append(".").append(body);
  bool match = false;
  for (const auto& secret : secrets) {
    auto expected = hmac_sha256_hex(secret, signed_payload);
    for (auto sig : v1) {
      // Compare every candidate (no early exit), so timing says nothing about which one matched.
      if (sig.size() == expected.size() && is_lower_hex(sig) && constant_time_equal(sig, expected)) match = true;
    }
  }
  if (!match) return refuse("no v1 signature matches");
  return {};
}

}  // namespace trainia::billing
