#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace trainia::auth {

/// Dev mode's stand-in for Clerk: an RSA private key kept in a local PEM file
/// and a signer for session tokens that jwt_verifier accepts when given
/// key_set::from_pem(public_key_pem()) and issuer `dev_signer::issuer`.
///
/// Immutable after creation; `sign` and `public_key_pem` are thread-safe.
/// Copies share the key.
class dev_signer {
 public:
  /// The `iss` of every token this signer makes.
  static constexpr std::string_view issuer = "trainia-dev";
  /// The `kid` header of every token this signer makes.
  static constexpr std::string_view key_id = "dev";

  /// Loads the PEM private key at `path`, or creates it if absent: RSA 2048,
  /// PKCS#8 PEM, file mode 0600, missing parent directories created. Creation is
  /// atomic (written to a temporary file, then linked into place without
  /// overwriting), so processes racing on the same path end up with one key.
  /// An existing file must hold an unencrypted RSA private key of at least
  /// 2048 bits. Returns nullopt and sets `err` to a one-line reason on failure.
  static std::optional<dev_signer> load_or_create(const std::string& path, std::string& err);

  /// A compact RS256 token with header {"alg":"RS256","kid":"dev","typ":"JWT"}
  /// and claims sub = user_id, iat = nbf = now, exp = now + ttl_seconds,
  /// iss = "trainia-dev", sid = "dev_" + 16 random hex digits.
  /// Returns an empty string if `user_id` is not valid UTF-8 or OpenSSL fails.
  std::string sign(const std::string& user_id, int64_t now, int64_t ttl_seconds) const;

  /// The public half as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  const std::string& public_key_pem() const noexcept { return public_pem_; }

 private:
  dev_signer(std::shared_ptr<EVP_PKEY> key, std::string public_pem)
      : key_(std::move(key)), public_pem_(std::move(public_pem)) {}

  std::shared_ptr<EVP_PKEY> key_;
  std::string public_pem_;
};

}  // namespace trainia::auth
