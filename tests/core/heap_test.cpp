#include "core/heap.hpp"

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#include <malloc.h>

namespace {

/// Bytes glibc holds from the system across all arenas (mmapped blocks apart).
size_t arena_bytes() { return mallinfo2().arena; }

/// On a fresh thread (its own arena): 6,000 blocks of 64 bytes (~400 KiB),
/// all freed again. Small blocks go to glibc's fast bins, which never
/// coalesce into the top on free, so the arena keeps every page until
/// something makes it consolidate and trim. Returns how many bytes the
/// arenas held after the frees and after `then()`.
template <class Then>
std::pair<size_t, size_t> churn_on_a_thread(Then then) {
  size_t after_free = 0, after_then = 0;
  std::thread t([&] {
    std::vector<void*> blocks;
    blocks.reserve(6000);
    for (int i = 0; i < 6000; ++i) blocks.push_back(malloc(64));
    for (void* p : blocks) free(p);
    after_free = arena_bytes();
    then();
    after_then = arena_bytes();
  });
  t.join();
  return {after_free, after_then};
}

}  // namespace

TEST_CASE("release_thread_top gives a thread's freed heap back to the system", "[core][heap]") {
  trainia::heap::configure();
  auto [kept_before, kept_after] = churn_on_a_thread([] {});
  CHECK(kept_after + 64 * 1024 > kept_before);  // nothing happens by itself
  auto [before, after] = churn_on_a_thread([] { trainia::heap::release_thread_top(); });
  INFO("arena bytes after the frees " << before << ", after the release " << after);
  CHECK(before >= after + 300 * 1024);
}
#endif
