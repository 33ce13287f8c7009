#include "as/callctl/media_control.hpp"

#include <random>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/log.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::as {

namespace mixer = proto::mixer;
namespace ivr = proto::ivr;
using common::Error;
using common::Result;
using common::Status;

namespace {

Poco::Logger& log() {
    return common::logger("as.callctl");
}

// --- msc-mixer/1.0 ---------------------------------------------------------------------

// The <stream> elements for a participant's connection (id1) joined to a conference (id2).
// `gainAlways`: send setgain even for 0 dB (modifyjoin, to undo an earlier gain).
std::vector<mixer::Stream> audioStreams(const JoinOptions& o, bool gainAlways) {
    auto stream = [](mixer::Direction d) {
        mixer::Stream s;
        s.media = "audio";
        s.direction = d;
        return s;
    };
    const bool sends = !o.muted;
    const bool hears = !o.deaf;
    const bool gain = sends && (gainAlways || o.gainDb != 0.0);
    std::vector<mixer::Stream> out;
    if (!sends && !hears) {
        out.push_back(stream(mixer::Direction::inactive));
    } else if (!sends) {
        out.push_back(stream(mixer::Direction::recvonly));
    } else if (!gain) {
        out.push_back(stream(hears ? mixer::Direction::sendrecv : mixer::Direction::sendonly));
    } else {
        mixer::Stream up = stream(mixer::Direction::sendonly);
        up.volume = mixer::Volume::gain(o.gainDb);
        out.push_back(std::move(up));
        if (hears) out.push_back(stream(mixer::Direction::recvonly));
    }
    return out;
}

// The package <response> in an answer body when its status is a success, else
// Error{package status, reason}.
Result<mixer::Response> mixerResponse(const std::string& body) {
    auto msg = mixer::parse(body, {mixer::Leniency::tolerant, {}});
    if (!msg) return Error(500, "unreadable msc-mixer answer: " + msg.error().message);
    auto* r = std::get_if<mixer::Response>(&*msg);
    if (!r) {
        return Error(500, "msc-mixer answer is <" + std::string(mixer::elementName(*msg)) +
                              ">, not <response>");
    }
    if (mixer::isSuccess(r->status)) return std::move(*r);
    std::string reason = r->reason.value_or("");
    if (reason.empty()) reason = std::string(mixer::reasonPhrase(r->status));
    return Error(r->status, reason);
}

Status mixerOutcome(const std::string& body) {
    auto r = mixerResponse(body);
    if (!r) return r.error();
    return {};
}

std::chrono::seconds wholeSecondsUp(std::chrono::milliseconds ms) {
    return std::chrono::seconds((ms.count() + 999) / 1000);
}

// --- msc-ivr/1.0 ------------------------------------------------------------------------

Result<ivr::Dialog> buildDialog(const DialogSpec& spec) {
    ivr::Dialog d;
    d.repeatCount = spec.repeatCount;
    if (!spec.prompt.empty()) {
        ivr::Prompt prompt;
        prompt.bargein = spec.bargeIn;
        for (const PromptItem& item : spec.prompt) {
            switch (item.kind) {
                case PromptItem::Kind::Media: {
                    ivr::Media m;
                    m.loc = item.value;
                    prompt.items.emplace_back(std::move(m));
                    break;
                }
                case PromptItem::Kind::Variable: {
                    ivr::Variable v;
                    v.type = item.type;
                    v.value = item.value;
                    if (!item.format.empty()) v.format = item.format;
                    prompt.items.emplace_back(std::move(v));
                    break;
                }
                case PromptItem::Kind::Dtmf: {
                    if (!ivr::isDtmfString(item.value))
                        return Error(400, "prompt DTMF '" + item.value + "' is not a DTMF string");
                    ivr::Dtmf t;
                    t.digits = item.value;
                    prompt.items.emplace_back(std::move(t));
                    break;
                }
            }
        }
        d.prompt = std::move(prompt);
    }
    if (spec.collect) {
        const CollectSpec& c = *spec.collect;
        if (c.termChar.size() != 1 || !ivr::isDtmfChar(c.termChar[0]))
            return Error(400, "collect termchar '" + c.termChar + "' is not one DTMF character");
        ivr::Collect collect;
        collect.clearDigitBuffer = c.clearDigitBuffer;
        collect.timeout = c.timeout;
        collect.interDigitTimeout = c.interDigitTimeout;
        collect.termChar = c.termChar[0];
        if (c.maxDigits != 0) collect.maxDigits = c.maxDigits;
        d.collect = std::move(collect);
    }
    if (spec.record) {
        const RecordSpec& r = *spec.record;
        ivr::Record record;
        record.maxTime = r.maxTime;
        record.finalSilence = r.finalSilence;
        record.beep = r.beep;
        record.vadFinal = r.vadFinal;
        d.record = std::move(record);
    }
    if (auto s = ivr::validateDialog(d); !s) return Error(400, s.error().message);
    return d;
}

// The package <response> in an answer body: ok, or Error{package status, reason}.
Status ivrOutcome(const std::string& body) {
    auto msg = ivr::parse(body);
    if (!msg) return Error(500, "unreadable msc-ivr answer: " + msg.error().message);
    const auto* r = std::get_if<ivr::Response>(&*msg);
    if (!r) {
        return Error(
            500, "msc-ivr answer is <" + std::string(ivr::elementName(*msg)) + ">, not <response>");
    }
    if (r->status >= 200 && r->status < 300) return {};
    std::string reason = r->reason.value_or("");
    if (reason.empty()) reason = std::string(ivr::reasonPhrase(ivr::normalizeStatus(r->status)));
    return Error(r->status, reason);
}

DialogResult resultOf(const ivr::DialogExit& e) {
    DialogResult r;
    r.status = static_cast<int>(ivr::normalizeExitStatus(e.status));
    r.reason = e.reason.value_or("");
    if (e.collectInfo) {
        r.collectTermMode = std::string(ivr::toString(e.collectInfo->termMode));
        r.digits = e.collectInfo->dtmf.value_or("");
    }
    if (e.recordInfo) {
        if (!e.recordInfo->media.empty()) r.recordingUri = e.recordInfo->media.front().loc;
        r.recordDuration = std::chrono::milliseconds(e.recordInfo->duration.value_or(0));
    }
    return r;
}

DialogResult lostResult(std::string reason) {
    DialogResult r;
    r.status = -1;
    r.reason = std::move(reason);
    return r;
}

constexpr std::string_view kChannelLost = "channel lost";

}  // namespace

// --- life -------------------------------------------------------------------------------

MediaControl::MediaControl(common::EventLoop& loop, MediaServerClient& client)
    : loop_(loop), client_(client) {
    static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    dialogPrefix_ = "as";
    for (int i = 0; i < 8; ++i) dialogPrefix_ += kAlphabet[pick(rng)];
    dialogPrefix_ += '-';
    eventSub_ = client_.subscribe([this](const cfw::IncomingControl& e) { onEvent(e); });
    stateSub_ = client_.watchState([this](LinkState s) { onLinkState(s); });
}

MediaControl::~MediaControl() {
    client_.unsubscribe(eventSub_);
    client_.unsubscribe(stateSub_);
}

std::string MediaControl::newDialogId() {
    return dialogPrefix_ + std::to_string(nextDialog_++);
}

// --- sending ----------------------------------------------------------------------------

void MediaControl::send(std::string_view package, std::string_view contentType, std::string body,
                        std::string what, Answer answer) {
    const std::uint64_t id = nextRequest_++;
    // In the table before sending, so an answer reported from inside sendControl() finds it.
    pending_.emplace(id, std::move(answer));
    std::weak_ptr<bool> alive = alive_;
    cfw::OutgoingControl request{std::string(package), std::string(contentType), std::move(body)};
    auto sent = client_.sendControl(std::move(request),
                                    [this, alive, id](const cfw::ControlResult& result) {
                                        if (alive.expired()) return;
                                        onCompleted(id, result);
                                    });
    if (sent) {
        PARLEY_LOG_DEBUG(log(), what << " sent (" << *sent << ")");
        return;
    }
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Answer back = std::move(it->second);
    pending_.erase(it);
    PARLEY_LOG_DEBUG(log(),
                     what << " not sent: " << sent.error().code << " " << sent.error().message);
    postError(std::move(back), sent.error());
}

void MediaControl::sendMixer(std::string body, std::string what, Answer answer) {
    send(mixer::kPackageName, mixer::kContentType, std::move(body), std::move(what),
         std::move(answer));
}

void MediaControl::sendIvr(std::string body, std::string what, Answer answer) {
    send(ivr::kPackageName, ivr::kMimeType, std::move(body), std::move(what), std::move(answer));
}

void MediaControl::postError(Answer answer, Error error) {
    std::weak_ptr<bool> alive = alive_;
    loop_.post([alive, answer = std::move(answer), error = std::move(error)] {
        if (alive.expired()) return;
        answer(error);
    });
}

void MediaControl::onCompleted(std::uint64_t requestId, const cfw::ControlResult& result) {
    auto it = pending_.find(requestId);
    if (it == pending_.end()) return;  // already failed when the channel went down
    Answer answer = std::move(it->second);
    pending_.erase(it);
    switch (result.outcome) {
        case cfw::ControlOutcome::Completed:
            answer(result.body);
            return;
        case cfw::ControlOutcome::Rejected:
            answer(Error(result.status, "CFW " + std::to_string(result.status) +
                                            (result.reason.empty() ? "" : ": " + result.reason)));
            return;
        case cfw::ControlOutcome::TimedOut:
            answer(Error(408, "no answer from the media server" +
                                  (result.reason.empty() ? "" : ": " + result.reason)));
            return;
        case cfw::ControlOutcome::ProtocolError:
            answer(Error(500, "bad answer from the media server" +
                                  (result.reason.empty() ? "" : ": " + result.reason)));
            return;
        case cfw::ControlOutcome::ChannelClosed:
            answer(Error(503, std::string(kChannelLost)));
            return;
    }
}

void MediaControl::sendMixerRequest(std::string body, std::string what, Done done) {
    sendMixer(std::move(body), std::move(what), [done = std::move(done)](Result<std::string> r) {
        if (!r) {
            done(r.error());
            return;
        }
        done(mixerOutcome(*r));
    });
}

// --- conferences and joins --------------------------------------------------------------

void MediaControl::createConference(const ConferenceOptions& options, ConferenceWatcher watcher,
                                    IdDone done) {
    mixer::CreateConference m;
    m.reservedTalkers = options.reservedTalkers;
    m.reservedListeners = options.reservedListeners;
    if (options.activeTalkersInterval.count() > 0) {
        mixer::Subscribe sub;
        sub.activeTalkers = mixer::ActiveTalkersSub{wholeSecondsUp(options.activeTalkersInterval)};
        m.settings.subscribe = sub;
    }
    sendMixer(mixer::serialize(m), "createconference",
              [this, watcher = std::move(watcher),
               done = std::move(done)](Result<std::string> r) mutable {
                  if (!r) {
                      done(r.error());
                      return;
                  }
                  auto resp = mixerResponse(*r);
                  if (!resp) {
                      done(resp.error());
                      return;
                  }
                  if (!resp->conferenceId || resp->conferenceId->empty()) {
                      done(Error(500, "createconference answered without a conferenceid"));
                      return;
                  }
                  const std::string id = *resp->conferenceId;
                  PARLEY_LOG_DEBUG(log(), "conference " << id << " created");
                  conferences_[id] = std::move(watcher);
                  done(id);
              });
}

void MediaControl::destroyConference(const std::string& confId, Done done) {
    conferences_.erase(confId);
    mixer::DestroyConference m{confId};
    sendMixerRequest(mixer::serialize(m), "destroyconference " + confId, std::move(done));
}

void MediaControl::join(const std::string& connId, const std::string& confId,
                        const JoinOptions& options, Done done) {
    mixer::Join m{connId, confId, audioStreams(options, false)};
    sendMixerRequest(mixer::serialize(m), "join " + connId + " " + confId, std::move(done));
}

void MediaControl::modifyJoin(const std::string& connId, const std::string& confId,
                              const JoinOptions& options, Done done) {
    mixer::ModifyJoin m{connId, confId, audioStreams(options, true)};
    sendMixerRequest(mixer::serialize(m), "modifyjoin " + connId + " " + confId, std::move(done));
}

void MediaControl::unjoin(const std::string& connId, const std::string& confId, Done done) {
    mixer::Unjoin m{connId, confId, {}};
    sendMixerRequest(mixer::serialize(m), "unjoin " + connId + " " + confId, std::move(done));
}

// --- dialogs ----------------------------------------------------------------------------

void MediaControl::startDialog(const std::string& target, bool onConference, const DialogSpec& spec,
                               IdDone started, std::function<void(const DialogResult&)> exited) {
    const std::string id = newDialogId();
    dialogs_[id] = DialogEntry{std::move(exited), false, std::nullopt};
    auto answer = [this, id, started = std::move(started)](Result<std::string> r) {
        if (r) {
            Status st = ivrOutcome(*r);
            finishStart(id, started,
                        st ? Result<std::string>(id) : Result<std::string>(st.error()));
        } else {
            finishStart(id, started, r.error());
        }
    };
    auto dialog = buildDialog(spec);
    if (!dialog) {
        postError(std::move(answer), dialog.error());
        return;
    }
    ivr::DialogStart m;
    m.dialogId = id;
    if (onConference) {
        m.conferenceId = target;
    } else {
        m.connectionId = target;
    }
    m.dialog = std::move(*dialog);
    sendIvr(ivr::serialize(ivr::Message(std::move(m))),
            "dialogstart " + id + " on " + (onConference ? "conference " : "connection ") + target,
            std::move(answer));
}

void MediaControl::finishStart(const std::string& dialogId, const IdDone& started,
                               Result<std::string> outcome) {
    std::weak_ptr<bool> alive = alive_;
    if (!outcome) {
        PARLEY_LOG_DEBUG(log(), "dialog " << dialogId << " not started: " << outcome.error().code
                                          << " " << outcome.error().message);
        std::string why = outcome.error().message;
        started(std::move(outcome));
        if (alive.expired()) return;
        auto it = dialogs_.find(dialogId);
        if (it == dialogs_.end()) return;
        DialogExited exited = std::move(it->second.exited);
        dialogs_.erase(it);
        if (exited) exited(lostResult("not started: " + why));
        return;
    }
    started(std::move(outcome));
    if (alive.expired()) return;
    auto it = dialogs_.find(dialogId);
    if (it == dialogs_.end()) return;
    it->second.startReported = true;
    if (!it->second.earlyExit) return;
    DialogResult result = std::move(*it->second.earlyExit);
    DialogExited exited = std::move(it->second.exited);
    dialogs_.erase(it);
    if (exited) exited(result);
}

void MediaControl::terminateDialog(const std::string& dialogId, bool immediate, Done done) {
    ivr::DialogTerminate m;
    m.dialogId = dialogId;
    m.immediate = immediate;
    sendIvr(ivr::serialize(ivr::Message(std::move(m))), "dialogterminate " + dialogId,
            [done = std::move(done)](Result<std::string> r) {
                if (!r) {
                    done(r.error());
                    return;
                }
                done(ivrOutcome(*r));
            });
}

// --- events -----------------------------------------------------------------------------

void MediaControl::onEvent(const cfw::IncomingControl& event) {
    if (event.package == mixer::kPackageName) {
        onMixerEvent(event);
    } else if (event.package == ivr::kPackageName) {
        onIvrEvent(event);
    } else {
        PARLEY_LOG_DEBUG(log(), "event of package " << event.package << " ignored");
    }
}

void MediaControl::onMixerEvent(const cfw::IncomingControl& event) {
    auto msg = mixer::parse(event.body, {mixer::Leniency::tolerant, {}});
    if (!msg) {
        PARLEY_LOG_WARN(
            log(), "msc-mixer event " << event.transId << " unreadable: " << msg.error().message);
        return;
    }
    const auto* ev = std::get_if<mixer::Event>(&*msg);
    if (!ev) {
        PARLEY_LOG_DEBUG(log(),
                         "msc-mixer <" << mixer::elementName(*msg) << "> as an event ignored");
        return;
    }
    std::visit(
        [this](const auto& n) {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, mixer::ActiveTalkersNotify>) {
                auto it = conferences_.find(n.conferenceId);
                if (it == conferences_.end() || !it->second.activeTalkers) {
                    PARLEY_LOG_DEBUG(log(), "active-talkers of unwatched conference "
                                                << n.conferenceId << " ignored");
                    return;
                }
                std::vector<std::string> ids;
                for (const auto& t : n.talkers) {
                    if (t.kind == mixer::ActiveTalker::Kind::connection) ids.push_back(t.id);
                }
                auto cb = it->second.activeTalkers;
                cb(ids);
            } else if constexpr (std::is_same_v<T, mixer::UnjoinNotify>) {
                // Our joins put the connection as id1, but read either way round.
                auto it = conferences_.find(n.id2);
                std::string conn = n.id1;
                if (it == conferences_.end()) {
                    it = conferences_.find(n.id1);
                    conn = n.id2;
                }
                if (it == conferences_.end() || !it->second.unjoined) {
                    PARLEY_LOG_DEBUG(log(), "unjoin-notify " << n.id1 << " " << n.id2
                                                             << " for no watched conference");
                    return;
                }
                auto cb = it->second.unjoined;
                cb(conn, static_cast<int>(n.effectiveStatus()));
            } else {
                auto it = conferences_.find(n.conferenceId);
                if (it == conferences_.end()) {
                    PARLEY_LOG_DEBUG(log(), "conferenceexit of unwatched conference "
                                                << n.conferenceId << " ignored");
                    return;
                }
                auto cb = std::move(it->second.exited);
                conferences_.erase(it);
                PARLEY_LOG_DEBUG(log(),
                                 "conference " << n.conferenceId << " exited (" << n.status << ")");
                if (cb) cb(static_cast<int>(n.effectiveStatus()), n.reason.value_or(""));
            }
        },
        *ev);
}

void MediaControl::onIvrEvent(const cfw::IncomingControl& event) {
    auto msg = ivr::parse(event.body);
    if (!msg) {
        PARLEY_LOG_WARN(
            log(), "msc-ivr event " << event.transId << " unreadable: " << msg.error().message);
        return;
    }
    const auto* ev = std::get_if<ivr::Event>(&*msg);
    if (!ev) {
        PARLEY_LOG_DEBUG(log(), "msc-ivr <" << ivr::elementName(*msg) << "> as an event ignored");
        return;
    }
    const auto* exit = std::get_if<ivr::DialogExit>(&ev->notification);
    if (!exit) {
        PARLEY_LOG_DEBUG(log(), "msc-ivr dtmfnotify of dialog " << ev->dialogId << " ignored");
        return;
    }
    auto it = dialogs_.find(ev->dialogId);
    if (it == dialogs_.end()) {
        PARLEY_LOG_DEBUG(log(), "dialogexit of unknown dialog " << ev->dialogId << " ignored");
        return;
    }
    DialogResult result = resultOf(*exit);
    if (!it->second.startReported) {
        it->second.earlyExit = std::move(result);  // delivered after `started`
        return;
    }
    DialogExited cb = std::move(it->second.exited);
    dialogs_.erase(it);
    if (cb) cb(result);
}

// --- the channel going down -------------------------------------------------------------

void MediaControl::onLinkState(LinkState state) {
    if (state == LinkState::Up) return;
    std::weak_ptr<bool> alive = alive_;

    // Pending answers first: a start that fails takes its own dialog out of the table.
    auto pending = std::move(pending_);
    pending_.clear();
    if (!pending.empty()) {
        PARLEY_LOG_INFO(log(), "media server " << client_.uri() << " lost: " << pending.size()
                                               << " request(s) failed");
    }
    for (auto& [id, answer] : pending) {
        answer(Error(503, std::string(kChannelLost)));
        if (alive.expired()) return;
    }

    // Started dialogs; those whose start is still being reported (posted errors) are left
    // to that report.
    std::vector<DialogExited> exits;
    for (auto it = dialogs_.begin(); it != dialogs_.end();) {
        if (it->second.startReported) {
            exits.push_back(std::move(it->second.exited));
            it = dialogs_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& cb : exits) {
        if (cb) cb(lostResult(std::string(kChannelLost)));
        if (alive.expired()) return;
    }

    auto conferences = std::move(conferences_);
    conferences_.clear();
    for (auto& [id, watcher] : conferences) {
        if (watcher.exited) watcher.exited(-1, std::string(kChannelLost));
        if (alive.expired()) return;
    }
}

}  // namespace parley::as
