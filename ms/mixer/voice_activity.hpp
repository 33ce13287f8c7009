#pragma once
// Active talkers (RFC 6505 sections 4.2.1.4.4.1 and 4.2.4.1).
//
// VoiceActivity decides, frame by frame, whether one participant is talking: a frame counts
// as speech when its mean absolute amplitude reaches the threshold or an upstream detector
// flagged it (AudioFrame::speech); the participant stays "talking" for a hangover of frames
// after the last speech frame, so the gaps between words do not make it flicker.
//
// ActiveTalkerNotifier paces <active-talkers-notify> for one conference. The subscription
// interval is the minimum time between notifications; 0 turns them off. Policy (chosen here,
// the RFC leaves it open): at the end of every interval in which somebody talked, report
// everybody who talked at any time during that interval; after such a report, the first
// interval with nobody talking produces one empty report (so the AS learns the room went
// quiet); further silent intervals produce nothing. The first interval starts at the first
// poll after the subscription is set.
//
// Both are pure state machines: no allocation, time is passed in.

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/clock.hpp"

namespace parley::ms::mixer {

struct VadSettings {
    std::uint32_t threshold = 300;      // mean abs amplitude, about -40 dBFS
    std::uint32_t hangoverFrames = 10;  // 200 ms at 20 ms per frame
};

class VoiceActivity {
  public:
    explicit VoiceActivity(VadSettings settings = {}) : settings_(settings) {}

    // One frame's measure; returns whether the participant is talking after it.
    bool update(std::uint32_t meanAbs, bool speechFlag);
    // A tick in which the participant sent nothing (muted, no frame).
    bool idle() { return update(0, false); }
    bool talking() const { return hang_ > 0; }

  private:
    VadSettings settings_;
    std::uint32_t hang_ = 0;
};

class ActiveTalkerNotifier {
  public:
    // Sets the subscription interval; 0 = off. A change restarts the interval at next poll.
    void setInterval(std::chrono::seconds interval);
    std::chrono::seconds interval() const { return interval_; }
    bool started() const { return started_.has_value(); }

    // Whether the current interval has elapsed at `now`. The first call after setInterval()
    // starts the interval and returns false.
    bool due(common::TimePoint now);

    // Called after due() returned true, with whether anybody talked during the interval;
    // starts the next interval and says whether to send a notification now.
    bool commit(common::TimePoint now, bool anyTalkers);

  private:
    std::chrono::seconds interval_{0};
    std::optional<common::TimePoint> started_;
    bool lastReportHadTalkers_ = false;
};

}  // namespace parley::ms::mixer
