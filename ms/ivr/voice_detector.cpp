#include "ms/ivr/voice_detector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace parley::ms::ivr {

VoiceDetector::VoiceDetector(VoiceDetectorSettings settings) : settings_(settings) {
    reset();
}

void VoiceDetector::reset() {
    blockMin_.fill(kFloorDb);
    blocksFilled_ = 0;
    blockIndex_ = 0;
    framesInBlock_ = 0;
    currentMin_ = std::numeric_limits<double>::max();
    level_ = kFloorDb;
    active_ = false;
    run_ = 0;
    hangover_ = 0;
    sinceActive_ = std::numeric_limits<std::uint32_t>::max() / 2;
}

double VoiceDetector::noiseFloorDb() const {
    double floor = currentMin_;
    for (std::size_t i = 0; i < blocksFilled_; ++i) floor = std::min(floor, blockMin_[i]);
    if (floor == std::numeric_limits<double>::max()) floor = kFloorDb;
    return std::min(floor, settings_.maxFloorDb);
}

double VoiceDetector::thresholdDb() const {
    return std::max(noiseFloorDb() + settings_.marginDb, settings_.minSpeechDb);
}

bool VoiceDetector::process(const media::AudioFrame& frame) {
    const std::size_t n = std::min(frame.count, media::AudioFrame::kMaxSamples);
    double sum = 0;
    if (!frame.silent) {
        for (std::size_t i = 0; i < n; ++i) {
            sum += static_cast<double>(frame.samples[i]) * frame.samples[i];
        }
    }
    const double meanSquare = n == 0 ? 0 : sum / static_cast<double>(n);
    level_ = meanSquare > 0
                 ? std::max(kFloorDb, 10.0 * std::log10(meanSquare / (32768.0 * 32768.0)))
                 : kFloorDb;

    // Decide against the floor as it was before this frame, then let the frame update it.
    active_ = level_ >= thresholdDb();
    currentMin_ = std::min(currentMin_, level_);
    if (++framesInBlock_ == kBlockFrames) {
        blockMin_[blockIndex_] = currentMin_;
        blockIndex_ = (blockIndex_ + 1) % kBlocks;
        blocksFilled_ = std::min(blocksFilled_ + 1, kBlocks);
        framesInBlock_ = 0;
        currentMin_ = std::numeric_limits<double>::max();
    }

    if (active_) {
        sinceActive_ = 0;
        run_ = std::min(run_ + 1, settings_.onsetFrames);
        if (run_ >= settings_.onsetFrames || hangover_ > 0) {
            hangover_ = settings_.hangoverFrames + 1;
        }
    } else {
        ++sinceActive_;
        run_ = 0;
    }
    if (!active_ && hangover_ > 0) --hangover_;
    return speech();
}

}  // namespace parley::ms::ivr
