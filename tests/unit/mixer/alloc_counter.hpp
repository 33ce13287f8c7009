#pragma once
// Counts heap allocations made through the global operator new while counting is on. The
// replacement operators live in alloc_counter.cpp, linked into mixer_tests only.
#include <cstddef>

namespace parley::test {

void startCountingAllocations();
std::size_t stopCountingAllocations();  // allocations since start

}  // namespace parley::test
