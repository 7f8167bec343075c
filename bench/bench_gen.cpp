// Inputs of bench/run, made with OpenSSL directly (nothing of the server's own
// code): RS256 session tokens and signed Stripe webhook deliveries.
//   bench_gen tokens KEY_PEM USER_PREFIX COUNT ISSUER EXP_UNIX OUT
//     one JWT per line for users USER_PREFIX0001 … (4-digit, 1-based)
//   bench_gen stripe SECRET RUN_TAG SEQ_START COUNT USERS CREATED_BASE T OUT
//     COUNT lines "<Stripe-Signature>\t<body>": customer.subscription.updated
//     events evt_<RUN_TAG>_<seq> for subscription sub_bench_<u> of customer
//     cus_bench_<u>, u = seq % USERS + 1; created = CREATED_BASE + seq / USERS,
//     so each subscription's events are one second apart and in order.
//     Signed with timestamp T (HMAC-SHA256 over "T.body", key = SECRET as ASCII).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

namespace {

std::string b64url(const unsigned char* p, size_t n) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
    out += abc[v & 63];
  }
  if (i + 1 == n) {
    unsigned v = p[i] << 16;
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
  } else if (i + 2 == n) {
    unsigned v = (p[i] << 16) | (p[i + 1] << 8);
    out += abc[v >> 18];
    out += abc[(v >> 12) & 63];
    out += abc[(v >> 6) & 63];
  }
  return out;
}

std::string b64url(const std::string& s) {
  return b64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

int die(const std::string& why) {
  std::cerr << "bench_gen: " << why << "\n";
  return 1;
}

std::string user_id(const std::string& prefix, long i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04ld", i);
  return prefix + buf;
}

int tokens(char** a) {
  std::string key_path = a[0], prefix = a[1], issuer = a[3], out_path = a[5];
  long count = std::atol(a[2]), exp = std::atol(a[4]);
  FILE* f = std::fopen(key_path.c_str(), "r");
  if (!f) return die("cannot open " + key_path);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key) return die("not a PEM private key: " + key_path);
  std::ofstream out(out_path);
  long now = static_cast<long>(std::time(nullptr));
  std::string header = b64url(R"({"alg":"RS256","typ":"JWT","kid":"bench"})");
  for (long i = 1; i <= count; ++i) {
    std::string payload = R"({"sub":")" + user_id(prefix, i) + R"(","iss":")" + issuer + R"(","sid":"sess_bench_)" +
                          std::to_string(i) + R"(","iat":)" + std::to_string(now) + R"(,"nbf":)" +
                          std::to_string(now - 10) + R"(,"exp":)" + std::to_string(exp) + "}";
    std::string input = header + "." + b64url(payload);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    unsigned char sig[1024];
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1 ||
        len > sizeof sig ||
        EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      EVP_MD_CTX_free(ctx);
      return die("signing failed");
    }
    EVP_MD_CTX_free(ctx);
    out << input << "." << b64url(sig, len) << "\n";
  }
  EVP_PKEY_free(key);
  return out ? 0 : die("cannot write " + out_path);
}

int stripe(char** a) {
  std::string secret = a[0], tag = a[1], out_path = a[7];
  long seq0 = std::atol(a[2]), count = std::atol(a[3]), users = std::atol(a[4]), base = std::atol(a[5]);
  std::string t = a[6];
  if (users <= 0 || count < 0) return die("bad counts");
  std::ofstream out(out_path);
  static const char* hex = "0123456789abcdef";
  for (long seq = seq0; seq < seq0 + count; ++seq) {
    long u = seq % users + 1;
    long created = base + seq / users;
    std::string us = user_id("", u), c = std::to_string(created), end = std::to_string(created + 2592000);
    std::string body =
        R"({"id":"evt_)" + tag + "_" + std::to_string(seq) +
        R"(","object":"event","api_version":"2025-03-31.basil","created":)" + c +
        R"(,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},)"
        R"("type":"customer.subscription.updated","data":{"object":{"id":"sub_bench_)" + us +
        R"(","object":"subscription","customer":"cus_bench_)" + us +
        R"(","status":"active","cancel_at_period_end":false,"collection_method":"charge_automatically",)"
        R"("currency":"usd","created":1743499000,"items":{"object":"list","data":[{"id":"si_bench_)" + us +
        R"(","object":"subscription_item","quantity":1,"current_period_start":)" + c +
        R"(,"current_period_end":)" + end +
        R"(,"price":{"id":"price_bench","object":"price","currency":"usd","unit_amount":9900,)"
        R"("recurring":{"interval":"month","interval_count":1}}}]},"metadata":{}},)"
        R"("previous_attributes":{"current_period_end":)" + c + "}}}";
    std::string signed_payload = t + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(signed_payload.data()), signed_payload.size(), mac, &mac_len);
    std::string sig = "t=" + t + ",v1=";
    for (unsigned i = 0; i < mac_len; ++i) {
      sig += hex[mac[i] >> 4];
      sig += hex[mac[i] & 15];
    }
    out << sig << "\t" << body << "\n";
  }
  return out ? 0 : die("cannot write " + out_path);
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "tokens" && argc == 8) return tokens(argv + 2);
  if (cmd == "stripe" && argc == 10) return stripe(argv + 2);
  std::cerr << "usage: bench_gen tokens KEY_PEM USER_PREFIX COUNT ISSUER EXP_UNIX OUT\n"
               "       bench_gen stripe SECRET RUN_TAG SEQ_START COUNT USERS CREATED_BASE T OUT\n";
  return 2;
}
