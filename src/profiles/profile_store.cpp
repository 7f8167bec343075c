#include "profiles/profile_store.hpp"

#include "core/error.hpp"
#include "core/time.hpp"
#include "db/tx.hpp"

#include <nlohmann/json.hpp>

namespace trainia::profiles {

profile_doc render(const db::result& r, int row) {
  // Columns: id, clerk_user_id, email, full_name, preferences, created_at, updated_at, etag
  nlohmann::ordered_json j;
  j["id"] = r.text(row, 0);
  j["user_id"] = r.text(row, 1);
  j["email"] = r.is_null(row, 2) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.text(row, 2));
  j["full_name"] = r.is_null(row, 3) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.text(row, 3));
  j["preferences"] = r.is_null(row, 4) ? nlohmann::ordered_json::object()
                                        : nlohmann::ordered_json::parse(r.view(row, 4));
  j["created_at"] = rfc3339_from_pg(r.view(row, 5));
  j["updated_at"] = rfc3339_from_pg(r.view(row, 6));
  return profile_doc{j.dump(), r.text(row, 7)};
}

namespace {

caf::expected<profile_doc> get_or_create(db::tx& t, const std::string& user_id) {
  static const auto& stmt = db::sql("profiles/get_or_create");
  // Two tries: a concurrent first sight by another process can hide the row
  // from this statement's snapshot; the retry's new snapshot sees it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto r = t.exec(stmt, {user_id});
    if (!r) return std::move(r.error());
    if (!r->empty()) return render(*r, 0);
  }
  return fail(errc::internal, "internal error", "profile neither inserted nor found for " + user_id);
}

}  // namespace

std::function<caf::message(db::tx&)> load_job(std::string user_id) {
  return [user_id = std::move(user_id)](db::tx& t) -> caf::message {
    auto doc = get_or_create(t, user_id);
    if (!doc) return caf::make_message(std::move(doc.error()));
    return caf::make_message(std::move(*doc));
  };
}

std::function<caf::message(db::tx&)> update_job(std::string user_id, profile_update u) {
  return [user_id = std::move(user_id), u = std::move(u)](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("profiles/update_profile");
    std::optional<std::string> if_match;
    if (!u.if_match.empty() && u.if_match != "*") if_match = u.if_match;
    db::params p{user_id, u.set_full_name, u.set_full_name ? std::optional<std::string>(u.full_name) : std::nullopt,
                 u.set_preferences,
                 u.set_preferences ? std::optional<std::string>(u.preferences_json) : std::nullopt, if_match};
    auto r = t.exec_commit(stmt, p);
    if (!r) return caf::make_message(std::move(r.error()));
    if (!r->empty()) return caf::make_message(render(*r, 0));
    if (!u.if_match.empty() && u.if_match != "*") {
      return caf::make_message(fail(errc::precondition_failed, "the profile was changed since it was read"));
    }
    // No row: the profile does not exist (yet, or any more). Create, then update.
    auto created = get_or_create(t, user_id);
    if (!created) return caf::make_message(std::move(created.error()));
    r = t.exec_commit(stmt, p);
    if (!r) return caf::make_message(std::move(r.error()));
    if (r->empty()) return caf::make_message(fail(errc::internal, "internal error", "profile update lost its row"));
    return caf::make_message(render(*r, 0));
  };
}

}  // namespace trainia::profiles
