#pragma once

#include <array>
#include <string>
#include <string_view>

namespace trainia {

/// Lowercase hex SHA-256 of `data`. Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view data);

/// The 32 bytes of SHA-256 of `data` (no lock shared between threads).
/// Throws std::runtime_error if OpenSSL fails.
std::array<unsigned char, 32> sha256_digest(std::string_view data);

/// Lowercase hex HMAC-SHA256 of `data` keyed with `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// Raw (32-byte) HMAC-SHA256 of `data` keyed with `key`.
std::string hmac_sha256_raw(std::string_view key, std::string_view data);

/// Lowercase hex of bytes.
std::string to_hex(std::string_view bytes);

/// Constant-time equality of two byte strings (length leaks, contents do not).
bool constant_time_equal(std::string_view a, std::string_view b);

/// `n` cryptographically random bytes as lowercase hex (2n characters).
std::string random_hex(size_t n);

}  // namespace trainia
