#include "ms/mixer/mix_engine.hpp"

#include <cassert>
#include <map>
#include <tuple>
#include <utility>

namespace parley::ms::mixer {

class MixEngine::ConnectionSource : public AudioMixer::Source {
  public:
    ConnectionSource(const std::vector<const media::AudioFrame*>* inputs, std::size_t index)
        : inputs_(inputs), index_(index) {}
    const media::AudioFrame* currentFrame() const override { return (*inputs_)[index_]; }

  private:
    const std::vector<const media::AudioFrame*>* inputs_;
    std::size_t index_;
};

class MixEngine::FeedSource : public AudioMixer::Source {
  public:
    const media::AudioFrame* currentFrame() const override { return ready ? &frame : nullptr; }
    media::AudioFrame frame;
    bool ready = false;
};

MixEngine::MixEngine(VadSettings vad) : vad_(vad) {}
MixEngine::~MixEngine() = default;

namespace {

using RouteKey = std::tuple<std::string, int, std::string>;  // listener, kind, source id

RouteKey routeKey(const MixPlan& plan, std::size_t listener, const MixPlan::Route& r) {
    const bool conf = r.kind == MixPlan::Route::Kind::conference;
    return {plan.connections[listener], conf ? 0 : 1,
            conf ? plan.conferences[r.conference].id : plan.connections[r.connection]};
}

}  // namespace

void MixEngine::applyPlan(MixPlan plan) {
    // Keep what lives across plans: mixers by conference id, route AGC by route identity.
    std::map<std::string, ConferenceRuntime, std::less<>> oldConfs;
    for (auto& c : conferences_) oldConfs.emplace(c.id, std::move(c));
    std::map<RouteKey, AutomaticGain> oldAgc;
    for (std::size_t i = 0; i < plan_.routes.size(); ++i) {
        for (std::size_t r = 0; r < plan_.routes[i].size(); ++r) {
            if (plan_.routes[i][r].output.automatic) {
                oldAgc.emplace(routeKey(plan_, i, plan_.routes[i][r]), routeState_[i][r].agc);
            }
        }
    }

    plan_ = std::move(plan);
    inputs_.assign(plan_.connections.size(), nullptr);
    std::vector<std::unique_ptr<ConnectionSource>> connectionSources;
    for (std::size_t i = 0; i < plan_.connections.size(); ++i) {
        connectionSources.push_back(std::make_unique<ConnectionSource>(&inputs_, i));
    }
    std::vector<std::unique_ptr<FeedSource>> feedSources;
    for (std::size_t f = 0; f < plan_.feeds.size(); ++f) {
        feedSources.push_back(std::make_unique<FeedSource>());
    }

    std::vector<ConferenceRuntime> confs;
    for (const auto& pc : plan_.conferences) {
        ConferenceRuntime rt;
        if (auto it = oldConfs.find(pc.id); it != oldConfs.end()) {
            rt = std::move(it->second);
        } else {
            rt.id = pc.id;
            rt.mixer = std::make_unique<NarrowbandMixer>(vad_);
        }
        std::vector<AudioMixer::Participant> parts;
        for (const auto& pp : pc.participants) {
            AudioMixer::Participant p;
            p.id = pp.id;
            p.kind = pp.kind;
            p.input = pp.input;
            if (pp.sends && pp.kind == EntityKind::connection) {
                p.source = connectionSources[pp.connection].get();
            } else if (pp.sends && pp.feedIn != kNoIndex) {
                p.source = feedSources[pp.feedIn].get();
                p.deferred = true;
            }
            parts.push_back(std::move(p));
        }
        rt.mixer->setParticipants(std::move(parts));
        rt.mixer->setPolicy(pc.policy);
        rt.notifier.setInterval(pc.activeTalkersInterval);
        confs.push_back(std::move(rt));
    }
    conferences_ = std::move(confs);
    connectionSources_ = std::move(connectionSources);
    feedSources_ = std::move(feedSources);

    routeState_.assign(plan_.routes.size(), {});
    for (std::size_t i = 0; i < plan_.routes.size(); ++i) {
        for (const auto& r : plan_.routes[i]) {
            RouteRuntime rt;
            rt.fixed = Gain::fromDb(r.output.gainDb);
            rt.agc.setTarget(r.output.agcTargetDbfs);
            if (r.output.automatic) {
                if (auto it = oldAgc.find(routeKey(plan_, i, r)); it != oldAgc.end()) {
                    rt.agc = it->second;
                    rt.agc.setTarget(r.output.agcTargetDbfs);
                }
            }
            routeState_[i].push_back(rt);
        }
    }
}

void MixEngine::runTick(std::span<const media::AudioFrame* const> inputs,
                        std::span<media::AudioFrame* const> outputs) {
    assert(inputs.size() == plan_.connections.size());
    assert(outputs.size() == plan_.connections.size());
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        inputs_[i] = i < inputs.size() ? inputs[i] : nullptr;
    }

    for (auto& f : feedSources_) f->ready = false;
    for (auto& c : conferences_) c.mixer->mixLocal();
    for (std::size_t f = 0; f < plan_.feeds.size(); ++f) {
        const MixPlan::Feed& feed = plan_.feeds[f];
        scratch_.reset();
        conferences_[feed.from].mixer->mixExcluding(feed.slotInFrom, scratch_);
        FrameCombiner::render(scratch_, feedSources_[f]->frame);
        feedSources_[f]->ready = true;
        ++frameOps_;
    }
    for (auto& c : conferences_) c.mixer->completeMix();

    const std::size_t outs = std::min(outputs.size(), plan_.routes.size());
    for (std::size_t i = 0; i < outs; ++i) {
        if (outputs[i] == nullptr) continue;
        out_.reset();
        const auto& routes = plan_.routes[i];
        for (std::size_t r = 0; r < routes.size(); ++r) {
            const MixPlan::Route& route = routes[r];
            RouteRuntime& state = routeState_[i][r];
            if (route.kind == MixPlan::Route::Kind::connection) {
                const media::AudioFrame* in = inputs_[route.connection];
                if (in == nullptr) continue;
                Gain g = state.fixed;
                if (route.output.automatic) {
                    g = Gain::fromDb(state.agc.gainDb());
                    state.agc.update(meanAbs(*in));
                }
                FrameCombiner::add(out_, *in, g);
                ++frameOps_;
                continue;
            }
            const AudioMixer& mixer = *conferences_[route.conference].mixer;
            if (!route.output.automatic && state.fixed.isUnity()) {
                mixer.mixFor(route.slot, out_);
                continue;
            }
            scratch_.reset();
            mixer.mixFor(route.slot, scratch_);
            Gain g = state.fixed;
            if (route.output.automatic) {
                g = Gain::fromDb(state.agc.gainDb());
                state.agc.update(meanAbs(scratch_));
            }
            FrameCombiner::addScaled(out_, scratch_, g);
            frameOps_ += 2;
        }
        FrameCombiner::render(out_, *outputs[i]);
        ++frameOps_;
    }
}

std::vector<ActiveTalkersReport> MixEngine::pollActiveTalkers(common::TimePoint now) {
    std::vector<ActiveTalkersReport> reports;
    for (auto& c : conferences_) {
        const bool wasStarted = c.notifier.started();
        if (!c.notifier.due(now)) {
            if (!wasStarted && c.notifier.started()) c.mixer->clearTalkers();  // interval begins
            continue;
        }
        std::vector<ActiveTalker> talkers = c.mixer->takeTalkers();
        const bool any = !talkers.empty();
        if (c.notifier.commit(now, any)) {
            reports.push_back(ActiveTalkersReport{c.id, std::move(talkers)});
        }
    }
    return reports;
}

const NarrowbandMixer* MixEngine::conferenceMixer(std::string_view conferenceId) const {
    for (const auto& c : conferences_) {
        if (c.id == conferenceId) return c.mixer.get();
    }
    return nullptr;
}

std::uint64_t MixEngine::frameOps() const {
    std::uint64_t ops = frameOps_;
    for (const auto& c : conferences_) ops += c.mixer->frameOps();
    return ops;
}

}  // namespace parley::ms::mixer
