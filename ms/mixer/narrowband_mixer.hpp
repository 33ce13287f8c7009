#pragma once
// NarrowbandMixer: the N-1 AudioMixer of parley-ms (8 kHz frames today; nothing in it depends
// on the rate except the frames it is given).
//
// Cost per tick is O(N) in participants: the full mix is summed once, and each listener's
// output is that sum minus the listener's own weighted contribution (exact integer
// arithmetic, see FrameCombiner), clipped only after the subtraction by whoever renders it.
//
// nbest with n > 0: among the eligible contributors (sending, not muted) the n with the
// highest smoothed energy are mixed. Smoothing is a fast-attack / slow-release average of
// the frames' mean absolute amplitude; a contributor already mixed competes with its energy
// times kHysteresis, so two talkers of similar level do not swap every tick. Ties go to the
// earlier slot. n = 0, or no more eligible contributors than n, mixes all of them.
// Internal participants (mixer::isInternalId: an IVR dialog playing an announcement into the
// conference) are always mixed when they send and take none of the n places: a prompt the AS
// plays into a room is heard however many people talk.
// controller: every eligible contributor is mixed (the AS chooses through mute and gain).
//
// Nobody hears themselves: mixFor(s) never contains s's own contribution.

#include <vector>

#include "ms/mixer/audio_mixer.hpp"
#include "ms/mixer/gain.hpp"
#include "ms/mixer/voice_activity.hpp"

namespace parley::ms::mixer {

inline constexpr float kEnergyAttack = 0.5f;
inline constexpr float kEnergyRelease = 0.1f;
inline constexpr float kHysteresis = 1.5f;

class NarrowbandMixer : public AudioMixer {
  public:
    explicit NarrowbandMixer(VadSettings vad = {}) : vad_(vad) {}

    void setParticipants(std::vector<Participant> participants) override;
    void setPolicy(MixPolicy policy) override { policy_ = policy; }
    std::size_t participantCount() const override { return parts_.size(); }
    const Participant& participant(Slot slot) const override { return parts_[slot].config; }

    void mixLocal() override;
    void mixExcluding(Slot excluded, MixBus& out) const override;
    void completeMix() override;
    void mixFor(Slot listener, MixBus& out) const override;

    bool isMixed(Slot slot) const override { return parts_[slot].selected; }
    bool isTalking(Slot slot) const override { return parts_[slot].vad.talking(); }
    std::vector<ActiveTalker> takeTalkers() override;
    void clearTalkers() override;
    std::uint64_t frameOps() const override { return frameOps_; }

    float smoothedEnergy(Slot slot) const { return parts_[slot].smoothed; }
    double agcGainDb(Slot slot) const { return parts_[slot].agc.gainDb(); }

  private:
    struct State {
        Participant config;
        Gain fixedGain;                            // from input.gainDb, computed at set time
        Gain tickGain;                             // the weight used throughout this tick
        const media::AudioFrame* frame = nullptr;  // this tick's frame once pulled
        std::uint32_t energy = 0;                  // this tick's mean abs
        float smoothed = 0.0f;
        bool selected = false;
        bool eligible = false;
        bool internal = false;                     // mixer::isInternalId(config.id)
        bool talkedSinceTake = false;
        AutomaticGain agc;
        VoiceActivity vad;
    };

    void measure(State& s);
    void select();

    VadSettings vad_;
    MixPolicy policy_;
    std::vector<State> parts_;
    std::vector<Slot> ranking_;  // scratch for nbest, sized at setParticipants()
    MixBus local_;
    MixBus total_;
    mutable std::uint64_t frameOps_ = 0;
};

}  // namespace parley::ms::mixer
