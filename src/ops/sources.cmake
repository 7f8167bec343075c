# Issue #5 (operations): tests only. The operator listener, metrics, logs and
# the NOTIFY listener live in src/observability, src/http and src/db.
list(APPEND TRAINIA_UNIT_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ops/prometheus_parser_test.cpp
)
list(APPEND TRAINIA_INTEGRATION_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ops/ops_support.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ops_backup_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ops_cluster_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ops_logs_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ops_metrics_test.cpp
)
