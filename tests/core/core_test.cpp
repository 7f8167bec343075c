#include "core/json_body.hpp"
#include "core/sha256.hpp"
#include "core/time.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace trainia;

TEST_CASE("PostgreSQL timestamps become RFC 3339 UTC with milliseconds", "[core]") {
  CHECK(rfc3339_from_pg("2026-11-25 10:00:00.123456+00") == "2026-11-25T10:00:00.123Z");
  CHECK(rfc3339_from_pg("2026-11-25 10:00:00.1+00") == "2026-11-25T10:00:00.100Z");
  CHECK(rfc3339_from_pg("2026-11-25 10:00:00+00") == "2026-11-25T10:00:00.000Z");
}

TEST_CASE("RFC 3339 parsing", "[core]") {
  CHECK(parse_rfc3339_us("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339_us("2026-11-25T10:00:00.123Z") == int64_t{1795600800123000});
  CHECK(parse_rfc3339_us("2026-11-25T11:00:00.123+01:00") == int64_t{1795600800123000});
  CHECK(parse_rfc3339_us("2026-11-25T10:00:00.000001Z") == int64_t{1795600800000001});
  for (const char* bad : {"", "2026-11-25", "2026-11-25 10:00:00Z", "2026-13-25T10:00:00Z", "2026-11-25T10:00:00",
                          "2026-11-25T10:00:00.Z", "2026-11-25T10:00:00Zjunk", "x026-11-25T10:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339_us(bad));
  }
  CHECK(rfc3339_from_unix(1795600800) == "2026-11-25T10:00:00Z");
}

TEST_CASE("code points, trimming and control characters", "[core]") {
  CHECK(code_points("abc") == 3);
  CHECK(code_points("\xE2\x82\xAC\xF0\x9F\x98\x80") == 2);
  CHECK(trim_unicode("\xE3\x80\x80 a b\t\n") == "a b");
  CHECK(trim_unicode("   ") == "");
  CHECK(has_control_chars("a\x01"));
  CHECK(has_control_chars("a\x7f"));
  CHECK(has_control_chars("a\xC2\x85"));  // U+0085
  CHECK_FALSE(has_control_chars("Zoë Ström"));
}

TEST_CASE("HMAC-SHA256 and constant-time compare", "[core]") {
  // RFC 4231 test case 2.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The per-thread context is reused: a second digest is not polluted by the first.
  const auto d = sha256_digest("abc");
  CHECK(to_hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())) == sha256_hex("abc"));
  std::string from_threads[2];
  std::thread t1([&] { from_threads[0] = sha256_hex(std::string(1000, 'a')); });
  std::thread t2([&] { from_threads[1] = sha256_hex(std::string(1000, 'a')); });
  t1.join();
  t2.join();
  CHECK(from_threads[0] == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  CHECK(from_threads[1] == from_threads[0]);
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK(random_hex(8).size() == 16);
}
