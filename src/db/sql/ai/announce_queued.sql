-- Tells every process (LISTEN trainia_ai_queued) that tasks were queued.
SELECT pg_notify('trainia_ai_queued', '')
