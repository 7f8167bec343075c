# The outbound HTTP(S) client (Stripe, AI provider).
list(APPEND TRAINIA_CORE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/net/call_op.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/net/connection.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/net/connection_pool.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/net/outbound_client.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/net/url.cpp
)
list(APPEND TRAINIA_UNIT_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/net/url_test.cpp
)
list(APPEND TRAINIA_INTEGRATION_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/net/actor_call_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/net/net_test_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/net/outbound_client_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/net/tls_server.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/net/tls_test.cpp
)
