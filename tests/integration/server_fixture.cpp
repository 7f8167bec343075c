#include "integration/server_fixture.hpp"

#include "support/jwt_mint.hpp"
#include "support/poll.hpp"
#include "support/test_env.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <stdexcept>

namespace trainia::test {

std::string test_public_key_pem() { return read_file(test_key("clerk").public_pem); }

std::string table_digest(const std::string& database_url, const std::vector<std::string>& skip) {
  static const char* tables[] = {"user_profiles", "subscriptions",  "ai_tasks",     "stripe_events",
                                 "audit_log",     "usage_counters", "clerk_events", "clerk_user_tombstones"};
  pg db(database_url);
  std::string out;
  for (std::string t : tables) {
    if (std::find(skip.begin(), skip.end(), t) != skip.end()) continue;
    out += t + "=" +
           db.scalar("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                     "FROM " + t + " t")
               .value_or("?") +
           "\n";
  }
  return out;
}

command_result run_trainia(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  auto dir = temp_dir("trainia-cmd");
  auto log = dir + "/out.log";
  auto p = child_process::start({trainia_binary(), args, env, log});
  auto st = p.wait(std::chrono::seconds(60));
  if (!st) throw std::runtime_error("trainia command did not finish");
  command_result r{*st, read_file(log)};
  run_command("rm -rf " + dir);
  return r;
}

void migrate(const std::string& url) {
  // A generous connect time-out: a loaded CI machine (or a cluster that has
  // just started) can take longer than the default 2 s to accept a connection.
  auto r = run_trainia({"migrate"}, {{"DATABASE_URL", url}, {"TRAINIA_DB_CONNECT_TIMEOUT_MS", "15000"}});
  if (r.exit_code != 0) throw std::runtime_error("trainia migrate failed: " + r.output);
}

trainia_server::trainia_server(server_options opts) : wait_ready_(opts.wait_ready) {
  if (opts.database_url.empty()) {
    scratch_ = std::make_unique<scratch_database>();
    db_url_ = scratch_->url();
    migrate(db_url_);
  } else {
    db_url_ = opts.database_url;
  }
  port_ = free_port();
  admin_port_ = free_port();
  log_path_ = temp_dir("trainia-server") + "/server.log";
  env_ = {{"DATABASE_URL", db_url_},
          {"PORT", std::to_string(port_)},
          {"ADMIN_PORT", std::to_string(admin_port_)},
          {"AUTH_MODE", "clerk"},
          {"CLERK_JWT_KEY", test_public_key_pem()},
          {"CLERK_ISSUER", "https://clerk.test"},
          {"TRAINIA_TEST_HOOKS", "true"},
          {"DATABASE_POOL_SIZE", "4"},
          {"DATABASE_SERVICE_POOL_SIZE", "2"},
          {"TRAINIA_IO_THREADS", "2"},
          {"TRAINIA_ACTOR_THREADS", "2"},
          {"LOG_LEVEL", "info"}};
  for (const auto& [k, v] : opts.env) {
    if (v.empty()) env_.erase(k);  // "" removes a default
    else env_[k] = v;
  }
  start();
}

void trainia_server::start() {
  proc_ = std::make_unique<child_process>(child_process::start({trainia_binary(), {"serve"}, env_, log_path_}));
  if (!wait_for_http(admin_port_, wait_ready_ ? "/readyz" : "/healthz", std::chrono::seconds(20))) {
    std::string tail = log();
    if (tail.size() > 4000) tail = tail.substr(tail.size() - 4000);
    throw std::runtime_error("trainia serve did not become ready; log:\n" + tail);
  }
}

std::optional<int> trainia_server::stop(std::chrono::milliseconds timeout) {
  if (!proc_) return std::nullopt;
  proc_->signal(SIGTERM);
  return proc_->wait(timeout);
}

trainia_server::~trainia_server() {
  if (proc_ && proc_->running()) {
    proc_->signal(SIGTERM);
    if (!proc_->wait(std::chrono::seconds(15))) proc_->kill_hard();
  }
  // Under scripts/test's sanitizer stages the server is sanitized: any report
  // it wrote (even one that did not change its exit code) fails the test.
  if (proc_) {
    auto text = log();
    for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                               "WARNING: ThreadSanitizer"}) {
      if (auto at = text.find(marker); at != std::string::npos)
        FAIL_CHECK("sanitizer report in the server's log " << log_path_ << ":\n" << text.substr(at, 4000));
    }
  }
}

std::string trainia_server::log() const {
  try {
    return read_file(log_path_);
  } catch (...) {
    return {};
  }
}

std::string trainia_server::token(const std::string& user_id, const nlohmann::json& extra) const {
  bool plain = extra.empty();
  std::lock_guard<std::mutex> g(tokens_mx_);
  if (plain) {
    auto it = tokens_.find(user_id);
    if (it != tokens_.end()) return it->second;
  }
  auto now = unix_now();
  nlohmann::json claims{{"sub", user_id},    {"iss", "https://clerk.test"}, {"iat", now - 1},
                        {"nbf", now - 1},    {"exp", now + 3600},          {"sid", "sess_" + random_hex(6)},
                        {"azp", "http://localhost:3000"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it.value().is_null()) claims.erase(it.key());
    else claims[it.key()] = it.value();
  }
  auto t = mint_jwt(R"({"alg":"RS256","typ":"JWT","kid":"ins_test"})", claims.dump(), test_key("clerk").private_pem,
                    jwt_alg::rs256);
  if (plain) tokens_[user_id] = t;
  return t;
}

namespace {

bool listener_listening(const nlohmann::json& node) {
  if (node.value("kind", "") == "notify_listener") return node.value("state", "") == "listening";
  if (node.contains("children"))
    for (const auto& c : node["children"])
      if (listener_listening(c)) return true;
  return false;
}

}  // namespace

void wait_for_listener(trainia_server& s) {
  if (!poll_until([&] { return listener_listening(s.admin().get("/admin/actors").json()); }))
    FAIL("the notify listener did not connect");
}

}  // namespace trainia::test
