-- A submit's queued task is no longer announced by a trigger: a transaction
-- that NOTIFYs takes a database-wide lock at COMMIT that is held through its
-- WAL flush, so every queued submit committed one after the other (a burst
-- of 1,000 submits lost group commit). The submitting process announces on
-- trainia_ai_queued itself instead, after COMMIT, at most once per
-- ai.announce window (src/ai/dispatcher.cpp). Tasks that go back to `queued`
-- (a retry given back) keep the trigger of 0008: they are rare.
DROP TRIGGER ai_tasks_queued_insert ON ai_tasks;
