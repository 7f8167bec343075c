#include "core/heap.hpp"

#include <cstdlib>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace trainia::heap {

void configure() {
#ifdef __GLIBC__
  mallopt(M_TOP_PAD, 0);
  // glibc trims a thread arena's top only when it is at least this big
  // (default 128 KiB, raised further by every large mmapped block freed).
  mallopt(M_TRIM_THRESHOLD, 32 * 1024);
#endif
}

void trim() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

void release_thread_top() {
#ifdef __GLIBC__
  // 64 KiB (glibc's FASTBIN_CONSOLIDATION_THRESHOLD) and below the mmap
  // threshold, so that it comes from this thread's arena and its free
  // consolidates into the top and calls heap_trim. `volatile` keeps the pair
  // from being optimised away.
  constexpr std::size_t size = 64 * 1024;
  void* volatile p = std::malloc(size);
  std::free(p);
#endif
}

}  // namespace trainia::heap
