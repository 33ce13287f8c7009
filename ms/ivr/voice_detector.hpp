#pragma once
// VoiceDetector: voice activity on 20 ms frames, for <record vadinitial/vadfinal> (RFC 6231
// section 4.3.1.4) and the recorder's noinput.
//
// Method (energy with an adaptive noise floor, deterministic and cheap):
// - level: the frame's rms in dBFS (a full-scale square wave is 0 dBFS); digital zero and
//   frames marked silent are kFloorDb.
// - noise floor: minimum statistics. The minimum frame level is kept per block of
//   kBlockFrames frames in a ring of kBlocks blocks (1.6 s); the floor is the smallest of
//   them, never above maxFloorDb. Speech has gaps between syllables well within 1.6 s, so
//   the minimum follows the line noise and not the talker; a stationary noise that
//   appears or grows becomes the floor within 1.6 s, so it is not taken for speech for
//   longer than that plus the block in progress (and never when it is there from the
//   start).
// - active (raw, per frame): level >= floor + marginDb and level >= minSpeechDb (so that
//   faint noise after digital silence is not speech).
// - speech (the smoothed decision process() returns): starts after onsetFrames
//   consecutive active frames and lasts hangoverFrames after the last active frame.
// Limits: a steady tone looks like noise once it has lasted 1.6 s unless it is louder than
// maxFloorDb + marginDb (-25 dBFS by default); Speex preprocess's VAD was considered and
// not used: its decision is probability-based and harder to bound in tests, and it adds
// nothing this detector needs.
//
// Threads: one owner; process() never allocates, locks or throws.

#include <array>
#include <cstddef>
#include <cstdint>

#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr {

struct VoiceDetectorSettings {
    double marginDb = 10.0;             // above the noise floor
    double minSpeechDb = -50.0;         // absolute minimum level of speech
    double maxFloorDb = -35.0;          // the floor never rises above this
    std::uint32_t onsetFrames = 2;      // 40 ms
    std::uint32_t hangoverFrames = 15;  // 300 ms
};

class VoiceDetector {
  public:
    static constexpr double kFloorDb = -100.0;
    static constexpr std::size_t kBlockFrames = 10;
    static constexpr std::size_t kBlocks = 8;

    explicit VoiceDetector(VoiceDetectorSettings settings = {});

    // Analyses one frame; returns whether speech is on after it.
    bool process(const media::AudioFrame& frame);
    void reset();

    bool speech() const { return hangover_ > 0; }
    bool active() const { return active_; }  // this frame alone was above the threshold
    double levelDb() const { return level_; }
    double noiseFloorDb() const;
    double thresholdDb() const;
    std::uint32_t framesSinceActive() const { return sinceActive_; }  // 0 for an active frame

  private:
    VoiceDetectorSettings settings_;
    std::array<double, kBlocks> blockMin_{};
    std::size_t blocksFilled_ = 0;
    std::size_t blockIndex_ = 0;
    std::size_t framesInBlock_ = 0;
    double currentMin_ = 0;
    double level_ = kFloorDb;
    bool active_ = false;
    std::uint32_t run_ = 0;
    std::uint32_t hangover_ = 0;
    std::uint32_t sinceActive_ = 0;
};

}  // namespace parley::ms::ivr
