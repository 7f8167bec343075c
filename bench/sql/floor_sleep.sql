-- The baseline of floor_commits.sql: pgbench's own 50 ms sleep and one
-- round trip that writes nothing.
\sleep 50 ms
SELECT 1;
