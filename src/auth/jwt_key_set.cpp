#include "auth/jwt_key_set.hpp"

#include "auth/base64url.hpp"

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <utility>

namespace trainia::auth {

namespace {

constexpr int min_rsa_bits = 2048;
/// Far above any real JWKS or PEM key; bounds the work done on a config value.
constexpr size_t max_document_bytes = 1024 * 1024;

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct pkey_ctx_deleter {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct bn_deleter {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct param_bld_deleter {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
};
struct param_deleter {
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct decoder_ctx_deleter {
  void operator()(OSSL_DECODER_CTX* p) const noexcept { OSSL_DECODER_CTX_free(p); }
};

using unique_pkey = std::unique_ptr<EVP_PKEY, pkey_deleter>;

/// Checks that `key` is RSA, big enough and passes OpenSSL's public-key
/// validation; returns an empty string when it does, else the reason.
std::string check_rsa_public_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA") != 1) return "not an RSA key";
  if (EVP_PKEY_get_bits(key) < min_rsa_bits) return "RSA key shorter than 2048 bits";
  std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_deleter> ctx(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) {
    ERR_clear_error();
    return "RSA public key fails validation";
  }
  return {};
}

/// Replaces literal two-character `\n` sequences by newlines.
std::string unescape_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  const auto ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

/// Wraps a bare base64 SubjectPublicKeyInfo body in PEM armor.
std::string armor_spki(std::string_view body) {
  std::string compact;
  for (const char c : body)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact.push_back(c);
  std::string pem = "-----BEGIN PUBLIC KEY-----\n";
  for (size_t i = 0; i < compact.size(); i += 64) {
    pem.append(compact, i, 64);
    pem.push_back('\n');
  }
  pem.append("-----END PUBLIC KEY-----\n");
  return pem;
}

unique_pkey decode_public_pem(const std::string& pem, const char* structure) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, decoder_ctx_deleter> dctx(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", structure, "RSA", EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!dctx) return nullptr;
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t len = pem.size();
  if (OSSL_DECODER_from_data(dctx.get(), &data, &len) != 1) {
    EVP_PKEY_free(raw);
    return nullptr;
  }
  return unique_pkey(raw);
}

/// Decodes a base64url JWK member; tolerates trailing `=` some producers add.
std::optional<std::string> jwk_bytes(const nlohmann::json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  std::string_view text = it->get_ref<const std::string&>();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  auto bytes = base64url_decode(text);
  if (!bytes || bytes->empty()) return std::nullopt;
  return bytes;
}

unique_pkey rsa_from_n_e(const std::string& n_bytes, const std::string& e_bytes) {
  std::unique_ptr<BIGNUM, bn_deleter> n(BN_bin2bn(
      reinterpret_cast<const unsigned char*>(n_bytes.data()), static_cast<int>(n_bytes.size()),
      nullptr));
  std::unique_ptr<BIGNUM, bn_deleter> e(BN_bin2bn(
      reinterpret_cast<const unsigned char*>(e_bytes.data()), static_cast<int>(e_bytes.size()),
      nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, param_bld_deleter> bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld) return nullptr;
  if (OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return nullptr;
  std::unique_ptr<OSSL_PARAM, param_deleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_deleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return unique_pkey(raw);
}

bool member_is(const nlohmann::json& obj, const char* name, std::string_view want) {
  const auto it = obj.find(name);
  return it != obj.end() && it->is_string() && it->get_ref<const std::string&>() == want;
}

}  // namespace

std::optional<key_set> key_set::from_pem(std::string_view pem_in, std::string& err) {
  if (pem_in.size() > max_document_bytes) {
    err = "PEM key too large";
    return std::nullopt;
  }
  std::string pem = unescape_newlines(trim(pem_in));
  const char* structure = "SubjectPublicKeyInfo";
  if (pem.find("-----BEGIN") == std::string::npos) {
    if (pem.empty()) {
      err = "PEM key is empty";
      return std::nullopt;
    }
    pem = armor_spki(pem);
  } else if (pem.rfind("-----BEGIN RSA PUBLIC KEY-----", 0) == 0) {
    structure = "type-specific";
  } else if (pem.rfind("-----BEGIN PUBLIC KEY-----", 0) != 0) {
    err = "PEM text is not a public key (expected BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)";
    return std::nullopt;
  }
  unique_pkey key = decode_public_pem(pem, structure);
  ERR_clear_error();
  if (!key) {
    err = "cannot decode PEM RSA public key";
    return std::nullopt;
  }
  if (auto why = check_rsa_public_key(key.get()); !why.empty()) {
    err = "PEM key: " + why;
    return std::nullopt;
  }
  std::vector<entry> keys;
  keys.push_back(entry{std::nullopt, std::shared_ptr<EVP_PKEY>(key.release(), pkey_deleter{})});
  return key_set(std::move(keys), true);
}

std::optional<key_set> key_set::from_jwks(std::string_view jwks_json, std::string& err) {
  try {
    if (jwks_json.size() > max_document_bytes) {
      err = "JWKS document too large";
      return std::nullopt;
    }
    const auto doc = nlohmann::json::parse(jwks_json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      err = "JWKS is not a JSON object";
      return std::nullopt;
    }
    const auto list = doc.find("keys");
    if (list == doc.end() || !list->is_array()) {
      err = "JWKS has no \"keys\" array";
      return std::nullopt;
    }
    std::vector<entry> keys;
    size_t index = 0;
    for (const auto& jwk : *list) {
      const std::string where = "JWKS key #" + std::to_string(index++);
      if (!jwk.is_object() || !member_is(jwk, "kty", "RSA")) continue;
      if (jwk.contains("use") && !member_is(jwk, "use", "sig")) continue;
      if (jwk.contains("alg") && !member_is(jwk, "alg", "RS256")) continue;
      std::optional<std::string> kid;
      if (const auto k = jwk.find("kid"); k != jwk.end()) {
        if (!k->is_string()) {
          err = where + ": \"kid\" is not a string";
          return std::nullopt;
        }
        kid = k->get<std::string>();
        for (const auto& other : keys) {
          if (other.kid == kid) {
            err = where + ": duplicate kid \"" + *kid + "\"";
            return std::nullopt;
          }
        }
      }
      const auto n = jwk_bytes(jwk, "n");
      const auto e = jwk_bytes(jwk, "e");
      if (!n || !e) {
        err = where + ": \"n\" and \"e\" must be non-empty base64url strings";
        return std::nullopt;
      }
      unique_pkey key = rsa_from_n_e(*n, *e);
      ERR_clear_error();
      if (!key) {
        err = where + ": cannot build RSA key from n/e";
        return std::nullopt;
      }
      if (auto why = check_rsa_public_key(key.get()); !why.empty()) {
        err = where + ": " + why;
        return std::nullopt;
      }
      keys.push_back(entry{std::move(kid), std::shared_ptr<EVP_PKEY>(key.release(), pkey_deleter{})});
    }
    if (keys.empty()) {
      err = "JWKS holds no usable RSA signing key";
      return std::nullopt;
    }
    return key_set(std::move(keys), false);
  } catch (const std::exception& ex) {
    err = std::string("JWKS: ") + ex.what();
    return std::nullopt;
  }
}

const EVP_PKEY* key_set::find(std::optional<std::string_view> kid) const noexcept {
  if (ignore_kid_) return keys_.empty() ? nullptr : keys_.front().key.get();
  if (!kid) return keys_.size() == 1 ? keys_.front().key.get() : nullptr;
  for (const auto& e : keys_)
    if (e.kid && *e.kid == *kid) return e.key.get();
  return nullptr;
}

std::vector<std::string> key_set::kids() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const auto& e : keys_) out.push_back(e.kid.value_or(std::string{}));
  return out;
}

}  // namespace trainia::auth
