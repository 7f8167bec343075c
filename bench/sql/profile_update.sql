-- b. What PUT /api/users/profile runs: one round trip (tx::exec_commit):
-- BEGIN; set_context (role trainia_request, app.user_id); update_profile; COMMIT.
-- Users bench_pgb_0001…1000 (the server's own bench users are left alone).
\set u random(1, 1000)
\startpipeline
BEGIN;
@session/set_context 'trainia_request' ;; 'bench_pgb_' || lpad(:u::text, 4, '0') ;; 'pgbench'
@profiles/update_profile 'bench_pgb_' || lpad(:u::text, 4, '0') ;; true ;; 'Bench User ' || :u::text ;; true ;; '{"theme":"dark","thread":' || :client_id::text || ',"n":' || :u::text || '}' ;; NULL
COMMIT;
\endpipeline
