# Billing: the Stripe webhook ledger (group commit), billing actors applying
# events in order, operator replay, GET /api/subscriptions, POST
# /api/subscriptions/upgrade (Stripe API client) and `trainia stripe reconcile`.
list(APPEND TRAINIA_CORE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/apply_checkout.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/apply_event.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/apply_fetched.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/apply_invoice.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/apply_subscription.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/billing_shard.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/billing_supervisor.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/ledger.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/reconcile.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/reconcile_io.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/stripe_api.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/stripe_event.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/stripe_fetch.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/stripe_ingest.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/stripe_signature.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/stripe_webhook.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/subscription_snapshot.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/subscriptions_api.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/sweep.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/upgrade_api.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/upgrade_desk.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/upgrade_flow.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/billing/upgrade_store.cpp
)
list(APPEND TRAINIA_SQL_FILES
  billing/customer_link.sql
  billing/event_route.sql
  billing/fail_event.sql
  billing/finish_event.sql
  billing/insert_subscription.sql
  billing/known_customers.sql
  billing/known_events.sql
  billing/link_customer.sql
  billing/lock_customer.sql
  billing/lock_event.sql
  billing/lock_subscription.sql
  billing/pending_for_customer.sql
  billing/profile_customer.sql
  billing/set_customer_if_unset.sql
  billing/store_events.sql
  billing/stored_customer.sql
  billing/subscription_row.sql
  billing/subscription_summary.sql
  billing/unapplied_events.sql
  billing/update_subscription.sql
  billing/upgrade_state.sql
  billing/usage_in_month.sql
  billing/user_audit.sql
  billing/write_audit.sql
)
list(APPEND TRAINIA_MIGRATION_FILES
  0004_billing.sql
)
list(APPEND TRAINIA_UNIT_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/form_decode.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/stripe_api_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/stripe_event_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/stripe_fixtures.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/stripe_signature_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/subscription_snapshot_test.cpp
)
list(APPEND TRAINIA_DB_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/ledger_db_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/stripe_fixtures.cpp
)
list(APPEND TRAINIA_INTEGRATION_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/form_decode.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/billing/stripe_fixtures.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/stripe_durability_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/stripe_ordering_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/stripe_reconcile_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/stripe_upgrade_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/stripe_webhook_test.cpp
)
