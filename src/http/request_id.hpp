#pragma once

#include <string>
#include <string_view>

namespace trainia::http {

/// The caller's X-Request-Id if it is 1–128 characters of [A-Za-z0-9._-],
/// else a new random one (api.md §2).
std::string request_id_for(std::string_view caller_value);

}  // namespace trainia::http
