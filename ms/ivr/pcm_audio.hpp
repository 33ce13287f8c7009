#pragma once
// PcmAudio: a decoded prompt or a finished recording held in memory, in the media plane's
// format (mono 16-bit linear PCM at the mix rate, 8 kHz today). Prompts are decoded and
// resampled once, off the media workers, then shared read-only between every dialog that
// plays them (PcmAudioPtr), so a worker never decodes, resamples or reads a file.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr {

struct PcmAudio {
    std::vector<std::int16_t> samples;
    std::uint32_t sampleRate = media::kNarrowbandRate;
    std::string origin;  // where it came from (a path or URI), for logs and reports

    std::chrono::milliseconds duration() const {
        return std::chrono::milliseconds(sampleRate == 0 ? 0
                                                         : samples.size() * 1000 / sampleRate);
    }
};

using PcmAudioPtr = std::shared_ptr<const PcmAudio>;

}  // namespace parley::ms::ivr
