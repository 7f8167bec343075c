#pragma once

// Test-only JWT minting, independent of src/auth: its own base64url encoder,
// and all cryptography done by the `openssl` command-line tool, so a bug in the
// server's code cannot hide itself by also being in the token generator.
//
// Every function throws std::runtime_error when a command or file operation
// fails (a test using it then fails with the message). Functions that create
// files are safe to call from several threads; the per-process key cache is
// guarded by a mutex.

#include <string>
#include <string_view>
#include <vector>

namespace trainia::test {

/// Signature algorithms the minter can produce, including ones a verifier must refuse.
enum class jwt_alg {
  rs256,  ///< RSASSA-PKCS1-v1_5 SHA-256 (`openssl dgst -sha256 -sign`)
  rs384,  ///< RSASSA-PKCS1-v1_5 SHA-384
  rs512,  ///< RSASSA-PKCS1-v1_5 SHA-512
  hs256,  ///< HMAC-SHA-256 (`openssl dgst -sha256 -mac HMAC`)
  none,   ///< unsigned: empty signature segment
};

/// Paths of an RSA key pair written by make_rsa_key.
struct rsa_key_files {
  std::string private_pem;  ///< PKCS#8 "-----BEGIN PRIVATE KEY-----"
  std::string public_pem;   ///< SubjectPublicKeyInfo "-----BEGIN PUBLIC KEY-----"
};

/// base64url (RFC 4648 §5) without padding.
std::string b64url(std::string_view bytes);

/// Bytes from a hex string (either case, even length).
std::string hex_to_bytes(std::string_view hex);

/// A temporary directory private to this process, created on first use and
/// removed (with everything in it) at process exit.
const std::string& scratch_dir();

/// A fresh, empty subdirectory of scratch_dir().
std::string make_temp_dir();

/// Whole-file read / write (binary).
std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view data);

/// Runs `openssl` with `args` (no shell involved) and returns its stdout.
/// Throws with the command's stderr if it exits non-zero.
std::string run_openssl(const std::vector<std::string>& args);

/// Generates an RSA key pair in `dir` (`openssl genpkey -algorithm RSA` and
/// `openssl pkey -pubout`) as `<name>.pem` and `<name>.pub.pem`.
rsa_key_files make_rsa_key(const std::string& dir, const std::string& name = "key",
                           int bits = 2048);

/// A 2048-bit key pair named `name`, generated once per process and reused
/// (key generation costs ~0.1 s). Different names give different keys.
const rsa_key_files& test_key(const std::string& name);

/// The raw signature bytes of `data`: RSA PKCS#1 v1.5 with the private key at
/// `private_key_pem_path` for rs256/rs384/rs512, HMAC-SHA-256 keyed with the
/// file's bytes for hs256, empty for none.
std::string sign_bytes(std::string_view data, const std::string& private_key_pem_path,
                       jwt_alg alg);

/// HMAC-SHA-256 of `data` keyed with the raw bytes of `secret`.
std::string hmac_sha256(std::string_view data, std::string_view secret);

/// "b64url(header_json).b64url(payload_json)" — the JWS signing input.
std::string signing_input(std::string_view header_json, std::string_view payload_json);

/// A compact JWS: signing_input + "." + b64url(sign_bytes(...)). The JSON texts
/// are used byte for byte (they need not be valid JSON). For `hs256` the file
/// at `key_path` is the HMAC secret: pass a *public* key PEM to mint the
/// RS256/HS256 key-confusion attack. For `none` the key is not read and the
/// signature segment is empty.
std::string mint_jwt(const std::string& header_json, const std::string& payload_json,
                     const std::string& key_path, jwt_alg alg = jwt_alg::rs256);

/// A compact HS256 JWS keyed with the raw bytes of `secret`.
std::string mint_hs256(const std::string& header_json, const std::string& payload_json,
                       std::string_view secret);

/// Joins already-encoded segments with "." — for malformed-token cases such as
/// two or four segments, or a segment with characters outside base64url.
std::string join_segments(const std::vector<std::string>& segments);

/// One JWK object (JSON text) for the RSA public key at `public_pem_path`:
/// {"kty":"RSA","use":"sig","alg":"RS256","kid":kid,"n":…,"e":…}. n and e come
/// from `openssl rsa -pubin -modulus` / `-text`. An empty `kid` omits the member.
std::string jwk_json(const std::string& public_pem_path, const std::string& kid);

/// {"keys":[...]} from JWK object texts.
std::string jwks_json(const std::vector<std::string>& jwk_objects);

/// The key at `public_pem_path` re-encoded as PKCS#1 "-----BEGIN RSA PUBLIC KEY-----" text.
std::string pkcs1_public_pem(const std::string& public_pem_path);

}  // namespace trainia::test
