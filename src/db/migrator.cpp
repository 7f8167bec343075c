#include "db/migrator.hpp"

#include "core/embedded_files.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/time.hpp"

#include <algorithm>
#include <map>

namespace trainia::db {
namespace {

// pg_advisory_lock key: "trainia" as bytes, fixed so every process agrees.
constexpr const char* lock_key = "7596486712318769";

constexpr const char* create_table =
  "CREATE TABLE IF NOT EXISTS schema_migrations ("
  " version integer PRIMARY KEY,"
  " file text NOT NULL,"
  " checksum text NOT NULL,"
  " applied_at timestamptz NOT NULL DEFAULT now())";

struct applied_row {
  std::string file, checksum, applied_at;
};

caf::expected<std::map<int, applied_row>> read_applied(connection& c) {
  auto exists = c.exec_params("SELECT to_regclass('schema_migrations') IS NOT NULL", {});
  if (!exists) return std::move(exists.error());
  std::map<int, applied_row> out;
  if (!exists->boolean(0, 0)) return out;
  auto r = c.exec_params("SELECT version, file, checksum, applied_at FROM schema_migrations ORDER BY version", {});
  if (!r) return std::move(r.error());
  for (int i = 0; i < r->rows(); ++i)
    out[static_cast<int>(r->int64(i, 0))] = {r->text(i, 1), r->text(i, 2), rfc3339_from_pg(r->view(i, 3))};
  return out;
}

caf::error verify(const std::map<int, applied_row>& applied, const std::vector<migration>& all) {
  for (const auto& [version, row] : applied) {
    auto it = std::find_if(all.begin(), all.end(), [v = version](const migration& m) { return m.version == v; });
    if (it == all.end())
      return fail(errc::internal, "migration " + row.file + " is applied in the database but unknown to this binary"
                                  " (is the binary older than the schema?)");
    if (it->checksum != row.checksum)
      return fail(errc::internal, "migration " + it->file + " was edited after it was applied (checksum " +
                                    it->checksum.substr(0, 12) + " in the file, " + row.checksum.substr(0, 12) +
                                    " in the database); add a new migration instead");
  }
  return {};
}

}  // namespace

caf::expected<std::vector<migration>> make_migration_list(
  const std::vector<std::pair<std::string, std::string_view>>& files) {
  std::vector<migration> out;
  for (const auto& [file, text] : files) {
    if (file.size() < 10 || file.substr(file.size() - 4) != ".sql" || file[4] != '_' ||
        !std::all_of(file.begin(), file.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }))
      return fail(errc::internal, "migration file " + file + " is not named NNNN_name.sql");
    migration m;
    m.version = std::stoi(file.substr(0, 4));
    m.file = file;
    m.sql = text;
    m.checksum = sha256_hex(text);
    for (const auto& o : out)
      if (o.version == m.version) return fail(errc::internal, "migration version repeated: " + file);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const migration& a, const migration& b) { return a.version < b.version; });
  return out;
}

std::vector<migration> embedded_migration_list() {
  std::vector<std::pair<std::string, std::string_view>> files;
  for (const auto& f : embedded_migrations()) files.emplace_back(std::string(f.name), f.text);
  auto list = make_migration_list(files);
  return list ? *list : std::vector<migration>{};
}

caf::expected<std::vector<migration_state>> migration_status(connection& c, const std::vector<migration>& all) {
  auto applied = read_applied(c);
  if (!applied) return std::move(applied.error());
  if (auto e = verify(*applied, all)) return e;
  std::vector<migration_state> out;
  for (const auto& m : all) {
    migration_state s;
    s.version = m.version;
    s.file = m.file;
    if (auto it = applied->find(m.version); it != applied->end()) {
      s.applied = true;
      s.applied_at = it->second.applied_at;
    }
    out.push_back(std::move(s));
  }
  return out;
}

caf::expected<int> migrate_up(connection& c, const std::vector<migration>& all,
                              const std::function<void(const std::string&)>& progress) {
  // Migrations may legitimately run long, and the lock wait must not time out.
  if (auto r = c.exec_script("SET statement_timeout = 0; SET lock_timeout = 0"); !r) return std::move(r.error());
  if (auto r = c.exec_script(std::string("SELECT pg_advisory_lock(") + lock_key + ")", 24 * 3600 * 1000); !r)
    return std::move(r.error());
  auto unlock = [&] { c.exec_script(std::string("SELECT pg_advisory_unlock(") + lock_key + ")"); };
  if (auto r = c.exec_script(create_table); !r) {
    unlock();
    return std::move(r.error());
  }
  auto applied = read_applied(c);
  if (!applied) {
    unlock();
    return std::move(applied.error());
  }
  if (auto e = verify(*applied, all)) {
    unlock();
    return e;
  }
  int count = 0;
  for (const auto& m : all) {
    if (applied->count(m.version)) continue;
    progress(m.file);
    caf::error err;
    if (auto r = c.exec_script("BEGIN"); !r) err = std::move(r.error());
    if (!err)
      if (auto r = c.exec_script(std::string(m.sql), 24 * 3600 * 1000); !r) err = std::move(r.error());
    if (!err)
      if (auto r = c.exec_params("INSERT INTO schema_migrations (version, file, checksum) VALUES ($1, $2, $3)",
                                 {m.version, m.file, m.checksum});
          !r)
        err = std::move(r.error());
    if (!err)
      if (auto r = c.exec_script("COMMIT"); !r) err = std::move(r.error());
    if (err) {
      c.exec_script("ROLLBACK");
      unlock();
      auto info = info_of(err);
      return fail(errc::internal, "migration " + m.file + " failed: " + (info.internal.empty() ? info.message : info.internal));
    }
    ++count;
  }
  unlock();
  return count;
}

caf::expected<int> applied_version(connection& c) {
  auto applied = read_applied(c);
  if (!applied) return std::move(applied.error());
  return applied->empty() ? 0 : applied->rbegin()->first;
}

}  // namespace trainia::db
