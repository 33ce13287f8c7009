#pragma once
// Sample-rate conversion of whole mono int16 buffers, over the Speex DSP resampler.
//
// Contract:
// - resample() converts `in` from `fromRate` to `toRate` (any positive rates) and returns
//   round(in.size() * toRate / fromRate) samples, aligned with the input (the filter's
//   delay is removed and its tail flushed). Equal rates copy; a zero rate or an empty input
//   gives an empty result.
// - Thread-safe (each call owns its Speex state). It allocates: prompts are resampled once
//   when they are loaded, on a fetcher thread, never on a media worker.

#include <cstdint>
#include <span>
#include <vector>

namespace parley::ms::ivr {

std::vector<std::int16_t> resample(std::span<const std::int16_t> in, std::uint32_t fromRate,
                                   std::uint32_t toRate);

}  // namespace parley::ms::ivr
