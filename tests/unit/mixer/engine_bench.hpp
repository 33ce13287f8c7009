#pragma once
// A JoinGraph + MixEngine pair driven by connection id, for the engine tests.
#include <map>
#include <string>
#include <vector>

#include "ms/mixer/mix_engine.hpp"
#include "test_signals.hpp"

namespace parley::test {

struct EngineBench {
    parley::ms::mixer::JoinGraph graph;
    parley::ms::mixer::MixEngine engine;
    std::map<std::string, parley::ms::media::AudioFrame> in;
    std::map<std::string, parley::ms::media::AudioFrame> out;

    void replan() { engine.applyPlan(parley::ms::mixer::MixPlan::build(graph)); }

    void tick() {
        std::vector<const parley::ms::media::AudioFrame*> inputs;
        std::vector<parley::ms::media::AudioFrame*> outputs;
        for (const auto& id : engine.plan().connections) {
            auto it = in.find(id);
            inputs.push_back(it == in.end() ? nullptr : &it->second);
            outputs.push_back(&out[id]);
        }
        engine.runTick(inputs, outputs);
    }

    void connect(const std::string& id,
                 std::vector<parley::ms::mixer::MediaStream> streams = {{}}) {
        REQUIRE(graph.addConnection(id, std::move(streams)).ok());
    }
    void conference(const std::string& id, parley::ms::mixer::ConferenceRequest req = {}) {
        req.conferenceId = id;
        REQUIRE(graph.createConference(req).ok());
    }
};

// out = round(gain * sum(frames)), the way a route with a gain scales a summed mix.
inline parley::ms::media::AudioFrame scaledSum(
    std::initializer_list<const parley::ms::media::AudioFrame*> frames, double gainDb) {
    using namespace parley::ms::mixer;
    const Gain g = Gain::fromDb(gainDb);
    parley::ms::media::AudioFrame f;
    for (std::size_t i = 0; i < f.count; ++i) {
        std::int64_t v = 0;
        for (const auto* fr : frames) v += fr->samples[i];
        v = (v * g.q14 + (1 << (kGainShift - 1))) >> kGainShift;
        f.samples[i] = softClip(static_cast<std::int32_t>(v));
    }
    f.silent = false;
    return f;
}

}  // namespace parley::test
