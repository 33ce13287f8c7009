#include "ms/ivr/dialog_runner.hpp"

#include "ms/ivr/frame_ops.hpp"

namespace parley::ms::ivr {

namespace ivr = proto::ivr;
using common::TimePoint;

namespace {

ivr::RecordTermMode toTermMode(RecordEnd end) {
    switch (end) {
        case RecordEnd::NoInput: return ivr::RecordTermMode::NoInput;
        case RecordEnd::Dtmf: return ivr::RecordTermMode::Dtmf;
        case RecordEnd::MaxTime: return ivr::RecordTermMode::MaxTime;
        case RecordEnd::FinalSilence: return ivr::RecordTermMode::FinalSilence;
        case RecordEnd::None:
        case RecordEnd::Stopped:
        case RecordEnd::Failed: break;
    }
    return ivr::RecordTermMode::Stopped;
}

std::chrono::milliseconds since(TimePoint from, TimePoint to) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from);
}

}  // namespace

DialogRunner::DialogRunner(DialogSetup setup, DialogEvents events)
    : setup_(std::move(setup)), events_(std::move(events)) {
    digitBuffer_.reserve(kDigitBufferCapacity);
    if (setup_.collect && setup_.grammar) setup_.collect->grammar = setup_.grammar.get();
    if (setup_.record) {
        // The sink runs on the worker: it only copies into the files' rings.
        auto* files = &setup_.recordFiles;
        recorder_ = std::make_unique<Recorder>(
            *setup_.record, [files](const std::int16_t* samples, std::size_t count) {
                bool ok = true;
                for (auto& f : *files) ok = f->write(samples, count) && ok;
                return ok;
            });
    }
    scratch_.clear();
}

DialogRunner::~DialogRunner() {
    // A runner dropped without an exit (worker stopping): nothing may stay half-open.
    if (phase_ != Phase::Ended) {
        for (auto& f : setup_.recordFiles) f->abandon();
    }
}

void DialogRunner::setDigitSink(std::function<void(char, std::chrono::milliseconds)> sink) {
    if (setup_.player && sink) setup_.player->setDigitSink(std::move(sink));
}

void DialogRunner::start(TimePoint now) {
    if (startedOnce_ || phase_ == Phase::Ended) return;
    startedOnce_ = true;
    started_ = now;
    beginCycle(now);
}

// --- the cycle -----------------------------------------------------------------------------

void DialogRunner::beginCycle(TimePoint now) {
    cycleDue_ = false;
    promptInfo_.reset();
    collectInfo_.reset();
    recordInfo_.reset();
    if (setup_.player) {
        if (cycles_ > 0) setup_.player->restart();
        promptStarted_ = now;
        phase_ = Phase::Prompt;
        return;
    }
    enterInput(now);
}

void DialogRunner::enterInput(TimePoint now) {
    if (setup_.collect) {
        phase_ = Phase::Collect;
        collector_.start(*setup_.collect, now, digitBuffer_);
        digitBuffer_.clear();
        if (collector_.done()) {
            finishCollect();
            endCycle(now);
        }
        return;
    }
    if (recorder_) {
        phase_ = Phase::Record;
        recordStarted_ = true;
        recorder_->start(now);
        return;
    }
    endCycle(now);
}

void DialogRunner::endCycle(TimePoint now) {
    (void)now;
    ++cycles_;
    bool complete = false;
    if (setup_.repeatUntilComplete) {
        if (collectInfo_ && (collectInfo_->termMode == ivr::CollectTermMode::Match ||
                             collectInfo_->termMode == ivr::CollectTermMode::Stopped))
            complete = true;
        if (recordInfo_ && recordInfo_->termMode != ivr::RecordTermMode::NoInput) complete = true;
    }
    if (terminateAfterCycle_) {
        finish(ivr::exit_status::kTerminated, "dialog terminated", true);
        return;
    }
    if ((setup_.repeatCount > 0 && cycles_ >= setup_.repeatCount) || complete) {
        finish(ivr::exit_status::kSuccess, "dialog completed", true);
        return;
    }
    // The next cycle starts on the next tick: a cycle with nothing to wait for (controls
    // only) repeated forever must not spin inside one tick.
    phase_ = Phase::Idle;
    cycleDue_ = true;
}

void DialogRunner::onTick(TimePoint now) {
    if (phase_ == Phase::Ended) return;
    if (setup_.repeatDur && since(started_, now) >= *setup_.repeatDur) {
        finish(ivr::exit_status::kMaxDuration, "repeatDur expired", true);
        return;
    }
    while (phase_ != Phase::Ended) {
        auto digit = merger_.poll(now);
        if (!digit) break;
        handleDigit(*digit, now);
    }
    runPhase(now);
}

void DialogRunner::runPhase(TimePoint now) {
    switch (phase_) {
        case Phase::Idle:
            if (cycleDue_) beginCycle(now);
            break;
        case Phase::Prompt:
            if (setup_.player->finished()) {
                endPrompt(ivr::PromptTermMode::Completed);
                enterInput(now);
            }
            break;
        case Phase::Collect:
            collector_.onTick(now);
            if (collector_.done()) {
                finishCollect();
                endCycle(now);
            }
            break;
        case Phase::Record:
        case Phase::Ended: break;
    }
}

// --- media -----------------------------------------------------------------------------------

void DialogRunner::listen(const media::AudioFrame& heard, TimePoint now) {
    if (phase_ == Phase::Ended) return;
    // Once the call has sent an RFC 4733 event the merger drops in-band digits for good: the
    // detector's eight filters would be work for nothing.
    if (setup_.detectInband && !merger_.rtpSeen()) {
        if (auto d = detector_.process(heard, now)) merger_.onInbandDigit(d->digit, d->start, now);
    }
    if (phase_ == Phase::Record) {
        const RecordEnd end = recorder_->process(heard, now);
        if (end != RecordEnd::None) finishRecord(end);
    }
}

void DialogRunner::playout(media::AudioFrame& frame) {
    if (phase_ != Phase::Prompt && phase_ != Phase::Record) return;  // nothing to play
    scratch_.clear();
    bool have = false;
    if (phase_ == Phase::Prompt) {
        have = setup_.player->fill(scratch_);
    } else if (phase_ == Phase::Record) {
        have = recorder_->fillBeep(scratch_);
    }
    if (have) addInto(frame, scratch_);
}

void DialogRunner::onRtpDigit(char digit, TimePoint start, TimePoint now) {
    if (phase_ == Phase::Ended) return;
    merger_.onRtpDigit(digit, start, now);
}

// --- digits ----------------------------------------------------------------------------------

void DialogRunner::handleDigit(char digit, TimePoint now) {
    if (subscribed(ivr::MatchMode::All)) notify(ivr::MatchMode::All, std::string(1, digit));
    switch (phase_) {
        case Phase::Prompt:
            if (applyControl(digit, now)) return;
            if (!setup_.bargein) {
                pushBuffer(digit);
                return;
            }
            // Barge-in: the key that stopped the prompt is the first input of the collect
            // that follows (cleardigitbuffer clears what was typed before, not this key).
            endPrompt(ivr::PromptTermMode::Bargein);
            enterInput(now);
            if (phase_ == Phase::Collect) {
                collector_.onDigit(digit, now);
                if (collector_.done()) {
                    finishCollect();
                    endCycle(now);
                }
            }
            return;
        case Phase::Collect:
            collector_.onDigit(digit, now);
            if (collector_.done()) {
                finishCollect();
                endCycle(now);
            }
            return;
        case Phase::Record: {
            const RecordEnd end = recorder_->onDtmf(now);
            if (end != RecordEnd::None) finishRecord(end);
            return;
        }
        case Phase::Idle: pushBuffer(digit); return;
        case Phase::Ended: return;
    }
}

bool DialogRunner::applyControl(char digit, TimePoint now) {
    if (!setup_.control || !setup_.player) return false;
    const ivr::Control& c = *setup_.control;
    PromptPlayer& p = *setup_.player;
    const auto is = [digit](const std::optional<char>& key) { return key && *key == digit; };
    bool matched = true;
    if (is(c.pauseKey) && is(c.resumeKey)) {
        // One key for both: it toggles.
        if (p.paused())
            p.resume();
        else
            p.pause(c.pauseInterval);
    } else if (is(c.pauseKey)) {
        p.pause(c.pauseInterval);
    } else if (is(c.resumeKey)) {
        p.resume();
    } else if (is(c.gotoStartKey)) {
        p.restart();
    } else if (is(c.gotoEndKey)) {
        p.toEnd();
    } else if (is(c.ffKey)) {
        p.skip(c.skipInterval);
    } else if (is(c.rwKey)) {
        p.skip(-c.skipInterval);
    } else if (is(c.volUpKey)) {
        p.changeVolume(static_cast<int>(c.volumeInterval));
    } else if (is(c.volDnKey)) {
        p.changeVolume(-static_cast<int>(c.volumeInterval));
    } else if (is(c.speedUpKey)) {
        p.changeSpeed(static_cast<int>(c.speedInterval));
    } else if (is(c.speedDnKey)) {
        p.changeSpeed(-static_cast<int>(c.speedInterval));
    } else if (c.external && c.external->find(digit) != std::string::npos) {
        // External controls are reported, not acted on.
    } else {
        matched = false;
    }
    if (!matched) return false;
    (void)now;
    const auto wall = std::chrono::system_clock::now();
    controlMatches_.push_back(ivr::makeControlMatch(std::string(1, digit), wall));
    if (subscribed(ivr::MatchMode::Control)) notify(ivr::MatchMode::Control, std::string(1, digit));
    return true;
}

void DialogRunner::pushBuffer(char digit) {
    if (digitBuffer_.size() >= kDigitBufferCapacity) digitBuffer_.erase(0, 1);
    digitBuffer_.push_back(digit);
}

// --- results ---------------------------------------------------------------------------------

void DialogRunner::endPrompt(ivr::PromptTermMode mode) {
    if (!setup_.player) return;
    promptInfo_ = ivr::makePromptInfo(mode, setup_.player->played());
}

void DialogRunner::finishCollect() {
    const CollectOutcome& o = collector_.outcome();
    collectInfo_ = ivr::makeCollectInfo(
        o.mode, o.dtmf.empty() ? std::nullopt : std::optional<std::string>(o.dtmf));
    if (o.mode == ivr::CollectTermMode::Match && !o.dtmf.empty() &&
        subscribed(ivr::MatchMode::Collect))
        notify(ivr::MatchMode::Collect, o.dtmf);
}

void DialogRunner::finishRecord(RecordEnd end) {
    recordInfo_ = ivr::makeRecordInfo(toTermMode(end), recorder_->recorded(), {});
    if (end == RecordEnd::Failed) {
        recordFailed_ = true;
        finish(ivr::exit_status::kExecutionError, "recording failed: the disk writer fell behind or the file could not be written", true);
        return;
    }
    endCycle(TimePoint{});
}

void DialogRunner::finish(std::uint32_t status, std::optional<std::string> reason,
                          bool withReport) {
    if (phase_ == Phase::Ended) return;
    // Stop what is running, recording how it ended.
    if (phase_ == Phase::Prompt && !promptInfo_) endPrompt(ivr::PromptTermMode::Stopped);
    if (phase_ == Phase::Collect && collector_.running()) {
        collector_.stop();
        finishCollect();
    }
    if (phase_ == Phase::Record && recorder_ && !recordInfo_) {
        const RecordEnd end = recorder_->stop();
        recordInfo_ = ivr::makeRecordInfo(toTermMode(end == RecordEnd::None ? RecordEnd::Stopped : end),
                                          recorder_->recorded(), {});
    }
    phase_ = Phase::Ended;

    DialogEnd out;
    out.dialogId = setup_.dialogId;
    out.status = status;
    out.reason = std::move(reason);

    // Recordings: kept and finalized when something was recorded and someone will know
    // about it; otherwise discarded.
    const bool recordedSomething =
        recordStarted_ && !recordFailed_ && recorder_ && recorder_->recorded().count() > 0;
    const bool keep = recordedSomething && (withReport || setup_.recordLocationsGiven);
    for (auto& f : setup_.recordFiles) {
        if (keep)
            f->finish();
        else
            f->abandon();
    }
    out.recordingsPending = keep && !setup_.recordFiles.empty();

    if (withReport) {
        out.report.prompt = promptInfo_;
        out.report.collect = collectInfo_;
        out.report.record = recordInfo_;
        if (!controlMatches_.empty()) {
            ivr::ControlInfo ci;
            ci.matches = std::move(controlMatches_);
            out.report.control = std::move(ci);
        }
        if (!keep && out.report.record) out.report.record->media.clear();
    }
    if (events_.ended) events_.ended(std::move(out));
}

void DialogRunner::terminate(bool immediate, TimePoint now) {
    (void)now;
    if (phase_ == Phase::Ended) return;
    if (immediate) {
        finish(ivr::exit_status::kTerminated, "dialog terminated", false);
        return;
    }
    terminateAfterCycle_ = true;
    // Between cycles there is nothing to finish: end now.
    if (phase_ == Phase::Idle) {
        finish(ivr::exit_status::kTerminated, "dialog terminated", true);
        return;
    }
    // A cycle that is recording would otherwise run to maxtime: the dialog container stops
    // the recording (recordinfo termmode "stopped", RFC 6231 4.3.1.3), which ends the cycle
    // and reports the recording (an AS stopping a conference recording relies on this).
    if (phase_ == Phase::Record && recorder_ && !recordInfo_) {
        const RecordEnd end = recorder_->stop();
        finishRecord(end == RecordEnd::None ? RecordEnd::Stopped : end);
    }
}

void DialogRunner::targetGone(TimePoint now) {
    (void)now;
    finish(ivr::exit_status::kTargetGone, "connection or conference went away", true);
}

bool DialogRunner::subscribed(ivr::MatchMode mode) const {
    for (auto m : setup_.subscriptions)
        if (m == mode) return true;
    return false;
}

void DialogRunner::notify(ivr::MatchMode mode, std::string dtmf) {
    if (!events_.notice) return;
    DialogNotice n;
    n.dialogId = setup_.dialogId;
    n.mode = mode;
    n.dtmf = std::move(dtmf);
    n.when = std::chrono::system_clock::now();
    events_.notice(std::move(n));
}

}  // namespace parley::ms::ivr
