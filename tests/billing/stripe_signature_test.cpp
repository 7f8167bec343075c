// Every rule of Stripe webhook signature verification, one case each. The
// signatures are computed by the openssl CLI (tests/billing/stripe_fixtures),
// never by the server's code.
#include "billing/stripe_signature.hpp"
#include "billing/stripe_fixtures.hpp"
#include "core/error.hpp"

#include <catch2/catch.hpp>

using trainia::errc;
using trainia::billing::verify_stripe_signature;
namespace stripe = trainia::test::stripe;

namespace {

const std::string secret = "whsec_Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";
const std::string other_secret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24";
const int64_t now = 1764064800;  // fixed clock
const std::string body =
    R"({"id":"evt_1","object":"event","type":"invoice.paid","created":1764064790,"data":{"object":{}}})";

bool ok(const std::string& header, const std::string& b = body, const std::vector<std::string>& secrets = {secret},
        int64_t at = now) {
  auto e = verify_stripe_signature(header, b, secrets, at);
  if (e) CHECK(trainia::is(e, errc::invalid_signature));
  return !e;
}

}  // namespace

TEST_CASE("stripe signature: a valid v1 verifies", "[billing][stripe_signature]") {
  CHECK(ok(stripe::signature_header(secret, now, body)));
}

TEST_CASE("stripe signature: a tampered body (one added space) fails", "[billing][stripe_signature]") {
  auto h = stripe::signature_header(secret, now, body);
  CHECK_FALSE(ok(h, body + " "));
  CHECK_FALSE(ok(h, " " + body));
}

TEST_CASE("stripe signature: timestamps 301 s off fail, 300 s off pass, both ways", "[billing][stripe_signature]") {
  CHECK_FALSE(ok(stripe::signature_header(secret, now - 301, body)));
  CHECK_FALSE(ok(stripe::signature_header(secret, now + 301, body)));
  CHECK(ok(stripe::signature_header(secret, now - 300, body)));
  CHECK(ok(stripe::signature_header(secret, now + 300, body)));
}

TEST_CASE("stripe signature: a wrong secret fails", "[billing][stripe_signature]") {
  CHECK_FALSE(ok(stripe::signature_header("whsec_bm90LXRoZS1yaWdodC1zZWNyZXQ", now, body)));
}

TEST_CASE("stripe signature: the key is the whole whsec_ string (prefix-stripped key does not verify)",
          "[billing][stripe_signature]") {
  auto stripped = secret.substr(std::string("whsec_").size());
  CHECK_FALSE(ok(stripe::signature_header(stripped, now, body)));
  // Nor does a configured secret without the prefix match a signature made with the whole string.
  CHECK_FALSE(ok(stripe::signature_header(secret, now, body), body, {stripped}));
}

TEST_CASE("stripe signature: during rotation a signature by the second secret verifies",
          "[billing][stripe_signature]") {
  auto h = stripe::signature_header(other_secret, now, body);
  CHECK_FALSE(ok(h, body, {secret}));
  CHECK(ok(h, body, {secret, other_secret}));
  // Several v1 entries: any one matching any secret is enough.
  auto t = std::to_string(now);
  auto multi = "t=" + t + ",v1=" + stripe::openssl_hmac("whsec_b2xkLW9uZQ", now, body) +
               ",v1=" + stripe::openssl_hmac(secret, now, body);
  CHECK(ok(multi, body, {other_secret, secret}));
}

TEST_CASE("stripe signature: v0 (and other schemes) are ignored", "[billing][stripe_signature]") {
  auto t = std::to_string(now);
  auto good = stripe::openssl_hmac(secret, now, body);
  CHECK_FALSE(ok("t=" + t + ",v0=" + good));
  CHECK_FALSE(ok("t=" + t + ",v2=" + good));
  CHECK(ok("t=" + t + ",v0=" + std::string(64, '0') + ",v1=" + good));
}

TEST_CASE("stripe signature: malformed headers fail", "[billing][stripe_signature]") {
  auto t = std::to_string(now);
  auto good = stripe::openssl_hmac(secret, now, body);
  CHECK_FALSE(ok("v1=" + good));               // missing t
  CHECK_FALSE(ok("t=abc,v1=" + good));         // non-numeric t
  CHECK_FALSE(ok("t=" + t + "x,v1=" + good));  // trailing garbage in t
  CHECK_FALSE(ok("t=-" + t + ",v1=" + good));  // signed t
  CHECK_FALSE(ok("t=,v1=" + good));            // empty t
  CHECK_FALSE(ok("t=" + t + ",v1="));          // empty v1
  CHECK_FALSE(ok("t=" + t));                   // no v1 at all
  CHECK_FALSE(ok("garbage"));
  CHECK_FALSE(ok(""));
  CHECK_FALSE(ok("t=" + t + ",t=" + t + ",v1=" + good));  // t twice
  std::string upper = good;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK_FALSE(ok("t=" + t + ",v1=" + upper));  // not lowercase hex
  CHECK_FALSE(ok("t=" + t + ",v1=" + good.substr(0, 63)));
  // Whitespace around pieces is tolerated (as Stripe's libraries do).
  CHECK(ok("t=" + t + ", v1=" + good));
}

TEST_CASE("stripe signature: an empty body verifies only with a signature over the empty body",
          "[billing][stripe_signature]") {
  CHECK_FALSE(ok(stripe::signature_header(secret, now, body), ""));
  CHECK(ok(stripe::signature_header(secret, now, ""), ""));  // the event parser then refuses it
}

TEST_CASE("stripe signature: no configured secret never verifies", "[billing][stripe_signature]") {
  CHECK_FALSE(ok(stripe::signature_header(secret, now, body), body, {}));
}

TEST_CASE("stripe signature: the refusal never says which rule failed", "[billing][stripe_signature]") {
  auto e1 = verify_stripe_signature("garbage", body, {secret}, now);
  auto e2 = verify_stripe_signature(stripe::signature_header(secret, now - 999, body), body, {secret}, now);
  CHECK(trainia::info_of(e1).message == trainia::info_of(e2).message);
  CHECK(trainia::info_of(e1).message.find(secret) == std::string::npos);
}
