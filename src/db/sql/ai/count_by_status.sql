SELECT status, count(*)
  FROM ai_tasks
 GROUP BY status
