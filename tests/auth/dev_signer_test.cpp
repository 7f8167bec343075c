#include "auth/dev_signer.hpp"
#include "auth/base64url.hpp"
#include "auth/jwt_key_set.hpp"
#include "auth/jwt_verifier.hpp"
#include "support/jwt_mint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <variant>

#include <sys/stat.h>

using trainia::auth::dev_signer;
using trainia::auth::jwt_error;
using trainia::auth::jwt_verifier;
using trainia::auth::key_set;
using trainia::auth::principal;
using trainia::auth::verify_options;
namespace t = trainia::test;
namespace fs = std::filesystem;

namespace {

constexpr int64_t now = 1'700'000'000;

dev_signer require_signer(const std::string& path) {
  std::string err;
  auto s = dev_signer::load_or_create(path, err);
  INFO(err);
  REQUIRE(s.has_value());
  return std::move(*s);
}

jwt_verifier verifier_for(const dev_signer& s) {
  std::string err;
  auto keys = key_set::from_pem(s.public_key_pem(), err);
  INFO(err);
  REQUIRE(keys);
  verify_options o;
  o.issuer = std::string(dev_signer::issuer);
  return jwt_verifier(std::make_shared<const key_set>(std::move(*keys)), o);
}

nlohmann::json segment_json(const std::string& token, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const auto end = token.find('.', start);
  const auto bytes = trainia::auth::base64url_decode(token.substr(start, end - start));
  REQUIRE(bytes);
  return nlohmann::json::parse(*bytes);
}

}  // namespace

TEST_CASE("dev_signer creates a 0600 RSA key file, parent directories included",
          "[auth][dev_signer]") {
  const std::string path = t::make_temp_dir() + "/nested/deeper/dev-key.pem";
  const dev_signer s = require_signer(path);
  REQUIRE(fs::exists(path));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(t::read_file(path).rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(s.public_key_pem().rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  // openssl agrees it is a 2048-bit RSA key.
  const std::string text = t::run_openssl({"pkey", "-in", path, "-noout", "-text"});
  CHECK(text.find("2048 bit") != std::string::npos);
  // No temporary files are left behind.
  CHECK(std::distance(fs::directory_iterator(fs::path(path).parent_path()),
                      fs::directory_iterator()) == 1);
}

TEST_CASE("dev_signer tokens verify with its public key", "[auth][dev_signer]") {
  const dev_signer s = require_signer(t::make_temp_dir() + "/key.pem");
  const std::string token = s.sign("user_dev", now, 3600);
  const auto r = verifier_for(s).verify(token, now);
  REQUIRE(std::holds_alternative<principal>(r));
  const principal& p = std::get<principal>(r);
  CHECK(p.user_id == "user_dev");
  CHECK(p.expires_at == now + 3600);
  CHECK(std::regex_match(p.session_id, std::regex("dev_[0-9a-f]{16}")));

  const auto header = segment_json(token, 0);
  CHECK(header == nlohmann::json({{"alg", "RS256"}, {"kid", "dev"}, {"typ", "JWT"}}));
  const auto claims = segment_json(token, 1);
  CHECK(claims["sub"] == "user_dev");
  CHECK(claims["iat"] == now);
  CHECK(claims["nbf"] == now);
  CHECK(claims["exp"] == now + 3600);
  CHECK(claims["iss"] == "trainia-dev");
  CHECK(claims["sid"] == p.session_id);

  CHECK(std::get<jwt_error>(verifier_for(s).verify(token, now + 3700)) == jwt_error::expired);
  CHECK(s.sign("user_dev", now, 3600) != token);  // fresh sid each time
}

TEST_CASE("dev_signer signatures verify with the openssl CLI", "[auth][dev_signer]") {
  const std::string dir = t::make_temp_dir();
  const dev_signer s = require_signer(dir + "/key.pem");
  const std::string token = s.sign("user_cli", now, 60);
  const auto dot = token.rfind('.');
  t::write_file(dir + "/pub.pem", s.public_key_pem());
  t::write_file(dir + "/input", token.substr(0, dot));
  const auto sig = trainia::auth::base64url_decode(token.substr(dot + 1));
  REQUIRE(sig);
  t::write_file(dir + "/sig", *sig);
  const std::string out = t::run_openssl(
      {"dgst", "-sha256", "-verify", dir + "/pub.pem", "-signature", dir + "/sig", dir + "/input"});
  CHECK(out.find("Verified OK") != std::string::npos);
}

TEST_CASE("dev_signer reloads the same key from its file", "[auth][dev_signer]") {
  const std::string path = t::make_temp_dir() + "/key.pem";
  const dev_signer first = require_signer(path);
  const std::string file = t::read_file(path);
  const dev_signer second = require_signer(path);
  CHECK(second.public_key_pem() == first.public_key_pem());
  CHECK(t::read_file(path) == file);
  CHECK(std::holds_alternative<principal>(
      verifier_for(second).verify(first.sign("user_1", now, 60), now)));
}

TEST_CASE("dev_signer loads a key made by openssl", "[auth][dev_signer]") {
  const auto& key = t::test_key("primary");
  const dev_signer s = require_signer(key.private_pem);
  CHECK(s.public_key_pem() == t::read_file(key.public_pem));
}

TEST_CASE("dev_signer reports unusable key files", "[auth][dev_signer]") {
  const std::string dir = t::make_temp_dir();
  std::string err;

  t::write_file(dir + "/garbage.pem", "not a key");
  CHECK_FALSE(dev_signer::load_or_create(dir + "/garbage.pem", err).has_value());
  CHECK(err.find("garbage.pem") != std::string::npos);

  err.clear();
  CHECK_FALSE(dev_signer::load_or_create(t::test_key("primary").public_pem, err).has_value());
  CHECK_FALSE(err.empty());

  err.clear();
  const auto small = t::make_rsa_key(dir, "small", 1024);
  CHECK_FALSE(dev_signer::load_or_create(small.private_pem, err).has_value());
  CHECK(err.find("2048") != std::string::npos);

  err.clear();
  t::write_file(dir + "/file", "x");
  CHECK_FALSE(dev_signer::load_or_create(dir + "/file/key.pem", err).has_value());
  CHECK_FALSE(err.empty());

  err.clear();
  CHECK_FALSE(dev_signer::load_or_create("", err).has_value());
  CHECK_FALSE(err.empty());
}
