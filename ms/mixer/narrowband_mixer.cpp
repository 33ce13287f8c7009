#include "ms/mixer/narrowband_mixer.hpp"

#include <algorithm>
#include <utility>

namespace parley::ms::mixer {

void NarrowbandMixer::setParticipants(std::vector<Participant> participants) {
    std::vector<State> next;
    next.reserve(participants.size());
    for (auto& p : participants) {
        State s;
        auto old = std::find_if(parts_.begin(), parts_.end(), [&](const State& o) {
            return o.config.kind == p.kind && o.config.id == p.id;
        });
        if (old != parts_.end()) {
            s.smoothed = old->smoothed;
            s.selected = old->selected;
            s.talkedSinceTake = old->talkedSinceTake;
            s.agc = old->agc;
            s.vad = old->vad;
        } else {
            s.vad = VoiceActivity(vad_);
        }
        if (!p.input.automatic) s.agc.reset();
        s.agc.setTarget(p.input.agcTargetDbfs);
        s.internal = isInternalId(p.id);
        s.fixedGain = Gain::fromDb(p.input.gainDb);
        s.tickGain = s.fixedGain;
        s.config = std::move(p);
        next.push_back(std::move(s));
    }
    parts_ = std::move(next);
    ranking_.assign(parts_.size(), 0);
    ranking_.clear();  // capacity stays: select() never allocates
}

void NarrowbandMixer::measure(State& s) {
    s.frame = s.config.source->currentFrame();
    if (s.frame == nullptr || s.frame->silent) {
        s.energy = 0;
        s.vad.idle();
    } else {
        s.energy = meanAbs(*s.frame);
        if (s.vad.update(s.energy, s.frame->speech)) s.talkedSinceTake = true;
    }
    const float e = static_cast<float>(s.energy);
    const float rate = e > s.smoothed ? kEnergyAttack : kEnergyRelease;
    s.smoothed += (e - s.smoothed) * rate;
}

void NarrowbandMixer::select() {
    ranking_.clear();
    for (Slot i = 0; i < parts_.size(); ++i) {
        if (parts_[i].eligible && !parts_[i].internal) ranking_.push_back(i);
    }
    const bool all =
        policy_.type == MixType::controller || policy_.n == 0 || ranking_.size() <= policy_.n;
    if (all) {
        for (auto& s : parts_) s.selected = s.eligible;
        return;
    }
    auto score = [this](Slot i) {
        const State& s = parts_[i];
        return s.selected ? s.smoothed * kHysteresis : s.smoothed;
    };
    // Strict total order: higher score first, then lower slot.
    auto better = [&](Slot a, Slot b) {
        const float sa = score(a);
        const float sb = score(b);
        return sa != sb ? sa > sb : a < b;
    };
    const auto nth = ranking_.begin() + static_cast<std::ptrdiff_t>(policy_.n);
    std::nth_element(ranking_.begin(), nth, ranking_.end(), better);
    for (auto& s : parts_) s.selected = s.eligible && s.internal;
    for (auto it = ranking_.begin(); it != nth; ++it) parts_[*it].selected = true;
}

void NarrowbandMixer::mixLocal() {
    local_.reset();
    for (auto& s : parts_) {
        s.frame = nullptr;
        s.energy = 0;
        s.eligible = s.config.source != nullptr && !s.config.input.muted;
        if (!s.eligible) {
            s.vad.idle();
            continue;
        }
        s.tickGain = s.config.input.automatic ? Gain::fromDb(s.config.input.gainDb + s.agc.gainDb())
                                              : s.fixedGain;
        if (!s.config.deferred) measure(s);
    }
    select();
    for (auto& s : parts_) {
        if (!s.selected || s.config.deferred || s.frame == nullptr) continue;
        FrameCombiner::add(local_, *s.frame, s.tickGain);
        ++frameOps_;
    }
}

void NarrowbandMixer::mixExcluding(Slot excluded, MixBus& out) const {
    FrameCombiner::addScaled(out, local_, Gain::unity());
    ++frameOps_;
    for (Slot i = 0; i < parts_.size(); ++i) {
        const State& s = parts_[i];
        if (!s.selected) continue;
        if (i == excluded) {
            if (!s.config.deferred && s.frame != nullptr) {
                FrameCombiner::subtract(out, *s.frame, s.tickGain);
                ++frameOps_;
            }
            continue;
        }
        if (!s.config.deferred) continue;
        if (const media::AudioFrame* f = s.config.source->currentFrame()) {
            FrameCombiner::add(out, *f, s.tickGain);
            ++frameOps_;
        }
    }
}

void NarrowbandMixer::completeMix() {
    total_ = local_;
    ++frameOps_;
    for (auto& s : parts_) {
        if (!s.eligible) continue;
        if (s.config.deferred) {
            measure(s);
            if (s.selected && s.frame != nullptr) {
                FrameCombiner::add(total_, *s.frame, s.tickGain);
                ++frameOps_;
            }
        }
        if (s.config.input.automatic) s.agc.update(s.energy);
    }
}

void NarrowbandMixer::mixFor(Slot listener, MixBus& out) const {
    FrameCombiner::addScaled(out, total_, Gain::unity());
    ++frameOps_;
    if (listener >= parts_.size()) return;
    const State& s = parts_[listener];
    if (s.selected && s.frame != nullptr) {
        FrameCombiner::subtract(out, *s.frame, s.tickGain);
        ++frameOps_;
    }
}

std::vector<ActiveTalker> NarrowbandMixer::takeTalkers() {
    std::vector<ActiveTalker> talkers;
    for (auto& s : parts_) {
        if (s.talkedSinceTake || s.vad.talking()) {
            talkers.push_back(ActiveTalker{s.config.kind, s.config.id});
        }
        s.talkedSinceTake = false;
    }
    return talkers;
}

void NarrowbandMixer::clearTalkers() {
    for (auto& s : parts_) s.talkedSinceTake = false;
}

}  // namespace parley::ms::mixer
