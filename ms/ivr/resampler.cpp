#include "ms/ivr/resampler.hpp"

#include <algorithm>
#include <memory>

#include <speex/speex_resampler.h>

namespace parley::ms::ivr {
namespace {

// Offline prompt conversion: a better filter than the VoIP default costs nothing here.
constexpr int kQuality = SPEEX_RESAMPLER_QUALITY_DESKTOP;
constexpr std::size_t kChunk = 4096;

struct ResamplerDeleter {
    void operator()(SpeexResamplerState* st) const { speex_resampler_destroy(st); }
};
using ResamplerHandle = std::unique_ptr<SpeexResamplerState, ResamplerDeleter>;

ResamplerHandle makeResampler(std::uint32_t fromRate, std::uint32_t toRate) {
    int err = RESAMPLER_ERR_SUCCESS;
    ResamplerHandle h(speex_resampler_init(1, fromRate, toRate, kQuality, &err));
    if (err != RESAMPLER_ERR_SUCCESS) h.reset();
    return h;
}

}  // namespace

std::vector<std::int16_t> resample(std::span<const std::int16_t> in, std::uint32_t fromRate,
                                   std::uint32_t toRate) {
    if (fromRate == 0 || toRate == 0 || in.empty()) return {};
    if (fromRate == toRate) return std::vector<std::int16_t>(in.begin(), in.end());
    ResamplerHandle st = makeResampler(fromRate, toRate);
    if (!st) return {};
    speex_resampler_skip_zeros(st.get());

    const std::uint64_t target =
        (static_cast<std::uint64_t>(in.size()) * toRate + fromRate / 2) / fromRate;
    std::vector<std::int16_t> out(static_cast<std::size_t>(target));
    std::size_t produced = 0;
    std::size_t consumed = 0;
    // Input first, then silence to push the filter's tail out, until `target` samples.
    const std::vector<spx_int16_t> zeros(kChunk, 0);
    const std::size_t maxTailRounds =
        2 + static_cast<std::size_t>(speex_resampler_get_input_latency(st.get())) / kChunk +
        static_cast<std::size_t>(fromRate / toRate);
    std::size_t tailRounds = 0;
    while (produced < out.size()) {
        const bool tail = consumed >= in.size();
        if (tail && tailRounds++ > maxTailRounds) break;
        const spx_int16_t* src = tail ? zeros.data() : in.data() + consumed;
        spx_uint32_t inLen =
            static_cast<spx_uint32_t>(tail ? kChunk : std::min(kChunk, in.size() - consumed));
        spx_uint32_t outLen =
            static_cast<spx_uint32_t>(std::min(kChunk * 8, out.size() - produced));
        if (speex_resampler_process_int(st.get(), 0, src, &inLen, out.data() + produced, &outLen) !=
            RESAMPLER_ERR_SUCCESS) {
            break;
        }
        if (!tail) consumed += inLen;
        produced += outLen;
    }
    out.resize(produced);
    return out;
}

}  // namespace parley::ms::ivr
