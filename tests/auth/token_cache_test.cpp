#include "auth/token_cache.hpp"
#include "support/jwt_mint.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

using trainia::auth::caching_verifier;
using trainia::auth::jwt_error;
using trainia::auth::key_set;
using trainia::auth::principal;
using trainia::auth::token_cache;
using trainia::auth::verify_options;
using json = nlohmann::json;
namespace t = trainia::test;

namespace {

constexpr int64_t now = 1'700'000'000;

principal make_principal(const std::string& user, int64_t exp) {
  principal p;
  p.user_id = user;
  p.session_id = "sess_" + user;
  p.expires_at = exp;
  return p;
}

std::string mint(const std::string& sub, int64_t exp, const std::string& sts = "active") {
  const json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  const json claims = {{"sub", sub}, {"exp", exp}, {"iat", now - 5}, {"sts", sts}};
  return t::mint_jwt(header.dump(), claims.dump(), t::test_key("primary").private_pem);
}

std::shared_ptr<const key_set> keys() {
  std::string err;
  auto k = key_set::from_pem(t::read_file(t::test_key("primary").public_pem), err);
  REQUIRE(k);
  return std::make_shared<const key_set>(std::move(*k));
}

}  // namespace

TEST_CASE("token_cache returns the principal cached for the exact token", "[auth][token_cache]") {
  token_cache cache;
  const principal p = make_principal("u1", now + 60);
  cache.insert("aaa.bbb.ccc", p, now);
  const auto hit = cache.find("aaa.bbb.ccc", now);
  REQUIRE(hit.has_value());
  CHECK(*hit == p);
  CHECK(cache.size() == 1);
}

TEST_CASE("token_cache misses for any other token", "[auth][token_cache]") {
  token_cache cache;
  cache.insert("aaa.bbb.ccc", make_principal("u1", now + 60), now);
  CHECK_FALSE(cache.find("aaa.bbb.ccd", now).has_value());
  CHECK_FALSE(cache.find("aaa.bbb.cc", now).has_value());
  CHECK_FALSE(cache.find("aaa.bbb.ccc ", now).has_value());
  CHECK_FALSE(cache.find("", now).has_value());
}

TEST_CASE("token_cache entries expire at exp + leeway and are then dropped",
          "[auth][token_cache]") {
  token_cache cache(100, 4, 5);
  cache.insert("tok", make_principal("u1", now + 60), now);
  CHECK(cache.find("tok", now + 60).has_value());
  CHECK(cache.find("tok", now + 65).has_value());
  CHECK_FALSE(cache.find("tok", now + 66).has_value());
  CHECK(cache.size() == 0);  // dropped on the expired lookup
  CHECK_FALSE(cache.find("tok", now).has_value());
}

TEST_CASE("token_cache keeps its entries in pools it gives back once a shard empties", "[auth][token_cache]") {
  token_cache cache(1000, 4, 0);
  const auto empty = cache.bytes_held();  // the pools' own bookkeeping
  CHECK(empty < 16 * 1024);
  const std::string long_token(700, 'x');  // about the size of a Clerk session token
  for (int i = 0; i < 200; ++i) {
    auto p = make_principal("user_" + std::string(30, 'u') + std::to_string(i), now + 10);
    p.authorized_party = "https://app.example.com";
    cache.insert(long_token + std::to_string(i), p, now);
  }
  REQUIRE(cache.size() == 200);
  const auto held = cache.bytes_held();
  // Nodes and the principals' strings come from the pools; the token itself is
  // not kept (its SHA-256 is the key), so an entry costs far less than its token.
  INFO("bytes held per entry: " << (held - empty) / 200);
  CHECK(held >= empty + 200 * 64);
  CHECK(held <= empty + 200 * 640);  // the token alone is 700 bytes
  auto hit = cache.find(long_token + "7", now);
  REQUIRE(hit.has_value());
  CHECK(hit->user_id == "user_" + std::string(30, 'u') + "7");
  CHECK(hit->authorized_party == "https://app.example.com");
  // Every entry expires; the lookups that meet them drop them, and the shards give their pools back.
  for (int i = 0; i < 200; ++i) CHECK_FALSE(cache.find(long_token + std::to_string(i), now + 11).has_value());
  CHECK(cache.size() == 0);
  CHECK(cache.bytes_held() <= empty);
  // And they work again afterwards.
  cache.insert("again", make_principal("u2", now + 60), now);
  CHECK(cache.find("again", now)->user_id == "u2");
}

TEST_CASE("a full shard purges expired entries before evicting live ones", "[auth][token_cache]") {
  token_cache cache(8, 1, 0);
  for (int i = 0; i < 4; ++i)
    cache.insert("live" + std::to_string(i), make_principal("u", now + 1000), now);
  for (int i = 0; i < 4; ++i)
    cache.insert("old" + std::to_string(i), make_principal("u", now + 10), now);
  REQUIRE(cache.size() == 8);
  // At now + 100 the "old" entries are expired; inserting must drop them, not live ones.
  cache.insert("new", make_principal("u", now + 1000), now + 100);
  CHECK(cache.size() == 5);
  for (int i = 0; i < 4; ++i) CHECK(cache.find("live" + std::to_string(i), now + 100).has_value());
  CHECK(cache.find("new", now + 100).has_value());
}

TEST_CASE("token_cache never holds more than max_entries", "[auth][token_cache]") {
  token_cache cache(64, 4);
  CHECK(cache.capacity() <= 64);
  for (int i = 0; i < 1000; ++i) {
    const std::string token = "token-" + std::to_string(i);
    cache.insert(token, make_principal(token, now + 3600), now);
    REQUIRE(cache.size() <= 64);
    CHECK(cache.find(token, now).has_value());  // the newest entry is always kept
  }
  CHECK(cache.size() > 32);  // eviction frees an eighth, not everything

  token_cache tiny(3, 16);  // fewer entries than shards
  for (int i = 0; i < 50; ++i) tiny.insert(std::to_string(i), make_principal("u", now + 60), now);
  CHECK(tiny.size() <= 3);

  token_cache off(0);
  off.insert("tok", make_principal("u", now + 60), now);
  CHECK(off.size() == 0);
  CHECK_FALSE(off.find("tok", now).has_value());
}

TEST_CASE("re-inserting a token replaces its entry", "[auth][token_cache]") {
  token_cache cache(4, 1);
  cache.insert("tok", make_principal("u1", now + 60), now);
  cache.insert("tok", make_principal("u1", now + 120), now);
  CHECK(cache.size() == 1);
  CHECK(cache.find("tok", now + 100).has_value());
}

TEST_CASE("caching_verifier answers a repeat from the cache without RSA work",
          "[auth][token_cache]") {
  const caching_verifier v(keys(), verify_options{});
  const std::string token = mint("user_1", now + 60);
  CHECK(v.verifications() == 0);

  const auto first = v.verify(token, now);
  REQUIRE(std::holds_alternative<principal>(first));
  CHECK(v.verifications() == 1);
  CHECK(v.cache().size() == 1);

  for (int i = 0; i < 10; ++i) {
    const auto again = v.verify(token, now + i);
    REQUIRE(std::holds_alternative<principal>(again));
    CHECK(std::get<principal>(again) == std::get<principal>(first));
  }
  CHECK(v.verifications() == 1);

  CHECK(std::holds_alternative<principal>(v.verify(mint("user_2", now + 60), now)));
  CHECK(v.verifications() == 2);
}

TEST_CASE("caching_verifier never caches failures", "[auth][token_cache]") {
  const caching_verifier v(keys(), verify_options{});
  const std::string foreign = t::mint_jwt(R"({"alg":"RS256"})",
                                          json({{"sub", "u"}, {"exp", now + 60}}).dump(),
                                          t::test_key("foreign").private_pem);
  const std::string pending = mint("user_1", now + 60, "pending");
  for (int i = 0; i < 3; ++i) {
    CHECK(std::get<jwt_error>(v.verify(foreign, now)) == jwt_error::invalid_signature);
    CHECK(std::get<jwt_error>(v.verify(pending, now)) == jwt_error::session_pending);
    CHECK(std::get<jwt_error>(v.verify("garbage", now)) == jwt_error::malformed);
  }
  CHECK(v.verifications() == 9);
  CHECK(v.cache().size() == 0);
}

TEST_CASE("caching_verifier re-verifies a cached token once it has expired",
          "[auth][token_cache]") {
  verify_options o;
  o.leeway_seconds = 5;
  const caching_verifier v(keys(), o);
  const std::string token = mint("user_1", now + 60);
  REQUIRE(std::holds_alternative<principal>(v.verify(token, now)));
  CHECK(std::holds_alternative<principal>(v.verify(token, now + 65)));
  CHECK(v.verifications() == 1);
  const auto late = v.verify(token, now + 66);
  REQUIRE(std::holds_alternative<jwt_error>(late));
  CHECK(std::get<jwt_error>(late) == jwt_error::expired);
  CHECK(v.verifications() == 2);
}

TEST_CASE("token_cache and caching_verifier are safe from 4 threads", "[auth][token_cache]") {
  const caching_verifier v(keys(), verify_options{}, 16, 4);  // small: forces eviction races
  std::vector<std::string> tokens;
  for (int i = 0; i < 24; ++i) tokens.push_back(mint("user_" + std::to_string(i), now + 60));
  const std::string bad = mint("user_x", now - 100);

  token_cache raw(32, 4);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < tokens.size(); ++i) {
          const auto r = v.verify(tokens[(i + th * 7) % tokens.size()], now);
          const auto* p = std::get_if<principal>(&r);
          if (p == nullptr || p->user_id != "user_" + std::to_string((i + th * 7) % tokens.size()))
            ++wrong;
          std::string key = "t";  // appended, not `"t" + …`: that trips GCC 12's -Wrestrict (PR105651)
          key += std::to_string(th) + "-" + std::to_string(i);
          raw.insert(key, make_principal(key, now + 60), now);
          const auto hit = raw.find(key, now);
          if (hit && hit->user_id != key) ++wrong;
          (void)raw.size();
        }
        if (!std::holds_alternative<jwt_error>(v.verify(bad, now))) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(v.cache().size() <= 16);
  CHECK(raw.size() <= 32);
  CHECK(v.verifications() >= tokens.size());
}
