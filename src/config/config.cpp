#include "config/config.hpp"

#include "core/embedded_files.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

extern char** environ;

namespace trainia {
namespace {

using json = nlohmann::json;

/// A raw value before conversion: from the environment (text) or a file (JSON).
struct raw_value {
  std::optional<std::string> env_text;
  json file_value;  // null when absent
  std::string name; // the env var or the key, whichever supplied the value
};

using binder = std::function<std::optional<std::string>(config&, const raw_value&)>;

struct setting_spec {
  setting_doc doc;
  binder bind;  // returns an error text (without the name) or nullopt
};

std::string quoted(const raw_value& v) {
  if (v.env_text) return "\"" + *v.env_text + "\"";
  return v.file_value.dump();
}

bool present(const raw_value& v) { return v.env_text.has_value() || !v.file_value.is_null(); }

std::optional<std::string> as_text(const raw_value& v, std::string& out) {
  if (v.env_text) { out = *v.env_text; return std::nullopt; }
  if (!v.file_value.is_string()) return "expected a string, got " + quoted(v);
  out = v.file_value.get<std::string>();
  return std::nullopt;
}

std::optional<std::string> as_int(const raw_value& v, int64_t lo, int64_t hi, int64_t& out) {
  std::string range = "expected an integer between " + std::to_string(lo) + " and " +
                      std::to_string(hi) + ", got " + quoted(v);
  if (v.env_text) {
    const std::string& s = *v.env_text;
    if (s.empty() || s.size() > 18) return range;
    size_t i = (s[0] == '-') ? 1 : 0;
    if (i == s.size()) return range;
    for (size_t k = i; k < s.size(); ++k)
      if (s[k] < '0' || s[k] > '9') return range;
    out = std::stoll(s);
  } else {
    if (!v.file_value.is_number_integer()) return range;
    out = v.file_value.get<int64_t>();
  }
  if (out < lo || out > hi) return range;
  return std::nullopt;
}

std::optional<std::string> as_double(const raw_value& v, double lo, double hi, double& out) {
  std::ostringstream r;
  r << "expected a number between " << lo << " and " << hi << ", got " << quoted(v);
  if (v.env_text) {
    try {
      size_t used = 0;
      out = std::stod(*v.env_text, &used);
      if (used != v.env_text->size()) return r.str();
    } catch (...) {
      return r.str();
    }
  } else {
    if (!v.file_value.is_number()) return r.str();
    out = v.file_value.get<double>();
  }
  if (!std::isfinite(out) || out < lo || out > hi) return r.str();
  return std::nullopt;
}

std::optional<std::string> as_bool(const raw_value& v, bool& out) {
  if (v.env_text) {
    if (*v.env_text == "true" || *v.env_text == "1") { out = true; return std::nullopt; }
    if (*v.env_text == "false" || *v.env_text == "0") { out = false; return std::nullopt; }
    return "expected true or false, got " + quoted(v);
  }
  if (!v.file_value.is_boolean()) return "expected true or false, got " + quoted(v);
  out = v.file_value.get<bool>();
  return std::nullopt;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    auto b = cur.find_first_not_of(" \t");
    auto e = cur.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
    cur.clear();
  };
  for (char c : s) {
    if (c == ',') flush();
    else cur += c;
  }
  flush();
  return out;
}

std::optional<std::string> as_list(const raw_value& v, std::vector<std::string>& out) {
  out.clear();
  if (v.env_text) { out = split_list(*v.env_text); return std::nullopt; }
  if (v.file_value.is_string()) { out = split_list(v.file_value.get<std::string>()); return std::nullopt; }
  if (!v.file_value.is_array()) return "expected a list of strings, got " + quoted(v);
  for (const auto& e : v.file_value) {
    if (!e.is_string() || e.get<std::string>().empty())
      return "expected a list of non-empty strings, got " + quoted(v);
    out.push_back(e.get<std::string>());
  }
  return std::nullopt;
}

bool is_http_url(const std::string& s) {
  auto ok = [&](const char* p) {
    std::string pre = p;
    return s.size() > pre.size() && s.compare(0, pre.size(), pre) == 0;
  };
  return (ok("http://") || ok("https://")) && s.find_first_of(" \t\r\n") == std::string::npos;
}

// ---- binders -------------------------------------------------------------

binder text(std::string config::*m, bool non_empty = true) {
  return [=](config& c, const raw_value& v) -> std::optional<std::string> {
    std::string s;
    if (auto e = as_text(v, s)) return e;
    if (non_empty && s.empty()) return std::string("must not be empty");
    c.*m = std::move(s);
    return std::nullopt;
  };
}

binder url(std::string config::*m) {
  return [=](config& c, const raw_value& v) -> std::optional<std::string> {
    std::string s;
    if (auto e = as_text(v, s)) return e;
    if (!is_http_url(s)) return "expected an http:// or https:// URL, got " + quoted(v);
    while (s.size() > 8 && s.back() == '/') s.pop_back();
    c.*m = std::move(s);
    return std::nullopt;
  };
}

binder pg_url(std::string config::*m) {
  return [=](config& c, const raw_value& v) -> std::optional<std::string> {
    std::string s;
    if (auto e = as_text(v, s)) return e;
    // Never echo the value: it may hold a password.
    if (s.rfind("postgresql://", 0) != 0 && s.rfind("postgres://", 0) != 0 &&
        s.find('=') == std::string::npos)
      return std::string("expected a libpq URI (postgresql://…) or key=value string");
    c.*m = std::move(s);
    return std::nullopt;
  };
}

template <class T>
binder integer(T config::*m, int64_t lo, int64_t hi) {
  return [=](config& c, const raw_value& v) -> std::optional<std::string> {
    int64_t x = 0;
    if (auto e = as_int(v, lo, hi, x)) return e;
    c.*m = static_cast<T>(x);
    return std::nullopt;
  };
}

binder number(double config::*m, double lo, double hi) {
  return [=](config& c, const raw_value& v) -> std::optional<std::string> {
    double x = 0;
    if (auto e = as_double(v, lo, hi, x)) return e;
    c.*m = x;
    return std::nullopt;
  };
}

binder flag(bool config::*m) {
  return [=](config& c, const raw_value& v) { return as_bool(v, c.*m); };
}

binder list(std::vector<std::string> config::*m) {
  return [=](config& c, const raw_value& v) { return as_list(v, c.*m); };
}

const std::vector<setting_spec>& specs() {
  static const std::vector<setting_spec> all = [] {
    std::vector<setting_spec> s;
    auto add = [&](std::string key, std::string env, std::string desc, binder b, bool secret = false) {
      s.push_back({{std::move(key), std::move(env), std::move(desc), secret}, std::move(b)});
    };
    add("host", "HOST", "public HTTP listener address", text(&config::host));
    add("port", "PORT", "public HTTP listener port", integer(&config::port, 1, 65535));
    add("admin_host", "ADMIN_HOST", "operator listener address (keep it on loopback)", text(&config::admin_host));
    add("admin_port", "ADMIN_PORT", "operator listener port: /metrics /healthz /readyz /admin/*",
        integer(&config::admin_port, 1, 65535));
    add("database.url", "DATABASE_URL", "libpq URI of the request-serving role (RLS enforced); required",
        pg_url(&config::database_url), true);
    add("database.service_url", "DATABASE_SERVICE_URL",
        "libpq URI of the service role used by webhooks and workers; defaults to DATABASE_URL",
        pg_url(&config::database_service_url), true);
    add("database.migrate_url", "DATABASE_MIGRATE_URL",
        "libpq URI of the schema owner used by `trainia migrate`; defaults to DATABASE_URL",
        pg_url(&config::database_migrate_url), true);
    add("database.pool_size", "DATABASE_POOL_SIZE", "connections in the request pool",
        integer(&config::database_pool_size, 1, 256));
    add("database.service_pool_size", "DATABASE_SERVICE_POOL_SIZE", "connections in the service pool",
        integer(&config::database_service_pool_size, 1, 256));
    add("database.connect_timeout_ms", "TRAINIA_DB_CONNECT_TIMEOUT_MS", "time-out of one connection attempt",
        integer(&config::database_connect_timeout_ms, 100, 60000));
    add("database.statement_timeout_ms", "TRAINIA_DB_STATEMENT_TIMEOUT_MS", "server-side statement_timeout and client-side query deadline",
        integer(&config::database_statement_timeout_ms, 100, 600000));
    add("database.queue_limit", "TRAINIA_DB_QUEUE_LIMIT", "queries waiting for a free connection before 503",
        integer(&config::database_queue_limit, 1, 1000000));
    add("database.queue_timeout_ms", "TRAINIA_DB_QUEUE_TIMEOUT_MS", "longest wait for a free connection before 503",
        integer(&config::database_queue_timeout_ms, 10, 60000));
    add("auth.mode", "AUTH_MODE", "clerk, or dev (the server signs and accepts its own tokens)",
        [](config& c, const raw_value& v) -> std::optional<std::string> {
          std::string s;
          if (auto e = as_text(v, s)) return e;
          if (s == "clerk") c.auth = auth_mode::clerk;
          else if (s == "dev") c.auth = auth_mode::dev;
          else return "expected \"clerk\" or \"dev\", got " + quoted(v);
          return std::nullopt;
        });
    add("auth.dev_key_file", "TRAINIA_DEV_KEY_FILE", "dev mode: RSA key that signs dev tokens (created if absent)",
        text(&config::dev_key_file));
    add("auth.dev_token_ttl_seconds", "TRAINIA_DEV_TOKEN_TTL", "dev mode: lifetime of tokens from `trainia dev-token`",
        integer(&config::dev_token_ttl_seconds, 60, 31536000));
    add("auth.cache_entries", "TRAINIA_AUTH_CACHE_ENTRIES", "verified session tokens kept until they expire",
        integer(&config::auth_cache_entries, 16, 10000000));
    add("clerk.jwt_key", "CLERK_JWT_KEY", "PEM public key (RS256) that signs Clerk session tokens",
        text(&config::clerk_jwt_key));
    add("clerk.jwks_file", "CLERK_JWKS_FILE", "path of a JWKS document (keys chosen by kid)",
        text(&config::clerk_jwks_file));
    add("clerk.issuer", "CLERK_ISSUER", "expected iss (checked when set)",
        [](config& c, const raw_value& v) -> std::optional<std::string> {
          std::string s;
          if (auto e = as_text(v, s)) return e;
          if (s.empty()) return std::string("must not be empty");
          c.clerk_issuer = s;
          return std::nullopt;
        });
    add("clerk.authorized_parties", "CLERK_AUTHORIZED_PARTIES", "comma list; azp must be one of them when set",
        list(&config::clerk_authorized_parties));
    add("clerk.webhook_secret", "CLERK_WEBHOOK_SECRET", "whsec_… secret of the Clerk (Svix) webhook endpoint",
        [](config& c, const raw_value& v) -> std::optional<std::string> {
          std::string s;
          if (auto e = as_text(v, s)) return e;
          if (s.rfind("whsec_", 0) != 0 || s.size() <= 6) return std::string("expected a whsec_… secret");
          c.clerk_webhook_secret = s;
          return std::nullopt;
        }, true);
    add("stripe.secret_key", "STRIPE_SECRET_KEY", "sk_… key for Stripe API calls", text(&config::stripe_secret_key), true);
    add("stripe.webhook_secret", "STRIPE_WEBHOOK_SECRET", "whsec_… signing secret(s), comma-separated during rotation",
        [](config& c, const raw_value& v) -> std::optional<std::string> {
          if (auto e = as_list(v, c.stripe_webhook_secrets)) return e;
          for (const auto& s : c.stripe_webhook_secrets)
            if (s.rfind("whsec_", 0) != 0 || s.size() <= 6) return std::string("expected whsec_… secrets");
          return std::nullopt;
        }, true);
    add("stripe.api_base", "STRIPE_API_BASE", "Stripe API origin (http:// allowed for tests)", url(&config::stripe_api_base));
    add("app_base_url", "APP_BASE_URL", "front end origin, used for Checkout success/cancel URLs", url(&config::app_base_url));
    add("plans_file", "TRAINIA_PLANS_FILE", "plans and entitlements (defaults to the built-in config/plans.json)",
        text(&config::plans_file));
    add("openai.api_key", "OPENAI_API_KEY", "key for the AI provider", text(&config::openai_api_key), true);
    add("openai.base_url", "OPENAI_BASE_URL", "any OpenAI-compatible base URL", url(&config::openai_base_url));
    add("openai.model", "OPENAI_MODEL", "default model", text(&config::openai_model));
    add("cors.allowed_origins", "CORS_ALLOWED_ORIGINS", "browser origins allowed to call /api/*; defaults to APP_BASE_URL",
        list(&config::cors_allowed_origins));
    add("http.io_threads", "TRAINIA_IO_THREADS", "Asio threads for HTTP (0: one per core)",
        integer(&config::http_io_threads, 0, 64));
    add("http.max_connections", "TRAINIA_MAX_CONNECTIONS", "open client connections before new ones are refused",
        integer(&config::http_max_connections, 1, 1000000));
    add("http.header_timeout_ms", "TRAINIA_HEADER_TIMEOUT_MS", "time to receive a whole request header",
        integer(&config::http_header_timeout_ms, 100, 600000));
    add("http.body_timeout_ms", "TRAINIA_BODY_TIMEOUT_MS", "time to receive a whole request body",
        integer(&config::http_body_timeout_ms, 100, 600000));
    add("http.idle_timeout_ms", "TRAINIA_IDLE_TIMEOUT_MS", "keep-alive connection idle time before close",
        integer(&config::http_idle_timeout_ms, 100, 3600000));
    add("http.request_timeout_ms", "TRAINIA_REQUEST_TIMEOUT_MS", "deadline of one request inside the server",
        integer(&config::http_request_timeout_ms, 100, 600000));
    add("http.max_header_bytes", "TRAINIA_MAX_HEADER_BYTES", "request line + headers limit (431 beyond)",
        integer(&config::http_max_header_bytes, 1024, 1048576));
    add("http.max_body_bytes", "TRAINIA_MAX_BODY_BYTES", "request body limit (413 beyond)",
        integer(&config::http_max_body_bytes, 1024, 67108864));
    add("http.shutdown_grace_ms", "TRAINIA_SHUTDOWN_GRACE_MS", "on SIGTERM: time in-flight requests get to finish",
        integer(&config::http_shutdown_grace_ms, 0, 600000));
    add("rate_limit.per_user_per_second", "TRAINIA_RATE_LIMIT_PER_SECOND", "per-user token bucket refill rate",
        number(&config::rate_limit_per_user_per_second, 0.001, 1e9));
    add("rate_limit.burst", "TRAINIA_RATE_LIMIT_BURST", "per-user token bucket size",
        integer(&config::rate_limit_burst, 1, 1000000000));
    add("actors.threads", "TRAINIA_ACTOR_THREADS", "CAF scheduler threads (0: one per core, at least 2)",
        integer(&config::actor_threads, 0, 64));
    add("actors.scheduler", "TRAINIA_ACTOR_SCHEDULER", "CAF scheduler policy: stealing or sharing",
        [](config& c, const raw_value& v) -> std::optional<std::string> {
          std::string s;
          if (auto e = as_text(v, s)) return e;
          if (s != "stealing" && s != "sharing") return "expected \"stealing\" or \"sharing\", got " + quoted(v);
          c.actor_scheduler = s;
          return std::nullopt;
        });
    add("actors.session_idle_timeout_ms", "TRAINIA_SESSION_IDLE_MS", "idle time before a user's session actor is evicted",
        integer(&config::session_idle_timeout_ms, 100, 86400000));
    // AI pipeline settings (src/ai)
    add("ai.models", "TRAINIA_AI_MODELS", "models a submit may name besides OPENAI_MODEL (always allowed)",
        list(&config::ai_models));
    add("ai.concurrency", "TRAINIA_AI_CONCURRENCY", "AI provider calls in flight per process",
        integer(&config::ai_concurrency, 1, 4096));
    add("ai.queue_limit", "TRAINIA_AI_QUEUE_LIMIT", "queued AI tasks before a submit answers 503",
        integer(&config::ai_queue_limit, 1, 10000000));
    add("ai.max_attempts", "TRAINIA_AI_MAX_ATTEMPTS", "provider calls (and leases) per AI task before it fails",
        integer(&config::ai_max_attempts, 1, 100));
    add("ai.lease_seconds", "TRAINIA_AI_LEASE_SECONDS", "lease of a running AI task; another process takes it over after",
        integer(&config::ai_lease_seconds, 1, 3600));
    add("ai.call_timeout_ms", "TRAINIA_AI_CALL_TIMEOUT_MS", "time-out of one AI provider HTTP attempt",
        integer(&config::ai_call_timeout_ms, 100, 600000));
    add("ai.task_deadline_ms", "TRAINIA_AI_TASK_DEADLINE_MS", "an AI task's whole life from submit; retries never sleep past it",
        integer(&config::ai_task_deadline_ms, 100, 86400000));
    add("ai.retry_base_ms", "TRAINIA_AI_RETRY_BASE_MS", "first back-off between AI provider attempts (doubles, jittered, 8 s cap)",
        integer(&config::ai_retry_base_ms, 1, 60000));
    add("ai.poll_interval_ms", "TRAINIA_AI_POLL_INTERVAL_MS", "how often an idle process looks for queued AI tasks",
        integer(&config::ai_poll_interval_ms, 10, 60000));
    add("ai.metrics_interval_ms", "TRAINIA_AI_METRICS_INTERVAL_MS", "refresh of trainia_ai_tasks{status} from the database",
        integer(&config::ai_metrics_interval_ms, 100, 600000));
    add("test_hooks", "TRAINIA_TEST_HOOKS", "enable test-only fault injection (never in production)",
        flag(&config::enable_test_hooks));
    add("log_level", "LOG_LEVEL", "debug, info, warn or error",
        [](config& c, const raw_value& v) -> std::optional<std::string> {
          std::string s;
          if (auto e = as_text(v, s)) return e;
          if (s == "debug") c.log = log_level::debug;
          else if (s == "info") c.log = log_level::info;
          else if (s == "warn") c.log = log_level::warn;
          else if (s == "error") c.log = log_level::error;
          else return "expected debug, info, warn or error, got " + quoted(v);
          return std::nullopt;
        });
    return s;
  }();
  return all;
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, json>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it.value().is_object()) flatten(it.value(), key, out);
    else out[key] = it.value();
  }
}

const setting_spec* find_spec(const std::string& key) {
  for (const auto& s : specs())
    if (s.doc.key == key) return &s;
  return nullptr;
}

}  // namespace

const std::vector<setting_doc>& setting_docs() {
  static const std::vector<setting_doc> docs = [] {
    std::vector<setting_doc> d;
    for (const auto& s : specs()) d.push_back(s.doc);
    return d;
  }();
  return docs;
}

std::map<std::string, std::string> process_env() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

std::optional<config> load_config(const std::map<std::string, std::string>& env,
                                  const load_options& opts, std::string& error) {
  std::map<std::string, json> values;
  try {
    flatten(json::parse(find_embedded(embedded_config(), "default.json")), "", values);
  } catch (const std::exception& e) {
    error = std::string("config error: built-in default.json is malformed: ") + e.what();
    return std::nullopt;
  }
  if (auto it = env.find("TRAINIA_CONFIG"); it != env.end() && !it->second.empty()) {
    std::ifstream in(it->second);
    if (!in) {
      error = "config error: TRAINIA_CONFIG: cannot read " + it->second;
      return std::nullopt;
    }
    json overlay = json::parse(in, nullptr, false);
    if (overlay.is_discarded() || !overlay.is_object()) {
      error = "config error: TRAINIA_CONFIG: " + it->second + " is not a JSON object";
      return std::nullopt;
    }
    std::map<std::string, json> flat;
    flatten(overlay, "", flat);
    for (auto& [key, value] : flat) {
      const setting_spec* spec = find_spec(key);
      if (!spec) {
        error = "config error: " + key + ": unknown setting in " + it->second;
        return std::nullopt;
      }
      if (spec->doc.secret && !value.is_null()) {
        error = "config error: " + key + ": secrets come only from the environment (" + spec->doc.env + ")";
        return std::nullopt;
      }
      values[key] = value;
    }
  }
  config c;
  for (const auto& spec : specs()) {
    raw_value v;
    if (auto e = env.find(spec.doc.env); e != env.end()) {
      v.env_text = e->second;
      v.name = spec.doc.env;
    } else {
      if (auto f = values.find(spec.doc.key); f != values.end()) v.file_value = f->second;
      v.name = spec.doc.key;
    }
    if (!present(v)) continue;
    if (auto e = spec.bind(c, v)) {
      error = "config error: " + v.name + ": " + *e;
      return std::nullopt;
    }
  }
  // Settings that depend on others.
  if (c.database_service_url.empty()) c.database_service_url = c.database_url;
  if (c.database_migrate_url.empty()) c.database_migrate_url = c.database_url;
  if (c.cors_allowed_origins.empty()) c.cors_allowed_origins = {c.app_base_url};
  if (opts.need_database && c.database_url.empty()) {
    error = "config error: DATABASE_URL: required (a libpq URI such as postgresql://user@127.0.0.1:5432/trainia)";
    return std::nullopt;
  }
  if (opts.need_auth && c.auth == auth_mode::clerk && c.clerk_jwt_key.empty() && c.clerk_jwks_file.empty()) {
    error = "config error: CLERK_JWT_KEY: one of CLERK_JWT_KEY or CLERK_JWKS_FILE is required unless AUTH_MODE=dev";
    return std::nullopt;
  }
  if (c.port == c.admin_port && c.host == c.admin_host) {
    error = "config error: ADMIN_PORT: must differ from PORT";
    return std::nullopt;
  }
  return c;
}

int scheduler_threads(int configured, unsigned cores) {
  if (configured > 0) return configured;
  return std::max(2, static_cast<int>(cores));
}

}  // namespace trainia
