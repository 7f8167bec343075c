#pragma once

#include <caf/atom.hpp>

/// Every atom of trainia's actor protocols, in one place (CAF 0.17 atoms are
/// at most 10 characters).
namespace trainia {

// Asio → actor bridge
using run_atom = caf::atom_constant<caf::atom("run")>;

// Supervision and housekeeping
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;
using idle_check_atom = caf::atom_constant<caf::atom("idle_chk")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;

// Database pool
using db_exec_atom = caf::atom_constant<caf::atom("db_exec")>;
using db_group_atom = caf::atom_constant<caf::atom("db_group")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using worker_up_atom = caf::atom_constant<caf::atom("w_up")>;
using worker_down_atom = caf::atom_constant<caf::atom("w_down")>;
using worker_idle_atom = caf::atom_constant<caf::atom("w_idle")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

// User sessions
using get_profile_atom = caf::atom_constant<caf::atom("get_prof")>;
using put_profile_atom = caf::atom_constant<caf::atom("put_prof")>;
using invalidate_atom = caf::atom_constant<caf::atom("invalid")>;
using user_read_atom = caf::atom_constant<caf::atom("u_read")>;
using user_write_atom = caf::atom_constant<caf::atom("u_write")>;
using plan_atom = caf::atom_constant<caf::atom("plan")>;
using plan_write_atom = caf::atom_constant<caf::atom("plan_write")>;

// Outbound HTTP (src/net)

// Billing and Stripe (src/billing)
using stripe_ingest_atom = caf::atom_constant<caf::atom("st_ingest")>;
using stripe_apply_atom = caf::atom_constant<caf::atom("st_apply")>;
using stripe_replay_atom = caf::atom_constant<caf::atom("st_replay")>;
using stripe_sweep_atom = caf::atom_constant<caf::atom("st_sweep")>;
using stripe_retry_atom = caf::atom_constant<caf::atom("st_retry")>;
using stripe_upgrade_atom = caf::atom_constant<caf::atom("st_upgrade")>;

// Identity and Clerk (src/identity)

// AI pipeline (src/ai)
using ai_start_atom = caf::atom_constant<caf::atom("ai_start")>;
using ai_run_atom = caf::atom_constant<caf::atom("ai_run")>;
using ai_reply_atom = caf::atom_constant<caf::atom("ai_reply")>;
using ai_done_atom = caf::atom_constant<caf::atom("ai_done")>;
using ai_called_atom = caf::atom_constant<caf::atom("ai_called")>;
using ai_wait_atom = caf::atom_constant<caf::atom("ai_wait")>;
using ai_cancel_atom = caf::atom_constant<caf::atom("ai_cancel")>;
using ai_wake_atom = caf::atom_constant<caf::atom("ai_wake")>;
using ai_poll_atom = caf::atom_constant<caf::atom("ai_poll")>;
using ai_renew_atom = caf::atom_constant<caf::atom("ai_renew")>;
using ai_count_atom = caf::atom_constant<caf::atom("ai_count")>;
using ai_expire_atom = caf::atom_constant<caf::atom("ai_expire")>;
using ai_retry_atom = caf::atom_constant<caf::atom("ai_retry")>;
using ai_finish_atom = caf::atom_constant<caf::atom("ai_finish")>;
using ai_announce_atom = caf::atom_constant<caf::atom("ai_announc")>;
using ai_commit_atom = caf::atom_constant<caf::atom("ai_commit")>;

}  // namespace trainia
