#include "db/result.hpp"

#include <charconv>

namespace trainia::db {

int64_t result::affected() const {
  if (!r_) return 0;
  const char* n = PQcmdTuples(r_.get());
  int64_t v = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

int64_t result::int64(int row, int col) const {
  auto v = view(row, col);
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

}  // namespace trainia::db
