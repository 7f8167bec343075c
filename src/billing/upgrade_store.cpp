#include "billing/upgrade_store.hpp"

#include "core/error.hpp"
#include "db/tx.hpp"

#include <caf/make_message.hpp>

namespace trainia::billing {

std::function<caf::message(db::tx&)> upgrade_state_job(std::string user_id) {
  return [user_id = std::move(user_id)](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/upgrade_state");
    auto r = t.exec_commit(stmt, {user_id});
    if (!r) return caf::make_message(std::move(r.error()));
    if (r->empty()) return caf::make_message(fail(errc::internal, "internal error", "upgrade_state found no profile"));
    upgrade_state out;
    out.customer_id = r->opt_text(0, 0).value_or("");
    out.email = r->opt_text(0, 1).value_or("");
    out.subscription_id = r->opt_text(0, 2).value_or("");
    out.plan_name = r->opt_text(0, 3).value_or("");
    return caf::make_message(std::move(out));
  };
}

std::function<caf::message(db::tx&)> link_new_customer_job(std::string user_id, std::string customer_id) {
  return [user_id = std::move(user_id), customer_id = std::move(customer_id)](db::tx& t) -> caf::message {
    static const auto& lock = db::sql("billing/lock_customer");
    static const auto& set = db::sql("billing/set_customer_if_unset");
    static const auto& stored = db::sql("billing/stored_customer");
    auto r = t.exec_batch({{&lock, {customer_id}}, {&set, {user_id, customer_id}}, {&stored, {user_id}}}, true);
    if (!r) return caf::make_message(std::move(r.error()));
    const auto& updated = (*r)[1];
    const auto& now = (*r)[2];
    customer_stored out;
    if (!updated.empty()) {
      out.customer_id = customer_id;
      out.stored_now = true;
    } else if (!now.empty() && !now.is_null(0, 0)) {
      out.customer_id = now.text(0, 0);
    } else {
      return caf::make_message(fail(errc::not_found, "the user no longer exists", "profile gone during upgrade"));
    }
    return caf::make_message(std::move(out));
  };
}

std::pair<const db::statement*, db::params> upgrade_audit(const std::string& user_id, const std::string& subject,
                                                          const nlohmann::json& details) {
  static const auto& stmt = db::sql("billing/user_audit");
  return {&stmt, db::params{"subscription.upgrade", user_id, subject, details.dump()}};
}

std::function<caf::message(db::tx&)> upgrade_audit_job(std::string user_id, std::string subject,
                                                       nlohmann::json details) {
  return [user_id = std::move(user_id), subject = std::move(subject),
          details = std::move(details)](db::tx& t) -> caf::message {
    auto [stmt, p] = upgrade_audit(user_id, subject, details);
    auto r = t.exec_commit(*stmt, p);
    if (!r) return caf::make_message(std::move(r.error()));
    return caf::make_message(true);
  };
}

}  // namespace trainia::billing
