#pragma once

#include <string_view>
#include <vector>

namespace trainia {

/// A text file compiled into the binary (see cmake/embed_files.cmake).
struct embedded_file {
  std::string_view name;  // path relative to its folder, e.g. "profiles/get_profile.sql"
  std::string_view text;
};

/// src/db/sql/**/*.sql — one statement each.
const std::vector<embedded_file>& embedded_sql();

/// migrations/*.sql, in file-name order.
const std::vector<embedded_file>& embedded_migrations();

/// config/default.json and config/plans.json.
const std::vector<embedded_file>& embedded_config();

/// The file called `name` in `files`, or an empty view.
std::string_view find_embedded(const std::vector<embedded_file>& files, std::string_view name);

}  // namespace trainia
