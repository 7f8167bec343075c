-- Cross-process wake-up of the AI queue. A task that becomes `queued` (a
-- submit the receiving process could not start at once, or a task given back
-- for a retry) is announced on channel trainia_ai_queued; every process
-- LISTENs and lets its dispatcher look for work now instead of at its next
-- poll (ai.poll_interval_ms). A process with no free worker ignores it.
-- pg_notify folds identical notifications of one transaction into one.
CREATE FUNCTION trainia_ai_task_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('trainia_ai_queued', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER ai_tasks_queued_insert AFTER INSERT ON ai_tasks
  FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION trainia_ai_task_queued();
CREATE TRIGGER ai_tasks_queued_update AFTER UPDATE OF status ON ai_tasks
  FOR EACH ROW WHEN (NEW.status = 'queued' AND OLD.status IS DISTINCT FROM 'queued')
  EXECUTE FUNCTION trainia_ai_task_queued();
