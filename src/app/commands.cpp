#include "app/commands.hpp"

#include "auth/dev_signer.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "db/migrator.hpp"

#include <cstdio>

namespace trainia {

namespace {

std::unique_ptr<db::connection> connect_for_migrations(const config& cfg) {
  db::connect_options o;
  o.conninfo = cfg.database_migrate_url;
  o.connect_timeout_ms = cfg.database_connect_timeout_ms;
  o.statement_timeout_ms = cfg.database_statement_timeout_ms;
  o.application_name = "trainia-migrate";
  auto c = db::connection::open(o);
  if (!c) {
    std::fprintf(stderr, "cannot connect to the database: %s\n", info_of(c.error()).internal.c_str());
    return nullptr;
  }
  return std::move(*c);
}

std::string why(const caf::error& e) {
  auto i = info_of(e);
  return i.internal.empty() ? i.message : i.internal;
}

}  // namespace

int migrate_up_command(const config& cfg) {
  auto c = connect_for_migrations(cfg);
  if (!c) return 1;
  auto n = db::migrate_up(*c, db::embedded_migration_list(),
                          [](const std::string& file) { std::printf("applying %s\n", file.c_str()); });
  if (!n) {
    std::fprintf(stderr, "migrate: %s\n", why(n.error()).c_str());
    return 1;
  }
  std::printf("%d migration(s) applied; schema is up to date\n", *n);
  return 0;
}

int migrate_status_command(const config& cfg) {
  auto c = connect_for_migrations(cfg);
  if (!c) return 1;
  auto st = db::migration_status(*c, db::embedded_migration_list());
  if (!st) {
    std::fprintf(stderr, "migrate status: %s\n", why(st.error()).c_str());
    return 1;
  }
  int pending = 0;
  for (const auto& m : *st) {
    std::printf("%04d  %-40s %-8s %s\n", m.version, m.file.c_str(), m.applied ? "applied" : "pending",
                m.applied_at.c_str());
    if (!m.applied) ++pending;
  }
  std::printf("%zu migration(s), %d pending\n", st->size(), pending);
  return 0;
}

int dev_token_command(const config& cfg, const std::string& user_id) {
  if (user_id.empty() || user_id.size() > 255) {
    std::fprintf(stderr, "dev-token: USER_ID must be 1 to 255 characters\n");
    return 2;
  }
  std::string err;
  auto signer = auth::dev_signer::load_or_create(cfg.dev_key_file, err);
  if (!signer) {
    std::fprintf(stderr, "dev-token: %s\n", err.c_str());
    return 1;
  }
  if (cfg.auth != auth_mode::dev)
    std::fprintf(stderr, "note: this token is accepted only by a server running with AUTH_MODE=dev\n");
  auto token = signer->sign(user_id, unix_now(), cfg.dev_token_ttl_seconds);
  if (token.empty()) {
    std::fprintf(stderr, "dev-token: could not sign (is USER_ID valid UTF-8?)\n");
    return 1;
  }
  std::printf("%s\n", token.c_str());
  return 0;
}

}  // namespace trainia
