#include "ms/ivr/frame_ops.hpp"

#include <algorithm>
#include <cstdint>

namespace parley::ms::ivr {

void addInto(media::AudioFrame& dst, const media::AudioFrame& src) {
    if (src.silent) return;
    const std::size_t n = std::min(dst.count, src.count);
    if (dst.silent) {
        std::copy_n(src.samples.begin(), n, dst.samples.begin());
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const int sum = int{dst.samples[i]} + int{src.samples[i]};
            dst.samples[i] = static_cast<std::int16_t>(std::clamp(sum, -32768, 32767));
        }
    }
    dst.silent = false;
    dst.speech = dst.speech || src.speech;
    dst.energy = std::max(dst.energy, src.energy);
}

}  // namespace parley::ms::ivr
