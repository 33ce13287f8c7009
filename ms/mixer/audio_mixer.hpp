#pragma once
// AudioMixer: the interface of one conference's audio mix (RFC 6505 "n-minus mix").
//
// The mixer pulls one frame per tick from each participant's Source and produces, for each
// listener, the mix of every mixed contributor except that listener itself. Which
// contributors are mixed is the mix policy (nbest: the n loudest, 0 = all; controller: every
// unmuted contributor, the AS decides through mute/gain). Per-participant input gain, mute
// and automatic gain apply to what the participant contributes. Combining frames is
// FrameCombiner's job; the mixer decides who and with which weight.
//
// A tick runs in stages so that conferences feeding each other can be computed in order:
//   1. mixLocal()       pulls the immediate sources (connections), selects who is mixed,
//                       sums the immediate part;
//   2. mixExcluding(s)  adds to a bus everything mixed except participant s: used for the
//                       feed toward a joined conference s. Deferred sources it reads (the
//                       feeds from other conferences) must already hold this tick's frame;
//   3. completeMix()    adds the deferred sources: the full mix is then known;
//   4. mixFor(s)        adds to a bus the full mix minus participant s's own contribution.
// mix() is stages 1 and 3 for a mixer without deferred sources.
//
// Thread and allocation rules: every member is called from the one worker thread that owns
// the conference. setParticipants() and setPolicy() are control-time and may allocate; the
// tick stages and the observers never allocate.
//
// Selection uses each contributor's smoothed energy: immediate sources include the current
// frame, deferred ones (computed later in the tick) their energy up to the previous tick.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ms/media/audio_frame.hpp"
#include "ms/mixer/frame_combiner.hpp"
#include "ms/mixer/mixer_types.hpp"

namespace parley::ms::mixer {

struct MixPolicy {
    MixType type = MixType::nbest;
    std::uint32_t n = 0;
    bool operator==(const MixPolicy&) const = default;
};

// How one participant's audio enters the mix.
struct InputSettings {
    double gainDb = 0.0;
    bool muted = false;
    bool automatic = false;
    double agcTargetDbfs = kDefaultAgcTargetDbfs;
    bool operator==(const InputSettings&) const = default;
};

class AudioMixer {
  public:
    class Source {
      public:
        virtual ~Source() = default;
        // This tick's frame, or nullptr when the source has nothing. Must not allocate and
        // must return the same frame if asked again within the tick.
        virtual const media::AudioFrame* currentFrame() const = 0;
    };

    using Slot = std::size_t;

    struct Participant {
        std::string id;
        EntityKind kind = EntityKind::connection;
        const Source* source = nullptr;  // nullptr: a listener only, contributes nothing
        bool deferred = false;           // its frame is produced during the tick (a feed)
        InputSettings input;
    };

    virtual ~AudioMixer() = default;

    // Control time. Participants are matched to the previous set by (kind, id): one that stays
    // keeps its energy, selection, voice activity and automatic gain. Slots are the indices
    // in `participants`.
    virtual void setParticipants(std::vector<Participant> participants) = 0;
    virtual void setPolicy(MixPolicy policy) = 0;
    virtual std::size_t participantCount() const = 0;
    virtual const Participant& participant(Slot slot) const = 0;

    // Tick stages (see above); none allocates.
    virtual void mixLocal() = 0;
    virtual void mixExcluding(Slot excluded, MixBus& out) const = 0;
    virtual void completeMix() = 0;
    virtual void mixFor(Slot listener, MixBus& out) const = 0;
    void mix() {
        mixLocal();
        completeMix();
    }

    // Observers.
    virtual bool isMixed(Slot slot) const = 0;    // in this tick's mix
    virtual bool isTalking(Slot slot) const = 0;  // voice activity with hangover
    // Everybody who talked since the previous call, in slot order; clears the record.
    // Control-time (allocates): called when an active-talkers notification is due.
    virtual std::vector<ActiveTalker> takeTalkers() = 0;
    // Forgets who talked so far (an interval starts); never allocates.
    virtual void clearTalkers() = 0;
    // Frame-sized operations (adds, subtracts, bus copies) done so far: a cost measure.
    virtual std::uint64_t frameOps() const = 0;
};

}  // namespace parley::ms::mixer
