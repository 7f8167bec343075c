#pragma once

#include "db/connection.hpp"

#include <caf/expected.hpp>

#include <functional>
#include <string>
#include <vector>

namespace trainia::db {

/// One numbered migration file: migrations/NNNN_name.sql.
struct migration {
  int version = 0;
  std::string file;      // "0001_initial_schema.sql"
  std::string_view sql;
  std::string checksum;  // sha256 of the file's bytes
};

/// The migrations compiled into this binary, in version order.
std::vector<migration> embedded_migration_list();

/// Parses "NNNN_name.sql" files into migrations; a name that does not fit or a
/// repeated version is an error naming the file.
caf::expected<std::vector<migration>> make_migration_list(const std::vector<std::pair<std::string, std::string_view>>& files);

struct migration_state {
  int version = 0;
  std::string file;
  bool applied = false;
  std::string applied_at;   // RFC 3339, when applied
};

/// Applied and pending migrations. Fails (naming the file) if an applied
/// migration's checksum differs from the file's, or the database holds a
/// version this binary does not know.
caf::expected<std::vector<migration_state>> migration_status(connection& c, const std::vector<migration>& all);

/// Applies every pending migration in order, each in its own transaction,
/// under a session advisory lock (so concurrent `trainia migrate` runs are
/// safe: the second waits, then finds nothing to do). Returns how many it
/// applied; `progress` is told each file as it is applied.
caf::expected<int> migrate_up(connection& c, const std::vector<migration>& all,
                              const std::function<void(const std::string&)>& progress);

/// The newest version applied in the database (0 if none or no table).
caf::expected<int> applied_version(connection& c);

}  // namespace trainia::db
