#include "net/connection.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sys/socket.h>

#include <cerrno>

namespace trainia::net {

namespace asio = boost::asio;

connection::connection(asio::io_context& ioc, asio::ssl::context* tls_ctx, std::string o) : origin(std::move(o)) {
  if (tls_ctx)
    tls = std::make_unique<tls_stream>(ioc.get_executor(), *tls_ctx);
  else
    plain = std::make_unique<plain_stream>(ioc.get_executor());
}

asio::ip::tcp::socket& connection::socket() { return lowest().socket(); }

void connection::set_tls_host(const std::string& host, bool host_is_ip) {
  // RFC 6066: SNI carries DNS names only, never an address literal.
  if (!host_is_ip) SSL_set_tlsext_host_name(tls->native_handle(), host.c_str());
  tls->set_verify_mode(asio::ssl::verify_peer);
  tls->set_verify_callback([this, check = asio::ssl::host_name_verification(host)](
                             bool preverified, asio::ssl::verify_context& ctx) {
    if (!preverified) {
      if (verify_error.empty()) {
        int err = X509_STORE_CTX_get_error(ctx.native_handle());
        verify_error = std::string("certificate verify failed: ") + X509_verify_cert_error_string(err);
      }
      return false;
    }
    bool ok = check(preverified, ctx);
    if (!ok && verify_error.empty()) verify_error = "certificate verify failed: certificate does not match host name";
    return ok;
  });
}

void connection::prepare_exchange(bool head_request) {
  parser.emplace();
  parser->body_limit(response_body_limit);
  parser->header_limit(response_header_limit);
  if (head_request) parser->skip(true);
}

bool connection::reusable_when_idle() {
  auto& s = socket();
  if (!s.is_open() || buffer.size() != 0) return false;
  char byte;
  for (;;) {
    ssize_t n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return false;   // unsolicited bytes (or a TLS close_notify): the exchange state is unknown
    if (n == 0) return false;  // the server closed it
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void connection::close() {
  boost::system::error_code ec;
  auto& s = socket();
  if (!s.is_open()) return;
  s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  s.close(ec);
}

}  // namespace trainia::net
