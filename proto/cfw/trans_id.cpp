#include "proto/cfw/trans_id.hpp"

#include <cstdio>
#include <memory>
#include <random>

namespace parley::proto::cfw {

TransIdGenerator randomTransIds() {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    return [engine] {
        static constexpr char kHex[] = "0123456789abcdef";
        std::uint64_t v = (*engine)();
        std::string out(12, '0');
        for (auto& c : out) {
            c = kHex[v & 0xF];
            v >>= 4;
        }
        return out;
    };
}

TransIdGenerator sequentialTransIds(std::string prefix) {
    auto counter = std::make_shared<unsigned>(0);
    return [counter, prefix = std::move(prefix)] {
        char digits[16];
        std::snprintf(digits, sizeof digits, "%04u", ++*counter);
        return prefix + digits;
    };
}

}  // namespace parley::proto::cfw
