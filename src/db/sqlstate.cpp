#include "db/sqlstate.hpp"

#include "core/error.hpp"

namespace trainia::db {

bool is_connection_fault(std::string_view s) {
  // 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now.
  return s.empty() || s.substr(0, 2) == "08" || s == "57P01" || s == "57P02" || s == "57P03";
}

caf::error classify(std::string_view sqlstate, std::string_view statement, std::string_view message) {
  std::string internal = "sql " + std::string(statement) + " failed [" + std::string(sqlstate) + "]: " +
                         std::string(message);
  auto cls = sqlstate.substr(0, 2);
  if (sqlstate == "23505") return fail(errc::conflict, "the resource already exists", std::move(internal));
  if (sqlstate == "40001" || sqlstate == "40P01")
    return fail_unavailable("the request conflicted with another; retry", 1, std::move(internal));
  if (is_connection_fault(sqlstate) || cls == "53" /* insufficient resources: disk full, OOM */ ||
      sqlstate == "25006" /* read-only transaction */ || sqlstate == "57014" /* statement timeout */ ||
      cls == "58" /* system error (I/O) */)
    return fail_unavailable("the database is unavailable", 2, std::move(internal));
  return fail(errc::internal, "internal error", std::move(internal));
}

caf::error connection_lost(std::string_view what) {
  return fail_unavailable("the database is unavailable", 2, "db connection: " + std::string(what));
}

}  // namespace trainia::db
