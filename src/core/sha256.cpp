#include "core/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace trainia {

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

namespace {

// OpenSSL 3 looks an algorithm up in its provider store (under a lock shared
// by all threads) each time EVP_Digest is handed EVP_sha256(): 0.74 µs for an
// 800-byte token on one thread, 1.2 µs on two. Fetched once and with a context
// per thread it is 0.53 µs on any number (the token cache hashes every token).
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct md_ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~md_ctx() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::array<unsigned char, 32> sha256_digest(std::string_view data) {
  thread_local md_ctx c;
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  const EVP_MD* alg = sha256_md();
  if (c.ctx == nullptr || alg == nullptr || EVP_DigestInit_ex2(c.ctx, alg, nullptr) != 1 ||
      EVP_DigestUpdate(c.ctx, data.data(), data.size()) != 1 || EVP_DigestFinal_ex(c.ctx, md.data(), &len) != 1)
    throw std::runtime_error("SHA-256 failed");
  return md;
}

std::string sha256_hex(std::string_view data) {
  const auto md = sha256_digest(data);
  return to_hex(std::string_view(reinterpret_cast<const char*>(md.data()), md.size()));
}

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  return to_hex(hmac_sha256_raw(key, data));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(size_t n) {
  std::string buf(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return to_hex(buf);
}

}  // namespace trainia
