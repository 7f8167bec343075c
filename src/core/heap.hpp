#pragma once

namespace trainia::heap {

/// Start-up (glibc): no top pad, so that a trimmed heap keeps nothing beyond
/// what is in use (glibc keeps 128 KiB by default, per arena), and a trim
/// threshold of 32 KiB, so that a thread arena's top is trimmed at all. See
/// docs/operations.md, Memory.
void configure();

/// Returns the free pages inside every arena, and the main heap's top, to the
/// system (glibc `malloc_trim`). Takes each arena's lock in turn: call it when
/// a load has passed, not per request.
void trim();

/// Hands the calling thread's unused heap back to the system (glibc).
/// `malloc_trim` returns the free pages inside every arena but never shrinks
/// the top of a thread's own arena: only a free of at least 64 KiB in that
/// arena does (glibc's heap_trim, when the top is at least the trim
/// threshold), down to `M_TOP_PAD`. A thread that held a
/// large transient working set (a database connection's thread after a group
/// commit's results) calls this once it falls idle. Cheap: one allocation
/// carved from the arena's top and freed again; no effect on other allocators.
void release_thread_top();

}  // namespace trainia::heap
