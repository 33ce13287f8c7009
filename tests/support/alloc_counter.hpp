#pragma once
// Counts heap allocations made through the global operator new while counting is on, for
// tests of paths that must not allocate (the mixer tick, the media workers' 20 ms path).
// The replacement operators live in alloc_counter.cpp, in the library parley_test_alloc:
// link it only into the executables that need it.
#include <cstddef>

namespace parley::test {

// Which allocations count: all (nullptr) or only those for which the filter returns true,
// e.g. "made on a media worker thread". The filter must not allocate.
using AllocationFilter = bool (*)();

void startCountingAllocations(AllocationFilter filter = nullptr);
std::size_t stopCountingAllocations();  // allocations counted since start

}  // namespace parley::test
