-- d's database floor when the task's row is committed while its call runs:
-- only the outcome's durable commit after the 50 ms sleep (see floor_commits.sql).
\sleep 50 ms
INSERT INTO bench_floor_tasks (status) VALUES ('succeeded');
