#pragma once

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace trainia::identity {

/// The three Svix headers of a webhook delivery, as received (empty when absent).
struct svix_headers {
  std::string_view id;         // svix-id
  std::string_view timestamp;  // svix-timestamp (unix seconds)
  std::string_view signature;  // svix-signature: "v1,<base64> v1,<base64> …"
};

/// Verifies Svix-signed deliveries (Clerk webhooks): HMAC-SHA256 over
/// "<svix-id>.<svix-timestamp>.<raw body>" keyed with the base64-decoded
/// secret, compared in constant time with every `v1,` entry of the signature
/// header (other schemes are ignored), and a timestamp within ±300 s of `now`.
/// Immutable after `make`; `verify` is a pure function (the clock is a
/// parameter), safe to call from any thread.
class svix_verifier {
 public:
  /// Seconds a delivery's timestamp may differ from now, in either direction.
  static constexpr int64_t tolerance_seconds = 300;

  /// Builds a verifier from a secret `whsec_<base64>` or a bare `<base64>`
  /// (as Svix's own libraries accept both). Fails with `internal` (naming the
  /// problem, never the secret) when the key is empty or not base64.
  static caf::expected<svix_verifier> make(std::string_view secret);

  /// Empty error when the delivery is authentic and fresh at `now_unix`
  /// (seconds); else `invalid_signature`: a header missing or malformed, a
  /// timestamp out of tolerance, or no `v1` signature matching `body`.
  caf::error verify(const svix_headers& h, std::string_view body, int64_t now_unix) const;

  /// The base64 `v1` signature of a delivery (what `verify` expects to find).
  std::string sign(std::string_view id, std::string_view timestamp, std::string_view body) const;

 private:
  explicit svix_verifier(std::string key) : key_(std::move(key)) {}
  std::string key_;  // decoded secret bytes
};

}  // namespace trainia::identity
