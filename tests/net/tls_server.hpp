#pragma once
// A small HTTPS server for the outbound client's TLS tests (Beast ssl_stream),
// and self-signed certificates made with the openssl CLI.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace trainia::test {

struct test_certificate {
  std::string cert_file, key_file;
};

/// A self-signed certificate (P-256) with subject CN=`common_name` and the
/// given subjectAltName (e.g. "IP:127.0.0.1,DNS:localhost"), written into
/// `dir` by the openssl CLI. Throws std::runtime_error on failure.
test_certificate make_self_signed(const std::string& dir, const std::string& name, const std::string& common_name,
                                  const std::string& subject_alt_name);

/// Serves HTTPS on 127.0.0.1 (a port of its own) with `cert`: every request
/// gets 200 "hello over tls" with keep-alive. Records handshakes and the SNI
/// the client sent. Thread-safe accessors.
class tls_test_server {
 public:
  explicit tls_test_server(const test_certificate& cert);
  ~tls_test_server();
  tls_test_server(const tls_test_server&) = delete;

  uint16_t port() const;
  size_t handshakes_completed() const;
  size_t handshakes_failed() const;
  size_t requests() const;
  size_t connections() const;
  /// The server name (SNI) of the last completed handshake, "" if none was sent.
  std::string last_sni() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace trainia::test
