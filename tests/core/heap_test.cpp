#include "core/heap.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <malloc.h>

namespace {

/// Bytes glibc holds from the system across all arenas (mmapped blocks apart).
size_t arena_bytes() { return mallinfo2().arena; }

}  // namespace

TEST_CASE("release_thread_top gives a thread's freed heap back to the system", "[core][heap]") {
  trainia::heap::configure();
  size_t at_start = 0, after_free = 0, after_release = 0;
  // On a fresh thread (an arena of its own): 6,000 blocks of 64 bytes
  // (~470 KiB), all freed again. Small blocks go to glibc's fast bins, which
  // never coalesce into the top on free, so the arena keeps their pages until
  // something makes it consolidate and trim.
  std::thread t([&] {
    at_start = arena_bytes();
    std::vector<void*> blocks;
    blocks.reserve(6000);
    for (int i = 0; i < 6000; ++i) blocks.push_back(malloc(64));
    for (void* p : blocks) free(p);
    after_free = arena_bytes();
    trainia::heap::release_thread_top();
    after_release = arena_bytes();
  });
  t.join();
  INFO("arena bytes at the start " << at_start << ", after the frees " << after_free << ", after the release "
                                   << after_release);
  CHECK(after_free >= at_start + 300 * 1024);       // freeing alone gave nothing back
  CHECK(after_release + 300 * 1024 <= after_free);  // the release did
}
#endif
