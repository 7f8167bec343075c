#include "billing/reconcile.hpp"

#include "billing/apply_event.hpp"
#include "billing/apply_fetched.hpp"
#include "billing/ledger.hpp"
#include "billing/reconcile_io.hpp"
#include "billing/stripe_api.hpp"
#include "billing/stripe_event.hpp"
#include "billing/stripe_fetch.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/time.hpp"
#include "db/array_literal.hpp"
#include "db/tx.hpp"
#include "observability/log.hpp"

#include <caf/make_message.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <unordered_map>

namespace trainia::billing {
namespace {

constexpr int max_pages = 1000;  // 100 000 objects per listing: a bound, not a limit in practice
constexpr int customer_page = 500;
constexpr size_t store_chunk = 500;

const db::access service{db::role::service, {}};

std::string why(const caf::error& e) {
  auto i = info_of(e);
  if (i.internal.empty()) return i.message.empty() ? caf::to_string(e) : i.message;
  return i.message + " (" + i.internal + ")";
}

/// Known event ids: id → still unapplied (outcome NULL).
std::function<caf::message(db::tx&)> known_events_job(std::vector<std::string> ids) {
  return [ids = std::move(ids)](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/known_events");
    std::vector<std::string_view> views(ids.begin(), ids.end());
    auto r = t.exec(stmt, {db::text_array(views)});
    if (!r) return caf::make_message(std::move(r.error()));
    std::vector<stored_event> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back({r->text(i, 0), false, r->boolean(i, 1)});
    return caf::make_message(stored_batch{std::move(out)});
  };
}

/// Linked customers after `after`, in order, at most `limit`.
std::function<caf::message(db::tx&)> customers_job(std::string after, int limit) {
  return [after = std::move(after), limit](db::tx& t) -> caf::message {
    static const auto& stmt = db::sql("billing/known_customers");
    auto r = t.exec(stmt, {after, limit});
    if (!r) return caf::make_message(std::move(r.error()));
    std::vector<std::string> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(r->text(i, 0));
    return caf::make_message(std::move(out));
  };
}

class reconciler {
 public:
  reconciler(const config& cfg, const plan_catalog& plans, job_runner& db)
      : cfg_(cfg), plans_(plans), db_(db), client_(net::outbound_client::options{}) {}

  bool events();
  bool subscriptions();
  reconcile_summary summary;

 private:
  /// Every object of a Stripe list, following `starting_after` while `has_more`;
  /// `read_at`: when Stripe answered the first page, on its clock (else ours).
  caf::expected<std::vector<nlohmann::json>> list_all(const std::string& path_and_query, const std::string& what,
                                                      int64_t* read_at = nullptr);
  void apply(std::string event_id, std::shared_ptr<const nlohmann::json> doc);

  const config& cfg_;
  const plan_catalog& plans_;
  job_runner& db_;
  net::outbound_client client_;
};

caf::expected<std::vector<nlohmann::json>> reconciler::list_all(const std::string& path_and_query,
                                                                const std::string& what, int64_t* read_at) {
  std::vector<nlohmann::json> all;
  std::string after;
  for (int page = 0; page < max_pages; ++page) {
    auto target = path_and_query + (after.empty() ? "" : "&starting_after=" + query_escape(after));
    auto resp = call_and_wait(client_, stripe_get(cfg_, target), stripe_retry());
    auto obj = stripe_object(resp, what);
    if (!obj) return std::move(obj.error());
    if (read_at && page == 0) *read_at = response_date(resp).value_or(unix_now());
    auto list = read_list(*obj);
    if (!list) return std::move(list.error());
    for (auto& o : list->data) all.push_back(std::move(o));
    if (!list->has_more || list->data.empty()) break;
    after = string_member(all.back(), "id");
    if (after.empty()) break;
  }
  return all;
}

void reconciler::apply(std::string event_id, std::shared_ptr<const nlohmann::json> doc) {
  // The same job the billing shards run; follow-ups of a checkout run after it.
  std::deque<apply_input> work;
  work.push_back({std::move(event_id), std::move(doc), false, true /* the key is set */, nullptr});
  while (!work.empty()) {
    auto in = std::move(work.front());
    work.pop_front();
    for (int round = 0; round < 3; ++round) {
      auto r = db_.run_as<apply_result>(service, apply_event_job(in, plans_));
      if (!r) {
        ++summary.events_failed;
        std::fprintf(stderr, "stripe reconcile: event %s not applied: %s\n", in.event_id.c_str(),
                     why(r.error()).c_str());
        break;
      }
      if (!r->fetch_subscription.empty()) {
        // A same-second tie: ask Stripe, as the shard does; without an answer the lifecycle rule decides.
        if (valid_subscription_id(r->fetch_subscription)) {
          auto resp = call_and_wait(client_, subscription_request(cfg_, r->fetch_subscription), fetch_retry());
          in.fetched = read_fetched_subscription(resp, r->fetch_subscription);
        }
        if (!in.fetched) in.can_fetch = false;
        continue;
      }
      if (!r->already_done) ++summary.events_applied;
      if (r->outcome == "failed") ++summary.events_failed;
      for (auto& f : r->follow_ups) work.push_back({std::move(f.event_id), nullptr, false, in.can_fetch, nullptr});
      break;
    }
  }
}

bool reconciler::events() {
  auto listed = list_all("/v1/events?delivery_success=false&limit=100", "list undelivered events");
  if (!listed) {
    std::fprintf(stderr, "stripe reconcile: %s\n", why(listed.error()).c_str());
    return false;
  }
  std::vector<stripe_delivery> deliveries;
  std::unordered_map<std::string, size_t> seen;
  for (const auto& obj : *listed) {
    auto body = std::make_shared<const std::string>(obj.dump());
    auto ev = parse_stripe_event(*body);
    if (!ev) {
      ++summary.events_failed;
      continue;
    }
    if (!seen.emplace(ev->id, deliveries.size()).second) continue;
    deliveries.push_back({std::move(*ev), std::move(body)});
  }
  summary.events_seen = static_cast<int>(deliveries.size());
  if (deliveries.empty()) return true;
  // Oldest first, as Stripe would have delivered them (it lists newest first).
  std::sort(deliveries.begin(), deliveries.end(), [](const stripe_delivery& a, const stripe_delivery& b) {
    return std::tie(a.event.created, a.event.id) < std::tie(b.event.created, b.event.id);
  });
  std::vector<std::string> ids;
  for (const auto& d : deliveries) ids.push_back(d.event.id);
  auto known = db_.run_as<stored_batch>(service, known_events_job(ids));
  if (!known) {
    std::fprintf(stderr, "stripe reconcile: %s\n", why(known.error()).c_str());
    return false;
  }
  std::unordered_map<std::string, bool> unapplied;  // in the ledger: id → outcome still NULL
  for (const auto& e : known->events) unapplied[e.event_id] = e.unapplied;
  std::vector<stripe_delivery> fresh;
  for (const auto& d : deliveries)
    if (!unapplied.count(d.event.id)) fresh.push_back(d);
  summary.events_duplicate = summary.events_seen - static_cast<int>(fresh.size());
  for (size_t i = 0; i < fresh.size(); i += store_chunk) {
    std::vector<stripe_delivery> chunk(
        fresh.begin() + static_cast<std::ptrdiff_t>(i),
        fresh.begin() + static_cast<std::ptrdiff_t>(std::min(fresh.size(), i + store_chunk)));
    auto stored = db_.run_as<stored_batch>(service, store_events_job(std::move(chunk)));
    if (!stored) {
      std::fprintf(stderr, "stripe reconcile: events not stored: %s\n", why(stored.error()).c_str());
      return false;
    }
    for (const auto& e : stored->events) {
      if (e.inserted)
        ++summary.events_stored;
      else
        ++summary.events_duplicate;  // a webhook delivery won the race
      unapplied[e.event_id] = e.unapplied;
    }
  }
  for (const auto& d : deliveries)
    if (unapplied[d.event.id]) apply(d.event.id, d.event.doc);
  return true;
}

bool reconciler::subscriptions() {
  std::string after;
  for (;;) {
    auto customers = db_.run_as<std::vector<std::string>>(service, customers_job(after, customer_page));
    if (!customers) {
      std::fprintf(stderr, "stripe reconcile: %s\n", why(customers.error()).c_str());
      return false;
    }
    for (const auto& customer : *customers) {
      int64_t read_at = 0;
      auto subs = list_all("/v1/subscriptions?customer=" + query_escape(customer) + "&status=all&limit=100",
                           "list a customer's subscriptions", &read_at);
      if (!subs) {
        std::fprintf(stderr, "stripe reconcile: %s\n", why(subs.error()).c_str());
        return false;
      }
      for (auto& obj : *subs) {
        ++summary.subscriptions_checked;
        fetched_subscription f{std::make_shared<const nlohmann::json>(std::move(obj)), read_at, "reconcile", {}};
        auto r = db_.run_as<fetched_result>(service, apply_fetched_job(std::move(f), plans_));
        if (!r) {
          ++summary.subscriptions_failed;
          std::fprintf(stderr, "stripe reconcile: a subscription of %s not applied: %s\n", customer.c_str(),
                       why(r.error()).c_str());
          continue;
        }
        if (r->result.outcome == "failed") {
          ++summary.subscriptions_failed;
          std::fprintf(stderr, "stripe reconcile: a subscription of %s not applied: %s\n", customer.c_str(),
                       r->result.error.c_str());
        } else if (!r->result.users.empty()) {
          ++summary.subscriptions_changed;
        }
      }
    }
    if (customers->size() < static_cast<size_t>(customer_page)) return true;
    after = customers->back();
  }
}

}  // namespace

std::string reconcile_summary::line() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "stripe reconcile: events seen=%d stored=%d duplicates=%d applied=%d failed=%d; "
                "subscriptions checked=%d changed=%d failed=%d",
                events_seen, events_stored, events_duplicate, events_applied, events_failed, subscriptions_checked,
                subscriptions_changed, subscriptions_failed);
  return buf;
}

int reconcile_command(const config& cfg) {
  log::set_level(cfg.log);
  if (cfg.stripe_secret_key.empty()) {
    std::fprintf(stderr, "stripe reconcile: STRIPE_SECRET_KEY is not set\n");
    return 2;
  }
  std::string err;
  auto plans = plan_catalog::load(cfg.plans_file, err);
  if (!plans) {
    std::fprintf(stderr, "config error: TRAINIA_PLANS_FILE: %s\n", err.c_str());
    return 2;
  }
  auto db =
      job_runner::open(cfg, cfg.database_service_url, "reconcile:" + std::to_string(getpid()) + ":" + random_hex(4));
  if (!db) {
    std::fprintf(stderr, "stripe reconcile: cannot connect to the database: %s\n", why(db.error()).c_str());
    return 1;
  }
  reconciler r(cfg, *plans, **db);
  bool ok = r.events();
  ok = r.subscriptions() && ok;
  std::printf("%s\n", r.summary.line().c_str());
  bool clean = ok && r.summary.events_failed == 0 && r.summary.subscriptions_failed == 0;
  return clean ? 0 : 1;
}

}  // namespace trainia::billing
