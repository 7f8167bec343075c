#include "net/tls_server.hpp"

#include "support/test_env.hpp"

#include <utility>  // before Boost: asio/awaitable.hpp needs std::exchange under C++20

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace trainia::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

test_certificate make_self_signed(const std::string& dir, const std::string& name, const std::string& common_name,
                                  const std::string& subject_alt_name) {
  test_certificate c{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout '" +
                    c.key_file + "' -out '" + c.cert_file + "' -subj '/CN=" + common_name +
                    "' -addext 'subjectAltName=" + subject_alt_name + "' 2>&1";
  int rc = -1;
  auto out = run_command(cmd, &rc);
  if (rc != 0) throw std::runtime_error("openssl req failed: " + out);
  return c;
}

struct tls_test_server::impl {
  struct session;

  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_server};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  mutable std::mutex mx;
  std::set<std::shared_ptr<session>> live;
  size_t ok = 0, failed = 0, reqs = 0, conns = 0;
  std::string sni;
  uint16_t port = 0;

  struct session : std::enable_shared_from_this<session> {
    impl& owner;
    beast::ssl_stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    bhttp::response<bhttp::string_body> res;
    session(impl& o, tcp::socket s) : owner(o), stream(std::move(s), o.ctx) {}

    void start() {
      stream.async_handshake(ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        std::lock_guard lock(self->owner.mx);
        if (ec) {
          ++self->owner.failed;
          return self->close_locked();
        }
        ++self->owner.ok;
        const char* name = SSL_get_servername(self->stream.native_handle(), TLSEXT_NAMETYPE_host_name);
        self->owner.sni = name ? name : "";
        asio::post(self->stream.get_executor(), [self] { self->read(); });
      });
    }

    void read() {
      req = {};
      bhttp::async_read(stream, buffer, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->close();
        {
          std::lock_guard lock(self->owner.mx);
          ++self->owner.reqs;
        }
        self->res = {};
        self->res.version(11);
        self->res.result(bhttp::status::ok);
        self->res.set(bhttp::field::content_type, "text/plain");
        self->res.body() = "hello over tls";
        self->res.keep_alive(self->req.keep_alive());
        self->res.prepare_payload();
        bhttp::async_write(self->stream, self->res, [self](beast::error_code ec2, std::size_t) {
          if (ec2 || !self->res.keep_alive()) return self->close();
          self->read();
        });
      });
    }

    void close() {
      std::lock_guard lock(owner.mx);
      close_locked();
    }
    void close_locked() {
      beast::error_code ignored;
      beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream).socket().close(ignored);
      owner.live.erase(shared_from_this());
    }
  };

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec) return;
      auto sess = std::make_shared<session>(*this, std::move(s));
      {
        std::lock_guard lock(mx);
        live.insert(sess);
        ++conns;
      }
      sess->start();
      accept();
    });
  }
};

tls_test_server::tls_test_server(const test_certificate& cert) : impl_(std::make_unique<impl>()) {
  impl_->ctx.use_certificate_chain_file(cert.cert_file);
  impl_->ctx.use_private_key_file(cert.key_file, ssl::context::pem);
  auto ep = tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  // One thread: every handler runs on it, so no strands are needed.
  impl_->thread = std::thread([i = impl_.get()] { i->ioc.run(); });
}

tls_test_server::~tls_test_server() {
  asio::post(impl_->ioc, [i = impl_.get()] {
    beast::error_code ignored;
    i->acceptor.close(ignored);
    std::set<std::shared_ptr<impl::session>> open;
    {
      std::lock_guard lock(i->mx);
      open = i->live;
    }
    for (auto& s : open) s->close();
  });
  impl_->thread.join();
}

uint16_t tls_test_server::port() const { return impl_->port; }

size_t tls_test_server::handshakes_completed() const {
  std::lock_guard lock(impl_->mx);
  return impl_->ok;
}

size_t tls_test_server::handshakes_failed() const {
  std::lock_guard lock(impl_->mx);
  return impl_->failed;
}

size_t tls_test_server::requests() const {
  std::lock_guard lock(impl_->mx);
  return impl_->reqs;
}

size_t tls_test_server::connections() const {
  std::lock_guard lock(impl_->mx);
  return impl_->conns;
}

std::string tls_test_server::last_sni() const {
  std::lock_guard lock(impl_->mx);
  return impl_->sni;
}

}  // namespace trainia::test
