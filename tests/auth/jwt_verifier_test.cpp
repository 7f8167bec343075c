#include "auth/jwt_verifier.hpp"
#include "support/jwt_mint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using trainia::auth::jwt_error;
using trainia::auth::jwt_verifier;
using trainia::auth::key_set;
using trainia::auth::principal;
using trainia::auth::verify_options;
using json = nlohmann::json;
namespace t = trainia::test;

/// "ok" stands for a principal in assertion messages.
constexpr auto ok = static_cast<jwt_error>(0);

namespace Catch {
template <>
struct StringMaker<jwt_error> {
  static std::string convert(jwt_error e) {
    return e == ok ? std::string("ok") : std::string(trainia::auth::to_string(e));
  }
};
}  // namespace Catch

namespace {

constexpr int64_t now = 1'700'000'000;
constexpr const char* issuer = "https://clerk.example.com";
constexpr const char* app = "https://app.example.com";

json header() { return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "ins_1"}}; }

json claims() {
  return {{"sub", "user_123"}, {"sid", "sess_456"},  {"iat", now - 10}, {"nbf", now - 10},
          {"exp", now + 60},   {"iss", issuer},      {"azp", app}};
}

const t::rsa_key_files& key() { return t::test_key("primary"); }

std::string mint(const json& h, const json& p, const t::rsa_key_files& k = key(),
                 t::jwt_alg alg = t::jwt_alg::rs256) {
  return t::mint_jwt(h.dump(), p.dump(), k.private_pem, alg);
}

std::string mint(const json& p) { return mint(header(), p); }

std::shared_ptr<const key_set> pem_keys(const t::rsa_key_files& k = key()) {
  std::string err;
  auto keys = key_set::from_pem(t::read_file(k.public_pem), err);
  INFO(err);
  REQUIRE(keys);
  return std::make_shared<const key_set>(std::move(*keys));
}

std::shared_ptr<const key_set> jwks_keys(const std::vector<std::string>& jwks) {
  std::string err;
  auto keys = key_set::from_jwks(t::jwks_json(jwks), err);
  INFO(err);
  REQUIRE(keys);
  return std::make_shared<const key_set>(std::move(*keys));
}

verify_options pinned() {
  verify_options o;
  o.issuer = issuer;
  o.authorized_parties = {app, "https://other.example.com"};
  return o;
}

/// The verifier most tests use: PEM key, issuer and azp pinned, leeway 5 s.
const jwt_verifier& verifier() {
  static const jwt_verifier v(pem_keys(), pinned());
  return v;
}

jwt_error outcome(const std::variant<principal, jwt_error>& r) {
  return std::holds_alternative<jwt_error>(r) ? std::get<jwt_error>(r) : ok;
}

jwt_error check(const std::string& token, int64_t at = now) {
  return outcome(verifier().verify(token, at));
}

json with(json p, const std::string& name, json value) {
  p[name] = std::move(value);
  return p;
}

json without(json p, const std::string& name) {
  p.erase(name);
  return p;
}

}  // namespace

TEST_CASE("a valid token yields its principal", "[auth][jwt]") {
  const auto r = verifier().verify(mint(claims()), now);
  REQUIRE(outcome(r) == ok);
  const principal& p = std::get<principal>(r);
  CHECK(p.user_id == "user_123");
  CHECK(p.session_id == "sess_456");
  CHECK(p.expires_at == now + 60);
  CHECK(p.authorized_party == app);
}

TEST_CASE("only sub and exp are required", "[auth][jwt]") {
  const jwt_verifier v(pem_keys(), verify_options{});
  const json minimal = {{"sub", "user_1"}, {"exp", now + 60}};
  const auto r = v.verify(mint({{"alg", "RS256"}}, minimal), now);
  REQUIRE(outcome(r) == ok);
  CHECK(std::get<principal>(r).session_id.empty());
  CHECK(std::get<principal>(r).authorized_party.empty());
}

TEST_CASE("exp: leeway applies, beyond it the token is expired", "[auth][jwt]") {
  CHECK(check(mint(with(claims(), "exp", now - 3))) == ok);
  CHECK(check(mint(with(claims(), "exp", now - 5))) == ok);
  CHECK(check(mint(with(claims(), "exp", now - 6))) == jwt_error::expired);
  CHECK(check(mint(with(claims(), "exp", now - 10))) == jwt_error::expired);
  CHECK(check(mint(claims()), now + 65) == ok);
  CHECK(check(mint(claims()), now + 66) == jwt_error::expired);
}

TEST_CASE("leeway is configurable", "[auth][jwt]") {
  verify_options o = pinned();
  o.leeway_seconds = 0;
  const jwt_verifier strict(pem_keys(), o);
  CHECK(outcome(strict.verify(mint(with(claims(), "exp", now - 1)), now)) == jwt_error::expired);
  CHECK(outcome(strict.verify(mint(with(claims(), "exp", now)), now)) == ok);
  o.leeway_seconds = 60;
  const jwt_verifier lax(pem_keys(), o);
  CHECK(outcome(lax.verify(mint(with(claims(), "exp", now - 30)), now)) == ok);
}

TEST_CASE("exp, nbf and iat must be numbers, exp is required", "[auth][jwt]") {
  CHECK(check(mint(without(claims(), "exp"))) == jwt_error::malformed);
  CHECK(check(mint(with(claims(), "exp", std::to_string(now + 60)))) == jwt_error::malformed);
  CHECK(check(mint(with(claims(), "exp", nullptr))) == jwt_error::malformed);
  CHECK(check(mint(with(claims(), "exp", true))) == jwt_error::malformed);
  CHECK(check(mint(with(claims(), "nbf", "soon"))) == jwt_error::malformed);
  CHECK(check(mint(with(claims(), "iat", json::array()))) == jwt_error::malformed);
  // Fractional NumericDates are numbers too.
  CHECK(check(mint(with(claims(), "exp", static_cast<double>(now) + 60.5))) == ok);
  // Far-future values do not overflow.
  CHECK(check(mint(with(claims(), "exp", UINT64_MAX))) == ok);
  CHECK(check(mint(with(claims(), "exp", 1e300))) == ok);
  CHECK(check(mint(with(claims(), "nbf", INT64_MIN))) == ok);
}

TEST_CASE("nbf ahead of now beyond leeway is not yet valid", "[auth][jwt]") {
  CHECK(check(mint(with(claims(), "nbf", now + 3))) == ok);
  CHECK(check(mint(with(claims(), "nbf", now + 5))) == ok);
  CHECK(check(mint(with(claims(), "nbf", now + 6))) == jwt_error::not_yet_valid);
  CHECK(check(mint(with(claims(), "nbf", now + 30))) == jwt_error::not_yet_valid);
}

TEST_CASE("iat ahead of now beyond leeway is issued in the future", "[auth][jwt]") {
  CHECK(check(mint(with(claims(), "iat", now + 3))) == ok);
  CHECK(check(mint(with(claims(), "iat", now + 6))) == jwt_error::issued_in_future);
  CHECK(check(mint(with(claims(), "iat", now + 30))) == jwt_error::issued_in_future);
}

TEST_CASE("alg none with an empty signature is refused", "[auth][jwt]") {
  const json h = {{"alg", "none"}, {"typ", "JWT"}};
  const std::string token = t::mint_jwt(h.dump(), claims().dump(), "", t::jwt_alg::none);
  REQUIRE(token.back() == '.');
  CHECK(check(token) == jwt_error::unsupported_algorithm);
  CHECK(check(mint(with(header(), "alg", "None"), claims(), key(), t::jwt_alg::none)) ==
        jwt_error::unsupported_algorithm);
}

TEST_CASE("HS256 key confusion with the PEM public key as HMAC secret is refused", "[auth][jwt]") {
  const json h = {{"alg", "HS256"}, {"typ", "JWT"}};
  // The attacker HMACs with the exact public key text the server is configured with.
  const std::string token = t::mint_jwt(h.dump(), claims().dump(), key().public_pem,
                                        t::jwt_alg::hs256);
  CHECK(check(token) == jwt_error::unsupported_algorithm);
  // The same trick with an RS256 header fails the signature instead.
  const std::string relabelled =
      t::mint_jwt(header().dump(), claims().dump(), key().public_pem, t::jwt_alg::hs256);
  CHECK(check(relabelled) == jwt_error::invalid_signature);
}

TEST_CASE("RS384, RS512 and other algorithms are refused", "[auth][jwt]") {
  CHECK(check(mint(with(header(), "alg", "RS384"), claims(), key(), t::jwt_alg::rs384)) ==
        jwt_error::unsupported_algorithm);
  CHECK(check(mint(with(header(), "alg", "RS512"), claims(), key(), t::jwt_alg::rs512)) ==
        jwt_error::unsupported_algorithm);
  // Headers naming other algorithms are refused even over a valid RS256 signature.
  for (const char* alg : {"PS256", "ES256", "EdDSA", "rs256", "RS256 ", ""}) {
    INFO(alg);
    CHECK(check(mint(with(header(), "alg", alg), claims())) == jwt_error::unsupported_algorithm);
  }
  CHECK(check(mint(without(header(), "alg"), claims())) == jwt_error::unsupported_algorithm);
  CHECK(check(mint(with(header(), "alg", 256), claims())) == jwt_error::unsupported_algorithm);
  CHECK(check(mint(with(header(), "alg", nullptr), claims())) == jwt_error::unsupported_algorithm);
}

TEST_CASE("a crit header is refused", "[auth][jwt]") {
  CHECK(check(mint(with(header(), "crit", json::array({"exp"})), claims())) ==
        jwt_error::unsupported_algorithm);
}

TEST_CASE("typ must be exactly JWT when present", "[auth][jwt]") {
  CHECK(check(mint(without(header(), "typ"), claims())) == ok);
  CHECK(check(mint(with(header(), "typ", "at+jwt"), claims())) == jwt_error::invalid_type);
  CHECK(check(mint(with(header(), "typ", "jwt"), claims())) == jwt_error::invalid_type);
  CHECK(check(mint(with(header(), "typ", ""), claims())) == jwt_error::invalid_type);
  CHECK(check(mint(with(header(), "typ", 1), claims())) == jwt_error::invalid_type);
}

TEST_CASE("a token signed by another key has an invalid signature", "[auth][jwt]") {
  CHECK(check(mint(header(), claims(), t::test_key("foreign"))) == jwt_error::invalid_signature);
}

TEST_CASE("the signature is checked before any claim", "[auth][jwt]") {
  const auto& foreign = t::test_key("foreign");
  json bad = claims();
  bad["exp"] = now - 1000;
  bad["nbf"] = now + 1000;
  bad["iss"] = "https://evil.example.com";
  bad.erase("sub");
  bad["sts"] = "pending";
  CHECK(check(mint(header(), bad, foreign)) == jwt_error::invalid_signature);
  CHECK(check(mint(header(), with(claims(), "exp", now - 1000), foreign)) == jwt_error::invalid_signature);
  // And the same claims under a good signature give the claim error.
  CHECK(check(mint(with(claims(), "exp", now - 1000))) == jwt_error::expired);
}

TEST_CASE("tampered signatures are refused", "[auth][jwt]") {
  const std::string token = mint(claims());
  const auto dot = token.rfind('.');
  CHECK(check(token.substr(0, dot + 1)) == jwt_error::invalid_signature);  // empty signature
  // 342 base64url chars for 256 bytes; dropping 2 leaves a canonical 255-byte signature.
  CHECK(check(token.substr(0, token.size() - 2)) == jwt_error::invalid_signature);  // truncated
  CHECK(check(token + "AAAA") == jwt_error::invalid_signature);  // 259 bytes
  // Same header and signature over a different payload.
  const std::string other = mint(with(claims(), "sub", "user_999"));
  const auto d1 = token.find('.');
  const auto d2 = token.rfind('.');
  const auto o1 = other.find('.');
  const auto o2 = other.rfind('.');
  const std::string spliced = token.substr(0, d1) + other.substr(o1, o2 - o1) + token.substr(d2);
  CHECK(check(spliced) == jwt_error::invalid_signature);
}

TEST_CASE("every single-character change to a valid token is refused", "[auth][jwt]") {
  const std::string token = mint(claims());
  REQUIRE(check(token) == ok);
  size_t accepted = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (const char c : {'A', 'Q', 'g', 'w', '-', '.', '='}) {
      if (token[i] == c) continue;
      std::string mutated = token;
      mutated[i] = c;
      if (check(mutated) == ok) ++accepted;
    }
  }
  CHECK(accepted == 0);
}

TEST_CASE("PEM key sets ignore kid, JWKS sets select by kid", "[auth][jwt]") {
  const auto& a = key();
  const auto& b = t::test_key("second");
  CHECK(check(mint(with(header(), "kid", "whatever"), claims())) == ok);
  CHECK(check(mint(without(header(), "kid"), claims())) == ok);

  const jwt_verifier v(jwks_keys({t::jwk_json(a.public_pem, "ins_a"), t::jwk_json(b.public_pem, "ins_b")}),
                       pinned());
  auto run = [&](const std::string& token) { return outcome(v.verify(token, now)); };
  CHECK(run(mint(with(header(), "kid", "ins_a"), claims(), a)) == ok);
  CHECK(run(mint(with(header(), "kid", "ins_b"), claims(), b)) == ok);
  CHECK(run(mint(with(header(), "kid", "ins_a"), claims(), b)) == jwt_error::invalid_signature);
  CHECK(run(mint(with(header(), "kid", "ins_c"), claims(), a)) == jwt_error::unknown_key);
  CHECK(run(mint(without(header(), "kid"), claims(), a)) == jwt_error::unknown_key);
  CHECK(run(mint(with(header(), "kid", 1), claims(), a)) == jwt_error::malformed);
}

TEST_CASE("unknown kid is reported before the signature", "[auth][jwt]") {
  const jwt_verifier v(jwks_keys({t::jwk_json(key().public_pem, "ins_1")}), pinned());
  const std::string token = mint(with(header(), "kid", "rotated_away"), claims(),
                                 t::test_key("foreign"));
  CHECK(outcome(v.verify(token, now)) == jwt_error::unknown_key);
}

TEST_CASE("JWKS with one key accepts a token without kid", "[auth][jwt]") {
  const jwt_verifier v(jwks_keys({t::jwk_json(key().public_pem, "ins_1")}), pinned());
  CHECK(outcome(v.verify(mint(without(header(), "kid"), claims()), now)) == ok);
  CHECK(outcome(v.verify(mint(header(), claims()), now)) == ok);
  CHECK(outcome(v.verify(mint(without(header(), "kid"), claims(), t::test_key("foreign")), now)) ==
        jwt_error::invalid_signature);
}

TEST_CASE("iss must match the configured issuer", "[auth][jwt]") {
  CHECK(check(mint(with(claims(), "iss", "https://evil.example.com"))) == jwt_error::invalid_issuer);
  CHECK(check(mint(with(claims(), "iss", std::string(issuer) + "/"))) == jwt_error::invalid_issuer);
  CHECK(check(mint(without(claims(), "iss"))) == jwt_error::invalid_issuer);
  CHECK(check(mint(with(claims(), "iss", 1))) == jwt_error::invalid_issuer);
}

TEST_CASE("iss is not checked when no issuer is configured", "[auth][jwt]") {
  verify_options o;  // no issuer
  o.authorized_parties = pinned().authorized_parties;
  const jwt_verifier v(pem_keys(), std::move(o));
  CHECK(outcome(v.verify(mint(with(claims(), "iss", "https://anyone.example.com")), now)) == ok);
  CHECK(outcome(v.verify(mint(without(claims(), "iss")), now)) == ok);
}

TEST_CASE("azp must be one of the configured authorized parties", "[auth][jwt]") {
  CHECK(check(mint(with(claims(), "azp", "https://other.example.com"))) == ok);
  CHECK(check(mint(with(claims(), "azp", "https://evil.example.com"))) ==
        jwt_error::invalid_authorized_party);
  CHECK(check(mint(without(claims(), "azp"))) == jwt_error::invalid_authorized_party);
  CHECK(check(mint(with(claims(), "azp", json::array({app})))) ==
        jwt_error::invalid_authorized_party);
}

TEST_CASE("azp is not checked when no authorized parties are configured", "[auth][jwt]") {
  verify_options o = pinned();
  o.authorized_parties.clear();
  const jwt_verifier v(pem_keys(), o);
  const auto r = v.verify(mint(with(claims(), "azp", "https://evil.example.com")), now);
  REQUIRE(outcome(r) == ok);
  CHECK(std::get<principal>(r).authorized_party == "https://evil.example.com");
  CHECK(outcome(v.verify(mint(without(claims(), "azp")), now)) == ok);
}

TEST_CASE("sub must be a non-empty string", "[auth][jwt]") {
  CHECK(check(mint(without(claims(), "sub"))) == jwt_error::missing_subject);
  CHECK(check(mint(with(claims(), "sub", ""))) == jwt_error::missing_subject);
  CHECK(check(mint(with(claims(), "sub", 12345))) == jwt_error::missing_subject);
  CHECK(check(mint(with(claims(), "sub", nullptr))) == jwt_error::missing_subject);
  CHECK(check(mint(with(claims(), "sub", json::object()))) == jwt_error::missing_subject);
}

TEST_CASE("a pending session is forbidden, checked after every other rule", "[auth][jwt]") {
  CHECK(check(mint(with(claims(), "sts", "pending"))) == jwt_error::session_pending);
  CHECK(check(mint(with(claims(), "sts", "active"))) == ok);
  CHECK(is_forbidden(jwt_error::session_pending));
  // Other failures win over pending.
  const json pending = with(claims(), "sts", "pending");
  CHECK(check(mint(with(pending, "exp", now - 100))) == jwt_error::expired);
  CHECK(check(mint(with(pending, "iss", "x"))) == jwt_error::invalid_issuer);
  CHECK(check(mint(with(pending, "azp", "x"))) == jwt_error::invalid_authorized_party);
  CHECK(check(mint(without(pending, "sub"))) == jwt_error::missing_subject);
  CHECK(check(mint(header(), pending, t::test_key("foreign"))) == jwt_error::invalid_signature);
}

TEST_CASE("tokens without exactly three segments are malformed", "[auth][jwt]") {
  const std::string token = mint(claims());
  const auto d1 = token.find('.');
  const auto d2 = token.rfind('.');
  CHECK(check(token.substr(0, d2)) == jwt_error::malformed);                  // two segments
  CHECK(check(token.substr(0, d1)) == jwt_error::malformed);                  // one segment
  CHECK(check(token + "." + token.substr(d2 + 1)) == jwt_error::malformed);   // four segments
  CHECK(check(token + ".") == jwt_error::malformed);
  CHECK(check("." + token) == jwt_error::malformed);
  CHECK(check(t::join_segments({t::b64url(header().dump()), t::b64url(claims().dump()), "", ""})) ==
        jwt_error::malformed);
}

TEST_CASE("segments that are not strict base64url are malformed", "[auth][jwt]") {
  const std::string h = t::b64url(header().dump());
  const std::string p = t::b64url(claims().dump());
  const std::string token = mint(claims());
  const std::string s = token.substr(token.rfind('.') + 1);
  CHECK(check(t::join_segments({h, p, s})) == ok);
  for (const std::string bad : {"+", "/", "=", "*", " ", "%"}) {
    INFO("bad char: '" << bad << "'");
    CHECK(check(t::join_segments({bad + h, p, s})) == jwt_error::malformed);
    CHECK(check(t::join_segments({h, p + bad, s})) == jwt_error::malformed);
    CHECK(check(t::join_segments({h, p, s + bad})) == jwt_error::malformed);
  }
  CHECK(check(t::join_segments({h + "==", p, s})) == jwt_error::malformed);  // padding
  REQUIRE(s.size() % 4 == 2);
  CHECK(check(t::join_segments({h, p, s + "AAA"})) == jwt_error::malformed);  // length % 4 == 1
  CHECK(check(t::join_segments({h, p, s.substr(0, s.size() - 1)})) == jwt_error::malformed);
}

TEST_CASE("header and payload must be JSON objects", "[auth][jwt]") {
  const std::string p = t::b64url(claims().dump());
  const std::string h = t::b64url(header().dump());
  const std::string sig = t::b64url(std::string(256, 'x'));
  CHECK(check(t::join_segments({t::b64url("not json"), p, sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({t::b64url("[\"RS256\"]"), p, sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({t::b64url("\"RS256\""), p, sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({t::b64url(""), p, sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({t::b64url("{\"alg\":\"RS256\""), p, sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({t::b64url("{\"alg\":\"RS256\"} x"), p, sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({h, t::b64url("nope"), sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({h, t::b64url("42"), sig})) == jwt_error::malformed);
  CHECK(check(t::join_segments({h, t::b64url("{\"sub\":\"\xff\"}"), sig})) == jwt_error::malformed);
  // A properly signed token whose payload is not JSON is still malformed.
  CHECK(check(t::mint_jwt(header().dump(), "not json", key().private_pem)) == jwt_error::malformed);
}

TEST_CASE("garbage, empty and oversized input is malformed", "[auth][jwt]") {
  CHECK(check("") == jwt_error::malformed);
  CHECK(check(".") == jwt_error::malformed);
  CHECK(check("..") == jwt_error::malformed);
  CHECK(check("...") == jwt_error::malformed);
  CHECK(check("garbage") == jwt_error::malformed);
  CHECK(check("Bearer abc.def.ghi") == jwt_error::malformed);
  CHECK(check(std::string("a\0b.c.d", 7)) == jwt_error::malformed);
  CHECK(check(std::string(100000, 'A')) == jwt_error::malformed);
  CHECK(check(std::string(100000, '.')) == jwt_error::malformed);
  // Deeply nested JSON must neither crash nor pass.
  CHECK(check(t::join_segments({t::b64url(std::string(6000, '[')), "e30", ""})) ==
        jwt_error::malformed);
  // A correctly signed token just over 16 KiB is refused unread.
  json big = claims();
  big["pad"] = std::string(12 * 1024, 'x');
  const std::string huge = mint(big);
  REQUIRE(huge.size() > 16 * 1024);
  CHECK(check(huge) == jwt_error::malformed);
  // ... while a large token under the cap is fine.
  big["pad"] = std::string(10 * 1024, 'x');
  const std::string large = mint(big);
  REQUIRE(large.size() < 16 * 1024);
  CHECK(check(large) == ok);
}

TEST_CASE("every error has stable text and maps to 401 except session_pending", "[auth][jwt]") {
  const std::pair<jwt_error, const char*> texts[] = {
      {jwt_error::malformed, "malformed token"},
      {jwt_error::unsupported_algorithm, "unsupported algorithm"},
      {jwt_error::invalid_type, "invalid token type"},
      {jwt_error::unknown_key, "unknown signing key"},
      {jwt_error::invalid_signature, "invalid signature"},
      {jwt_error::expired, "token expired"},
      {jwt_error::not_yet_valid, "token not yet valid"},
      {jwt_error::issued_in_future, "token issued in the future"},
      {jwt_error::invalid_issuer, "invalid issuer"},
      {jwt_error::invalid_authorized_party, "invalid authorized party"},
      {jwt_error::missing_subject, "missing subject"},
      {jwt_error::session_pending, "session pending"},
  };
  for (const auto& [e, text] : texts) {
    CHECK(trainia::auth::to_string(e) == text);
    CHECK(is_forbidden(e) == (e == jwt_error::session_pending));
  }
}

TEST_CASE("one verifier is usable from many threads at once", "[auth][jwt]") {
  const std::string good = mint(claims());
  const std::string foreign = mint(header(), claims(), t::test_key("foreign"));
  const std::string expired = mint(with(claims(), "exp", now - 100));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 50; ++j) {
        if (outcome(verifier().verify(good, now)) != ok) ++wrong;
        if (outcome(verifier().verify(foreign, now)) != jwt_error::invalid_signature) ++wrong;
        if (outcome(verifier().verify(expired, now)) != jwt_error::expired) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
}
