#pragma once
// One step of bench_ivr_load (see main.cpp for what the modes measure): a fresh parley-ms
// pinned to a CPU, the control channel and the media legs from IvrLegs/IvrRtp, the dialogs
// (prompt + collect with RFC 4733 digits on a sample of legs, or record), the measuring
// window and the checks (digits, recordings). runIvrStep() returns when the step is over and
// parley-ms has been stopped by PID; it never throws past a failure: `ok` false and `why`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/ivr_load/ivr_rtp.hpp"
#include "bench/common/ms_process.hpp"
#include "bench/common/ms_readings.hpp"
#include "bench/common/options.hpp"
#include "bench/common/step_harness.hpp"

namespace parley::bench {

enum class IvrMode { Dialogs, Record };

// What a run is asked for (bench_ivr_load's flags).
struct IvrOptions : GeneratorOptions {
    IvrMode mode = IvrMode::Dialogs;
    std::vector<std::size_t> legs;
    std::size_t digitLegs = 20;
    int promptRepeats = 8;
};

// What one step measured; pass() applies the mode's criteria.
struct IvrStepResult : StepMeasures {
    std::size_t legs = 0;
    bool ok = false;  // the step ran (not: passed)
    std::string why;
    IvrRtpReport rtp;
    // dialogs mode
    std::size_t digitLegs = 0, digitLegsOk = 0;
    std::int64_t notifyP50 = 0, notifyMax = 0, exitP50 = 0, exitMax = 0;  // us
    std::size_t unexpectedExits = 0;
    std::string firstUnexpected;
    std::string firstDigitProblem;
    // record mode
    std::size_t exits = 0, exitsOk = 0, filesOk = 0, lengthOff = 0, gapFiles = 0;
    std::uint64_t gapFrames = 0;
    std::int64_t worstLengthDiff = 0;
    std::uint64_t toneFramesSent = 0, toneFramesRecorded = 0;
    std::size_t overflowLines = 0;
    std::string firstRecordProblem;
    IoReading io0, io1;
    bool pass(IvrMode mode) const {
        const bool streams = ok && rtp.lost == 0 && rtp.silentStreams == 0 && rtp.shortStreams == 0;
        if (mode == IvrMode::Dialogs)
            return streams && p99 < 2000 && rtp.promptGaps == 0 && digitLegsOk == digitLegs &&
                   unexpectedExits == 0;
        return ok && exits == legs && exitsOk == legs && filesOk == legs && lengthOff == 0 &&
               gapFiles == 0 && overflowLines == 0 && unexpectedExits == 0;
    }
};

IvrStepResult runIvrStep(const IvrOptions& opt, std::size_t legCount);

}  // namespace parley::bench
