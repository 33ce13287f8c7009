#include "ms/mixer/voice_activity.hpp"

namespace parley::ms::mixer {

bool VoiceActivity::update(std::uint32_t meanAbs, bool speechFlag) {
    if (speechFlag || (meanAbs > 0 && meanAbs >= settings_.threshold)) {
        hang_ = settings_.hangoverFrames + 1;  // this frame plus the hangover
    } else if (hang_ > 0) {
        --hang_;
    }
    return talking();
}

void ActiveTalkerNotifier::setInterval(std::chrono::seconds interval) {
    if (interval == interval_) return;
    interval_ = interval.count() < 0 ? std::chrono::seconds{0} : interval;
    started_.reset();
    lastReportHadTalkers_ = false;
}

bool ActiveTalkerNotifier::due(common::TimePoint now) {
    if (interval_.count() == 0) return false;
    if (!started_) {
        started_ = now;
        return false;
    }
    return now - *started_ >= interval_;
}

bool ActiveTalkerNotifier::commit(common::TimePoint now, bool anyTalkers) {
    started_ = now;
    const bool send = anyTalkers || lastReportHadTalkers_;
    if (send) lastReportHadTalkers_ = anyTalkers;
    return send;
}

}  // namespace parley::ms::mixer
