# Clerk user sync through Svix-signed webhooks (POST /api/webhooks/clerk).
list(APPEND TRAINIA_CORE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/identity/clerk_event.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/identity/clerk_sync.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/identity/clerk_webhook.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/identity/svix_verifier.cpp
)
list(APPEND TRAINIA_SQL_FILES
  identity/delete_user.sql
  identity/finish_event.sql
  identity/lock_user.sql
  identity/record_event.sql
  identity/tombstone_user.sql
  identity/upsert_user.sql
  identity/write_audit.sql
)
list(APPEND TRAINIA_MIGRATION_FILES
  0003_identity.sql
)
list(APPEND TRAINIA_UNIT_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/identity/clerk_event_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/identity/svix_sign.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/identity/svix_verifier_test.cpp
)
list(APPEND TRAINIA_INTEGRATION_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/identity/svix_sign.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/clerk_webhook_test.cpp
)
