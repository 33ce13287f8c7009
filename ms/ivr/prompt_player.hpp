#pragma once
// PromptPlayer: plays one <prompt> (RFC 6231 section 4.3.1.1) on a media worker, 20 ms at a
// time, with the runtime controls of <control> (section 4.3.1.2).
//
// The timeline. The playlist is laid end to end on one timeline (8 kHz samples):
// - a Clip lasts from clipBegin to clipEnd (or its end), cut to the audio it has; a clip
//   whose clipBegin is at or after its end (or clipEnd) lasts 0. soundLevel scales it
//   (100 = as recorded, 0 = silent, 200 = twice; the sum saturates).
// - a Tones entry lasts digits * (duration + interval) (tone_generator.hpp: levels, ramps).
// - a Parallel lasts as long as its longest branch (endsync last) or its shortest
//   (endsync first); its branches start together and are summed; a branch that ends early
//   is silent for the rest (never looped), a branch longer than the Parallel is cut.
// PcmAudio must be at media::kNarrowbandRate (the fetcher resamples); a clip with another
// rate, or without audio, lasts 0 (logged at construction).
//
// Controls, as the RFC asks: a seek past either end stops at it (skip to the end finishes
// the prompt); pause while paused and resume while not paused are ignored; skip, restart,
// volume and speed changes while paused resume playback. Volume and speed steps are in
// percentage points of the recorded level/rate: volume within [kMinVolume, kMaxVolume]
// (gain ramps over one frame, no zipper clicks), speed within [kMinSpeed, kMaxSpeed] by
// time-stretching (time_stretch.hpp: pitch kept; at 100 % playback is bit-exact). Seeks
// cross-fade over 10 ms. Controls are meant for a playing prompt; once finished() only
// restart() and a backwards skip() bring it back.
//
// DTMF out of band: with a digit sink set, Tones are not synthesized; the sink gets each
// digit (and its tone duration) during the fill() whose 20 ms reach the digit's start on the
// timeline, and the player plays silence in its place. A seek skips the digits it jumps
// over; a backwards seek plays them again.
//
// Time: position() is where on the timeline playback is (what the seek keys move);
// played() is wall time spent playing, pauses included (what <promptinfo duration> reports).
//
// Threads: construct and setDigitSink() on the control thread; everything else on the
// worker. After construction nothing allocates, locks or throws (the digit sink must not
// either).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ms/ivr/pcm_audio.hpp"
#include "ms/ivr/time_stretch.hpp"
#include "ms/ivr/tone_generator.hpp"
#include "ms/media/audio_frame.hpp"
#include "proto/packages/ivr/types.hpp"

namespace parley::ms::ivr {

struct Clip {
    PcmAudioPtr audio;
    std::chrono::milliseconds clipBegin{0};
    std::optional<std::chrono::milliseconds> clipEnd;
    std::uint32_t soundLevel = 100;  // percent
};

struct Tones {
    std::string digits;
    int level = -6;  // dBm0 per tone
    std::chrono::milliseconds duration{100}, interval{100};
};

using SeqEntry = std::variant<Clip, Tones>;

struct Parallel {
    proto::ivr::EndSync endSync = proto::ivr::EndSync::Last;
    std::vector<std::vector<SeqEntry>> branches;  // each branch is a <seq> (or one item)
};

using PlayEntry = std::variant<Clip, Tones, Parallel>;
using Playlist = std::vector<PlayEntry>;

class PromptPlayer {
  public:
    static constexpr int kMinVolume = 10;  // percent
    static constexpr int kMaxVolume = 400;
    static constexpr int kMinSpeed = 50;  // percent
    static constexpr int kMaxSpeed = 200;
    using DigitSink = std::function<void(char digit, std::chrono::milliseconds duration)>;

    explicit PromptPlayer(Playlist playlist);
    PromptPlayer(const PromptPlayer&) = delete;
    PromptPlayer& operator=(const PromptPlayer&) = delete;

    void setDigitSink(DigitSink sink);

    // The next 20 ms (count 160 at 8 kHz; silent false when it holds audio). Returns false,
    // with a silent frame, once the prompt has finished.
    bool fill(media::AudioFrame& out);
    bool finished() const;

    void restart();
    void toEnd();
    void skip(std::chrono::milliseconds delta);
    void pause(std::chrono::milliseconds maxPause);
    void resume();
    bool paused() const { return paused_; }
    void changeVolume(int deltaPercent);
    void changeSpeed(int deltaPercent);
    int volume() const { return volume_; }
    int speed() const { return speed_; }

    std::chrono::milliseconds position() const;
    std::chrono::milliseconds played() const;
    std::chrono::milliseconds length() const;

  private:
    struct Piece {
        std::int64_t start = 0;  // on the timeline of its owner (playlist or branch)
        std::int64_t length = 0;
        const std::int16_t* samples = nullptr;  // clip: first sample played
        std::uint32_t soundLevel = 100;
        int tones = -1;  // index into tones_ for a Tones entry
    };
    struct Branch {
        std::vector<Piece> pieces;
        std::int64_t length = 0;
    };
    struct Item {
        std::int64_t start = 0;
        std::int64_t length = 0;
        Piece piece;   // when par < 0
        int par = -1;  // index into pars_
    };
    struct DigitEvent {
        std::int64_t at = 0;  // timeline sample where the tone starts
        char digit = '\0';
        std::chrono::milliseconds duration{0};
    };
    class Timeline : public StretchInput {
      public:
        explicit Timeline(PromptPlayer& player) : player_(player) {}
        void read(std::int64_t position, std::span<std::int16_t> out) override;

      private:
        PromptPlayer& player_;
    };

    Piece makePiece(const SeqEntry& entry, std::int64_t start);
    void addDigits(const Piece& piece, std::int64_t timelineStart, std::int64_t limit);
    void renderTimeline(std::int64_t position, std::span<std::int16_t> out);
    void renderPieces(const std::vector<Piece>& pieces, std::int64_t local, std::int64_t count,
                      std::int64_t* acc);
    void renderPiece(const Piece& piece, std::int64_t local, std::int64_t count, std::int64_t* acc);
    void seekTo(std::int64_t position);
    void emitDigits(double to);  // digits that start before `to`
    std::int64_t clampedPosition() const;

    Playlist playlist_;  // keeps the audio alive
    std::vector<ToneSequence> tones_;
    std::vector<std::vector<Branch>> pars_;
    std::vector<Item> items_;
    std::vector<DigitEvent> digits_;
    std::int64_t length_ = 0;

    Timeline timeline_{*this};
    TimeStretch stretch_;
    std::array<std::int64_t, TimeStretch::kMaxRead> acc_{};
    std::array<std::int16_t, TimeStretch::kMaxRead> scratch_{};

    DigitSink digitSink_;
    std::size_t nextDigit_ = 0;
    bool ended_ = false;  // gotoend or a skip to the end
    bool paused_ = false;
    std::int64_t pauseLeft_ = 0;  // samples
    int volume_ = 100;
    double appliedGain_ = 1.0;
    int speed_ = 100;
    std::int64_t playedSamples_ = 0;
};

}  // namespace parley::ms::ivr
