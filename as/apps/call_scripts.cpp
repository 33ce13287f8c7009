#include "as/apps/call_scripts.hpp"

#include <ctime>
#include <sstream>

#include "as/callctl/media_control.hpp"
#include "as/callctl/offer_relay.hpp"
#include "as/store/room_store.hpp"
#include "as/msclient/media_server_registry.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"

namespace parley::as::apps {

namespace sip = proto::sip;

namespace {

Poco::Logger& log() { return common::logger("as.apps"); }

constexpr const char* kSdp = "application/sdp";


// "now" for say date/time: the local date "YYYY-MM-DD" or time "HH:MM".
std::string nowValue(const std::string& type) {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, type == "date" ? "%Y-%m-%d" : "%H:%M", &tm);
    return buf;
}

std::int64_t millisSince(std::chrono::system_clock::time_point t) {
    if (t.time_since_epoch().count() == 0) return 0;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() - t).count();
}

}  // namespace

struct CallScripts::Call {
    enum class Phase { Ringing, Answering, Answered, Leaving };
    std::uint64_t n = 0;
    std::string id;
    ScriptRoute route;
    std::string callId, from, to, display;
    Phase phase = Phase::Ringing;
    sip::DialogRef user, ms;
    bool userOffered = true;
    bool msReady = false;
    std::string msSdp;
    std::string connId;
    MediaServerClient* server = nullptr;
    MediaControl* media = nullptr;
    std::function<void(Call&)> afterAnswer;
    OfferRelay relay;  // the caller's mid-dialog offer on its way to parley-ms

    std::deque<Instruction> queue;
    bool busy = false;
    std::uint64_t verbGen = 1;  // callbacks of an abandoned verb or webhook see a newer value
    int redirects = 0;
    std::string ivrDialog;
    bool fellBack = false;

    // dial
    sip::DialogRef callee, calleeMs;
    std::string calleeConn, calleeUri, callerId, bridgeConf, recordDialog;
    bool dialRecord = false, dialing = false, bridged = false;
    common::EventLoop::TimerId dialTimer = 0;

    std::chrono::system_clock::time_point startedAt{}, answeredAt{};
};

CallScripts::CallScripts(common::EventLoop& loop, sip::SipStack& stack, MediaServerRegistry& registry,
                         CallScriptsHooks hooks, CallScriptsOptions options)
    : loop_(loop),
      stack_(stack),
      registry_(registry),
      hooks_(std::move(hooks)),
      options_(std::move(options)),
      webhooks_(loop, options_.webhook) {
    if (!options_.promptBase.empty() && options_.promptBase.back() != '/') options_.promptBase += '/';
}

CallScripts::~CallScripts() = default;

CallScripts::Call* CallScripts::find(std::uint64_t n) {
    auto it = calls_.find(n);
    return it == calls_.end() ? nullptr : it->second.get();
}

CallScripts::Call* CallScripts::byId(const std::string& id) {
    for (auto& [n, c] : calls_)
        if (c->id == id && c->phase != Call::Phase::Leaving) return c.get();
    return nullptr;
}

const CallScripts::Call* CallScripts::byId(const std::string& id) const {
    for (const auto& [n, c] : calls_)
        if (c->id == id && c->phase != Call::Phase::Leaving) return c.get();
    return nullptr;
}

CallScripts::Call* CallScripts::legOf(const sip::Dialog* dialog, LegKind* kind) {
    auto it = legs_.find(dialog);
    if (it == legs_.end()) return nullptr;
    if (kind) *kind = it->second.kind;
    return find(it->second.call);
}

MediaControl* CallScripts::mediaFor(MediaServerClient* server) {
    auto& slot = media_[server];
    if (!slot) slot = std::make_unique<MediaControl>(loop_, *server);
    return slot.get();
}

void CallScripts::event(const Call& c, const std::string& type, const std::string& dataJson) {
    if (hooks_.publish) hooks_.publish(ScriptEvent{type, c.id, c.callId, dataJson, c.route.eventsUrl});
}

// ------------------------------------------------------------------------------- routing

bool CallScripts::route(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    if (!hooks_.lookup) return false;
    auto found = hooks_.lookup(sip::uriUser(invite.requestUri), invite.requestUri);
    if (!found) {
        PARLEY_LOG_ERROR(log(), "route lookup for " << invite.requestUri << ": " << found.error().message);
        return false;
    }
    if (!*found || (*found)->kind == RouteKind::Room) return false;
    ScriptRoute route = std::move(**found);

    if (calls_.size() >= options_.maxCalls) {
        PARLEY_LOG_WARN(log(), "INVITE " << invite.callId << ": 503, at the scripted call limit " << options_.maxCalls);
        (void)dialog->respond(503, "Too many calls", {}, {}, {{"Retry-After", "5"}});
        return true;
    }
    if (!invite.body.empty() && invite.contentType != kSdp) {
        (void)dialog->respond(415, {}, {}, {}, {{"Accept", kSdp}});
        return true;
    }
    // A route's app is checked when the route is stored; this stays for a table changed
    // behind the AS's back.
    if (route.kind == RouteKind::App && !isBuiltinApp(route.target)) {
        PARLEY_LOG_WARN(log(), "route " << route.name << ": no built-in application '" << route.target << "'");
        (void)dialog->respond(404, "No such application");
        return true;
    }
    MediaServerClient* server = registry_.pickUp();
    if (!server) {
        (void)dialog->respond(503, "No media server available", {}, {}, {{"Retry-After", "10"}});
        return true;
    }
    sip::InviteRequest request;
    request.to = server->uri();
    request.body = invite.body;
    auto leg = stack_.invite(request, this);
    if (!leg) {
        PARLEY_LOG_ERROR(log(), "INVITE to the MS for " << invite.callId << ": " << leg.error().message);
        (void)dialog->respond(500, "Media server unreachable");
        return true;
    }
    auto owned = std::make_unique<Call>();
    Call& c = *owned;
    c.n = nextCall_++;
    c.id = "c" + std::to_string(c.n);
    c.route = std::move(route);
    c.callId = invite.callId;
    c.from = invite.fromUri;
    c.to = invite.toUri;
    c.display = invite.fromDisplay;
    c.user = dialog;
    c.ms = *leg;
    c.userOffered = !invite.body.empty();
    c.server = server;
    c.media = mediaFor(server);
    c.startedAt = std::chrono::system_clock::now();
    c.busy = true;
    dialog->setHandler(this);
    legs_[c.user.get()] = {c.n, LegKind::User};
    legs_[c.ms.get()] = {c.n, LegKind::Ms};
    calls_.emplace(c.n, std::move(owned));
    (void)dialog->respond(180);
    PARLEY_LOG_INFO(log(), c.id << " " << c.from << " -> " << invite.requestUri << " (route " << c.route.name
                                << ", call " << c.callId << ")");
    event(c, "call.status", R"({"status":"ringing"})");

    if (c.route.kind == RouteKind::App) {
        startApp(c);
    } else {
        webhook(c, c.route.target, "call.incoming", {});
    }
    return true;
}

void CallScripts::onIncomingInvite(const sip::DialogRef& dialog, const sip::SipMessage&) {
    // Dialog-creating INVITEs go to the focus; none can reach a per-dialog handler.
    (void)dialog->respond(500, "Unexpected");
}

// ------------------------------------------------------------------------------- answering

void CallScripts::ensureAnswered(Call& c, std::function<void(Call&)> then) {
    if (c.phase == Call::Phase::Answered) {
        then(c);
        return;
    }
    c.afterAnswer = std::move(then);
    if (c.phase == Call::Phase::Ringing && c.msReady) sendAnswer(c);
}

void CallScripts::sendAnswer(Call& c) {
    if (auto s = c.user->respond(200, {}, c.msSdp, kSdp); !s) {
        leave(c, true, "cannot answer the caller: " + s.error().message);
        return;
    }
    c.phase = Call::Phase::Answering;
}

void CallScripts::answered(Call& c) {
    c.phase = Call::Phase::Answered;
    c.answeredAt = std::chrono::system_clock::now();
    event(c, "call.status", R"({"status":"answered"})");
    PARLEY_LOG_INFO(log(), c.id << " answered");
    if (auto then = std::move(c.afterAnswer)) {
        c.afterAnswer = nullptr;
        then(c);
    }
}

void CallScripts::onInviteResponse(const sip::DialogRef& dialog, const sip::SipMessage& response) {
    LegKind kind = LegKind::User;
    Call* c = legOf(dialog.get(), &kind);
    if (!c || c->phase == Call::Phase::Leaving) return;
    if (kind == LegKind::Ms) {
        if (c->relay.busy() && response.status >= 200) {
            c->relay.onMsFinal(*c->user, *c->ms, response);
            return;
        }
        if (response.status < 200 || response.status >= 300 || c->msReady) return;
        if (response.body.empty()) {
            (void)c->user->respond(503, "Media server gave no SDP");
            leave(*c, false, "media server answered without SDP");
            return;
        }
        c->msReady = true;
        c->msSdp = response.body;
        c->connId = c->ms->connectionId();
        if (c->afterAnswer && c->phase == Call::Phase::Ringing) sendAnswer(*c);
        return;
    }
    if (kind == LegKind::CalleeMs && response.status >= 200 && response.status < 300) {
        calleeMsAnswered(*c, response);
    } else if (kind == LegKind::Callee && response.status >= 200 && response.status < 300) {
        calleeAnswered(*c, response);
    }
}

void CallScripts::onAck(const sip::DialogRef& dialog, const sip::SipMessage& ack) {
    LegKind kind = LegKind::User;
    Call* c = legOf(dialog.get(), &kind);
    if (!c || kind != LegKind::User) return;
    if (c->phase == Call::Phase::Answered) {
        if (c->relay.onCallerAck(*c->ms, ack) == OfferRelay::AckResult::NoAnswer)
            leave(*c, true, "no SDP answer in the ACK of a re-INVITE");
        return;
    }
    if (c->phase != Call::Phase::Answering) return;
    if (!c->userOffered) {
        if (ack.body.empty()) {
            leave(*c, true, "no SDP answer in the ACK");
            return;
        }
        if (auto s = c->ms->ack(ack.body, kSdp); !s) {
            leave(*c, true, "cannot ACK the MS: " + s.error().message);
            return;
        }
    }
    answered(*c);
}

void CallScripts::onReinvite(const sip::DialogRef& dialog, const sip::SipMessage& invite) {
    relayOffer(dialog, invite, false);
}

void CallScripts::onUpdate(const sip::DialogRef& dialog, const sip::SipMessage& update) {
    if (update.body.empty()) {
        (void)dialog->respondUpdate(200);  // a session refresh (RFC 4028): ours to answer
        return;
    }
    relayOffer(dialog, update, true);
}

void CallScripts::relayOffer(const sip::DialogRef& dialog, const sip::SipMessage& request,
                             bool update) {
    const auto refuse = [&](int status, std::string_view reason = {},
                            const sip::HeaderList& headers = {}) {
        if (update)
            (void)dialog->respondUpdate(status, reason, {}, {}, headers);
        else
            (void)dialog->respond(status, reason, {}, {}, headers);
    };
    LegKind kind = LegKind::User;
    Call* c = legOf(dialog.get(), &kind);
    if (!c || kind != LegKind::User) return refuse(488, "Not acceptable here");
    if (c->phase != Call::Phase::Answered) return refuse(500, "Not ready", {{"Retry-After", "1"}});
    if (c->relay.busy()) return refuse(491);
    if (!request.body.empty() && request.contentType != kSdp)
        return refuse(415, {}, {{"Accept", kSdp}});
    auto sent = update ? c->relay.startUpdate(*c->ms, request)
                       : c->relay.startReinvite(*c->ms, request);
    if (!sent) refuse(500, "Media server leg not ready", {{"Retry-After", "1"}});
}

void CallScripts::onBye(const sip::DialogRef& dialog, const sip::SipMessage&) {
    LegKind kind = LegKind::User;
    Call* c = legOf(dialog.get(), &kind);
    if (!c || c->phase == Call::Phase::Leaving) return;
    if (kind == LegKind::User) {
        leave(*c, false, "caller hung up");
    } else if (kind == LegKind::Ms) {
        leave(*c, true, "the MS ended the media dialog");
    } else {
        dialEnded(*c, kind == LegKind::Callee ? "callee hung up" : "the MS ended the callee's media dialog");
    }
}

void CallScripts::onTerminated(const sip::DialogRef& dialog, int status, const std::string& reason) {
    LegKind kind = LegKind::User;
    Call* c = legOf(dialog.get(), &kind);
    if (c && c->phase != Call::Phase::Leaving) {
        const std::string why = std::to_string(status) + " " + reason;
        if (kind == LegKind::User) {
            leave(*c, false, "call ended: " + why);
        } else if (kind == LegKind::Ms) {
            if (c->phase == Call::Phase::Ringing) (void)c->user->respond(503, "Media server unavailable");
            leave(*c, true, "media dialog ended: " + why);
        } else if ((kind == LegKind::Callee && c->callee == dialog) || (kind == LegKind::CalleeMs && c->calleeMs == dialog)) {
            dialEnded(*c, (kind == LegKind::Callee ? "callee: " : "callee's media dialog: ") + why);
        }
    }
    legEnded(dialog.get());
}

// ------------------------------------------------------------------------------- executing

void CallScripts::next(Call& c) {
    if (c.phase == Call::Phase::Leaving || c.busy) return;
    if (c.queue.empty()) {
        leave(c, true, "end of instructions");
        return;
    }
    Instruction i = std::move(c.queue.front());
    c.queue.pop_front();
    c.busy = true;
    execute(c, std::move(i));
}

void CallScripts::proceed(std::uint64_t n, std::uint64_t verbGen) {
    Call* c = find(n);
    if (!c || c->verbGen != verbGen || c->phase == Call::Phase::Leaving) return;
    c->busy = false;
    next(*c);
}

void CallScripts::runDialog(Call& c, const DialogSpec& spec, std::function<void(Call&, const DialogResult&)> after) {
    const std::uint64_t n = c.n, gen = c.verbGen;
    c.media->startDialog(
        c.connId, false, spec,
        [this, n, gen](common::Result<std::string> id) {
            Call* q = find(n);
            if (q && q->verbGen == gen && id) q->ivrDialog = *id;
        },
        [this, n, gen, after = std::move(after)](const DialogResult& result) {
            Call* q = find(n);
            if (!q || q->verbGen != gen || q->phase == Call::Phase::Leaving) return;
            q->ivrDialog.clear();
            if (result.status == 4) {
                PARLEY_LOG_WARN(log(), q->id << ": media dialog failed (" << result.reason << "); going on");
            } else if (result.status == -1) {
                // Refused by the MS (media not retrievable, unsupported variable) or the
                // channel lost: the fallback prompt, whose own failure ends the call.
                fallback(*q, "media dialog failed: " + result.reason);
                return;
            } else if (result.status == 2) {
                leave(*q, true, "media dialog failed: status 2 " + result.reason);
                return;
            }
            after(*q, result);
        });
}

void CallScripts::execute(Call& c, Instruction instruction) {
    const std::uint64_t n = c.n;
    PARLEY_LOG_DEBUG(log(), c.id << ": " << verbName(instruction));
    // Redirect depth: webhook requests chained without any other verb in between.
    if (!std::holds_alternative<RedirectVerb>(instruction)) c.redirects = 0;
    auto proceedNow = [this, n](Call& q) { proceed(n, q.verbGen); };

    if (std::holds_alternative<AnswerVerb>(instruction)) {
        ensureAnswered(c, proceedNow);
    } else if (auto* r = std::get_if<RejectVerb>(&instruction)) {
        if (c.phase == Call::Phase::Ringing) {
            (void)c.user->respond(r->status);
            leave(c, false, "rejected with " + std::to_string(r->status));
        } else {
            leave(c, true, "reject after answer: hung up");
        }
    } else if (std::holds_alternative<HangupVerb>(instruction)) {
        leave(c, true, "hangup");
    } else if (auto* p = std::get_if<PlayVerb>(&instruction)) {
        DialogSpec spec;
        spec.bargeIn = false;
        spec.repeatCount = p->loop;
        spec.prompt.push_back({PromptItem::Kind::Media, p->url, {}, {}});
        ensureAnswered(c, [this, spec, proceedNow](Call& q) {
            runDialog(q, spec, [proceedNow](Call& x, const DialogResult&) { proceedNow(x); });
        });
    } else if (auto* s = std::get_if<SayVerb>(&instruction)) {
        DialogSpec spec;
        spec.bargeIn = false;
        std::string value = s->value == "now" ? nowValue(s->type) : s->value;
        spec.prompt.push_back({PromptItem::Kind::Variable, value, s->type, s->format});
        ensureAnswered(c, [this, spec, proceedNow](Call& q) {
            runDialog(q, spec, [proceedNow](Call& x, const DialogResult&) { proceedNow(x); });
        });
    } else if (auto* g = std::get_if<GatherVerb>(&instruction)) {
        DialogSpec spec;
        if (!g->prompt.empty()) spec.prompt.push_back({PromptItem::Kind::Media, g->prompt, {}, {}});
        CollectSpec collect;
        collect.maxDigits = g->numDigits;
        collect.termChar = g->finishOnKey;
        collect.timeout = g->timeout;
        collect.interDigitTimeout = g->timeout;
        spec.collect = collect;
        std::string action = g->actionUrl;
        ensureAnswered(c, [this, spec, action, proceedNow](Call& q) {
            runDialog(q, spec, [this, action, proceedNow](Call& x, const DialogResult& result) {
                if (!result.digits.empty())
                    event(x, "dtmf", "{\"digits\":" + common::jsonQuote(result.digits) + "}");
                PARLEY_LOG_INFO(log(), x.id << ": gathered '" << result.digits << "' (" << result.collectTermMode << ")");
                if (action.empty()) {
                    proceedNow(x);
                    return;
                }
                webhook(x, action, "gather",
                        "\"digits\":" + common::jsonQuote(result.digits) +
                            ",\"reason\":" + common::jsonQuote(result.collectTermMode));
            });
        });
    } else if (auto* rec = std::get_if<RecordVerb>(&instruction)) {
        DialogSpec spec;
        spec.bargeIn = false;
        RecordSpec record;
        record.maxTime = rec->maxLength;
        record.beep = rec->beep;
        record.finalSilence = std::chrono::milliseconds(5000);
        spec.record = record;
        std::string action = rec->actionUrl;
        ensureAnswered(c, [this, spec, action, proceedNow](Call& q) {
            runDialog(q, spec, [this, action, proceedNow](Call& x, const DialogResult& result) {
                const std::string data = "\"recordingUrl\":" + common::jsonQuote(result.recordingUri) +
                                         ",\"durationMs\":" + std::to_string(result.recordDuration.count());
                if (!result.recordingUri.empty()) event(x, "recording.ready", "{" + data + "}");
                if (action.empty()) {
                    proceedNow(x);
                    return;
                }
                webhook(x, action, "record", data);
            });
        });
    } else if (auto* conf = std::get_if<ConferenceVerb>(&instruction)) {
        ConferenceVerb v = *conf;
        ensureAnswered(c, [this, v](Call& q) {
            if (!hooks_.adopt) {
                fallback(q, "conference: no focus to hand the call to");
                return;
            }
            ConferenceHandover h{q.user, q.ms, q.server, v.room, v.role, v.muted, q.from, q.display};
            if (auto s = hooks_.adopt(h); !s) {
                fallback(q, "conference " + v.room + ": " + std::to_string(s.error().code) + " " + s.error().message);
                return;
            }
            PARLEY_LOG_INFO(log(), q.id << " handed to room " << v.room);
            event(q, "call.status",
                  "{\"status\":\"conference\",\"room\":" + common::jsonQuote(v.room) + "}");
            // The focus owns both dialogs now: forget them without touching them.
            legs_.erase(q.user.get());
            legs_.erase(q.ms.get());
            calls_.erase(q.n);
        });
    } else if (auto* d = std::get_if<DialVerb>(&instruction)) {
        DialVerb v = *d;
        ensureAnswered(c, [this, v](Call& q) { startDial(q, v); });
    } else if (auto* red = std::get_if<RedirectVerb>(&instruction)) {
        webhook(c, red->url, "call.redirect", {});
    }
}

void CallScripts::webhook(Call& c, const std::string& url, const std::string& eventName, const std::string& extraJson) {
    if (c.redirects >= options_.maxRedirects) {
        fallback(c, "more than " + std::to_string(options_.maxRedirects) + " webhook requests chained");
        return;
    }
    ++c.redirects;
    c.busy = true;
    std::ostringstream body;
    body << "{\"event\":" << common::jsonQuote(eventName) << ",\"id\":" << common::jsonQuote(c.id)
         << ",\"callId\":" << common::jsonQuote(c.callId) << ",\"from\":" << common::jsonQuote(c.from)
         << ",\"to\":" << common::jsonQuote(c.to) << ",\"route\":" << common::jsonQuote(c.route.name);
    if (!extraJson.empty()) body << "," << extraJson;
    body << "}";
    const std::uint64_t n = c.n, gen = c.verbGen;
    webhooks_.post(url, body.str(), options_.webhookTimeout,
                   [this, n, gen, url](common::Result<std::string> answer) {
                       Call* q = find(n);
                       if (!q || q->verbGen != gen || q->phase == Call::Phase::Leaving) return;
                       if (!answer) {
                           fallback(*q, "webhook " + url + ": " + std::to_string(answer.error().code) + " " +
                                            answer.error().message);
                           return;
                       }
                       auto parsed = parseInstructions(*answer, options_.parseLimits);
                       if (!parsed) {
                           fallback(*q, "webhook " + url + " answered badly: " + parsed.error().message);
                           return;
                       }
                       q->queue.assign(parsed->begin(), parsed->end());
                       q->busy = false;
                       next(*q);
                   });
}

void CallScripts::fallback(Call& c, const std::string& reason) {
    PARLEY_LOG_WARN(log(), c.id << " (call " << c.callId << ", route " << c.route.name << "): falling back: " << reason);
    ++c.verbGen;
    c.queue.clear();
    if (!c.ivrDialog.empty()) {
        c.media->terminateDialog(c.ivrDialog, true, [](common::Status) {});
        c.ivrDialog.clear();
    }
    const std::string prompt = !c.route.fallbackPrompt.empty() ? c.route.fallbackPrompt : options_.fallbackPrompt;
    if (prompt.empty() || c.fellBack) {
        if (c.phase == Call::Phase::Ringing) {
            (void)c.user->respond(503, "Service unavailable");
            leave(c, false, "fallback: " + reason);
        } else {
            leave(c, true, "fallback: " + reason);
        }
        return;
    }
    c.fellBack = true;
    PlayVerb play;
    play.url = prompt;
    c.queue.push_back(play);
    c.queue.push_back(HangupVerb{});
    c.busy = false;
    // A new verb generation: the play runs after the current stack frame is gone.
    const std::uint64_t n = c.n, gen = c.verbGen;
    loop_.post([this, n, gen] {
        Call* q = find(n);
        if (q && q->verbGen == gen) next(*q);
    });
}

void CallScripts::startApp(Call& c) {
    if (c.route.target == "clock") {
        c.queue.push_back(AnswerVerb{});
        c.queue.push_back(SayVerb{"time", "now", "t24"});
        c.queue.push_back(SayVerb{"date", "now", "mdy"});
        c.queue.push_back(HangupVerb{});
        c.busy = false;
        next(c);
        return;
    }
    // echo: the caller's connection joined to itself; it runs until the caller hangs up.
    const std::uint64_t n = c.n;
    ensureAnswered(c, [this, n](Call& q) {
        q.media->join(q.connId, q.connId, JoinOptions{}, [this, n](common::Status s) {
            Call* x = find(n);
            if (x && !s) leave(*x, true, "echo join refused: " + s.error().message);
        });
    });
}

// ------------------------------------------------------------------------------- dial

void CallScripts::startDial(Call& c, const DialVerb& dial) {
    c.dialing = true;
    c.dialRecord = dial.record;
    c.calleeUri = dial.uri;
    sip::InviteRequest request;
    request.to = c.server->uri();
    auto leg = stack_.invite(request, this);  // offerless: the MS's offer goes to the callee
    if (!leg) {
        dialEnded(c, "cannot INVITE the MS: " + leg.error().message);
        return;
    }
    c.calleeMs = *leg;
    legs_[c.calleeMs.get()] = {c.n, LegKind::CalleeMs};
    c.calleeConn.clear();
    c.callerId = dial.callerId;
    const std::uint64_t n = c.n, gen = c.verbGen;
    c.dialTimer = loop_.addTimer(dial.timeout, [this, n, gen] {
        Call* q = find(n);
        if (!q || q->verbGen != gen || !q->dialing || q->bridged) return;
        q->dialTimer = 0;
        dialEnded(*q, "no answer");
    });
    PARLEY_LOG_INFO(log(), c.id << " dials " << dial.uri << (dial.record ? " (recorded)" : ""));
}

void CallScripts::calleeMsAnswered(Call& c, const sip::SipMessage& response) {
    if (!c.dialing || c.callee) return;
    if (response.body.empty()) {
        dialEnded(c, "the MS gave no offer");
        return;
    }
    sip::InviteRequest request;
    request.to = c.calleeUri;
    request.from = c.callerId.empty() ? c.to : c.callerId;
    request.body = response.body;
    auto leg = stack_.invite(request, this);
    if (!leg) {
        dialEnded(c, "cannot INVITE " + c.calleeUri + ": " + leg.error().message);
        return;
    }
    c.callee = *leg;
    legs_[c.callee.get()] = {c.n, LegKind::Callee};
}

void CallScripts::calleeAnswered(Call& c, const sip::SipMessage& response) {
    if (!c.dialing || c.bridged) return;
    if (c.dialTimer) {
        loop_.cancelTimer(c.dialTimer);
        c.dialTimer = 0;
    }
    if (response.body.empty()) {
        dialEnded(c, "the callee answered without SDP");
        return;
    }
    if (auto s = c.calleeMs->ack(response.body, kSdp); !s) {
        dialEnded(c, "cannot ACK the MS: " + s.error().message);
        return;
    }
    c.calleeConn = c.calleeMs->connectionId();
    c.bridged = true;
    bridge(c);
}

void CallScripts::bridge(Call& c) {
    const std::uint64_t n = c.n, gen = c.verbGen;
    auto failed = [this, n, gen](const std::string& what) {
        Call* q = find(n);
        if (q && q->verbGen == gen && q->dialing) dialEnded(*q, what);
    };
    event(c, "call.status", "{\"status\":\"bridged\",\"to\":" + common::jsonQuote(c.calleeUri) + "}");
    if (!c.dialRecord) {
        // RFC 7058 6.2: the two connections joined to each other.
        c.media->join(c.connId, c.calleeConn, JoinOptions{}, [failed](common::Status s) {
            if (!s) failed("join refused: " + s.error().message);
        });
        return;
    }
    c.media->createConference(ConferenceOptions{}, ConferenceWatcher{}, [this, n, gen, failed](common::Result<std::string> id) {
        Call* q = find(n);
        if (!q || q->verbGen != gen || !q->dialing) {
            if (id && q) q->media->destroyConference(*id, [](common::Status) {});
            return;
        }
        if (!id) {
            failed("conference refused: " + id.error().message);
            return;
        }
        q->bridgeConf = *id;
        for (const std::string& conn : {q->connId, q->calleeConn})
            q->media->join(conn, *id, JoinOptions{}, [failed](common::Status s) {
                if (!s) failed("join refused: " + s.error().message);
            });
        DialogSpec spec;
        spec.bargeIn = false;
        RecordSpec record;
        // parley-ms records at most one hour per dialog (its audit's maxrecordduration).
        record.maxTime = std::chrono::hours(1);
        record.beep = false;
        record.vadFinal = false;
        record.finalSilence = std::chrono::hours(1);
        spec.record = record;
        q->media->startDialog(
            *id, true, spec,
            [this, n, conf = *id](common::Result<std::string> dialogId) {
                Call* x = find(n);
                if (!dialogId) return;
                if (x && x->bridgeConf == conf) {
                    x->recordDialog = *dialogId;
                } else if (x) {  // the dial ended while the recording was starting
                    x->media->terminateDialog(*dialogId, false, [](common::Status) {});
                }
            },
            [this, n, conf = *id, media = q->media, callName = q->id, callId = q->callId,
             eventsUrl = q->route.eventsUrl](const DialogResult& result) {
                Call* x = find(n);
                const bool dialUsesConf = x && x->bridgeConf == conf;
                if (dialUsesConf) {
                    // The recording could not start (or ended on its own): the two parties
                    // stay bridged in the conference, which dialEnded() destroys later.
                    x->recordDialog.clear();
                    if (result.recordingUri.empty())
                        PARLEY_LOG_WARN(log(), callName << ": dial recording failed (status " << result.status << " "
                                                        << result.reason << "); the call goes on unrecorded");
                } else {
                    media->destroyConference(conf, [](common::Status) {});  // the dial is over
                }
                PARLEY_LOG_INFO(log(), callName << ": dial recording "
                                                << (result.recordingUri.empty() ? "(none)" : result.recordingUri));
                // Published even when the call is gone by now (the caller hung up first).
                if (!result.recordingUri.empty() && hooks_.publish)
                    hooks_.publish(ScriptEvent{"recording.ready", callName, callId,
                                               "{\"recordingUrl\":" + common::jsonQuote(result.recordingUri) +
                                                   ",\"durationMs\":" + std::to_string(result.recordDuration.count()) + "}",
                                               eventsUrl});
            });
    });
}

void CallScripts::dialEnded(Call& c, const std::string& why, bool resume) {
    if (!c.dialing) return;
    PARLEY_LOG_INFO(log(), c.id << ": dial to " << c.calleeUri << " over: " << why);
    c.dialing = false;
    if (c.dialTimer) {
        loop_.cancelTimer(c.dialTimer);
        c.dialTimer = 0;
    }
    if (!c.bridgeConf.empty()) {
        // The recording dialog ends first (its file is kept); its exit destroys the
        // conference. Without a running recording the conference goes now.
        if (!c.recordDialog.empty()) {
            c.media->terminateDialog(c.recordDialog, false, [](common::Status) {});
        } else {
            c.media->destroyConference(c.bridgeConf, [](common::Status) {});
        }
        c.bridgeConf.clear();
    } else if (c.bridged && c.phase != Call::Phase::Leaving) {
        c.media->unjoin(c.connId, c.calleeConn, [](common::Status) {});
    }
    if (c.callee) (void)c.callee->hangup();
    if (c.calleeMs) (void)c.calleeMs->hangup();
    event(c, "call.status", "{\"status\":\"dial-ended\",\"reason\":" + common::jsonQuote(why) + "}");
    c.bridged = false;
    c.callee.reset();
    c.calleeMs.reset();
    c.recordDialog.clear();
    if (resume && c.phase != Call::Phase::Leaving) proceed(c.n, c.verbGen);
}

// ------------------------------------------------------------------------------- leaving

void CallScripts::leave(Call& c, bool hangUpUser, const std::string& reason) {
    if (c.phase == Call::Phase::Leaving) return;
    const bool wasAnswered = c.answeredAt.time_since_epoch().count() != 0;
    PARLEY_LOG_INFO(log(), c.id << " ends: " << reason);
    c.phase = Call::Phase::Leaving;
    ++c.verbGen;
    c.queue.clear();
    if (c.dialTimer) {
        loop_.cancelTimer(c.dialTimer);
        c.dialTimer = 0;
    }
    if (c.dialing) {
        // Ends the dial the same way (the recording stops and is reported, then its
        // conference goes) without resuming the script.
        dialEnded(c, reason, false);
    } else if (!c.bridgeConf.empty()) {
        c.media->destroyConference(c.bridgeConf, [](common::Status) {});
        c.bridgeConf.clear();
    }
    if (c.callee) (void)c.callee->hangup();
    if (c.calleeMs) (void)c.calleeMs->hangup();
    if (c.user && hangUpUser) (void)c.user->hangup();
    if (c.ms) (void)c.ms->hangup();
    event(c, "call.status",
          "{\"status\":\"completed\",\"durationMs\":" + std::to_string(wasAnswered ? millisSince(c.answeredAt) : 0) +
              ",\"reason\":" + common::jsonQuote(reason) + "}");
}

void CallScripts::legEnded(const sip::Dialog* dialog) {
    auto it = legs_.find(dialog);
    if (it == legs_.end()) return;
    const std::uint64_t n = it->second.call;
    legs_.erase(it);
    Call* c = find(n);
    if (!c) return;
    for (const auto& [d, leg] : legs_)
        if (leg.call == n) return;
    if (c->phase == Call::Phase::Leaving) calls_.erase(n);
}

void CallScripts::shutdown() {
    std::vector<std::uint64_t> ids;
    for (const auto& [n, c] : calls_) ids.push_back(n);
    for (auto n : ids)
        if (Call* c = find(n)) {
            if (c->phase == Call::Phase::Ringing) (void)c->user->respond(503, "Shutting down");
            leave(*c, c->phase != Call::Phase::Ringing, "parley-as is stopping");
        }
}

// ------------------------------------------------------------------------------- REST side

std::vector<CallInfo> CallScripts::calls() const {
    std::vector<CallInfo> out;
    for (const auto& [n, c] : calls_) {
        if (c->phase == Call::Phase::Leaving) continue;
        out.push_back(*call(c->id));
    }
    return out;
}

common::Result<CallInfo> CallScripts::call(const std::string& id) const {
    const Call* c = byId(id);
    if (!c) return common::Error(404, "no call " + id);
    CallInfo info;
    info.id = c->id;
    info.callId = c->callId;
    info.from = c->from;
    info.to = c->to;
    info.route = c->route.name;
    info.state = c->bridged ? "bridged" : c->dialing ? "dialing" : c->phase == Call::Phase::Answered ? "answered" : "ringing";
    info.startedAt = c->startedAt;
    info.answeredAt = c->answeredAt;
    return info;
}

common::Status CallScripts::hangup(const std::string& id) {
    Call* c = byId(id);
    if (!c) return common::Error(404, "no call " + id);
    if (c->phase == Call::Phase::Ringing) {
        (void)c->user->respond(480, "Hung up by the application");
        leave(*c, false, "hung up over REST");
    } else {
        leave(*c, true, "hung up over REST");
    }
    return {};
}

common::Status CallScripts::redirect(const std::string& id, const std::string& url) {
    if (!isHttpUrl(url)) return common::Error(400, "url: must be an http(s) URL");
    Call* c = byId(id);
    if (!c) return common::Error(404, "no call " + id);
    // Whatever runs stops: the IVR dialog, a dial, a webhook being waited for.
    ++c->verbGen;
    c->queue.clear();
    c->afterAnswer = nullptr;  // a verb waiting for the caller's ACK does not run either
    if (!c->ivrDialog.empty()) {
        c->media->terminateDialog(c->ivrDialog, true, [](common::Status) {});
        c->ivrDialog.clear();
    }
    if (c->dialing) dialEnded(*c, "redirected", false);
    c->redirects = 0;
    webhook(*c, url, "call.redirect", {});
    return {};
}

}  // namespace parley::as::apps
