#pragma once

#include "billing/billing_messages.hpp"
#include "billing/plans.hpp"
#include "billing/upgrade_desk.hpp"
#include "billing/upgrade_store.hpp"

#include <caf/response_promise.hpp>

#include <memory>

/// The steps of one upgrade, run inside the upgrade desk (upgrade_desk.cpp
/// queues them per user).
namespace trainia::billing {

struct upgrade_flow {
  upgrade_request request;
  const plan* target = nullptr;
  caf::response_promise promise;
  upgrade_state state;
  bool customer_created = false;
};

/// Runs `f` to its end: exactly one answer is delivered to `f->promise`, and
/// then `upgrade_finished(self, user)` is called.
void start_upgrade(upgrade_desk_pointer self, std::shared_ptr<upgrade_flow> f);

/// Called when the running upgrade of `user_id` answered: starts the next.
void upgrade_finished(upgrade_desk_pointer self, const std::string& user_id);

}  // namespace trainia::billing
