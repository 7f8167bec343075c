// Fuzz target "stripe_signature": the Stripe-Signature header parser and HMAC
// check (src/billing/stripe_signature.cpp) with fixed secrets and clock.
//
// Input: the header value, '\n', then the raw body. Only the seed deliveries
// (tests/fuzz/corpus/stripe_signature/, signed with the openssl CLI) carry a
// valid HMAC: any other body that verifies would be a forgery.

#include "fuzz/fuzz.hpp"

#include "billing/stripe_signature.hpp"
#include "core/error.hpp"
#include "http/error_response.hpp"

#include <string>
#include <vector>

namespace trainia::fuzz {

namespace stripe_fixtures {
inline const std::vector<std::string> secrets = {"whsec_fuzz_primary", "whsec_fuzz_rotated"};
inline constexpr int64_t now = 1750000000;
// The bodies of the signed seeds.
inline constexpr const char* signed_bodies[] = {
  R"({"id":"evt_fuzz_1","object":"event","type":"customer.subscription.updated","created":1750000000,"data":{"object":{"id":"sub_1","object":"subscription","customer":"cus_1","status":"active"}}})",
  R"({"id":"evt_fuzz_2","object":"event","type":"invoice.paid","created":1749999900,"data":{"object":{"id":"in_1","customer":"cus_1","subscription":"sub_1"}}})",
};
}  // namespace stripe_fixtures

void stripe_signature_one(const uint8_t* data, size_t size) {
  auto text = as_text(data, size);
  auto nl = text.find('\n');
  auto header = text.substr(0, nl);
  auto body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  auto e = billing::verify_stripe_signature(header, body, stripe_fixtures::secrets, stripe_fixtures::now);
  if (!e) {
    bool known = false;
    for (const char* b : stripe_fixtures::signed_bodies) known = known || body == b;
    FUZZ_CHECK(known);
  } else {
    auto m = http::map_error(e);
    FUZZ_CHECK(m.kind == errc::invalid_signature);
  }
}

}  // namespace trainia::fuzz

TRAINIA_FUZZ_ENTRY(trainia::fuzz::stripe_signature_one)
