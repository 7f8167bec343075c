#pragma once

#include <string_view>

namespace trainia::http {

/// True if an If-None-Match value (`*` or a comma list of entity tags, weak or
/// strong) matches `etag` under the weak comparison of RFC 9110 §13.1.2.
bool none_match_hits(std::string_view if_none_match, std::string_view etag);

}  // namespace trainia::http
