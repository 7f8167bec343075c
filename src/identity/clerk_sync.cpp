#include "identity/clerk_sync.hpp"

#include "db/tx.hpp"

#include <caf/make_message.hpp>

namespace trainia::identity {
namespace {

caf::message reply(std::string outcome, const clerk_event& ev) {
  return caf::make_message(clerk_sync_result{std::move(outcome), ev.user_id});
}

// Takes the user's lock and claims the svix-id in one round trip; false when
// the id is in the ledger already.
caf::expected<bool> claim(db::tx& t, const std::string& svix_id, const clerk_event& ev) {
  static const auto& lock = db::sql("identity/lock_user");
  static const auto& record = db::sql("identity/record_event");
  auto r = t.exec_batch({{&lock, {ev.user_id}}, {&record, {svix_id, ev.type, ev.user_id, std::nullopt}}}, false);
  if (!r) return std::move(r.error());
  return !(*r)[1].empty();
}

caf::message upsert(db::tx& t, const std::string& svix_id, const clerk_event& ev) {
  static const auto& upsert_user = db::sql("identity/upsert_user");
  static const auto& audit = db::sql("identity/write_audit");
  static const auto& finish = db::sql("identity/finish_event");
  auto r = t.exec(upsert_user, {ev.user_id, ev.email, ev.full_name, ev.updated_at_ms});
  if (!r) return caf::make_message(std::move(r.error()));
  if (r->empty()) {
    // Older than the stored version, or than the user's deletion.
    auto f = t.exec_commit(finish, {svix_id, "stale"});
    if (!f) return caf::make_message(std::move(f.error()));
    return reply("stale", ev);
  }
  auto done =
      t.exec_batch({{&audit, {ev.type, ev.user_id, r->text(0, 0), svix_id}}, {&finish, {svix_id, "applied"}}}, true);
  if (!done) return caf::make_message(std::move(done.error()));
  return reply("applied", ev);
}

caf::message remove(db::tx& t, const std::string& svix_id, const clerk_event& ev) {
  static const auto& delete_user = db::sql("identity/delete_user");
  static const auto& tombstone = db::sql("identity/tombstone_user");
  static const auto& audit = db::sql("identity/write_audit");
  static const auto& finish = db::sql("identity/finish_event");
  // Everything the profile owns goes with it (every user foreign key cascades).
  auto gone = t.exec(delete_user, {ev.user_id});
  if (!gone) return caf::make_message(std::move(gone.error()));
  auto subject = gone->empty() ? std::optional<std::string>() : gone->opt_text(0, 0);
  auto done = t.exec_batch({{&tombstone, {ev.user_id, ev.occurred_at_ms}},
                            {&audit, {ev.type, ev.user_id, subject, svix_id}},
                            {&finish, {svix_id, "applied"}}},
                           true);
  if (!done) return caf::make_message(std::move(done.error()));
  return reply("applied", ev);
}

}  // namespace

std::function<caf::message(db::tx&)> sync_job(std::string svix_id, clerk_event ev) {
  return [svix_id = std::move(svix_id), ev = std::move(ev)](db::tx& t) -> caf::message {
    if (ev.action == clerk_action::ignore) {
      static const auto& record = db::sql("identity/record_event");
      auto r = t.exec_commit(record, {svix_id, ev.type, std::nullopt, "ignored"});
      if (!r) return caf::make_message(std::move(r.error()));
      return reply(r->empty() ? "duplicate" : "ignored", ev);
    }
    auto fresh = claim(t, svix_id, ev);
    if (!fresh) return caf::make_message(std::move(fresh.error()));
    if (!*fresh) return reply("duplicate", ev);  // nothing written; finish() ends the transaction
    return ev.action == clerk_action::upsert_user ? upsert(t, svix_id, ev) : remove(t, svix_id, ev);
  };
}

}  // namespace trainia::identity
