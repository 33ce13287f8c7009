#pragma once
// Histogram: counts of non-negative durations in whole microseconds, 1 us bins up to
// kMaxMicros, one overflow bin above it; the exact maximum is kept. Fixed size, no
// allocation after construction, so it can be fed on the packet path.

#include <algorithm>
#include <cstdint>
#include <vector>

namespace parley::bench {

class Histogram {
  public:
    static constexpr std::int64_t kMaxMicros = 500000;  // 0.5 s

    Histogram() : bins_(static_cast<std::size_t>(kMaxMicros) + 2, 0) {}

    void add(std::int64_t micros) {
        if (micros < 0) micros = 0;
        max_ = std::max(max_, micros);
        ++count_;
        sum_ += micros;
        bins_[static_cast<std::size_t>(std::min(micros, kMaxMicros + 1))]++;
    }
    void clear() {
        std::fill(bins_.begin(), bins_.end(), 0);
        count_ = 0;
        sum_ = 0;
        max_ = 0;
    }
    std::uint64_t count() const { return count_; }
    std::int64_t max() const { return max_; }
    double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
    // Smallest value v such that at least p percent of the samples are <= v (0 when empty).
    std::int64_t percentile(double p) const {
        if (count_ == 0) return 0;
        const auto need = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.5);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bins_.size(); ++i) {
            seen += bins_[i];
            if (seen >= std::max<std::uint64_t>(need, 1))
                return i > static_cast<std::size_t>(kMaxMicros) ? max_
                                                                : static_cast<std::int64_t>(i);
        }
        return max_;
    }

  private:
    std::vector<std::uint64_t> bins_;
    std::uint64_t count_ = 0;
    std::int64_t sum_ = 0;
    std::int64_t max_ = 0;
};

}  // namespace parley::bench
