#include "net/outbound_client.hpp"

#include "net/call_op.hpp"
#include "net/client_core.hpp"
#include "observability/log.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace trainia::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

std::string outbound_response::header(std::string_view name) const {
  auto same = [name](const std::string& k) {
    return k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  for (const auto& [k, v] : headers)
    if (same(k)) return v;
  return {};
}

void call_handle::cancel() {
  if (!ctl_ || ctl_->finished.load(std::memory_order_acquire)) return;
  if (auto op = ctl_->op.lock()) op->cancel();
}

bool call_handle::done() const { return ctl_ && ctl_->finished.load(std::memory_order_acquire); }

client_core::client_core(const outbound_client::options& o)
  : opts(o), pool(o.max_idle_per_origin, o.idle_keepalive) {
  boost::system::error_code ec;
  tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                      ec);
  tls_ctx.set_verify_mode(ssl::verify_peer, ec);
  if (opts.ca_file.empty())
    tls_ctx.set_default_verify_paths(ec);
  else
    tls_ctx.load_verify_file(opts.ca_file, ec);
  if (ec) {
    // OpenSSL's reason is often empty for a missing file; errno says more.
    std::string why = ec.message();
    if (!opts.ca_file.empty() && ::access(opts.ca_file.c_str(), R_OK) != 0) why = std::strerror(errno);
    else if (!opts.ca_file.empty()) why = "no usable PEM certificate in the file (" + why + ")";
    tls_setup_error = "TLS trust store could not be loaded (" +
                      (opts.ca_file.empty() ? std::string("system CA store") : opts.ca_file) + "): " + why;
    log::error("outbound client: TLS trust store could not be loaded; https calls will fail",
               {{"ca_file", opts.ca_file}, {"error", tls_setup_error}});
  }
}

void client_core::call_finished(size_t shard, std::list<std::weak_ptr<call_op>>::iterator it) {
  {
    std::lock_guard lock(live[shard].mx);
    live[shard].ops.erase(it);
  }
  if (in_flight.fetch_sub(1) == 1 && stopping.load()) {
    std::lock_guard lock(stop_mx);
    stop_cv.notify_all();
  }
}

namespace {

std::chrono::seconds sweep_period(const client_core& c) {
  return std::clamp<std::chrono::seconds>(c.opts.idle_keepalive / 2, std::chrono::seconds(1), std::chrono::seconds(15));
}

// Closes expired or server-closed idle connections now and then, so their
// descriptors do not linger until the next call to that origin. Runs on the
// sweep strand; the destructor stops it before the core goes.
void schedule_sweep(client_core* c) {
  c->sweep_timer.expires_after(sweep_period(*c));
  c->sweep_timer.async_wait([c](const boost::system::error_code& ec) {
    if (ec || c->stopping.load()) return;
    c->pool.sweep();
    schedule_sweep(c);
  });
}

}  // namespace

outbound_client::outbound_client(options opts) : core_(std::make_shared<client_core>(opts)) {
  auto& c = *core_;
  c.work.emplace(asio::make_work_guard(c.ioc));
  schedule_sweep(&c);
  int n = std::max(1, opts.threads);
  c.running_threads = n;
  for (int i = 0; i < n; ++i)
    c.threads.emplace_back([core = core_.get()] {
      for (;;) {
        try {
          core->ioc.run();
          break;
        } catch (const std::exception& e) {
          log::error("outbound client: handler threw", {{"what", e.what()}});
        } catch (...) {
          log::error("outbound client: handler threw");
        }
      }
      std::lock_guard lock(core->stop_mx);
      --core->running_threads;
      core->stop_cv.notify_all();
    });
}

outbound_client::~outbound_client() {
  auto& c = *core_;
  c.stopping.store(true);
  std::vector<std::shared_ptr<call_op>> ops;
  for (auto& shard : c.live) {
    std::lock_guard lock(shard.mx);
    for (auto& w : shard.ops)
      if (auto op = w.lock()) ops.push_back(std::move(op));
  }
  for (auto& op : ops) op->cancel();
  ops.clear();
  {
    std::unique_lock lock(c.stop_mx);
    if (!c.stop_cv.wait_for(lock, std::chrono::seconds(10), [&] { return c.in_flight.load() == 0; }))
      log::warn("outbound client: calls still running at shutdown", {{"in_flight", c.in_flight.load()}});
  }
  asio::post(c.sweep_strand, [core = core_.get()] { core->sweep_timer.cancel(); });
  c.pool.shut();
  c.work.reset();
  {
    // Aborted completions drain quickly; a DNS lookup in progress may not, so bound the wait.
    std::unique_lock lock(c.stop_mx);
    if (!c.stop_cv.wait_for(lock, std::chrono::seconds(5), [&] { return c.running_threads == 0; })) c.ioc.stop();
  }
  for (auto& t : c.threads) t.join();
}

call_handle outbound_client::send(outbound_request req, retry_options retry,
                                  std::function<void(outbound_response)> done) {
  auto& c = *core_;
  auto ctl = std::make_shared<detail::call_control>();
  auto op = std::make_shared<call_op>(c, std::move(req), std::move(retry), std::move(done), ctl);
  ctl->op = op;
  c.in_flight.fetch_add(1);
  op->shard = c.next_id.fetch_add(1, std::memory_order_relaxed) % client_core::shard_count;
  {
    auto& shard = c.live[op->shard];
    std::lock_guard lock(shard.mx);
    op->live_it = shard.ops.insert(shard.ops.end(), op);
  }
  // The destructor may have walked the live list before we were in it.
  if (c.stopping.load()) op->cancel();
  op->start();
  return call_handle(std::move(ctl));
}

uint64_t outbound_client::connections_opened() const { return core_->opened.load(std::memory_order_relaxed); }

uint64_t outbound_client::connections_reused() const { return core_->reused.load(std::memory_order_relaxed); }

}  // namespace trainia::net
