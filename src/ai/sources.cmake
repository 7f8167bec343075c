# The AI job pipeline: durable, leased, quota-aware runs on any OpenAI-compatible provider.
list(APPEND TRAINIA_CORE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/ai_supervisor.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/call_outcome.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/dispatcher.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/http_handlers.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/openai_wire.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/pipeline.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/pipeline_jobs.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/provider.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/recorder.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/retry_policy.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/submit_job.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/task_input.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/task_jobs.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/task_view.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/worker.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/ai/worker_slots.cpp
)
list(APPEND TRAINIA_SQL_FILES
  ai/announce_queued.sql
  ai/cancel_task.sql
  ai/claim.sql
  ai/count_by_status.sql
  ai/ensure_profile.sql
  ai/find_by_key.sql
  ai/finish_batch.sql
  ai/finished_tasks.sql
  ai/get_task.sql
  ai/insert_task.sql
  ai/list_tasks.sql
  ai/renew_leases.sql
  ai/reserve_run.sql
)
list(APPEND TRAINIA_MIGRATION_FILES 0005_ai.sql 0008_ai_queue_notify.sql 0009_ai_queue_announce.sql
  0010_ai_task_indexes.sql 0011_ai_task_domains.sql)
list(APPEND TRAINIA_UNIT_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ai/openai_wire_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ai/retry_policy_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ai/task_input_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ai/worker_slots_test.cpp
)
list(APPEND TRAINIA_DB_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ai/task_schema_db_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/ai/task_store_db_test.cpp
)
list(APPEND TRAINIA_INTEGRATION_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_api_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_cancel_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_cluster_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_early_start_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_group_commit_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_latency_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_provider_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_quota_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_slots_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/tests/integration/ai_supervision_test.cpp
)
