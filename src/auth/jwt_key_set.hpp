#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trainia::auth {

/// The RSA public keys that session tokens may be signed with: either the single
/// key Clerk shows as "PEM public key" (CLERK_JWT_KEY) or a JWKS document.
///
/// Immutable after construction. Every member is const and the keys are shared,
/// never-modified `EVP_PKEY`s, so one instance may be used from any number of
/// threads at once without locking. Copies share the keys.
class key_set {
 public:
  /// Parses one RSA public key from PEM text: SubjectPublicKeyInfo
  /// ("-----BEGIN PUBLIC KEY-----") or PKCS#1 ("-----BEGIN RSA PUBLIC KEY-----").
  /// Also accepts the forms such a key takes in environment variables: literal
  /// `\n` sequences instead of newlines, and the bare base64 body of a
  /// SubjectPublicKeyInfo without BEGIN/END lines. Private keys, certificates,
  /// non-RSA keys and RSA moduli under 2048 bits are refused.
  /// On failure returns nullopt and sets `err` to a one-line reason.
  /// A set built this way ignores a token's `kid`.
  static std::optional<key_set> from_pem(std::string_view pem, std::string& err);

  /// Parses a JWKS document (`{"keys":[{"kty":"RSA","kid":…,"n":…,"e":…}]}`).
  /// Entries whose `kty` is not "RSA", whose `use` is present and not "sig", or
  /// whose `alg` is present and not "RS256" are skipped. A usable-looking RSA
  /// entry that is broken (bad base64url, failing the public-key check, under
  /// 2048 bits) or a `kid` that appears twice makes the whole document fail, as
  /// does a document with no usable key. On failure returns nullopt and sets
  /// `err` to a one-line reason.
  static std::optional<key_set> from_jwks(std::string_view jwks_json, std::string& err);

  /// The key a token must be verified with, or nullptr when there is none:
  /// - a set from `from_pem` returns its key whatever `kid` is;
  /// - a JWKS set returns the entry whose `kid` equals `kid` exactly, and, for a
  ///   token without `kid` (nullopt), its only key if it holds exactly one.
  /// The pointer lives as long as this set (or any copy of it) and must be used
  /// read-only. Thread-safe.
  const EVP_PKEY* find(std::optional<std::string_view> kid) const noexcept;

  /// Number of usable keys (1 for a PEM set). Thread-safe.
  size_t size() const noexcept { return keys_.size(); }

  /// The `kid`s of a JWKS set's keys, in document order ("" for a key without one).
  std::vector<std::string> kids() const;

 private:
  struct entry {
    std::optional<std::string> kid;
    std::shared_ptr<EVP_PKEY> key;
  };

  key_set(std::vector<entry> keys, bool ignore_kid)
      : keys_(std::move(keys)), ignore_kid_(ignore_kid) {}

  std::vector<entry> keys_;
  bool ignore_kid_ = false;
};

}  // namespace trainia::auth
