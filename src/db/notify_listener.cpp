#include "db/notify_listener.hpp"

#include "actors/atoms.hpp"
#include "actors/crash_log.hpp"
#include "observability/log.hpp"

#include <caf/all.hpp>

#include <poll.h>

namespace trainia::db {

namespace {

struct listener_state {
  std::unique_ptr<connection> conn;
  std::chrono::milliseconds backoff{0};
  std::shared_ptr<actor_info> info;
  static inline const char* name = "notify_listener";
};

std::string quote_ident(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

caf::behavior listener_impl(caf::stateful_actor<listener_state>* self, notify_options opts, actor_directory* dir,
                            std::string parent) {
  auto& st = self->state;
  st.info = dir->add("notify_listener", "notify_listener", parent);
  auto info = st.info;
  self->attach_functor([dir, info](const caf::error&) { dir->remove(info); });
  self->set_exception_handler(crash_logger("notify_listener", "notify_listener"));
  self->set_error_handler([](caf::error&) {});
  auto connect = [=]() -> bool {
    auto& st = self->state;
    auto c = connection::open(opts.connect);
    if (!c) return false;
    std::string sql;
    for (const auto& [channel, h] : opts.channels) sql += "LISTEN " + quote_ident(channel) + ";";
    if (!(*c)->exec_script(sql)) return false;
    st.conn = std::move(*c);
    st.backoff = std::chrono::milliseconds{0};
    st.info->state("listening");
    if (opts.on_reconnect) opts.on_reconnect();
    return true;
  };
  self->send(self, connect_atom::value);
  return {
    [=](connect_atom) {
      auto& st = self->state;
      if (connect()) {
        self->send(self, tick_atom::value);
        return;
      }
      st.info->state("connecting");
      st.backoff = st.backoff.count() == 0 ? std::chrono::milliseconds(100)
                                           : std::min(std::chrono::milliseconds(2000), st.backoff * 2);
      self->delayed_send(self, st.backoff, connect_atom::value);
    },
    [=](tick_atom) {
      auto& st = self->state;
      if (!st.conn) return;
      PGconn* pg = st.conn->native();
      // Wait a short slice for traffic, so exit messages are seen promptly.
      pollfd pfd{PQsocket(pg), POLLIN, 0};
      ::poll(&pfd, 1, 200);
      if (!PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK) {
        log::warn("notify listener lost its connection; reconnecting");
        st.conn.reset();
        st.info->state("connecting");
        self->send(self, connect_atom::value);
        return;
      }
      while (PGnotify* n = PQnotifies(pg)) {
        st.info->handled();
        auto it = opts.channels.find(n->relname);
        if (it != opts.channels.end()) it->second(n->extra ? n->extra : "");
        PQfreemem(n);
      }
      self->send(self, tick_atom::value);
    },
  };
}

}  // namespace

caf::actor spawn_notify_listener(caf::actor_system& sys, notify_options opts, actor_directory& dir,
                                 const std::string& parent) {
  return sys.spawn<caf::detached>(listener_impl, std::move(opts), &dir, parent);
}

}  // namespace trainia::db
