// Replacement global allocation functions that count calls while a window is open. They
// allocate with malloc and free with free, so they pair with each other (also under ASan).
#include "tests/support/alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
std::atomic<parley::test::AllocationFilter> filter{nullptr};

void* allocate(std::size_t n) {
    if (counting.load(std::memory_order_relaxed)) {
        parley::test::AllocationFilter f = filter.load(std::memory_order_relaxed);
        if (f == nullptr || f()) allocations.fetch_add(1, std::memory_order_relaxed);
    }
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
}  // namespace

namespace parley::test {
void startCountingAllocations(AllocationFilter f) {
    allocations = 0;
    filter = f;
    counting = true;
}
std::size_t stopCountingAllocations() {
    counting = false;
    return allocations.load();
}
}  // namespace parley::test

void* operator new(std::size_t n) {
    return allocate(n);
}
void* operator new[](std::size_t n) {
    return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
