#pragma once

#include "auth/jwt_key_set.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace trainia::auth {

/// Why a session token was refused. Every value but `session_pending` means
/// "not authenticated" (HTTP 401); `session_pending` means "authenticated but
/// not allowed yet" (HTTP 403).
enum class jwt_error : uint8_t {
  malformed = 1,             ///< not three base64url segments of JSON objects, too long, bad claim types
  unsupported_algorithm,     ///< `alg` is not exactly "RS256", or a `crit` header is present
  invalid_type,              ///< `typ` present and not exactly "JWT"
  unknown_key,               ///< no key for the token's `kid`
  invalid_signature,         ///< RS256 signature does not verify
  expired,                   ///< now > exp + leeway
  not_yet_valid,             ///< now + leeway < nbf
  issued_in_future,          ///< now + leeway < iat
  invalid_issuer,            ///< `iss` missing or not the configured issuer
  invalid_authorized_party,  ///< `azp` missing or not one of the configured parties
  missing_subject,           ///< `sub` missing, empty or not a string
  session_pending,           ///< `sts` is "pending" (Clerk session awaiting a task)
};

/// Short, stable English text for logs and error bodies, e.g. "token expired".
std::string_view to_string(jwt_error e) noexcept;

/// True only for `session_pending` (answer 403); every other error answers 401.
bool is_forbidden(jwt_error e) noexcept;

/// Who a verified token speaks for.
struct principal {
  std::string user_id;           ///< `sub`
  std::string session_id;        ///< `sid` if present, else empty
  int64_t expires_at = 0;        ///< `exp` (unix seconds)
  std::string authorized_party;  ///< `azp` if present, else empty

  bool operator==(const principal&) const = default;
};

/// What a token must satisfy beyond its signature.
struct verify_options {
  /// When set, `iss` must be present and equal to it.
  std::optional<std::string> issuer;
  /// When non-empty, `azp` must be present and equal to one of these.
  std::vector<std::string> authorized_parties;
  /// Clock skew allowed on `exp`, `nbf` and `iat`; negative values count as 0.
  int64_t leeway_seconds = 5;
};

/// Verifies Clerk session tokens (RS256 JWS compact serialization) the way
/// Clerk's backend SDK does, plus optional issuer pinning.
///
/// Keys come only from the configured key_set: `jku`, `jwk`, `x5u` and `x5c`
/// headers are ignored, never fetched or trusted.
class jwt_verifier {
 public:
  /// `keys` must not be null.
  jwt_verifier(std::shared_ptr<const key_set> keys, verify_options opts);

  /// Checks `token` at unix time `now` (seconds) and returns its principal or
  /// the first error found, in this order:
  /// 1. structure: at most 16 KiB, exactly three `.`-separated segments, each
  ///    strict unpadded base64url, header and payload JSON objects → `malformed`;
  /// 2. header: `alg` == "RS256" (else `unsupported_algorithm`), `typ` absent or
  ///    "JWT" (else `invalid_type`), `kid` absent or a string with a key in the
  ///    set (else `malformed` / `unknown_key`);
  /// 3. signature (RSASSA-PKCS1-v1_5 SHA-256 over "header.payload") → `invalid_signature`,
  ///    before any claim is read;
  /// 4. claims: `exp` required, `exp`/`nbf`/`iat` numeric (else `malformed`),
  ///    then expired / not_yet_valid / issued_in_future, issuer, authorized
  ///    party, subject, and last `sts` == "pending" → `session_pending`.
  /// Never throws. Thread-safe: const, lock-free, no shared mutable state.
  std::variant<principal, jwt_error> verify(std::string_view token, int64_t now) const noexcept;

  /// The options this verifier checks claims against.
  const verify_options& options() const noexcept { return opts_; }

 private:
  std::shared_ptr<const key_set> keys_;
  verify_options opts_;
};

}  // namespace trainia::auth
