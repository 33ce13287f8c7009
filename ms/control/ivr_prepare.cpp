#include "ms/control/ivr_prepare.hpp"

#include <variant>

#include "ms/ivr/phrases.hpp"
#include "proto/packages/ivr/status.hpp"

namespace parley::ms {

namespace pivr = proto::ivr;
namespace st = proto::ivr::status;
using common::Error;

namespace {

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Everything a preparation waits for, kept alive by the callbacks that fill it.
struct State {
    PreparedDialog out;
    std::vector<std::pair<ivr::Clip*, ivr::FetchRequest>> fetches;
    std::optional<ivr::FetchRequest> grammarFetch;
    std::size_t pending = 0;
    bool failed = false;
    std::shared_ptr<bool> alive;
    DialogPreparation::Done done;

    void fail(Error e) {
        if (failed) return;
        failed = true;
        if (alive && *alive) done(std::move(e));
    }
    void oneDone() {
        if (failed) return;
        if (--pending == 0) {
            if (out.playlist) {
                std::chrono::milliseconds total{0};
                for (const auto& [clip, req] : fetches)
                    if (clip->audio) total += clip->audio->duration();
                out.promptLength = total;
            }
            if (alive && *alive) done(std::move(out));
        }
    }
};

class Builder {
  public:
    Builder(const PrepareEnv& env, const PrepareOptions& options,
            const std::optional<std::string>& base)
        : env_(env), options_(options), base_(base.value_or("")) {}

    common::Status media(const pivr::Media& m, std::vector<ivr::SeqEntry>& into) {
        ivr::Clip clip;
        clip.clipBegin = m.clipBegin;
        clip.clipEnd = m.clipEnd;
        clip.soundLevel = m.soundLevel;
        into.emplace_back(std::move(clip));
        ivr::FetchRequest req;
        req.loc = m.loc;
        req.base = base_;
        req.timeout = m.fetchTimeout;
        req.maxAge = options_.maxAge;
        req.maxStale = options_.maxStale;
        req.type = m.type;
        requests_.push_back({into.size() - 1, &into, std::move(req)});
        return {};
    }

    common::Status variable(const pivr::Variable& v, std::vector<ivr::SeqEntry>& into) {
        auto names = ivr::expandVariable(v);
        if (!names) return names.error();
        for (const auto& name : *names) {
            ivr::Clip clip;
            into.emplace_back(std::move(clip));
            ivr::FetchRequest req;
            std::error_code ec;
            auto root = std::filesystem::absolute(env_.mediaRoot, ec);
            if (ec) root = env_.mediaRoot;
            req.loc = "file://" + ivr::phrasePath(root, name).string();
            req.timeout = std::chrono::seconds(5);
            requests_.push_back({into.size() - 1, &into, std::move(req)});
        }
        return {};
    }

    static void dtmf(const pivr::Dtmf& d, std::vector<ivr::SeqEntry>& into) {
        ivr::Tones t;
        t.digits = d.digits;
        t.level = d.level;
        t.duration = d.duration;
        t.interval = d.interval;
        into.emplace_back(std::move(t));
    }

    // Items of a <prompt> become a flat list of sequence entries and parallel groups.
    common::Status prompt(const pivr::Prompt& p, ivr::Playlist& out) {
        // Media, variables (several clips) and dtmf are built as sequence entries and
        // appended; <par> becomes one Parallel entry.
        for (const auto& item : p.items) {
            common::Status s;
            std::visit(Overloaded{
                           [&](const pivr::Media& m) { s = appendSeq(out, [&](auto& seq) { return media(m, seq); }); },
                           [&](const pivr::Variable& v) { s = appendSeq(out, [&](auto& seq) { return variable(v, seq); }); },
                           [&](const pivr::Dtmf& d) { s = appendSeq(out, [&](auto& seq) { dtmf(d, seq); return common::Status{}; }); },
                           [&](const pivr::Par& par) { s = parallel(par, out); },
                       },
                       item);
            if (!s) return s;
        }
        return {};
    }

  private:
    struct Pending {
        std::size_t index;
        std::vector<ivr::SeqEntry>* seq;
        ivr::FetchRequest request;
    };

    // Builds sequence entries in a scratch vector, then moves them into the playlist as
    // top-level entries. Requests made for the scratch are re-pointed at the playlist.
    template <class Fn>
    common::Status appendSeq(ivr::Playlist& out, Fn&& fn) {
        std::vector<ivr::SeqEntry> scratch;
        const std::size_t firstRequest = requests_.size();
        if (auto s = fn(scratch); !s) return s;
        const std::size_t base = out.size();
        for (auto& e : scratch) {
            std::visit([&](auto&& v) { out.emplace_back(std::move(v)); }, e);
        }
        for (std::size_t i = firstRequest; i < requests_.size(); ++i) {
            requests_[i].seq = nullptr;
            requests_[i].index += base;
            topRequests_.push_back(i);
        }
        return {};
    }

    common::Status parallel(const pivr::Par& par, ivr::Playlist& out) {
        ivr::Parallel group;
        group.endSync = par.endSync;
        group.branches.reserve(par.items.size());
        std::vector<std::pair<std::size_t, std::size_t>> mine;  // (branch, request index)
        for (const auto& item : par.items) {
            group.branches.emplace_back();
            auto& branch = group.branches.back();
            const std::size_t firstRequest = requests_.size();
            common::Status s;
            std::visit(Overloaded{
                           [&](const pivr::Seq& seq) {
                               for (const auto& si : seq.items) {
                                   if (!s) break;
                                   std::visit(Overloaded{
                                                  [&](const pivr::Media& m) { s = media(m, branch); },
                                                  [&](const pivr::Variable& v) { s = variable(v, branch); },
                                                  [&](const pivr::Dtmf& d) { dtmf(d, branch); },
                                              },
                                              si);
                               }
                           },
                           [&](const pivr::Media& m) { s = media(m, branch); },
                           [&](const pivr::Variable& v) { s = variable(v, branch); },
                           [&](const pivr::Dtmf& d) { dtmf(d, branch); },
                       },
                       item);
            if (!s) return s;
            for (std::size_t i = firstRequest; i < requests_.size(); ++i)
                mine.emplace_back(group.branches.size() - 1, i);
        }
        out.emplace_back(std::move(group));
        parRequests_.push_back({out.size() - 1, std::move(mine)});
        return {};
    }

  public:
    // Resolves every request to the Clip it fills, inside the finished playlist.
    void bind(ivr::Playlist& playlist, State& state) {
        for (std::size_t i : topRequests_) {
            auto& r = requests_[i];
            state.fetches.emplace_back(&std::get<ivr::Clip>(playlist[r.index]), std::move(r.request));
        }
        for (auto& [entry, list] : parRequests_) {
            auto& group = std::get<ivr::Parallel>(playlist[entry]);
            for (auto& [branch, i] : list) {
                auto& r = requests_[i];
                state.fetches.emplace_back(&std::get<ivr::Clip>(group.branches[branch][r.index]),
                                           std::move(r.request));
            }
        }
    }

  private:
    const PrepareEnv& env_;
    const PrepareOptions& options_;
    std::string base_;
    std::vector<Pending> requests_;
    std::vector<std::size_t> topRequests_;
    std::vector<std::pair<std::size_t, std::vector<std::pair<std::size_t, std::size_t>>>> parRequests_;
};

}  // namespace

common::Status checkDialogSupported(const pivr::Dialog& d) {
    if (d.collect && d.record)
        return Error(st::kUnsupportedCollectAndRecord, "collect and record in one dialog");
    if (d.record) {
        if (d.repeatCount != 1)
            return Error(st::kUnsupportedRecord,
                         "record in a dialog that repeats (repeatCount other than 1)");
        for (const auto& m : d.record->media) {
            if (m.type && !ivr::isWavType(*m.type))
                return Error(st::kUnsupportedRecordFormat,
                             "record type " + *m.type + " (audio/wav is recorded)");
        }
    }
    if (d.collect && d.collect->grammar) {
        const auto& g = *d.collect->grammar;
        if (g.type && *g.type != pivr::kSrgsMimeType)
            return Error(st::kUnsupportedGrammarFormat, "grammar type " + *g.type);
        if (!g.src && !g.inlineElement)
            return Error(st::kUnsupportedGrammarFormat,
                         "inline grammars must be SRGS XML (text grammars are not supported)");
    }
    return {};
}

void DialogPreparation::run(pivr::Dialog dialog, PrepareOptions options, PrepareEnv env,
                            std::shared_ptr<bool> alive, Done done) {
    auto state = std::make_shared<State>();
    state->alive = std::move(alive);
    state->done = std::move(done);
    state->out.dialog = std::move(dialog);
    const pivr::Dialog& d = state->out.dialog;

    const auto failLater = [&](Error e) {
        env.post([state, e = std::move(e)]() mutable { state->fail(std::move(e)); });
    };
    if (auto s = checkDialogSupported(d); !s) return failLater(s.error());
    if (!env.fetcher) return failLater(Error(st::kOtherExecutionError, "no media fetcher"));

    if (d.prompt) {
        ivr::Playlist playlist;
        Builder b(env, options, d.prompt->base);
        if (auto s = b.prompt(*d.prompt, playlist); !s) return failLater(s.error());
        state->out.playlist = std::move(playlist);
        b.bind(*state->out.playlist, *state);
    }
    if (d.collect && d.collect->grammar) {
        const auto& g = *d.collect->grammar;
        if (g.inlineElement) {
            auto compiled = ivr::SrgsGrammar::fromElement(g.inlineElement->element);
            if (!compiled) return failLater(compiled.error());
            state->out.grammar = std::make_shared<const ivr::SrgsGrammar>(std::move(*compiled));
        } else {
            ivr::FetchRequest req;
            req.loc = *g.src;
            req.timeout = g.fetchTimeout;
            req.maxAge = options.maxAge;
            req.maxStale = options.maxStale;
            req.type = g.type;
            state->grammarFetch = std::move(req);
        }
    }

    state->pending = state->fetches.size() + (state->grammarFetch ? 1 : 0) + 1;
    for (auto& [clip, req] : state->fetches) {
        ivr::Clip* target = clip;
        env.fetcher->fetchAudio(req, [state, target, post = env.post](common::Result<ivr::PcmAudioPtr> r) {
            post([state, target, r = std::move(r)]() mutable {
                if (!r) return state->fail(r.error());
                target->audio = std::move(*r);
                state->oneDone();
            });
        });
    }
    if (state->grammarFetch) {
        env.fetcher->fetchText(*state->grammarFetch, [state, post = env.post](common::Result<std::string> r) {
            post([state, r = std::move(r)]() mutable {
                if (!r) return state->fail(r.error());
                auto compiled = ivr::SrgsGrammar::fromDocument(*r);
                if (!compiled) return state->fail(compiled.error());
                state->out.grammar = std::make_shared<const ivr::SrgsGrammar>(std::move(*compiled));
                state->oneDone();
            });
        });
    }
    // The extra count keeps completion out of run() itself.
    env.post([state] { state->oneDone(); });
}

}  // namespace parley::ms
