-- d's database floor: the least a durable task needs, two commits (its row,
-- then its outcome) with a 50 ms sleep in place of the provider call, on a
-- scratch table of two columns (bench/run creates and drops it). Not the
-- server's SQL: what any implementation of d pays to PostgreSQL on this disk.
BEGIN;
INSERT INTO bench_floor_tasks (status) VALUES ('running') RETURNING id \gset floor_
COMMIT;
\sleep 50 ms
UPDATE bench_floor_tasks SET status = 'succeeded' WHERE id = :floor_id;
