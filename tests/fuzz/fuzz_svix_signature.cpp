// Fuzz target "svix_signature": the svix-id/-timestamp/-signature headers of a
// Clerk webhook and the HMAC check (src/identity/svix_verifier.cpp) with a
// fixed secret and clock, plus the secret parser itself.
//
// Input: svix-id '\n' svix-timestamp '\n' svix-signature '\n' raw body; an
// input starting with "secret:" is a webhook secret for svix_verifier::make.
// Only the seed deliveries (signed with the openssl CLI) carry a valid HMAC:
// any other delivery that verifies would be a forgery.

#include "fuzz/fuzz.hpp"

#include "core/error.hpp"
#include "http/error_response.hpp"
#include "identity/svix_verifier.hpp"

#include <string>

namespace trainia::fuzz {

namespace svix_fixtures {
// base64 of "fuzz-svix-secret-32-bytes-long!!"
inline constexpr const char* secret = "whsec_ZnV6ei1zdml4LXNlY3JldC0zMi1ieXRlcy1sb25nISE=";
inline constexpr int64_t now = 1750000000;
inline constexpr const char* signed_ids[] = {"msg_fuzz_1", "msg_fuzz_2"};
}  // namespace svix_fixtures

void svix_signature_one(const uint8_t* data, size_t size) {
  static const identity::svix_verifier verifier = [] {
    auto v = identity::svix_verifier::make(svix_fixtures::secret);
    if (!v) std::abort();
    return *v;
  }();
  auto text = as_text(data, size);
  if (text.substr(0, 7) == "secret:") {
    auto v = identity::svix_verifier::make(text.substr(7));
    if (v) (void)v->sign("msg", "1", "{}");
    return;
  }
  std::string_view parts[4];
  for (int i = 0; i < 3; ++i) {
    auto nl = text.find('\n');
    parts[i] = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  parts[3] = text;
  identity::svix_headers h{parts[0], parts[1], parts[2]};
  auto e = verifier.verify(h, parts[3], svix_fixtures::now);
  if (!e) {
    bool known = false;
    for (const char* id : svix_fixtures::signed_ids) known = known || h.id == id;
    FUZZ_CHECK(known);
    FUZZ_CHECK(verifier.sign(h.id, h.timestamp, parts[3]).size() > 0);
  } else {
    FUZZ_CHECK(http::map_error(e).kind == errc::invalid_signature);
  }
}

}  // namespace trainia::fuzz

TRAINIA_FUZZ_ENTRY(trainia::fuzz::svix_signature_one)
