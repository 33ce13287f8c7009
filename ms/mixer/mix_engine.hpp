#pragma once
// MixEngine: runs a MixPlan every 20 ms on one media worker.
//
// applyPlan() (control time, allocates) installs a plan: one NarrowbandMixer per conference,
// the sources that feed them, the per-route automatic gain. State that outlives a plan
// change is kept by id: a conference's mixer (energies, nbest selection, voice activity,
// automatic gain) and a route's automatic gain.
//
// runTick() (the 20 ms path, never allocates; cost O(connections + participants + routes)):
//   1. every conference sums its connection inputs (AudioMixer::mixLocal);
//   2. the conference-to-conference feeds are computed in the plan's order, each rendered
//      (soft clipped) into a frame that the receiving conference reads as a participant;
//   3. every conference completes its mix with the feeds;
//   4. for every connection, its routes are summed (conference mix minus itself, direct
//      inputs), each with its flow's gain, then soft clipped once into its output frame.
// inputs[i] / outputs[i] belong to plan().connections[i]. A null input, or a frame marked
// silent, contributes nothing; a null output is skipped. An output with no route, or whose
// routes carry nothing, comes out silent (zeros, silent = true).
//
// pollActiveTalkers(now) is cheap when nothing is due; it allocates only when it returns
// reports. Call it from the worker's timer (each tick is fine).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "ms/media/audio_frame.hpp"
#include "ms/mixer/mix_plan.hpp"
#include "ms/mixer/narrowband_mixer.hpp"
#include "ms/mixer/voice_activity.hpp"

namespace parley::ms::mixer {

class MixEngine {
  public:
    explicit MixEngine(VadSettings vad = {});
    ~MixEngine();
    MixEngine(const MixEngine&) = delete;
    MixEngine& operator=(const MixEngine&) = delete;

    void applyPlan(MixPlan plan);
    const MixPlan& plan() const { return plan_; }

    void runTick(std::span<const media::AudioFrame* const> inputs,
                 std::span<media::AudioFrame* const> outputs);

    std::vector<ActiveTalkersReport> pollActiveTalkers(common::TimePoint now);

    // The mixer of a conference of the current plan, or nullptr.
    const NarrowbandMixer* conferenceMixer(std::string_view conferenceId) const;
    // Frame-sized operations done so far by the engine and its mixers (a cost measure).
    std::uint64_t frameOps() const;

  private:
    class ConnectionSource;
    class FeedSource;
    struct ConferenceRuntime {
        std::string id;
        std::unique_ptr<NarrowbandMixer> mixer;
        ActiveTalkerNotifier notifier;
    };
    struct RouteRuntime {
        Gain fixed;
        AutomaticGain agc;
    };

    VadSettings vad_;
    MixPlan plan_;
    std::vector<ConferenceRuntime> conferences_;  // parallel to plan_.conferences
    std::vector<std::unique_ptr<ConnectionSource>> connectionSources_;
    std::vector<std::unique_ptr<FeedSource>> feedSources_;  // parallel to plan_.feeds
    std::vector<std::vector<RouteRuntime>> routeState_;     // parallel to plan_.routes
    std::vector<const media::AudioFrame*> inputs_;
    MixBus scratch_;
    MixBus out_;
    std::uint64_t frameOps_ = 0;
};

}  // namespace parley::ms::mixer
