#include "identity/svix_verifier.hpp"

#include "auth/base64url.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"

namespace trainia::identity {
namespace {

constexpr std::string_view prefix = "whsec_";

caf::error refused(std::string internal) {
  return fail(errc::invalid_signature, "the webhook signature could not be verified", std::move(internal));
}

// Svix message ids are "msg_<base62>"; anything else printable is tolerated,
// except '.', which would let one signed "<id>.<timestamp>.<body>" be split
// differently into id and timestamp.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  for (unsigned char c : id)
    if (c < 0x21 || c > 0x7e || c == '.') return false;
  return true;
}

// Unix seconds as plain decimal digits (no sign, no space); at most 18 digits
// so it cannot overflow.
bool parse_timestamp(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

caf::expected<svix_verifier> svix_verifier::make(std::string_view secret) {
  if (secret.substr(0, prefix.size()) == prefix) secret.remove_prefix(prefix.size());
  if (secret.empty()) return fail(errc::internal, "internal error", "CLERK_WEBHOOK_SECRET has no key after whsec_");
  // Svix secrets are standard base64; tolerate a missing '=' padding.
  std::string padded(secret);
  while (padded.size() % 4 != 0) padded += '=';
  auto key = auth::base64_decode(padded);
  if (!key || key->empty())
    return fail(errc::internal, "internal error", "CLERK_WEBHOOK_SECRET is not base64 after whsec_");
  return svix_verifier(std::move(*key));
}

std::string svix_verifier::sign(std::string_view id, std::string_view timestamp, std::string_view body) const {
  std::string signed_content;
  signed_content.reserve(id.size() + timestamp.size() + body.size() + 2);
  signed_content.append(id).append(1, '.').append(timestamp).append(1, '.').append(body);
  return auth::base64_encode(hmac_sha256_raw(key_, signed_content));
}

caf::error svix_verifier::verify(const svix_headers& h, std::string_view body, int64_t now_unix) const {
  if (h.id.empty() || h.timestamp.empty() || h.signature.empty())
    return refused("missing svix-id, svix-timestamp or svix-signature header");
  if (!valid_id(h.id)) return refused("malformed svix-id");
  int64_t t = 0;
  if (!parse_timestamp(h.timestamp, t)) return refused("malformed svix-timestamp");
  if (t < now_unix - tolerance_seconds) return refused("svix-timestamp too old");
  if (t > now_unix + tolerance_seconds) return refused("svix-timestamp too far in the future");

  const std::string expected = sign(h.id, h.timestamp, body);
  bool any_v1 = false;
  std::string_view rest = h.signature;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    auto entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    auto comma = entry.find(',');
    if (comma == std::string_view::npos || entry.substr(0, comma) != "v1") continue;  // other schemes
    any_v1 = true;
    // Length may leak (it is public: 44 characters); contents do not.
    if (constant_time_equal(entry.substr(comma + 1), expected)) return {};
  }
  return refused(any_v1 ? "no v1 signature matches" : "no v1 signature in svix-signature");
}

}  // namespace trainia::identity
