#pragma once
// Recorder: one <record> (RFC 6231 section 4.3.1.4) on a media worker: beep, noinput
// timeout, VAD-started and VAD-ended recording, maxtime, dtmfterm, stop and sink failure.
// The samples go to a Sink (the disk writer's ring); files and formats are not its business.
//
// Timing model. start(now) begins the operation. Each process(in, now) is one 20 ms frame
// whose audio starts at `now` (frames arrive every 20 ms; a late tick is fine).
// - beep: the beep lasts kBeepDuration from start(); frames that start before it ends are
//   not analysed and not recorded (the beep must not be in the recording, even as echo).
//   The worker plays the beep by calling fillBeep() every tick until it returns false.
// - vadinitial=false: recording begins right after the beep (as the RFC says, whether or
//   not anybody talks; RFC 7058 records a conference this way), so timeout never applies.
// - vadinitial=true: frames are kept in a kPreRoll ring while waiting; at speech onset the
//   ring (the 200 ms before the onset frame) is written first, so the first syllable is not
//   cut. If no onset by `timeout` after the beep (the frame whose end reaches it), the
//   operation ends with NoInput and nothing is recorded.
// - maxtime caps the length of what is written (pre-roll included): the frame that reaches
//   it is cut to fit and the operation ends with MaxTime; recorded() is then maxtime.
// - vadfinal=true: frames after the last active frame (voice_detector.hpp, raw activity)
//   are held back; when speech resumes they are written, when they reach finalsilence the
//   operation ends with FinalSilence and only the first kSilenceTail of them is written (a
//   short natural tail; the RFC keeps the final silence out of the recording). The held
//   back audio is bounded by min(finalsilence, maxtime, kMaxHeldSilence): beyond that the
//   oldest is written. Silence before any speech counts too.
// - onDtmf(): with dtmfterm, any key after start() ends with Dtmf (held-back silence is
//   written: it is part of the recording); stop() ends with Stopped likewise.
// - a Sink that returns false ends the operation with Failed at once.
// Once ended, every call returns the end and nothing more is written.
//
// Threads: construct (allocates the rings) on the control thread; start(), fillBeep(),
// process(), onDtmf(), stop() on the worker, where they never allocate, lock or throw.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/clock.hpp"
#include "ms/ivr/tone_generator.hpp"
#include "ms/ivr/voice_detector.hpp"
#include "ms/media/audio_frame.hpp"

namespace parley::ms::ivr {

struct RecorderSettings {
    std::chrono::milliseconds timeout{5000};
    bool vadInitial = false, vadFinal = false;
    std::chrono::milliseconds finalSilence{5000}, maxTime{15000};
    bool beep = false;
    bool dtmfTerm = true;
};

enum class RecordEnd { None, NoInput, Dtmf, MaxTime, FinalSilence, Stopped, Failed };

class Recorder {
  public:
    using Sink = std::function<bool(const std::int16_t* samples, std::size_t count)>;

    static constexpr std::chrono::milliseconds kBeepDuration{200};
    static constexpr int kBeepLevelDbm0 = -10;
    static constexpr std::chrono::milliseconds kPreRoll{200};
    static constexpr std::chrono::milliseconds kSilenceTail{200};
    static constexpr std::chrono::milliseconds kMaxHeldSilence{60000};

    Recorder(RecorderSettings settings, Sink sink, VoiceDetectorSettings vad = {});
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    void start(common::TimePoint now);
    bool fillBeep(media::AudioFrame& out);
    RecordEnd process(const media::AudioFrame& in, common::TimePoint now);
    RecordEnd onDtmf(common::TimePoint now);
    RecordEnd stop();
    RecordEnd state() const { return end_; }
    std::chrono::milliseconds recorded() const;
    bool heardSpeech() const { return heardSpeech_; }
    bool recording() const { return phase_ == Phase::Recording; }

  private:
    enum class Phase { Idle, Waiting, Recording, Ended };

    RecordEnd finish(RecordEnd end);
    bool write(const std::int16_t* samples, std::size_t count);
    bool writeLimited(const std::int16_t* samples, std::size_t count);
    bool flushHeld(std::size_t limit);
    void hold(const std::int16_t* samples, std::size_t count);
    std::size_t roomLeft() const;

    RecorderSettings settings_;
    Sink sink_;
    VoiceDetector vad_;
    ToneSequence beep_;
    Phase phase_ = Phase::Idle;
    RecordEnd end_ = RecordEnd::None;
    common::TimePoint beepEnd_{};
    bool heardSpeech_ = false;

    std::vector<std::int16_t> preRoll_;  // ring
    std::size_t preRollHead_ = 0;        // oldest sample
    std::size_t preRollCount_ = 0;
    std::vector<std::int16_t> held_;  // ring of held-back silence (vadfinal)
    std::size_t heldHead_ = 0;
    std::size_t heldCount_ = 0;
    std::size_t silenceRun_ = 0;  // samples since the last active frame (vadfinal)

    std::size_t written_ = 0;  // samples given to the sink
    std::size_t maxSamples_ = 0;
    std::size_t finalSilenceSamples_ = 0;
};

}  // namespace parley::ms::ivr
