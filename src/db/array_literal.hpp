#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainia::db {

/// PostgreSQL array literals for one bind parameter ("$1::text[]"), so a
/// statement can take a whole batch (unnest) in one execution.

/// Text elements ({"a","b\"c"}): every element quoted, `"` and `\` escaped.
std::string text_array(const std::vector<std::string_view>& items);

/// Text elements that may be NULL (written unquoted: {"a",NULL}).
std::string nullable_text_array(const std::vector<std::optional<std::string_view>>& items);

/// Integer elements ({1,-2}).
template <class T>
std::string int_array(const std::vector<T>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out += std::to_string(items[i]);
  }
  out.push_back('}');
  return out;
}

/// Integer elements that may be NULL.
std::string nullable_int_array(const std::vector<std::optional<long long>>& items);

/// Boolean elements ({t,f}).
std::string bool_array(const std::vector<bool>& items);

}  // namespace trainia::db
