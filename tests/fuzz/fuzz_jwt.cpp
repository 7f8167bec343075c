// Fuzz target "jwt": session token parsing and RS256 verification
// (src/auth/jwt_verifier.cpp) against a fixed key set, and the key-set parsers
// themselves (src/auth/jwt_key_set.cpp).
//
// Input: byte 0 picks the mode, the rest is the text:
//   'p' verify a token with the PEM key set (CLERK_JWT_KEY)
//   'j' verify a token with the JWKS key set (CLERK_JWKS_FILE)
//   'J' parse a JWKS document         'P' parse a PEM key
//   anything else: verify with both sets.
// A fuzzer cannot forge RS256: a token that verifies must be one of the tokens
// signed with the real (discarded) private keys, byte for byte.

#include "fuzz/fuzz.hpp"
#include "fuzz/jwt_fixtures.hpp"

#include "auth/jwt_verifier.hpp"

#include <memory>
#include <string>

namespace trainia::fuzz {

namespace {

std::shared_ptr<const auth::key_set> load(bool jwks) {
  std::string err;
  auto ks = jwks ? auth::key_set::from_jwks(jwt_fixtures::jwks, err) : auth::key_set::from_pem(jwt_fixtures::pem_k1, err);
  if (!ks) {
    std::fprintf(stderr, "jwt fixture key set: %s\n", err.c_str());
    std::abort();
  }
  return std::make_shared<const auth::key_set>(std::move(*ks));
}

auth::verify_options options() {
  auth::verify_options o;
  o.issuer = "https://clerk.fuzz.test";
  o.authorized_parties = {"https://app.fuzz.test"};
  return o;
}

void verify_with(const auth::jwt_verifier& v, std::string_view token) {
  auto r = v.verify(token, jwt_fixtures::now);
  if (auto* p = std::get_if<auth::principal>(&r)) {
    bool known = false;
    for (const char* t : jwt_fixtures::valid_tokens) known = known || token == t;
    FUZZ_CHECK(known);  // anything else verifying would be a forgery
    FUZZ_CHECK(p->user_id == "user_fuzz");
  } else {
    FUZZ_CHECK(!auth::to_string(std::get<auth::jwt_error>(r)).empty());
  }
}

}  // namespace

void jwt_one(const uint8_t* data, size_t size) {
  static const auth::jwt_verifier pem_verifier(load(false), options());
  static const auth::jwt_verifier jwks_verifier(load(true), options());
  if (size == 0) return;
  auto text = as_text(data + 1, size - 1);
  std::string err;
  switch (data[0]) {
    case 'p': verify_with(pem_verifier, text); break;
    case 'j': verify_with(jwks_verifier, text); break;
    case 'J': {
      auto ks = auth::key_set::from_jwks(text, err);
      if (ks) {
        FUZZ_CHECK(ks->size() > 0);
        for (const auto& kid : ks->kids()) FUZZ_CHECK(ks->find(kid) != nullptr || kid.empty());
      } else {
        FUZZ_CHECK(!err.empty());
      }
      break;
    }
    case 'P': {
      auto ks = auth::key_set::from_pem(text, err);
      if (ks) FUZZ_CHECK(ks->size() == 1 && ks->find(std::nullopt) != nullptr);
      else FUZZ_CHECK(!err.empty());
      break;
    }
    default:
      verify_with(pem_verifier, text);
      verify_with(jwks_verifier, text);
  }
}

}  // namespace trainia::fuzz

TRAINIA_FUZZ_ENTRY(trainia::fuzz::jwt_one)
