#pragma once
// Helpers for the operations tests (issue #5): the source tree's scripts and
// deploy files, metric scrapes, nginx in front of several servers, and table
// digests for comparing two databases.

#include "integration/server_fixture.hpp"
#include "support/prometheus.hpp"
#include "support/server_process.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trainia::test::ops {

/// The source tree: $TRAINIA_SOURCE_DIR when set, else the first directory
/// above $TRAINIA_BIN holding scripts/backup and deploy/nginx.conf. Throws
/// std::runtime_error when neither is found.
std::string source_root();

/// GET /metrics on the server's operator port, parsed by the strict parser.
prom_document scrape(const trainia_server& s);

/// Sum of every sample `name` whose labels include `match` (0 when none).
double sum_of(const prom_document& d, const std::string& name, const std::map<std::string, std::string>& match = {});

/// Debian's nginx as a child process (`-p DIR -c DIR/nginx.conf -g 'daemon
/// off;'`, pid file, error and access logs in DIR), configured from the
/// shipped deploy/nginx.conf with its two upstream servers and its listen
/// port replaced by the given loopback ports.
class nginx_proxy {
 public:
  /// Starts nginx and waits until it accepts connections on port().
  /// Throws std::runtime_error (with nginx's error log) when it does not.
  nginx_proxy(uint16_t upstream_a, uint16_t upstream_b);
  ~nginx_proxy();
  nginx_proxy(const nginx_proxy&) = delete;
  nginx_proxy& operator=(const nginx_proxy&) = delete;
  uint16_t port() const { return port_; }
  http_client client() const { return http_client("127.0.0.1", port_); }
  /// nginx's error log so far.
  std::string error_log() const;
  /// The configuration written for this run.
  const std::string& config_text() const { return conf_; }

 private:
  std::string dir_, conf_;
  uint16_t port_ = 0;
  std::unique_ptr<child_process> proc_;
};

/// Per table of schema public: row count and an md5 of all rows' text,
/// sorted (so the order rows are stored in does not matter).
struct table_digest {
  int64_t rows = 0;
  std::string md5;
  bool operator==(const table_digest& o) const { return rows == o.rows && md5 == o.md5; }
};
std::map<std::string, table_digest> table_digests(const std::string& url);

/// Runs `cmd` with /bin/sh, stderr folded into the returned output.
struct shell_result {
  int exit_code = -1;
  std::string output;
};
shell_result shell(const std::string& cmd);

/// `s` quoted for /bin/sh.
std::string sh_quote(const std::string& s);

}  // namespace trainia::test::ops
