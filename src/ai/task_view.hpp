#pragma once

#include "ai/messages.hpp"
#include "db/result.hpp"

namespace trainia::ai {

/// Renders one task row as the API's task object. The row holds, from column
/// `first` on: id, status, input::text, result::text, error_message,
/// attempts, created_at, updated_at, cancel_requested — the column list of
/// every statement that returns a task (ai/get_task.sql and friends).
task_doc render_task(const db::result& r, int row, int first = 0);

}  // namespace trainia::ai
