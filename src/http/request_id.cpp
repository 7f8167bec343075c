#include "http/request_id.hpp"

#include <random>

namespace trainia::http {

std::string request_id_for(std::string_view v) {
  if (!v.empty() && v.size() <= 128) {
    bool ok = true;
    for (char c : v) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '.' && c != '_' && c != '-') {
        ok = false;
        break;
      }
    }
    if (ok) return std::string(v);
  }
  // Per-thread generator: no lock, unpredictable enough for a correlation id.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = "req_";
  uint64_t a = gen(), b = gen();
  for (int i = 0; i < 16; ++i) id += hex[(a >> (i * 4)) & 15];
  for (int i = 0; i < 8; ++i) id += hex[(b >> (i * 4)) & 15];
  return id;
}

}  // namespace trainia::http
