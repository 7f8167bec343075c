#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace trainia::auth {

/// Encodes bytes as base64url (RFC 4648 §5) without padding, as JWS uses.
/// Pure function; thread-safe.
std::string base64url_encode(std::string_view bytes);

/// Decodes unpadded base64url. Returns nullopt for any character outside
/// `A-Z a-z 0-9 - _` (padding `=` included), for an impossible length
/// (length % 4 == 1), and for non-canonical input whose unused trailing bits
/// are not zero, so every byte string has exactly one accepted encoding.
/// The empty string decodes to the empty string. Pure function; thread-safe.
std::optional<std::string> base64url_decode(std::string_view text);

/// Encodes bytes as standard base64 (RFC 4648 §4, `+` and `/`) with `=` padding.
/// Pure function; thread-safe.
std::string base64_encode(std::string_view bytes);

/// Decodes standard, padded base64. Returns nullopt unless the length is a
/// multiple of 4, padding appears only as the last one or two characters,
/// every other character is in the alphabet, and unused trailing bits are zero.
/// Whitespace is not skipped. Pure function; thread-safe.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace trainia::auth
