#include "auth/jwt_key_set.hpp"
#include "auth/jwt_verifier.hpp"
#include "support/jwt_mint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <variant>

using trainia::auth::jwt_verifier;
using trainia::auth::key_set;
using trainia::auth::principal;
using trainia::auth::verify_options;
namespace t = trainia::test;

namespace {

constexpr int64_t now = 1'700'000'000;

std::string valid_token(const t::rsa_key_files& key, const std::string& kid = "") {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  const nlohmann::json claims = {{"sub", "user_1"}, {"exp", now + 60}};
  return t::mint_jwt(header.dump(), claims.dump(), key.private_pem);
}

bool verifies(const key_set& keys, const std::string& token) {
  const jwt_verifier v(std::make_shared<const key_set>(keys), verify_options{});
  return std::holds_alternative<principal>(v.verify(token, now));
}

key_set require_pem(const std::string& pem) {
  std::string err;
  auto keys = key_set::from_pem(pem, err);
  INFO(err);
  REQUIRE(keys.has_value());
  return std::move(*keys);
}

key_set require_jwks(const std::string& doc) {
  std::string err;
  auto keys = key_set::from_jwks(doc, err);
  INFO(err);
  REQUIRE(keys.has_value());
  return std::move(*keys);
}

std::string jwks_error(const std::string& doc) {
  std::string err;
  const auto keys = key_set::from_jwks(doc, err);
  CHECK_FALSE(keys.has_value());
  return err;
}

std::string pem_error(const std::string& pem) {
  std::string err;
  const auto keys = key_set::from_pem(pem, err);
  CHECK_FALSE(keys.has_value());
  return err;
}

}  // namespace

TEST_CASE("key_set from SPKI PEM ignores kid", "[auth][jwt_key_set]") {
  const auto& key = t::test_key("primary");
  const key_set keys = require_pem(t::read_file(key.public_pem));
  CHECK(keys.size() == 1);
  const EVP_PKEY* k = keys.find(std::nullopt);
  REQUIRE(k != nullptr);
  CHECK(keys.find("anything") == k);
  CHECK(keys.find("") == k);
  CHECK(verifies(keys, valid_token(key)));
  CHECK(verifies(keys, valid_token(key, "some-kid")));
}

TEST_CASE("key_set from PKCS#1 'BEGIN RSA PUBLIC KEY' PEM", "[auth][jwt_key_set]") {
  const auto& key = t::test_key("primary");
  const std::string pkcs1 = t::pkcs1_public_pem(key.public_pem);
  REQUIRE(pkcs1.find("-----BEGIN RSA PUBLIC KEY-----") != std::string::npos);
  const key_set keys = require_pem(pkcs1);
  CHECK(keys.size() == 1);
  CHECK(verifies(keys, valid_token(key)));
  CHECK_FALSE(verifies(keys, valid_token(t::test_key("foreign"))));
}

TEST_CASE("key_set from PEM in environment-variable forms", "[auth][jwt_key_set]") {
  const auto& key = t::test_key("primary");
  const std::string pem = t::read_file(key.public_pem);

  SECTION("literal \\n sequences and surrounding whitespace") {
    std::string escaped;
    for (const char c : pem) {
      if (c == '\n') escaped += "\\n";
      else escaped.push_back(c);
    }
    CHECK(verifies(require_pem("  " + escaped + "  "), valid_token(key)));
  }
  SECTION("bare base64 body without BEGIN/END lines") {
    std::string body;
    std::string line;
    for (const char c : pem) {
      if (c != '\n') { line.push_back(c); continue; }
      if (line.rfind("-----", 0) != 0) body += line;
      line.clear();
    }
    CHECK(verifies(require_pem(body), valid_token(key)));
  }
}

TEST_CASE("key_set::from_pem refuses what is not an RSA public key of 2048+ bits",
          "[auth][jwt_key_set]") {
  const auto& key = t::test_key("primary");
  CHECK_FALSE(pem_error("").empty());
  CHECK_FALSE(pem_error("garbage").empty());
  CHECK_FALSE(pem_error("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").empty());
  // A private key is not accepted where a public key is expected.
  CHECK_FALSE(pem_error(t::read_file(key.private_pem)).empty());

  const std::string dir = t::make_temp_dir();
  SECTION("EC key") {
    t::run_openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                    dir + "/ec.pem"});
    t::run_openssl({"pkey", "-in", dir + "/ec.pem", "-pubout", "-out", dir + "/ec.pub.pem"});
    CHECK_FALSE(pem_error(t::read_file(dir + "/ec.pub.pem")).empty());
  }
  SECTION("1024-bit RSA key") {
    const auto small = t::make_rsa_key(dir, "small", 1024);
    CHECK(pem_error(t::read_file(small.public_pem)).find("2048") != std::string::npos);
  }
}

TEST_CASE("key_set from JWKS selects keys by kid", "[auth][jwt_key_set]") {
  const auto& a = t::test_key("primary");
  const auto& b = t::test_key("second");
  const key_set keys = require_jwks(
      t::jwks_json({t::jwk_json(a.public_pem, "kid-a"), t::jwk_json(b.public_pem, "kid-b")}));
  CHECK(keys.size() == 2);
  CHECK(keys.kids() == std::vector<std::string>{"kid-a", "kid-b"});
  REQUIRE(keys.find("kid-a") != nullptr);
  REQUIRE(keys.find("kid-b") != nullptr);
  CHECK(keys.find("kid-a") != keys.find("kid-b"));
  CHECK(keys.find("kid-c") == nullptr);
  CHECK(keys.find("KID-A") == nullptr);
  CHECK(keys.find(std::nullopt) == nullptr);  // ambiguous without kid
  CHECK(verifies(keys, valid_token(a, "kid-a")));
  CHECK(verifies(keys, valid_token(b, "kid-b")));
  CHECK_FALSE(verifies(keys, valid_token(b, "kid-a")));
}

TEST_CASE("key_set from JWKS with one key accepts tokens without kid", "[auth][jwt_key_set]") {
  const auto& a = t::test_key("primary");
  SECTION("key with kid") {
    const key_set keys = require_jwks(t::jwks_json({t::jwk_json(a.public_pem, "kid-a")}));
    CHECK(keys.find(std::nullopt) == keys.find("kid-a"));
    CHECK(keys.find("other") == nullptr);
    CHECK(verifies(keys, valid_token(a)));
  }
  SECTION("key without kid") {
    const key_set keys = require_jwks(t::jwks_json({t::jwk_json(a.public_pem, "")}));
    CHECK(keys.kids() == std::vector<std::string>{""});
    CHECK(keys.find(std::nullopt) != nullptr);
    CHECK(keys.find("kid-a") == nullptr);
    CHECK(verifies(keys, valid_token(a)));
  }
}

TEST_CASE("key_set from JWKS skips keys that are not RSA signing keys for RS256",
          "[auth][jwt_key_set]") {
  const auto& a = t::test_key("primary");
  const auto& b = t::test_key("second");
  auto enc = nlohmann::json::parse(t::jwk_json(b.public_pem, "enc-key"));
  enc["use"] = "enc";
  auto rs384 = nlohmann::json::parse(t::jwk_json(b.public_pem, "rs384-key"));
  rs384["alg"] = "RS384";
  const nlohmann::json ec = {{"kty", "EC"}, {"kid", "ec-key"}, {"crv", "P-256"},
                             {"x", "AAAA"}, {"y", "AAAA"}};
  auto no_use = nlohmann::json::parse(t::jwk_json(a.public_pem, "no-use"));
  no_use.erase("use");
  no_use.erase("alg");

  const key_set keys = require_jwks(t::jwks_json(
      {enc.dump(), rs384.dump(), ec.dump(), "42", t::jwk_json(a.public_pem, "good"), no_use.dump()}));
  CHECK(keys.kids() == std::vector<std::string>{"good", "no-use"});
  CHECK(keys.find("enc-key") == nullptr);
  CHECK(keys.find("rs384-key") == nullptr);
  CHECK(keys.find("ec-key") == nullptr);

  CHECK(jwks_error(t::jwks_json({enc.dump(), ec.dump()})).find("no usable") != std::string::npos);
}

TEST_CASE("key_set from JWKS accepts padded base64url n/e", "[auth][jwt_key_set]") {
  const auto& a = t::test_key("primary");
  auto jwk = nlohmann::json::parse(t::jwk_json(a.public_pem, "k"));
  jwk["e"] = jwk["e"].get<std::string>() + "=";  // "AQAB" has no room; "AQAB=" is still tolerated
  const key_set keys = require_jwks(t::jwks_json({jwk.dump()}));
  CHECK(verifies(keys, valid_token(a, "k")));
}

TEST_CASE("key_set::from_jwks refuses broken documents", "[auth][jwt_key_set]") {
  const auto& a = t::test_key("primary");
  const auto good = nlohmann::json::parse(t::jwk_json(a.public_pem, "k"));

  CHECK_FALSE(jwks_error("").empty());
  CHECK_FALSE(jwks_error("not json").empty());
  CHECK_FALSE(jwks_error("[]").empty());
  CHECK_FALSE(jwks_error("{}").empty());
  CHECK_FALSE(jwks_error(R"({"keys":{}})").empty());
  CHECK_FALSE(jwks_error(R"({"keys":[]})").empty());

  auto bad_n = good;
  bad_n["n"] = "***";
  CHECK(jwks_error(t::jwks_json({bad_n.dump()})).find("#0") != std::string::npos);
  auto no_e = good;
  no_e.erase("e");
  CHECK_FALSE(jwks_error(t::jwks_json({no_e.dump()})).empty());
  auto small_n = good;
  small_n["n"] = t::b64url(std::string(64, '\x7f'));  // 512-bit modulus
  CHECK_FALSE(jwks_error(t::jwks_json({small_n.dump()})).empty());
  auto numeric_kid = good;
  numeric_kid["kid"] = 7;
  CHECK_FALSE(jwks_error(t::jwks_json({numeric_kid.dump()})).empty());
  CHECK(jwks_error(t::jwks_json({good.dump(), good.dump()})).find("duplicate") !=
        std::string::npos);
}
