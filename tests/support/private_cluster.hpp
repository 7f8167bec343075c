#pragma once

#include <cstdint>
#include <string>

namespace trainia::test {

/// A PostgreSQL cluster of the test's own (initdb in a temp dir, a free port),
/// for fault tests that stop and start the server without disturbing the
/// shared test cluster. Uses TRAINIA_TEST_PG_CTL's directory for the binaries
/// and TRAINIA_TEST_PG_RUN_AS (e.g. "postgres" when the tests run as root).
class private_cluster {
 public:
  private_cluster();
  ~private_cluster();
  private_cluster(const private_cluster&) = delete;
  private_cluster& operator=(const private_cluster&) = delete;

  /// libpq URI of database `db` on this cluster (superuser postgres, trust auth).
  std::string url(const std::string& db = "postgres") const;
  uint16_t port() const { return port_; }
  void stop();   // fast shutdown, waits
  void start();  // waits until it accepts connections
  /// Creates a database and returns its URI.
  std::string create_database(const std::string& name);
  /// Runs SQL as the superuser through psql (for set-up only).
  void psql(const std::string& sql, const std::string& db = "postgres");

 private:
  std::string run_as(const std::string& cmd) const;
  std::string bin_, dir_, data_, log_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace trainia::test
