#include "auth/base64url.hpp"

#include <catch2/catch.hpp>

#include <string>

using trainia::auth::base64_decode;
using trainia::auth::base64_encode;
using trainia::auth::base64url_decode;
using trainia::auth::base64url_encode;

TEST_CASE("base64: RFC 4648 test vectors", "[auth][base64]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    CHECK(base64url_encode(plain) == unpadded);
    CHECK(base64url_decode(unpadded) == plain);
  }
}

TEST_CASE("base64url uses - and _ where base64 uses + and /", "[auth][base64]") {
  const std::string bytes("\xfb\xff\xbf", 3);
  CHECK(base64_encode(bytes) == "+/+/");
  CHECK(base64url_encode(bytes) == "-_-_");
  CHECK(base64url_decode("-_-_") == bytes);
  CHECK(base64_decode("+/+/") == bytes);
  CHECK_FALSE(base64url_decode("+/+/").has_value());
  CHECK_FALSE(base64_decode("-_-_").has_value());
}

TEST_CASE("base64url round-trips every byte value at every tail length", "[auth][base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); ++len) {
    const std::string bytes = all.substr(all.size() - len);
    const auto url = base64url_decode(base64url_encode(bytes));
    REQUIRE(url.has_value());
    CHECK(*url == bytes);
    const auto std_ = base64_decode(base64_encode(bytes));
    REQUIRE(std_.has_value());
    CHECK(*std_ == bytes);
  }
}

TEST_CASE("base64url_decode rejects padding, bad characters and impossible lengths",
          "[auth][base64]") {
  CHECK_FALSE(base64url_decode("Zg==").has_value());   // padding not allowed
  CHECK_FALSE(base64url_decode("Zm8=").has_value());
  CHECK_FALSE(base64url_decode("Zm9v!").has_value());  // invalid char
  CHECK_FALSE(base64url_decode("Zm 9v").has_value());  // whitespace
  CHECK_FALSE(base64url_decode("Zm9v\n").has_value());
  CHECK_FALSE(base64url_decode(std::string("Zm\0v", 4)).has_value());
  CHECK_FALSE(base64url_decode("Z").has_value());      // length % 4 == 1
  CHECK_FALSE(base64url_decode("Zm9vY").has_value());
  CHECK_FALSE(base64url_decode("\xc3\xa9").has_value());  // non-ASCII
  CHECK(base64url_decode("") == std::string{});
}

TEST_CASE("base64url_decode rejects non-canonical trailing bits", "[auth][base64]") {
  CHECK(base64url_decode("Zg") == std::string("f"));
  CHECK_FALSE(base64url_decode("Zh").has_value());  // same byte, non-zero spare bits
  CHECK(base64url_decode("Zm8") == std::string("fo"));
  CHECK_FALSE(base64url_decode("Zm9").has_value());
}

TEST_CASE("base64_decode requires correct padding", "[auth][base64]") {
  CHECK_FALSE(base64_decode("Zg").has_value());      // missing padding
  CHECK_FALSE(base64_decode("Zg=").has_value());
  CHECK_FALSE(base64_decode("Z===").has_value());
  CHECK_FALSE(base64_decode("====").has_value());
  CHECK_FALSE(base64_decode("Zg==Zg==").has_value());  // padding in the middle
  CHECK_FALSE(base64_decode("Z=g=").has_value());
  CHECK_FALSE(base64_decode("Zh==").has_value());      // non-canonical
  CHECK_FALSE(base64_decode("Zm9v YmFy").has_value());
  CHECK(base64_decode("") == std::string{});
  CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
}
