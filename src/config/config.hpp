#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace trainia {

enum class auth_mode { clerk, dev };
enum class log_level { debug, info, warn, error };

/// Every setting of the server, after defaults, the TRAINIA_CONFIG file and
/// the environment were applied (api.md §1). Immutable once loaded; shared
/// read-only by every thread.
struct config {
  // Listeners
  std::string host;
  uint16_t port = 0;
  std::string admin_host;
  uint16_t admin_port = 0;

  // Database
  std::string database_url;          // secret (env only)
  std::string database_service_url;  // secret (env only); defaults to database_url
  std::string database_migrate_url;  // secret (env only); defaults to database_url
  int database_pool_size = 0;
  int database_service_pool_size = 0;
  int database_connect_timeout_ms = 0;
  int database_statement_timeout_ms = 0;
  int database_queue_limit = 0;
  int database_queue_timeout_ms = 0;

  // Authentication
  auth_mode auth = auth_mode::clerk;
  std::string clerk_jwt_key;         // PEM text
  std::string clerk_jwks_file;
  std::optional<std::string> clerk_issuer;
  std::vector<std::string> clerk_authorized_parties;
  std::string clerk_webhook_secret;  // secret
  std::string dev_key_file;
  int64_t dev_token_ttl_seconds = 0;
  int auth_cache_entries = 0;

  // Billing
  std::string stripe_secret_key;                   // secret
  std::vector<std::string> stripe_webhook_secrets; // secret
  std::string stripe_api_base;
  std::string app_base_url;
  std::string plans_file;

  // AI provider
  std::string openai_api_key;  // secret
  std::string openai_base_url;
  std::string openai_model;

  // HTTP edge
  std::vector<std::string> cors_allowed_origins;
  int http_io_threads = 0;
  int http_max_connections = 0;
  int http_header_timeout_ms = 0;
  int http_body_timeout_ms = 0;
  int http_idle_timeout_ms = 0;
  int http_request_timeout_ms = 0;
  int http_max_header_bytes = 0;
  int http_max_body_bytes = 0;
  int http_shutdown_grace_ms = 0;

  // Limits and actors
  double rate_limit_per_user_per_second = 0;
  int rate_limit_burst = 0;
  int actor_threads = 0;
  std::string actor_scheduler;  // "stealing" or "sharing"
  int session_idle_timeout_ms = 0;
  bool enable_test_hooks = false;

  log_level log = log_level::info;

  // AI pipeline (src/ai)
  std::vector<std::string> ai_models;  // allowed "model" values besides openai_model
  int ai_concurrency = 0;              // provider calls in flight per process
  int ai_queue_limit = 0;              // queued tasks before submits answer 503
  int ai_max_attempts = 0;             // provider calls (and leases) per task
  int ai_lease_seconds = 0;            // lease of a running task; renewed while it runs
  int ai_call_timeout_ms = 0;          // one provider HTTP attempt
  int ai_task_deadline_ms = 0;         // a task's whole life, queue included
  int ai_retry_base_ms = 0;            // first back-off between provider attempts
  int ai_poll_interval_ms = 0;         // queue poll when idle
  int ai_metrics_interval_ms = 0;      // trainia_ai_tasks refresh from the database
};

/// Where each setting came from, for `--help` and docs.
struct setting_doc {
  std::string key;
  std::string env;
  std::string description;
  bool secret = false;
};

/// The documented settings, in table order.
const std::vector<setting_doc>& setting_docs();

/// Which settings a command needs beyond the defaults.
struct load_options {
  bool need_database = true;  // serve, migrate
  bool need_auth = true;      // serve
};

/// Loads the embedded defaults (config/default.json), then the file named by
/// `TRAINIA_CONFIG`, then the environment. On the first missing or malformed
/// setting returns nullopt and sets `error` to one line naming it.
std::optional<config> load_config(const std::map<std::string, std::string>& env,
                                  const load_options& opts, std::string& error);

/// The process environment as a map.
std::map<std::string, std::string> process_env();

/// How many CAF scheduler threads to start for `actors.threads`: that number,
/// or for 0 one per core (`cores`), at least 2. (CAF's own default would be
/// max(cores, 4): on 2 cores, 4 threads that mostly wake each other.)
int scheduler_threads(int configured, unsigned cores);

}  // namespace trainia
