#pragma once
// DialogRunner: one running msc-ivr/1.0 dialog (RFC 6231 section 4.3) on a media worker.
//
// The control thread builds a DialogSetup (everything fetched, decoded, compiled and opened
// in advance) and hands the runner to the worker that owns the dialog's target; from then
// on the runner lives on that worker thread and is driven by it every 20 ms:
//
//   runner.start(now);                       // once, on the worker
//   each tick:  runner.onTick(now);
//               runner.listen(frame, now);   // what the target sends (connection input,
//                                            // or the conference mix for a conference)
//               runner.playout(frame);       // adds what the dialog plays to `frame`
//   digits:     runner.onRtpDigit(d, now);   // RFC 4733 from the connection
//   requests:   runner.terminate(immediate), runner.targetGone()
//
// Execution model (RFC 6231 4.3.1): a counter, a repeatDur timer, then cycles of prompt
// (controls active during it; barge-in stops it and the key becomes the collect's first input)
// followed by collect or record. A cycle that completes counts; the dialog ends when
// repeatCount is reached or, with repeatUntilComplete, when collect reports match/stopped
// or record reports stopped/dtmf/maxtime/finalsilence. Only the last cycle is reported.
// dialogterminate immediate: ends now with status 0 and no report; otherwise the current
// cycle finishes and the exit (status 0) reports it. repeatDur expiry: status 3 with what
// the cycle gathered. The target going away: status 2. A recording that fails: status 4.
//
// Output: the runner calls the `events` sink (on the worker thread; it must post to the
// control thread) with dtmfnotify notices as they happen and exactly one exit at the end.
// A dialog that recorded ends its files (RecordingFile::finish) before the exit is
// emitted; the control thread completes recordinfo's <mediainfo> from the disk writer's
// results and sends dialogexit when every file is final (RecordingPending).
//
// Threading: everything but the constructor runs on the worker. No allocation on a plain
// tick; notices and the exit allocate when they are made (they are events, not samples).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "ms/ivr/digit_collector.hpp"
#include "ms/ivr/disk_writer.hpp"
#include "ms/ivr/dtmf_detector.hpp"
#include "ms/ivr/prompt_player.hpp"
#include "ms/ivr/recorder.hpp"
#include "ms/ivr/srgs_grammar.hpp"
#include "ms/media/audio_frame.hpp"
#include "proto/packages/ivr/builders.hpp"
#include "proto/packages/ivr/dialog.hpp"

namespace parley::ms::ivr {

inline constexpr std::size_t kDigitBufferCapacity = 128;

struct DialogSetup {
    std::string dialogId;
    std::uint32_t repeatCount = 1;
    std::optional<std::chrono::milliseconds> repeatDur;
    bool repeatUntilComplete = false;

    std::unique_ptr<PromptPlayer> player;  // null: no <prompt>
    bool bargein = true;
    std::optional<proto::ivr::Control> control;  // ignored without a prompt

    std::optional<CollectSettings> collect;  // collect.grammar points into `grammar`
    std::shared_ptr<const SrgsGrammar> grammar;

    std::optional<RecorderSettings> record;
    std::vector<std::shared_ptr<RecordingFile>> recordFiles;  // opened, one per target
    // The AS named the locations: a recording cut by an immediate dialogterminate is kept
    // (the AS knows where it is); locations the MS chose are discarded then (no report
    // would tell anyone about them).
    bool recordLocationsGiven = false;

    std::vector<proto::ivr::MatchMode> subscriptions;  // <dtmfsub> matchmodes
    bool detectInband = true;                          // in-band DTMF on what is heard
};

struct DialogNotice {
    std::string dialogId;
    proto::ivr::MatchMode mode = proto::ivr::MatchMode::All;
    std::string dtmf;
    std::chrono::system_clock::time_point when;
};

struct DialogEnd {
    std::string dialogId;
    std::uint32_t status = proto::ivr::exit_status::kSuccess;
    std::optional<std::string> reason;
    proto::ivr::ExitReport report;  // recordinfo without <mediainfo>: the control side adds it
    bool recordingsPending = false;  // files were finished: wait for their results
};

struct DialogEvents {
    std::function<void(DialogNotice)> notice;
    std::function<void(DialogEnd)> ended;
};

class DialogRunner {
  public:
    DialogRunner(DialogSetup setup, DialogEvents events);
    ~DialogRunner();
    DialogRunner(const DialogRunner&) = delete;
    DialogRunner& operator=(const DialogRunner&) = delete;

    const std::string& id() const { return setup_.dialogId; }
    bool ended() const { return phase_ == Phase::Ended; }
    bool started() const { return startedOnce_; }

    // RFC 4733 output for <dtmf> (the connection negotiated telephone-event): each digit
    // goes to `sink`; without it <dtmf> is played in-band. Before start().
    void setDigitSink(std::function<void(char, std::chrono::milliseconds)> sink);

    void start(common::TimePoint now);
    void onTick(common::TimePoint now);
    void listen(const media::AudioFrame& heard, common::TimePoint now);
    void playout(media::AudioFrame& frame);
    void onRtpDigit(char digit, common::TimePoint start, common::TimePoint now);

    void terminate(bool immediate, common::TimePoint now);
    void targetGone(common::TimePoint now);

  private:
    enum class Phase { Idle, Prompt, Collect, Record, Ended };

    void beginCycle(common::TimePoint now);
    void runPhase(common::TimePoint now);
    void enterInput(common::TimePoint now);
    void endCycle(common::TimePoint now);
    void handleDigit(char digit, common::TimePoint now);
    bool applyControl(char digit, common::TimePoint now);
    void endPrompt(proto::ivr::PromptTermMode mode);
    void finishCollect();
    void finishRecord(RecordEnd end);
    void finish(std::uint32_t status, std::optional<std::string> reason, bool withReport);
    void notify(proto::ivr::MatchMode mode, std::string dtmf);
    bool subscribed(proto::ivr::MatchMode mode) const;
    void pushBuffer(char digit);

    DialogSetup setup_;
    DialogEvents events_;
    Phase phase_ = Phase::Idle;
    common::TimePoint started_{};
    bool startedOnce_ = false;
    std::uint32_t cycles_ = 0;
    bool terminateAfterCycle_ = false;
    bool cycleDue_ = false;  // the next cycle starts on the next tick

    DtmfDetector detector_;
    DigitMerger merger_;
    DigitCollector collector_;
    std::unique_ptr<Recorder> recorder_;
    media::AudioFrame scratch_;
    std::string digitBuffer_;  // keys typed outside collect (no-bargein prompt, between cycles)

    // What the current cycle gathered (reported at the end).
    std::optional<proto::ivr::PromptInfo> promptInfo_;
    std::optional<proto::ivr::CollectInfo> collectInfo_;
    std::optional<proto::ivr::RecordInfo> recordInfo_;
    std::vector<proto::ivr::ControlMatch> controlMatches_;  // whole dialog
    common::TimePoint promptStarted_{};
    bool recordStarted_ = false;
    bool recordFailed_ = false;
};

}  // namespace parley::ms::ivr
