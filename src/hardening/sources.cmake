# Hardening (issue #7 parts 3-4): attack and fault tests over real HTTP against
# the real server binary. No production sources live here; the defences are in
# src/http, src/auth, src/core and src/db (see docs/security.md).
list(APPEND TRAINIA_INTEGRATION_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/attack_auth_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/attack_input_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/attack_protocol_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/fault_db_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/fault_poison_test.cpp
)
