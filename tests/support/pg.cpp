#include "support/pg.hpp"

#include "support/test_env.hpp"

#include <cstdlib>
#include <stdexcept>

namespace trainia::test {

std::string admin_url() {
  const char* v = std::getenv("TRAINIA_TEST_PG_URL");
  if (!v || !*v) throw std::runtime_error("TRAINIA_TEST_PG_URL is not set: run the tests through scripts/test");
  return v;
}

bool have_database() {
  const char* v = std::getenv("TRAINIA_TEST_PG_URL");
  return v && *v;
}

std::string with_database(const std::string& url, const std::string& db) {
  auto slash = url.rfind('/');
  auto q = url.find('?', slash);
  return url.substr(0, slash + 1) + db + (q == std::string::npos ? "" : url.substr(q));
}

std::optional<std::string> pg_rows::at(size_t i, const std::string& column) const {
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == column) return rows.at(i).at(c);
  throw std::runtime_error("no column " + column);
}

pg::pg(const std::string& url) {
  c_ = PQconnectdb(url.c_str());
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c_);
    PQfinish(c_);
    c_ = nullptr;
    throw std::runtime_error("test pg: cannot connect: " + msg);
  }
  PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
}

pg::~pg() {
  if (c_) PQfinish(c_);
}

pg_rows pg::query(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* r = PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0);
  auto st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error("test pg: " + sql + ": " + msg);
  }
  pg_rows out;
  for (int c = 0; c < PQnfields(r); ++c) out.columns.push_back(PQfname(r, c));
  for (int i = 0; i < PQntuples(r); ++i) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < PQnfields(r); ++c)
      row.push_back(PQgetisnull(r, i, c) ? std::nullopt
                                         : std::optional<std::string>(std::string(PQgetvalue(r, i, c), PQgetlength(r, i, c))));
    out.rows.push_back(std::move(row));
  }
  PQclear(r);
  return out;
}

void pg::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) { query(sql, params); }

std::optional<std::string> pg::scalar(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  auto r = query(sql, params);
  if (r.empty() || r.columns.empty()) return std::nullopt;
  return r.rows[0][0];
}

int64_t pg::count(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  auto v = scalar(sql, params);
  return v ? std::stoll(*v) : 0;
}

scratch_database::scratch_database() : name_("t_" + random_hex(8)) {
  pg admin(admin_url());
  admin.exec("CREATE DATABASE " + name_);
}

scratch_database::~scratch_database() {
  try {
    pg admin(admin_url());
    admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

std::string scratch_database::url() const { return with_database(admin_url(), name_); }

}  // namespace trainia::test
