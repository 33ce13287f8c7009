#pragma once
// In-band DTMF: DtmfDetector listens to the audio a connection sends (8 kHz linear PCM in
// 20 ms AudioFrames) and reports each key press once; DigitMerger combines those digits
// with the RFC 4733 telephone events of the same call so that a key press that arrives both
// ways is delivered once.
//
// Contract (both classes):
// - Media-worker code: no allocation, locks, system calls or exceptions after construction;
//   every buffer is a fixed-size member. Not thread-safe: one worker owns each instance.
// - Times are the caller's (common::TimePoint); neither class reads a clock.
//
// How DtmfDetector decides (thresholds are the k* constants below):
// - Audio is cut into blocks of kBlockSamples (102 samples, 12.75 ms) independent of frame
//   boundaries, and each block is measured with Goertzel filters at the 8 DTMF frequencies
//   (697 770 852 941 Hz rows, 1209 1336 1477 1633 Hz columns) plus the block's total energy.
//   While no key is held, a block too quiet to hold a tone at the minimum level skips the
//   filters, and the column filters run only when a row tone stands out (both blocks show
//   no key either way).
// - A block "shows" a key when: the strongest row and the strongest column tone are each at
//   least kMinToneDbm0 (-32 dBm0, so -30 dBm0 tones are accepted with margin; the Q.24
//   minimum of administrations lies between -25 and -30 dBm0); the twist (column level
//   minus row level) is within [-kNormalTwistDb, +kReverseTwistDb] = [-8 dB, +4 dB] (the
//   low group may be up to 8 dB louder, the high group up to 4 dB louder); every other
//   tone of each group is at least kGroupMarginDb (8 dB) below the strongest of that group;
//   and the two tones hold at least kMinToneEnergyRatio (85%) of the block's energy. The
//   last check is the talk-off guard: speech spreads its energy over many harmonics and
//   formants (in the unit test's 175 s of espeak-ng speech, a 50% threshold let false
//   digits through and 70% did not); it also refuses blocks only partly filled by a tone.
// - A key is confirmed after kConfirmBlocks (2) consecutive blocks show it: at least 25.5 ms
//   of clean tone. A 40 ms tone always fills two whole blocks; a 20 ms tone never can (its
//   energy split over two blocks leaves neither at 85%), so 40 ms is accepted and 20 ms
//   refused as Q.24 asks. DetectedDigit::start is the start of the first such block.
// - After a confirmation the key is held until kReleaseBlocks (2) consecutive blocks no
//   longer carry it (a gap of at least about 25 ms; a 40 ms pause always qualifies). A block
//   still carries the held key when that key's own two frequencies hold at least
//   kHoldEnergyRatio (50%) of its energy: the partly filled blocks at the edges of a 10 ms
//   dropout smear the spectrum (so they fail the checks above) but keep the key. Only
//   after a release can the same key count again; a different key confirmed by
//   kConfirmBlocks blocks is a new press at once.
// - Frames at another sample rate than 8 kHz are ignored (the mix runs at 8 kHz).
//
// How DigitMerger decides (a phone often sends a key both as RFC 4733 events and as audio):
// - An RTP digit is ready at once. An in-band digit is held kInbandHold (60 ms) after it is
//   reported and dropped if an RTP event for the same key starts within kMatchWindow
//   (+-150 ms) of it, before or during the hold.
// - Chosen policy: once a call has sent one RFC 4733 event, later in-band digits are
//   ignored for the rest of the call (reset() forgets it). Phones that send events send
//   them for every key, and the in-band copy can only add duplicates.
// - Digits come out of poll() in the order their presses started; an RTP digit waits behind
//   an earlier in-band digit that is still held.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/clock.hpp"
#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr {

struct DetectedDigit {
    char digit = '\0';          // '0'-'9', '*', '#', 'A'-'D'
    common::TimePoint start{};  // when the tone was first seen
};

class DtmfDetector {
  public:
    static constexpr int kSampleRate = 8000;
    static constexpr std::size_t kBlockSamples = 102;
    static constexpr int kConfirmBlocks = 2;
    static constexpr int kReleaseBlocks = 2;
    static constexpr double kMinToneDbm0 = -32.0;
    static constexpr double kNormalTwistDb = 8.0;   // row (low group) louder than column
    static constexpr double kReverseTwistDb = 4.0;  // column (high group) louder than row
    static constexpr double kGroupMarginDb = 8.0;
    static constexpr double kMinToneEnergyRatio = 0.85;
    static constexpr double kHoldEnergyRatio = 0.5;
    // A full-scale sine in 16-bit linear PCM is +3.17 dBm0 (G.711 convention).
    static constexpr double kFullScaleSineDbm0 = 3.17;

    DtmfDetector();

    // One frame (20 ms at 8 kHz, frame.count samples) that starts at frameStart. Returns a
    // digit once per key press, in the frame in which it is confirmed.
    std::optional<DetectedDigit> process(const media::AudioFrame& frame,
                                         common::TimePoint frameStart);
    // Forgets any partial block and any key being held.
    void reset();

  private:
    // Measures the current block into rowPower_, colPower_ and energy_; returns the key
    // it shows (all checks passed), or '\0'.
    char analyseBlock();
    // Share of the block's energy that the two tones of `key` carry.
    double energyShare(char key) const;
    std::optional<DetectedDigit> onBlock(char key, common::TimePoint blockStart);

    std::array<double, 4> rowCoeff_{};  // 2cos(2 pi f / fs) per frequency
    std::array<double, 4> colCoeff_{};
    double minPower_ = 0;       // Goertzel power of a tone at kMinToneDbm0
    double groupMargin_ = 0;    // kGroupMarginDb as a power ratio
    double maxColOverRow_ = 0;  // kReverseTwistDb as a power ratio
    double maxRowOverCol_ = 0;  // kNormalTwistDb as a power ratio
    std::array<std::int16_t, kBlockSamples> block_{};
    std::size_t filled_ = 0;
    std::array<double, 4> rowPower_{};
    std::array<double, 4> colPower_{};
    double energy_ = 0;
    common::TimePoint blockStart_{};

    char candidate_ = '\0';  // key shown by the latest blocks
    int candidateBlocks_ = 0;
    common::TimePoint candidateStart_{};
    char held_ = '\0';  // key confirmed and not yet released
    int releaseBlocks_ = 0;
};

class DigitMerger {
  public:
    static constexpr std::chrono::milliseconds kInbandHold{60};
    static constexpr std::chrono::milliseconds kMatchWindow{150};
    static constexpr std::size_t kCapacity = 32;  // digits waiting for poll()

    void onRtpDigit(char digit, common::TimePoint start, common::TimePoint now);
    void onInbandDigit(char digit, common::TimePoint start, common::TimePoint now);
    // The next digit ready to deliver, in order of start; call every tick until nullopt.
    std::optional<char> poll(common::TimePoint now);
    void reset();

    bool rtpSeen() const { return rtpSeen_; }
    // Digits lost because kCapacity were already waiting (a caller that never polls).
    std::uint64_t overflowed() const { return overflowed_; }

  private:
    struct Pending {
        char digit = '\0';
        common::TimePoint start{};
        common::TimePoint readyAt{};
        bool inband = false;
    };
    void insert(const Pending& p);
    void removeAt(std::size_t i);

    std::array<Pending, kCapacity> queue_{};  // sorted by start
    std::size_t size_ = 0;
    bool rtpSeen_ = false;
    std::uint64_t overflowed_ = 0;
};

}  // namespace parley::ms::ivr
