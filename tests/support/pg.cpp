#include "support/pg.hpp"

#include "support/server_process.hpp"
#include "support/test_env.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace trainia::test {

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// Frees a PGresult when it goes out of scope.
struct result_guard {
  PGresult* r;
  ~result_guard() { PQclear(r); }
};

std::string error_text(PGconn* c, PGresult* r) {
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(c);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (r)
    if (const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE)) msg += std::string(" (SQLSTATE ") + state + ")";
  return msg;
}

void check(PGconn* c, PGresult* r, const std::string& sql) {
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) return;
  throw std::runtime_error("test pg: " + error_text(c, r) + "\n  in: " + sql);
}

}  // namespace

std::string admin_url() {
  std::string v = env_or_empty("TRAINIA_TEST_PG_URL");
  if (v.empty())
    throw std::runtime_error(
        "TRAINIA_TEST_PG_URL is not set: run the tests through scripts/test, or export "
        "TRAINIA_TEST_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres");
  return v;
}

bool have_database() {
  return !env_or_empty("TRAINIA_TEST_PG_URL").empty();
}

std::string with_database(const std::string& url, const std::string& db) {
  auto scheme = url.find("://");
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) return url + " dbname=" + db;
  auto path = url.find_first_of("/?", scheme + 3);
  std::string base = url.substr(0, path);
  std::string query;
  if (path != std::string::npos)
    if (auto q = url.find('?', path); q != std::string::npos) query = url.substr(q);
  return base + "/" + db + query;
}

// --- pg_row / pg -------------------------------------------------------------

std::optional<std::string> pg_row::operator[](std::string_view column) const {
  for (std::size_t c = 0; c < columns_->size(); ++c)
    if ((*columns_)[c] == column) return values_.at(c);
  std::string have;
  for (const auto& c : *columns_) have += (have.empty() ? "" : ", ") + c;
  throw std::runtime_error("test pg: no column \"" + std::string(column) + "\" (columns: " + have + ")");
}

pg::pg(const std::string& url) {
  c_ = PQconnectdb(url.c_str());
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string msg = error_text(c_, nullptr);
    PQfinish(c_);
    c_ = nullptr;
    throw std::runtime_error("test pg: cannot connect to " + url + ": " + msg);
  }
  PQsetNoticeProcessor(
      c_, [](void*, const char*) {}, nullptr);
}

pg::~pg() {
  if (c_) PQfinish(c_);
}

pg_rows pg::query(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  result_guard r{
      PQexecParams(c_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0)};
  check(c_, r.r, sql);
  pg_rows out;
  for (int c = 0; c < PQnfields(r.r); ++c) out.columns.emplace_back(PQfname(r.r, c));
  auto columns = std::make_shared<const std::vector<std::string>>(out.columns);
  for (int i = 0; i < PQntuples(r.r); ++i) {
    std::vector<std::optional<std::string>> row;
    for (int c = 0; c < PQnfields(r.r); ++c)
      if (PQgetisnull(r.r, i, c))
        row.emplace_back(std::nullopt);
      else
        row.emplace_back(std::string(PQgetvalue(r.r, i, c), static_cast<std::size_t>(PQgetlength(r.r, i, c))));
    out.rows.emplace_back(columns, std::move(row));
  }
  return out;
}

void pg::exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  if (!params.empty()) {
    query(sql, params);
    return;
  }
  result_guard r{PQexec(c_, sql.c_str())};
  check(c_, r.r, sql);
}

std::optional<std::string> pg::scalar(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  auto r = query(sql, params);
  if (r.empty() || r.columns.empty()) return std::nullopt;
  return r[0][std::size_t{0}];
}

int64_t pg::count(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  auto v = scalar(sql, params);
  if (!v) return 0;
  std::size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(*v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v->size()) throw std::runtime_error("test pg: not an integer: '" + *v + "' from: " + sql);
  return n;
}

// --- scratch_database --------------------------------------------------------

scratch_database::scratch_database() : name_("t_" + random_hex(8)) {
  pg admin(admin_url());
  admin.exec("CREATE DATABASE \"" + name_ + "\"");
}

scratch_database::~scratch_database() {
  try {
    pg admin(admin_url());
    admin.exec("DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scratch_database: could not drop %s: %s\n", name_.c_str(), e.what());
  }
}

std::string scratch_database::url() const {
  return with_database(admin_url(), name_);
}

// --- pg_cluster_control ------------------------------------------------------

pg_cluster_control::pg_cluster_control()
    : ctl_(env_or_empty("TRAINIA_TEST_PG_CTL")),
      data_(env_or_empty("TRAINIA_TEST_PGDATA")),
      run_as_(env_or_empty("TRAINIA_TEST_PG_RUN_AS")),
      opts_(env_or_empty("TRAINIA_TEST_PG_OPTS")),
      log_(env_or_empty("TRAINIA_TEST_PG_LOG")),
      port_(env_or_empty("TRAINIA_TEST_PG_PORT")) {
  if (opts_.empty() && !port_.empty()) opts_ = "-p " + port_;
}

bool pg_cluster_control::available() const {
  return !ctl_.empty() && !data_.empty();
}

void pg_cluster_control::require() const {
  if (!available())
    throw std::runtime_error(
        "pg_cluster_control: TRAINIA_TEST_PG_CTL and TRAINIA_TEST_PGDATA are not set: run the tests through "
        "scripts/test");
}

int pg_cluster_control::pg_ctl(const std::vector<std::string>& args, std::string& output) const {
  require();
  std::vector<std::string> argv{"-D", data_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string binary = ctl_;
  const passwd* me = getpwuid(geteuid());
  if (!run_as_.empty() && !(me && run_as_ == me->pw_name)) {
    binary = access("/usr/sbin/runuser", X_OK) == 0 ? "/usr/sbin/runuser" : "/sbin/runuser";
    argv.insert(argv.begin(), {"-u", run_as_, "--", ctl_});
  }
  const std::string dir = temp_dir("pg_ctl");
  // Working directory "/": pg_ctl fails if its user cannot read the current one.
  auto p = child_process::start({binary, argv, {}, dir + "/out.log", std::string(1, '/')});
  auto status = p.wait(std::chrono::seconds(120));
  output = read_file(dir + "/out.log");
  std::remove((dir + "/out.log").c_str());
  std::remove(dir.c_str());
  if (!status) throw std::runtime_error("pg_cluster_control: pg_ctl did not finish in 120 s: " + output);
  return *status;
}

void pg_cluster_control::stop() {
  std::string out;
  if (pg_ctl({"stop", "-m", "fast", "-w", "-t", "60"}, out) != 0)
    throw std::runtime_error("pg_cluster_control: pg_ctl stop failed: " + out);
}

void pg_cluster_control::start() {
  std::vector<std::string> args{"start", "-w", "-t", "60"};
  if (!opts_.empty()) args.insert(args.end(), {"-o", opts_});
  if (!log_.empty()) args.insert(args.end(), {"-l", log_});
  std::string out;
  if (pg_ctl(args, out) != 0)
    throw std::runtime_error("pg_cluster_control: pg_ctl start failed (server log: " +
                             (log_.empty() ? std::string("none") : log_) + "): " + out);
}

bool pg_cluster_control::running() const {
  std::string out;
  return pg_ctl({"status"}, out) == 0;
}

}  // namespace trainia::test
