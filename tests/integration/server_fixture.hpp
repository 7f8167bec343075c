#pragma once

#include "support/http_client.hpp"
#include "support/pg.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace trainia::test {

struct server_options {
  /// Extra environment for `trainia serve` (wins over the fixture's defaults;
  /// an empty value removes the variable).
  std::map<std::string, std::string> env;
  /// Use this database instead of a fresh scratch one (not migrated by the fixture).
  std::string database_url;
  bool wait_ready = true;  // wait for /readyz, not only /healthz
};

/// A real `trainia serve` process on free ports, against a freshly migrated
/// scratch database, authenticating Clerk tokens with a test RSA key (tokens
/// are minted with the openssl CLI, independently of the server's code).
/// Test hooks are on. The destructor sends SIGTERM and waits, then SIGKILL.
class trainia_server {
 public:
  explicit trainia_server(server_options opts = {});
  ~trainia_server();
  trainia_server(const trainia_server&) = delete;

  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  http_client client() const { return http_client("127.0.0.1", port_); }
  http_client admin() const { return http_client("127.0.0.1", admin_port_); }
  const std::string& database_url() const { return db_url_; }
  child_process& process() { return *proc_; }
  /// The server's log so far (JSON lines).
  std::string log() const;
  /// Starts the process again after `stop()` (same ports, database, env).
  void start();
  /// SIGTERM, then wait for exit; returns the exit status.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// A valid session token for `user_id` (cached per user), optionally with
  /// extra or overriding claims.
  std::string token(const std::string& user_id, const nlohmann::json& extra = nlohmann::json::object()) const;
  /// Headers with that token.
  header_list auth(const std::string& user_id) const { return {bearer(token(user_id))}; }

 private:
  std::unique_ptr<scratch_database> scratch_;
  std::string db_url_;
  std::map<std::string, std::string> env_;
  uint16_t port_ = 0, admin_port_ = 0;
  std::string log_path_;
  std::unique_ptr<child_process> proc_;
  bool wait_ready_ = true;
  mutable std::mutex tokens_mx_;
  mutable std::map<std::string, std::string> tokens_;
};

/// Waits until the server's cross-process notify listener is LISTENing (it
/// shows as "listening" in /admin/actors). Until then a session's cache is
/// dropped when the listener connects (notifications missed before LISTEN
/// cannot be known), and a task queued by another process reaches this one
/// only at its next poll. Fails the test after the poll's time limit.
void wait_for_listener(trainia_server& s);

/// Runs the trainia binary with arguments and env; returns exit code and output.
struct command_result {
  int exit_code = -1;
  std::string output;
};
command_result run_trainia(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);

/// Applies the binary's migrations to `url` with `trainia migrate`.
void migrate(const std::string& url);

/// The test key's public PEM, as CLERK_JWT_KEY.
std::string test_public_key_pem();

/// Row count and md5 over every row of every application table, read as the
/// superuser (RLS hides nothing), one "table=count:md5" line each: equal
/// digests before and after an attack mean nothing was written. Tables in
/// `skip` are left out (e.g. ai_tasks while a running task's lease is renewed).
std::string table_digest(const std::string& database_url, const std::vector<std::string>& skip = {});

}  // namespace trainia::test
