#pragma once

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <string_view>

namespace trainia {

/// Parses a request body as JSON, refusing (before building any tree) nesting
/// deeper than `max_depth` — a cheap guard against stack-exhausting input.
/// Malformed JSON or invalid UTF-8 → `invalid_json`; too deep → `validation_failed`.
caf::expected<nlohmann::json> parse_json_body(std::string_view body, int max_depth = 64);

/// Nesting depth of a JSON value: scalars 0, `{}`/`[]` 1, and so on.
int json_depth(const nlohmann::json& j);

/// Number of Unicode code points in valid UTF-8 text.
size_t code_points(std::string_view utf8);

/// Trims Unicode white space (ASCII space/tab/CR/LF and U+00A0, U+2000–U+200A,
/// U+3000, U+FEFF) from both ends.
std::string trim_unicode(std::string_view s);

/// True if `s` contains C0/C1 control characters or U+007F.
bool has_control_chars(std::string_view s);

/// True if any string or object key inside `j` contains U+0000, which
/// PostgreSQL's text and jsonb cannot store (it would fail as SQLSTATE 22P05).
bool contains_nul(const nlohmann::json& j);

}  // namespace trainia
