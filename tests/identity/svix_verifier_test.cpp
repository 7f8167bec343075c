#include "identity/svix_verifier.hpp"

#include "core/error.hpp"
#include "identity/svix_sign.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using trainia::errc;
using trainia::identity::svix_headers;
using trainia::identity::svix_verifier;

namespace {

// The published Svix test vector (docs.svix.com, "Verifying payloads manually").
const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::string ts = "1614265330";
const int64_t t0 = 1614265330;
const std::string body = R"({"test": 2432232314})";
const std::string good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

svix_verifier make(const std::string& s = secret) {
  auto v = svix_verifier::make(s);
  REQUIRE(v);
  return std::move(*v);
}

bool accepted(const svix_verifier& v, const std::string& id, const std::string& stamp, const std::string& sig,
              const std::string& b, int64_t now) {
  auto e = v.verify(svix_headers{id, stamp, sig}, b, now);
  if (e) CHECK(trainia::is(e, errc::invalid_signature));
  return !e;
}

bool accepted(const std::string& sig, int64_t now = t0) {
  return accepted(make(), msg_id, ts, sig, body, now);
}

}  // namespace

TEST_CASE("svix: the published test vector verifies, confirmed by openssl", "[identity][svix]") {
  // The expected signature is recomputed by the openssl CLI, not only taken on trust.
  CHECK(trainia::test::svix_sign(secret, msg_id, ts, body) == good);
  CHECK(make().sign(msg_id, ts, body) == good.substr(3));
  CHECK(accepted(good));
}

TEST_CASE("svix: a tampered body is refused", "[identity][svix]") {
  CHECK_FALSE(accepted(make(), msg_id, ts, good, R"({"test":  2432232314})", t0));
  CHECK_FALSE(accepted(make(), msg_id, ts, good, body + " ", t0));
  // The id and the timestamp are signed too.
  CHECK_FALSE(accepted(make(), "msg_p5jXN8AQM9LWM0D4loKWxJeK", ts, good, body, t0));
  CHECK_FALSE(accepted(make(), msg_id, "1614265331", good, body, t0));
}

TEST_CASE("svix: a stale timestamp is refused, 300 s old passes", "[identity][svix]") {
  CHECK(accepted(good, t0 + 300));
  CHECK_FALSE(accepted(good, t0 + 301));
  CHECK_FALSE(accepted(good, t0 + 86400));
}

TEST_CASE("svix: a future timestamp is refused, 300 s ahead passes", "[identity][svix]") {
  CHECK(accepted(good, t0 - 300));
  CHECK_FALSE(accepted(good, t0 - 301));
  CHECK_FALSE(accepted(good, 0));
}

TEST_CASE("svix: a signature made with another secret is refused", "[identity][svix]") {
  const std::string other = "whsec_" + std::string("QUJDREVGR0hJSktMTU5PUFFSU1RVVldY");  // base64 of A..X
  auto sig = trainia::test::svix_sign(other, msg_id, ts, body);
  CHECK(accepted(make(other), msg_id, ts, sig, body, t0));
  CHECK_FALSE(accepted(make(), msg_id, ts, sig, body, t0));
  CHECK_FALSE(accepted(make(other), msg_id, ts, good, body, t0));
}

TEST_CASE("svix: the secret is used base64-decoded, with or without whsec_", "[identity][svix]") {
  // Without the prefix the same key results.
  CHECK(accepted(make("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), msg_id, ts, good, body, t0));
  // The secret's text itself as the key (not decoded) gives another signature.
  auto raw = trainia::test::svix_sign("whsec_" + std::string("TWZLUTlyOEdLWXFyVHdqVVBEOElMUFpJbzJMYUxhU3c="), msg_id,
                                      ts, body);  // key bytes = "MfKQ…LaSw" as ASCII
  CHECK_FALSE(accepted(make(), msg_id, ts, raw, body, t0));
  // No key, or a key that is not base64: refused when the verifier is built.
  CHECK_FALSE(svix_verifier::make("whsec_"));
  CHECK_FALSE(svix_verifier::make(""));
  CHECK_FALSE(svix_verifier::make("whsec_not*base64!"));
  auto e = svix_verifier::make("whsec_not*base64!").error();
  CHECK(trainia::info_of(e).internal.find("not*base64") == std::string::npos);  // the secret never appears
}

TEST_CASE("svix: several signatures, one of which matches, pass", "[identity][svix]") {
  const std::string wrong = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  CHECK(accepted(wrong + " " + good));
  CHECK(accepted(good + " " + wrong));
  CHECK(accepted(wrong + " " + good + " " + wrong));
  CHECK_FALSE(accepted(wrong + " " + wrong));
}

TEST_CASE("svix: entries of other schemes are ignored", "[identity][svix]") {
  const std::string b64 = good.substr(3);
  CHECK_FALSE(accepted("v2," + b64));
  CHECK_FALSE(accepted("v1a," + b64));
  CHECK_FALSE(accepted("V1," + b64));
  CHECK_FALSE(accepted("v1a," + b64 + " v0," + b64));
  CHECK(accepted("v0," + b64 + " " + good));
  CHECK(accepted("v1a,xyz " + good + " v2,abc"));
}

TEST_CASE("svix: malformed signature header pieces do not match", "[identity][svix]") {
  const std::string b64 = good.substr(3);
  const std::vector<std::string> malformed{"v1",
                                           "v1,",
                                           "," + b64,
                                           "v1;" + b64,
                                           "v1=" + b64,
                                           b64,
                                           good + "x",
                                           good + "=",
                                           "v1, " + b64,
                                           "v1,,",
                                           " ",
                                           good.substr(0, good.size() - 1),
                                           "v1," + b64.substr(1)};
  for (const auto& sig : malformed) CHECK_FALSE(accepted(sig));
  // Spaces around and between entries are only separators.
  CHECK(accepted("  " + good + "  "));
  CHECK(accepted("v1 " + good));
}

TEST_CASE("svix: malformed ids and timestamps are refused", "[identity][svix]") {
  auto v = make();
  for (const std::string& stamp :
       {std::string(" 1614265330"), std::string("+1614265330"), std::string("1614265330.0"), std::string("-1614265330"),
        std::string("abc"), std::string("1614265330 "), std::string("9999999999999999999")}) {
    auto sig = trainia::test::svix_sign(secret, msg_id, stamp, body);
    CHECK_FALSE(accepted(v, msg_id, stamp, sig, body, t0));
  }
  for (const std::string& id : {std::string("msg.1"), std::string("msg 1"), std::string(256, 'a')}) {
    auto sig = trainia::test::svix_sign(secret, id, ts, body);
    CHECK_FALSE(accepted(v, id, ts, sig, body, t0));
  }
  // A long but allowed id is fine when signed.
  const std::string long_id(255, 'a');
  CHECK(accepted(v, long_id, ts, trainia::test::svix_sign(secret, long_id, ts, body), body, t0));
}

TEST_CASE("svix: the empty body is verified like any other", "[identity][svix]") {
  auto v = make();
  auto sig = trainia::test::svix_sign(secret, msg_id, ts, "");
  CHECK(accepted(v, msg_id, ts, sig, "", t0));
  CHECK_FALSE(accepted(v, msg_id, ts, good, "", t0));
  CHECK_FALSE(accepted(v, msg_id, ts, sig, body, t0));
}

TEST_CASE("svix: missing headers are refused", "[identity][svix]") {
  auto v = make();
  CHECK_FALSE(accepted(v, "", ts, good, body, t0));
  CHECK_FALSE(accepted(v, msg_id, "", good, body, t0));
  CHECK_FALSE(accepted(v, msg_id, ts, "", body, t0));
  CHECK_FALSE(accepted(v, "", "", "", body, t0));
}
