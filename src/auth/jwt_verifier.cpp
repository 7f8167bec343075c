#include "auth/jwt_verifier.hpp"

#include "auth/base64url.hpp"

#include <nlohmann/json.hpp>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace trainia::auth {

namespace {

using json = nlohmann::json;

constexpr size_t max_token_bytes = 16 * 1024;

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

/// RSASSA-PKCS1-v1_5 with SHA-256. Creates its own context, so it is safe to
/// call concurrently with the same key.
bool verify_rs256(const EVP_PKEY* key, std::string_view signing_input,
                  std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  EVP_PKEY_CTX* pctx = nullptr;
  // OpenSSL 3.0 takes a non-const key here but only up-refs it; the key is never modified.
  bool ok = EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr,
                                 const_cast<EVP_PKEY*>(key)) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

/// Decodes a segment and parses it as a JSON object; nullopt otherwise.
std::optional<json> decode_object(std::string_view segment) {
  auto bytes = base64url_decode(segment);
  if (!bytes) return std::nullopt;
  auto value = json::parse(*bytes, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

/// A NumericDate claim: absent, present and numeric (truncated to whole
/// seconds, saturated to int64), or present but not a number (bad).
struct numeric_claim {
  bool present = false;
  bool bad = false;
  int64_t value = 0;
};

numeric_claim read_numeric(const json& payload, const char* name) {
  numeric_claim c;
  const auto it = payload.find(name);
  if (it == payload.end()) return c;
  c.present = true;
  if (it->is_number_integer() && !it->is_number_unsigned()) {
    c.value = it->get<int64_t>();
  } else if (it->is_number_unsigned()) {
    const auto u = it->get<uint64_t>();
    c.value = u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                  ? std::numeric_limits<int64_t>::max()
                  : static_cast<int64_t>(u);
  } else if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!std::isfinite(d)) {
      c.bad = true;
    } else if (d >= 9.2e18) {
      c.value = std::numeric_limits<int64_t>::max();
    } else if (d <= -9.2e18) {
      c.value = std::numeric_limits<int64_t>::min();
    } else {
      c.value = static_cast<int64_t>(std::floor(d));
    }
  } else {
    c.bad = true;
  }
  return c;
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

/// The string value of `name`, or nullptr when absent or not a string.
const std::string* string_member(const json& obj, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

std::string_view to_string(jwt_error e) noexcept {
  switch (e) {
    case jwt_error::malformed: return "malformed token";
    case jwt_error::unsupported_algorithm: return "unsupported algorithm";
    case jwt_error::invalid_type: return "invalid token type";
    case jwt_error::unknown_key: return "unknown signing key";
    case jwt_error::invalid_signature: return "invalid signature";
    case jwt_error::expired: return "token expired";
    case jwt_error::not_yet_valid: return "token not yet valid";
    case jwt_error::issued_in_future: return "token issued in the future";
    case jwt_error::invalid_issuer: return "invalid issuer";
    case jwt_error::invalid_authorized_party: return "invalid authorized party";
    case jwt_error::missing_subject: return "missing subject";
    case jwt_error::session_pending: return "session pending";
  }
  return "invalid token";
}

bool is_forbidden(jwt_error e) noexcept { return e == jwt_error::session_pending; }

jwt_verifier::jwt_verifier(std::shared_ptr<const key_set> keys, verify_options opts)
    : keys_(std::move(keys)), opts_(std::move(opts)) {
  opts_.leeway_seconds = std::max<int64_t>(0, opts_.leeway_seconds);
}

std::variant<principal, jwt_error> jwt_verifier::verify(std::string_view token,
                                                        int64_t now) const noexcept {
  try {
    // 1. Structure.
    if (token.empty() || token.size() > max_token_bytes) return jwt_error::malformed;
    const size_t dot1 = token.find('.');
    if (dot1 == std::string_view::npos) return jwt_error::malformed;
    const size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos) return jwt_error::malformed;
    if (token.find('.', dot2 + 1) != std::string_view::npos) return jwt_error::malformed;
    const std::string_view header_b64 = token.substr(0, dot1);
    const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string_view signature_b64 = token.substr(dot2 + 1);

    const auto header = decode_object(header_b64);
    if (!header) return jwt_error::malformed;
    const auto payload = decode_object(payload_b64);
    if (!payload) return jwt_error::malformed;
    const auto signature = base64url_decode(signature_b64);
    if (!signature) return jwt_error::malformed;

    // 2. Header.
    const std::string* alg = string_member(*header, "alg");
    if (alg == nullptr || *alg != "RS256") return jwt_error::unsupported_algorithm;
    // No header extensions are understood, so any critical one must be refused (RFC 7515 §4.1.11).
    if (header->contains("crit")) return jwt_error::unsupported_algorithm;
    if (header->contains("typ")) {
      const std::string* typ = string_member(*header, "typ");
      if (typ == nullptr || *typ != "JWT") return jwt_error::invalid_type;
    }
    std::optional<std::string_view> kid;
    if (header->contains("kid")) {
      const std::string* k = string_member(*header, "kid");
      if (k == nullptr) return jwt_error::malformed;
      kid = *k;
    }
    const EVP_PKEY* key = keys_->find(kid);
    if (key == nullptr) return jwt_error::unknown_key;

    // 3. Signature, before any claim is trusted.
    if (!verify_rs256(key, token.substr(0, dot2), *signature)) return jwt_error::invalid_signature;

    // 4. Claims.
    const json& claims = *payload;
    const auto exp = read_numeric(claims, "exp");
    const auto nbf = read_numeric(claims, "nbf");
    const auto iat = read_numeric(claims, "iat");
    if (!exp.present || exp.bad || nbf.bad || iat.bad) return jwt_error::malformed;
    const int64_t leeway = opts_.leeway_seconds;
    if (now > saturating_add(exp.value, leeway)) return jwt_error::expired;
    if (nbf.present && saturating_add(now, leeway) < nbf.value) return jwt_error::not_yet_valid;
    if (iat.present && saturating_add(now, leeway) < iat.value) return jwt_error::issued_in_future;

    if (opts_.issuer) {
      const std::string* iss = string_member(claims, "iss");
      if (iss == nullptr || *iss != *opts_.issuer) return jwt_error::invalid_issuer;
    }
    const std::string* azp = string_member(claims, "azp");
    if (!opts_.authorized_parties.empty()) {
      if (azp == nullptr || std::find(opts_.authorized_parties.begin(),
                                      opts_.authorized_parties.end(),
                                      *azp) == opts_.authorized_parties.end())
        return jwt_error::invalid_authorized_party;
    }
    const std::string* sub = string_member(claims, "sub");
    if (sub == nullptr || sub->empty()) return jwt_error::missing_subject;
    const std::string* sts = string_member(claims, "sts");
    if (sts != nullptr && *sts == "pending") return jwt_error::session_pending;

    principal p;
    p.user_id = *sub;
    if (const std::string* sid = string_member(claims, "sid")) p.session_id = *sid;
    p.expires_at = exp.value;
    if (azp != nullptr) p.authorized_party = *azp;
    return p;
  } catch (...) {
    // Only allocation failure can land here; treat the token as unusable.
    return jwt_error::malformed;
  }
}

}  // namespace trainia::auth
