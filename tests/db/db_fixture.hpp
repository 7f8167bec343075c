#pragma once

#include "core/error.hpp"
#include "db/connection.hpp"
#include "db/migrator.hpp"
#include "support/pg.hpp"
#include "support/test_env.hpp"

#include <catch2/catch.hpp>

namespace trainia::test {

/// A fresh database with this binary's migrations applied, and helpers to
/// open trainia's own connections to it.
struct migrated_db {
  scratch_database db;
  migrated_db() {
    auto c = open();
    auto n = db::migrate_up(*c, db::embedded_migration_list(), [](const std::string&) {});
    std::string why = n ? std::string() : info_of(n.error()).message;
    INFO(why);
    REQUIRE(n);
  }
  std::unique_ptr<db::connection> open(int statement_timeout_ms = 5000) const {
    db::connect_options o;
    o.conninfo = db.url();
    o.statement_timeout_ms = statement_timeout_ms;
    auto c = db::connection::open(o);
    REQUIRE(c);
    return std::move(*c);
  }
};

}  // namespace trainia::test
