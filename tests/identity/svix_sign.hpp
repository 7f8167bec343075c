#pragma once
// Svix signatures for tests, computed with the openssl and coreutils command
// line tools — independently of src/identity — so a bug in the server's
// verifier cannot hide itself by also being in the signer.

#include <string>

namespace trainia::test {

/// Lowercase hex of the key bytes of a Svix secret: the part after `whsec_`
/// (or the whole text without it), decoded by `openssl base64 -d`.
std::string svix_key_hex(const std::string& secret);

/// "v1,<base64>" for a delivery: `openssl dgst -sha256 -mac HMAC -macopt
/// hexkey:<key hex> -binary | base64` over "<id>.<timestamp>.<body>".
/// Throws std::runtime_error when a command fails.
std::string svix_sign(const std::string& secret, const std::string& id, const std::string& timestamp,
                      const std::string& body);

}  // namespace trainia::test
