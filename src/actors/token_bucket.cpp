#include "actors/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace trainia {

bool token_bucket::take(clock::time_point now, int& retry_after) {
  if (last_ != clock::time_point{}) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  }
  last_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  retry_after = std::max(1, static_cast<int>(std::ceil((1.0 - tokens_) / rate_)));
  return false;
}

}  // namespace trainia
