#include "ms/control/ivr_package.hpp"

#include <random>

#include "common/log.hpp"
#include "ms/control/capabilities.hpp"
#include "ms/ivr/dialog_runner.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/xml/xml.hpp"

namespace parley::ms {

namespace pivr = proto::ivr;
namespace st = proto::ivr::status;
using common::Error;

namespace {

Poco::Logger& log() {
    return common::logger("ms.ivr");
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

void reply(ControlContext& ctx, const std::string& transId, const pivr::Message& message) {
    auto s = ctx.respond(transId, 200, pivr::kMimeType, pivr::serialize(message));
    if (!s) PARLEY_LOG_INFO(log(), "ivr " << transId << " not answered: " << s.error().message);
}

void refuse(ControlContext& ctx, const std::string& transId, const Error& e,
            const std::string& dialogId) {
    PARLEY_LOG_INFO(log(), "ivr " << transId << " refused (" << e.code << "): " << e.message);
    reply(ctx, transId, pivr::makeErrorResponse(e, dialogId));
}

std::string scheme(std::string_view loc) {
    const auto colon = loc.find(':');
    if (colon == std::string_view::npos) return {};
    std::string s;
    for (char c : loc.substr(0, colon)) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return s;
}

std::string fileName(std::string_view dialogId) {
    std::string out;
    for (char c : dialogId.substr(0, 48)) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        out.push_back(ok ? c : '_');
    }
    return out.empty() ? "dialog" : out;
}

std::string randomHex() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    return buf;
}

// External dialog languages (VoiceXML src) and <param> inputs are not this server's.
common::Status checkLanguage(const std::optional<std::string>& src,
                             const std::optional<pivr::Params>& params) {
    if (src)
        return Error(st::kUnsupportedDialogLanguage,
                     "external dialog languages (src) are not supported; use <dialog>");
    if (params && !params->params.empty())
        return Error(st::kUnsupportedParameter, "the IVR dialog language takes no <param>");
    return {};
}

}  // namespace

IvrPackage::IvrPackage(plane::MediaPlane& plane, common::EventLoop& loop,
                       ivr::MediaFetcher& fetcher, ivr::DiskWriter& writer, IvrConfig config,
                       ChannelDirectory* channels)
    : plane_(plane),
      loop_(loop),
      fetcher_(fetcher),
      writer_(writer),
      config_(std::move(config)),
      channels_(channels) {
    plane_.setDialogObserver(this);
}

IvrPackage::~IvrPackage() {
    *alive_ = false;
    plane_.setDialogObserver(nullptr);
    for (auto& [id, e] : dialogs_) {
        if (e.alive) *e.alive = false;
        if (e.acceptTimer) loop_.cancelTimer(e.acceptTimer);
        if (e.preparedTimer) loop_.cancelTimer(e.preparedTimer);
    }
}

// --- requests ----------------------------------------------------------------------------

void IvrPackage::onControl(const proto::cfw::IncomingControl& request, ControlContext& ctx) {
    if (auto problem = bodyProblem(request, pivr::kMimeType)) {
        PARLEY_LOG_INFO(log(), "ivr " << request.transId << " answered 400: " << *problem);
        (void)ctx.respond(request.transId, 400);
        return;
    }
    auto parsed = pivr::parse(request.body, pivr::ParseOptions{pivr::ForeignPolicy::Reject, {}});
    if (!parsed) {
        const auto& e = parsed.error();
        // Not XML at all is the framework's business; anything else is the package's.
        if (e.code == st::kSyntaxError) {
            if (auto doc = proto::xml::parse(request.body); !doc) {
                PARLEY_LOG_INFO(log(), "ivr " << request.transId
                                              << " answered 400: " << doc.error().message);
                (void)ctx.respond(request.transId, 400);
                return;
            }
        }
        refuse(ctx, request.transId, e, pivr::peekDialogId(request.body).value_or(""));
        return;
    }
    const std::string& tid = request.transId;
    const pivr::Message& msg = *parsed;
    std::visit(Overloaded{
                   [&](const pivr::Audit& a) { reply(ctx, tid, audit(a, ctx.channelId())); },
                   [&](const pivr::DialogPrepare& m) { prepare(m, tid, ctx); },
                   [&](const pivr::DialogStart& m) { start(m, tid, ctx); },
                   [&](const pivr::DialogTerminate& m) { terminate(m, tid, ctx); },
                   [&](const auto&) {
                       std::string what =
                           "<" + std::string(pivr::elementName(msg)) + "> is not a request";
                       refuse(ctx, tid, Error(st::kSyntaxError, what), pivr::dialogIdOf(msg));
                   },
               },
               msg);
}

std::string IvrPackage::newDialogId() {
    for (;;) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(
                                                       (std::random_device{}() ^ nextId_++) & 0xffffffffULL));
        if (!dialogs_.count(buf) && !plane_.hasDialog(buf)) return buf;
    }
}

common::Status IvrPackage::checkNewDialog(const std::string& given,
                                          const pivr::Dialog& dialog) const {
    if (!given.empty() && (dialogs_.count(given) || plane_.hasDialog(given)))
        return Error(st::kDialogIdExists, "dialogid " + given + " exists");
    if (dialogs_.size() >= config_.maxDialogs)
        return Error(st::kOtherExecutionError, "too many dialogs");
    return checkDialogSupported(dialog);
}

void IvrPackage::prepare(const pivr::DialogPrepare& m, const std::string& tid,
                         ControlContext& ctx) {
    const std::string given = m.dialogId.value_or("");
    if (auto s = checkLanguage(m.src, m.params); !s) return refuse(ctx, tid, s.error(), given);
    if (!m.dialog) return refuse(ctx, tid, Error(st::kSyntaxError, "no <dialog>"), given);
    if (auto s = checkNewDialog(given, *m.dialog); !s) return refuse(ctx, tid, s.error(), given);

    const std::string id = given.empty() ? newDialogId() : given;
    Entry& e = dialogs_[id];
    e.id = id;
    e.owner = ctx.channelId();
    e.state = pivr::DialogState::Preparing;
    e.pendingTrans = tid;
    armAccept(e);
    PrepareOptions opts;
    if (m.maxAge) opts.maxAge = std::chrono::seconds(*m.maxAge);
    if (m.maxStale) opts.maxStale = std::chrono::seconds(*m.maxStale);
    PARLEY_LOG_INFO(log(), "dialog " << id << ": preparing (channel #" << e.owner << ")");
    beginPreparation(e, *m.dialog, opts, false);
}

void IvrPackage::start(const pivr::DialogStart& m, const std::string& tid, ControlContext& ctx) {
    const ChannelId me = ctx.channelId();
    std::string given = m.dialogId.value_or(m.preparedDialogId.value_or(""));
    if (auto s = checkLanguage(m.src, m.params); !s) return refuse(ctx, tid, s.error(), given);
    for (const auto& s : m.streams) {
        if (s.media != "audio")
            return refuse(ctx, tid,
                          Error(st::kUnsupportedStream, "only audio streams (asked for " + s.media + ")"),
                          given);
    }
    if (m.subscribe && !m.subscribe->ext.empty())
        return refuse(ctx, tid, Error(st::kUnsupportedForeign, "foreign subscriptions"), given);

    // The target.
    const bool onConference = m.conferenceId.has_value();
    const std::string target = onConference ? *m.conferenceId : m.connectionId.value_or("");
    if (onConference) {
        if (!plane_.graph().hasConference(target))
            return refuse(ctx, tid, Error(st::kConferenceIdNotFound, "no conference " + target), given);
        if (plane_.conferenceOwner(target) != 0 && plane_.conferenceOwner(target) != me) {
            PARLEY_LOG_INFO(log(), "ivr " << tid << ": conference " << target << " is another channel's: 403");
            (void)ctx.respond(tid, 403);
            return;
        }
    } else {
        if (plane::isInternalId(target) || !plane_.hasLeg(target))
            return refuse(ctx, tid, Error(st::kConnectionIdNotFound, "no connection " + target), given);
        const ChannelId owner = plane_.connectionOwner(target);
        if (owner != 0 && owner != me) {
            PARLEY_LOG_INFO(log(), "ivr " << tid << ": connection " << target << " is another channel's: 403");
            (void)ctx.respond(tid, 403);
            return;
        }
    }

    if (m.preparedDialogId) {
        auto it = dialogs_.find(*m.preparedDialogId);
        if (it == dialogs_.end() || it->second.owner != me)
            return refuse(ctx, tid,
                          Error(st::kDialogIdNotFound, "no prepared dialog " + *m.preparedDialogId),
                          given);
        Entry& e = it->second;
        if (e.state != pivr::DialogState::Prepared)
            return refuse(ctx, tid,
                          Error(st::kOtherExecutionError,
                                "dialog " + e.id + " is " + std::string(pivr::toString(e.state)) +
                                    ", not prepared"),
                          e.id);
        if (e.preparedTimer) loop_.cancelTimer(e.preparedTimer);
        e.preparedTimer = 0;
        e.state = pivr::DialogState::Starting;
        e.onConference = onConference;
        e.target = target;
        e.subscribe = m.subscribe;
        e.streams = m.streams;
        e.pendingTrans = tid;
        if (auto s = launch(e); !s) {
            // The prepared dialog does not survive a failed start.
            const std::string id = e.id;
            answer(e, pivr::makeErrorResponse(s.error(), id));
            forget(id);
            return;
        }
        answer(e, pivr::makeResponse(st::kOk, e.id, "dialog started"));
        return;
    }

    if (!m.dialog) return refuse(ctx, tid, Error(st::kSyntaxError, "no <dialog>"), given);
    if (auto s = checkNewDialog(given, *m.dialog); !s) return refuse(ctx, tid, s.error(), given);

    const std::string id = given.empty() ? newDialogId() : given;
    Entry& e = dialogs_[id];
    e.id = id;
    e.owner = me;
    e.state = pivr::DialogState::Starting;
    e.onConference = onConference;
    e.target = target;
    e.subscribe = m.subscribe;
    e.streams = m.streams;
    e.pendingTrans = tid;
    armAccept(e);
    PrepareOptions opts;
    if (m.maxAge) opts.maxAge = std::chrono::seconds(*m.maxAge);
    if (m.maxStale) opts.maxStale = std::chrono::seconds(*m.maxStale);
    PARLEY_LOG_INFO(log(), "dialog " << id << ": starting on "
                                     << (onConference ? "conference " : "connection ") << target);
    beginPreparation(e, *m.dialog, opts, true);
}

void IvrPackage::terminate(const pivr::DialogTerminate& m, const std::string& tid,
                           ControlContext& ctx) {
    auto it = dialogs_.find(m.dialogId);
    if (it == dialogs_.end() || it->second.owner != ctx.channelId() || it->second.end)
        return refuse(ctx, tid, Error(st::kDialogIdNotFound, "no dialog " + m.dialogId),
                      m.dialogId);
    Entry& e = it->second;
    switch (e.state) {
        case pivr::DialogState::Preparing:
        case pivr::DialogState::Starting: {
            if (e.alive) *e.alive = false;
            answer(e, pivr::makeResponse(st::kDialogCanceled, e.id, "dialog terminated"));
            reply(ctx, tid, pivr::makeResponse(st::kOk, e.id, "dialog terminated"));
            forget(e.id);
            return;
        }
        case pivr::DialogState::Prepared: {
            const std::string id = e.id;
            const ChannelId owner = e.owner;
            reply(ctx, tid, pivr::makeResponse(st::kOk, id, "dialog terminated"));
            forget(id);
            sendEvent(owner, pivr::makeDialogExit(id, pivr::exit_status::kTerminated, {},
                                                  "dialog terminated"));
            return;
        }
        case pivr::DialogState::Started:
            reply(ctx, tid, pivr::makeResponse(st::kOk, e.id, "dialog terminated"));
            plane_.terminateDialog(e.id, m.immediate);
            return;
    }
}

pivr::AuditResponse IvrPackage::audit(const pivr::Audit& request, ChannelId me) const {
    std::vector<pivr::DialogAudit> list;
    for (const auto& [id, e] : dialogs_) {
        if (e.owner != me || e.end) continue;
        pivr::DialogAudit a;
        a.dialogId = id;
        a.state = e.state;
        if (e.state == pivr::DialogState::Started || e.state == pivr::DialogState::Starting) {
            if (e.onConference)
                a.conferenceId = e.target;
            else
                a.connectionId = e.target;
        }
        list.push_back(std::move(a));
    }
    return pivr::makeAuditResponse(request, ivrCapabilities(), std::move(list));
}

// --- preparation and launch ------------------------------------------------------------

void IvrPackage::beginPreparation(Entry& e, pivr::Dialog dialog, PrepareOptions options,
                                  bool thenStart) {
    e.alive = std::make_shared<bool>(true);
    PrepareEnv env;
    env.fetcher = &fetcher_;
    env.mediaRoot = config_.mediaRoot;
    std::weak_ptr<bool> pkgAlive = alive_;
    common::EventLoop* loop = &loop_;
    env.post = [pkgAlive, loop](std::function<void()> task) {
        loop->post([pkgAlive, task = std::move(task)] {
            auto a = pkgAlive.lock();
            if (a && *a) task();
        });
    };
    const std::string id = e.id;
    DialogPreparation::run(std::move(dialog), options, std::move(env), e.alive,
                           [this, id, thenStart](common::Result<PreparedDialog> r) {
                               prepared(id, std::move(r), thenStart);
                           });
}

void IvrPackage::prepared(const std::string& id, common::Result<PreparedDialog> result,
                          bool thenStart) {
    auto it = dialogs_.find(id);
    if (it == dialogs_.end()) return;
    Entry& e = it->second;
    if (!result) {
        PARLEY_LOG_INFO(log(), "dialog " << id << ": " << result.error().message);
        answer(e, pivr::makeErrorResponse(result.error(), id));
        forget(id);
        return;
    }
    e.prepared = std::move(*result);
    if (!thenStart) {
        e.state = pivr::DialogState::Prepared;
        armPreparedTimer(e);
        PARLEY_LOG_INFO(log(), "dialog " << id << ": prepared ("
                                         << e.prepared->promptLength.count() << " ms of prompt)");
        answer(e, pivr::makeResponse(st::kOk, id, "dialog prepared"));
        return;
    }
    if (auto s = launch(e); !s) {
        PARLEY_LOG_INFO(log(), "dialog " << id << ": cannot start: " << s.error().message);
        answer(e, pivr::makeErrorResponse(s.error(), id));
        forget(id);
        return;
    }
    answer(e, pivr::makeResponse(st::kOk, id, "dialog started"));
}

common::Result<std::vector<IvrPackage::RecordTarget>> IvrPackage::recordTargets(
    const Entry& e, const pivr::Record& record) const {
    std::vector<RecordTarget> out;
    const std::string stem = fileName(e.id);
    if (record.media.empty()) {
        RecordTarget t;
        const std::string name =
            stem + "-" + std::to_string(recordSerial_) + "-" + randomHex() + ".wav";
        t.path = config_.recordDir / name;
        t.loc = config_.recordingsUrl + name;
        out.push_back(std::move(t));
        return out;
    }
    std::size_t n = 0;
    for (const auto& m : record.media) {
        RecordTarget t;
        if (m.type) t.type = *m.type;
        const std::string sch = scheme(m.loc);
        if (sch == "file" || sch.empty()) {
            auto inside = ivr::localPathUnder(m.loc, config_.recordDir, "the record directory");
            if (!inside)
                return Error(inside.error().code == st::kUnsupportedUriScheme
                                 ? st::kUnsupportedUriScheme
                                 : st::kUnsupportedRecord,
                             "record location: " + inside.error().message);
            t.path = *inside;
            t.loc = m.loc;
        } else if (sch == "http" || sch == "https") {
            if (record.append)
                return Error(st::kUnsupportedRecord, "append to an http location");
            t.path = config_.recordDir / (".upload-" + stem + "-" + std::to_string(recordSerial_) +
                                          "-" + std::to_string(n) + "-" + randomHex() + ".wav");
            t.loc = m.loc;
            t.uploadUrl = m.loc;
            t.uploadTimeout = m.fetchTimeout;
        } else {
            return Error(st::kUnsupportedUriScheme, "record to a " + sch + ": location");
        }
        ++n;
        out.push_back(std::move(t));
    }
    return out;
}

common::Status IvrPackage::launch(Entry& e) {
    PreparedDialog& p = *e.prepared;
    const pivr::Dialog& d = p.dialog;
    ivr::DialogSetup setup;
    setup.dialogId = e.id;
    setup.repeatCount = d.repeatCount;
    setup.repeatDur = d.repeatDur;
    setup.repeatUntilComplete = d.repeatUntilComplete;
    if (p.playlist) {
        setup.player = std::make_unique<ivr::PromptPlayer>(*p.playlist);
        setup.bargein = d.prompt ? d.prompt->bargein : true;
        setup.control = d.control;
    }
    if (d.collect) {
        ivr::CollectSettings c;
        c.timeout = d.collect->timeout;
        c.interDigitTimeout = d.collect->interDigitTimeout;
        c.termTimeout = d.collect->termTimeout;
        c.escapeKey = d.collect->escapeKey;
        c.termChar = d.collect->termChar;
        c.maxDigits = d.collect->maxDigits;
        c.clearDigitBuffer = d.collect->clearDigitBuffer;
        setup.collect = c;
        setup.grammar = p.grammar;
    }
    std::vector<RecordTarget> targets;
    if (d.record) {
        if (d.record->maxTime > config_.maxRecordDuration)
            return Error(st::kUnsupportedRecord, "maxtime above the largest recording (" +
                                                     std::to_string(config_.maxRecordDuration.count()) +
                                                     " ms)");
        ivr::RecorderSettings r;
        r.timeout = d.record->timeout;
        r.vadInitial = d.record->vadInitial;
        r.vadFinal = d.record->vadFinal;
        r.finalSilence = d.record->finalSilence;
        r.maxTime = d.record->maxTime;
        r.beep = d.record->beep;
        r.dtmfTerm = d.record->dtmfTerm;
        setup.record = r;
        auto t = recordTargets(e, *d.record);
        if (!t) return t.error();
        targets = std::move(*t);
        ++recordSerial_;
        setup.recordLocationsGiven = !d.record->media.empty();
        std::weak_ptr<bool> pkgAlive = alive_;
        common::EventLoop* loop = &loop_;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            const std::string id = e.id;
            auto file = writer_.open(
                targets[i].path, d.record->append && !targets[i].uploadUrl,
                [this, pkgAlive, loop, id, i](common::Result<ivr::RecordingResult> r) {
                    loop->post([this, pkgAlive, id, i, r = std::move(r)]() mutable {
                        auto a = pkgAlive.lock();
                        if (a && *a) recordingDone(id, i, std::move(r));
                    });
                });
            if (!file) {
                for (auto& f : setup.recordFiles) f->abandon();
                return Error(st::kUnsupportedRecord,
                             "cannot record to " + targets[i].loc + ": " + file.error().message);
            }
            setup.recordFiles.push_back(std::move(*file));
        }
    }
    if (e.subscribe) {
        for (const auto& sub : e.subscribe->dtmfSubs) setup.subscriptions.push_back(sub.matchMode);
    }
    setup.detectInband = !e.onConference;

    std::vector<mixer::StreamRequest> streams;
    for (const auto& s : e.streams) {
        mixer::StreamRequest r;
        r.media = "audio";
        r.label = s.label;
        switch (s.direction) {
            case pivr::Direction::SendRecv: r.direction = mixer::Direction::sendrecv; break;
            case pivr::Direction::SendOnly: r.direction = mixer::Direction::sendonly; break;
            case pivr::Direction::RecvOnly: r.direction = mixer::Direction::recvonly; break;
            case pivr::Direction::Inactive: r.direction = mixer::Direction::inactive; break;
        }
        if (e.onConference) r.label.reset();  // the internal participant has one stream
        streams.push_back(std::move(r));
    }
    auto runner = std::make_unique<ivr::DialogRunner>(std::move(setup), plane_.dialogEvents());
    if (auto s = plane_.startDialog(e.id, e.onConference, e.target, std::move(runner), streams); !s)
        return s;
    if (!e.onConference && plane_.connectionOwner(e.target) == 0)
        plane_.setConnectionOwner(e.target, e.owner);
    e.state = pivr::DialogState::Started;
    e.records = std::move(targets);
    e.prepared.reset();
    PARLEY_LOG_INFO(log(), "dialog " << e.id << ": started on "
                                     << (e.onConference ? "conference " : "connection ") << e.target);
    return {};
}

// --- answers and timers ------------------------------------------------------------------

void IvrPackage::answer(Entry& e, const pivr::Response& response) {
    if (e.acceptTimer) loop_.cancelTimer(e.acceptTimer);
    e.acceptTimer = 0;
    if (e.pendingTrans.empty()) return;
    const std::string tid = std::move(e.pendingTrans);
    e.pendingTrans.clear();
    ControlContext* ctx = channels_ ? channels_->context(e.owner) : nullptr;
    if (!ctx) return;
    const std::string body = pivr::serialize(pivr::Message(response));
    common::Status s = e.accepted ? ctx->report(tid, proto::cfw::ReportStatus::Terminate,
                                                pivr::kMimeType, body)
                                  : ctx->respond(tid, 200, pivr::kMimeType, body);
    e.accepted = false;
    if (!s) PARLEY_LOG_INFO(log(), "ivr " << tid << " not answered: " << s.error().message);
}

void IvrPackage::armAccept(Entry& e) {
    const std::string id = e.id;
    e.acceptTimer = loop_.addTimer(kAcceptAfter, [this, id] {
        auto it = dialogs_.find(id);
        if (it == dialogs_.end()) return;
        Entry& e = it->second;
        e.acceptTimer = 0;
        if (e.pendingTrans.empty() || e.accepted) return;
        ControlContext* ctx = channels_ ? channels_->context(e.owner) : nullptr;
        if (!ctx) return;
        // Fetches are bounded by their fetchtimeout (30 s by default): give the AS room.
        if (ctx->accept(e.pendingTrans, 60)) e.accepted = true;
    });
}

void IvrPackage::armPreparedTimer(Entry& e) {
    const std::string id = e.id;
    e.preparedTimer = loop_.addTimer(config_.maxPreparedDuration, [this, id] {
        auto it = dialogs_.find(id);
        if (it == dialogs_.end() || it->second.state != pivr::DialogState::Prepared) return;
        it->second.preparedTimer = 0;
        const ChannelId owner = it->second.owner;
        PARLEY_LOG_INFO(log(), "dialog " << id << ": prepared but not started in time");
        forget(id);
        sendEvent(owner, pivr::makeDialogExit(id, pivr::exit_status::kExecutionError, {},
                                              "prepared dialog not started within maxpreparedduration"));
    });
}

void IvrPackage::forget(const std::string& id) {
    auto it = dialogs_.find(id);
    if (it == dialogs_.end()) return;
    Entry& e = it->second;
    if (e.alive) *e.alive = false;
    if (e.acceptTimer) loop_.cancelTimer(e.acceptTimer);
    if (e.preparedTimer) loop_.cancelTimer(e.preparedTimer);
    dialogs_.erase(it);
}

void IvrPackage::channelEnding(ChannelId channel) {
    std::vector<std::string> drop;
    for (auto& [id, e] : dialogs_) {
        if (e.owner != channel) continue;
        if (e.state == pivr::DialogState::Started && !e.end) {
            // Stop it now; its end arrives later and goes nowhere.
            e.owner = 0;
            e.pendingTrans.clear();
            plane_.terminateDialog(id, true);
        } else if (e.state == pivr::DialogState::Started) {
            e.owner = 0;
        } else {
            drop.push_back(id);
        }
    }
    for (const auto& id : drop) forget(id);
}

// --- events ------------------------------------------------------------------------------

void IvrPackage::sendEvent(ChannelId owner, const pivr::Event& event) {
    if (owner == 0 || !channels_) return;
    ControlContext* ctx = channels_->context(owner);
    if (!ctx) return;
    auto sent = ctx->sendEvent({std::string(pivr::kPackageName), std::string(pivr::kMimeType),
                                pivr::serialize(pivr::Message(event))});
    if (!sent) PARLEY_LOG_INFO(log(), "ivr event not sent: " << sent.error().message);
}

void IvrPackage::onDialogNotice(const ivr::DialogNotice& n) {
    auto it = dialogs_.find(n.dialogId);
    if (it == dialogs_.end()) return;
    sendEvent(it->second.owner, pivr::makeDtmfNotify(n.dialogId, n.mode, n.dtmf, n.when));
}

void IvrPackage::onDialogEnd(ivr::DialogEnd end) {
    auto it = dialogs_.find(end.dialogId);
    if (it == dialogs_.end()) return;
    Entry& e = it->second;
    if (!end.recordingsPending) {
        for (auto& r : e.records)
            if (!r.result) r.result = common::Result<ivr::RecordingResult>(Error(st::kDialogCanceled, "not kept"));
    }
    e.end = std::move(end);
    maybeSendExit(e.id);
}

void IvrPackage::recordingDone(const std::string& id, std::size_t index,
                               common::Result<ivr::RecordingResult> result) {
    auto it = dialogs_.find(id);
    if (it == dialogs_.end() || index >= it->second.records.size()) return;
    RecordTarget& t = it->second.records[index];
    if (result && t.uploadUrl) {
        // Recorded locally; now PUT it where the AS asked.
        const auto local = result->path;
        std::weak_ptr<bool> pkgAlive = alive_;
        common::EventLoop* loop = &loop_;
        auto kept = std::make_shared<ivr::RecordingResult>(*result);
        fetcher_.upload(*t.uploadUrl, local, t.type, t.uploadTimeout,
                        [this, pkgAlive, loop, id, index, kept](common::Status s) {
                            loop->post([this, pkgAlive, id, index, kept, s]() {
                                auto a = pkgAlive.lock();
                                if (!a || !*a) return;
                                std::error_code ec;
                                std::filesystem::remove(kept->path, ec);
                                auto it = dialogs_.find(id);
                                if (it == dialogs_.end() || index >= it->second.records.size()) return;
                                auto& target = it->second.records[index];
                                if (s)
                                    target.result = *kept;
                                else
                                    target.result = common::Result<ivr::RecordingResult>(
                                        Error(st::kOtherExecutionError,
                                              "upload to " + *target.uploadUrl +
                                                  " failed: " + s.error().message));
                                maybeSendExit(id);
                            });
                        });
        return;
    }
    t.result = std::move(result);
    maybeSendExit(id);
}

void IvrPackage::maybeSendExit(const std::string& id) {
    auto it = dialogs_.find(id);
    if (it == dialogs_.end() || !it->second.end) return;
    Entry& e = it->second;
    for (const auto& r : e.records)
        if (!r.result) return;  // still being written or uploaded
    ivr::DialogEnd& end = *e.end;
    std::uint32_t status = end.status;
    std::optional<std::string> reason = end.reason;
    if (end.recordingsPending && end.report.record) {
        for (const auto& r : e.records) {
            if (!*r.result) {
                status = pivr::exit_status::kExecutionError;
                reason = "recording failed: " + r.result->error().message;
                continue;
            }
            pivr::MediaInfo mi;
            mi.loc = r.loc;
            mi.type = r.type;
            mi.size = (*r.result)->bytes;
            end.report.record->media.push_back(std::move(mi));
        }
    }
    const ChannelId owner = e.owner;
    pivr::Event event = pivr::makeDialogExit(id, status, std::move(end.report), reason);
    forget(id);
    sendEvent(owner, event);
}

}  // namespace parley::ms
