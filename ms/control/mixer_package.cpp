#include "ms/control/mixer_package.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "ms/control/capabilities.hpp"
#include "ms/control/mixer_translate.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::ms {

namespace pm = proto::mixer;

namespace {

Poco::Logger& log() {
    return common::logger("ms.mixer");
}

template <class... Ts>
struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

using Outcome = MixerPackage::Outcome;

Outcome reply(pm::Message m) {
    Outcome o;
    o.reply = std::move(m);
    return o;
}

Outcome failure(const common::Error& e, std::optional<std::string> conferenceId = std::nullopt) {
    int status = e.code >= 400 && e.code <= 499 ? e.code : pm::status::kExecutionError;
    return reply(pm::makeResponse(status, e.message, std::move(conferenceId)));
}

Outcome forbidden(const std::string& id) {
    Outcome o;
    o.framework = 403;
    o.reply = pm::makeResponse(pm::status::kExecutionError, id + " belongs to another channel");
    return o;
}

}  // namespace

MixerPackage::MixerPackage(plane::MediaPlane& plane, ChannelDirectory* channels)
    : plane_(plane), channels_(channels) {
    plane_.setObserver(this);
}

MixerPackage::~MixerPackage() {
    plane_.setObserver(nullptr);
}

void MixerPackage::onControl(const proto::cfw::IncomingControl& request, ControlContext& ctx) {
    if (auto problem = bodyProblem(request, pm::kContentType)) {
        PARLEY_LOG_INFO(log(), "mixer " << request.transId << " answered 400: " << *problem);
        (void)ctx.respond(request.transId, 400);
        return;
    }
    pm::Decoded decoded = pm::decode(request.body);
    if (!decoded.wellFormed) {
        PARLEY_LOG_INFO(log(), "mixer " << request.transId
                                        << " answered 400: " << decoded.message.error().message);
        (void)ctx.respond(request.transId, 400);
        return;
    }
    const std::string& tid = request.transId;
    Outcome out;
    if (!decoded.message) {
        const auto& e = decoded.message.error();
        PARLEY_LOG_INFO(log(), "mixer " << tid << " refused (" << e.code << "): " << e.message);
        out = reply(pm::makeResponse(
            e.code >= 400 && e.code <= 499 ? e.code : pm::status::kSyntaxError, e.message));
    } else {
        const ChannelId me = ctx.channelId();
        out = std::visit(
            Overloaded{
                [&](const pm::CreateConference& m) { return createConference(m, me); },
                [&](const pm::ModifyConference& m) { return modifyConference(m, me); },
                [&](const pm::DestroyConference& m) { return destroyConference(m, me); },
                [&](const pm::Join& m) { return join(m, me); },
                [&](const pm::ModifyJoin& m) { return modifyJoin(m, me); },
                [&](const pm::Unjoin& m) { return unjoin(m, me); },
                [&](const pm::Audit& m) { return audit(m, me); },
                [&](const auto& other) {
                    std::string what = "<" + std::string(pm::elementName(pm::Message(other))) +
                                       "> is not a request";
                    return reply(pm::makeResponse(pm::status::kSyntaxError, what));
                },
            },
            *decoded.message);
    }
    if (out.framework != 200) {
        const auto* r = std::get_if<pm::Response>(&out.reply);
        PARLEY_LOG_INFO(log(), "mixer " << tid << " answered " << out.framework << ": "
                                        << (r && r->reason ? *r->reason : std::string()));
        (void)ctx.respond(tid, out.framework);
        return;
    }
    if (const auto* r = std::get_if<pm::Response>(&out.reply);
        r && r->status != pm::status::kOk && decoded.message) {
        PARLEY_LOG_INFO(log(), "mixer " << tid << " <" << pm::elementName(*decoded.message)
                                        << "> refused " << r->status << ": "
                                        << r->reason.value_or(""));
    }
    if (auto st = ctx.respond(tid, 200, pm::kContentType, pm::serialize(out.reply)); !st) {
        PARLEY_LOG_INFO(log(), "mixer " << tid << " not answered: " << st.error().message);
        return;
    }
    for (const auto& e : out.events) {
        auto sent = ctx.sendEvent({std::string(pm::kPackageName), std::string(pm::kContentType),
                                   pm::serialize(pm::Message(e))});
        if (!sent) PARLEY_LOG_INFO(log(), "mixer event not sent: " << sent.error().message);
    }
}

// --- ownership ----------------------------------------------------------------------------

std::optional<std::string> MixerPackage::foreign(std::initializer_list<const std::string*> ids,
                                                 ChannelId me) const {
    const auto& g = plane_.graph();
    for (const std::string* id : ids) {
        if (g.hasConference(*id)) {
            if (plane_.conferenceOwner(*id) != me) return *id;
        } else if (g.hasConnection(*id)) {
            ChannelId owner = plane_.connectionOwner(*id);
            if (owner != 0 && owner != me) return *id;
        }
    }
    return std::nullopt;
}

void MixerPackage::claim(std::initializer_list<const std::string*> ids, ChannelId me) {
    for (const std::string* id : ids) {
        if (plane_.graph().hasConnection(*id) && plane_.connectionOwner(*id) == 0) {
            plane_.setConnectionOwner(*id, me);
            PARLEY_LOG_INFO(log(), "connection " << *id << " now belongs to channel #" << me);
        }
    }
}

std::optional<MixerPackage::Outcome> MixerPackage::hidden(
    std::initializer_list<const std::string*> ids) const {
    for (const std::string* id : ids) {
        if (mixer::isInternalId(*id))
            return failure(common::Error(pm::status::kConnectionNotFound,
                                         "connection " + *id + " does not exist"));
    }
    return std::nullopt;
}

bool MixerPackage::visible(const std::string& id, ChannelId me) const {
    if (plane_.graph().hasConference(id)) return plane_.conferenceOwner(id) == me;
    return plane_.connectionOwner(id) == me;
}

// --- conferences --------------------------------------------------------------------------

Outcome MixerPackage::createConference(const pm::CreateConference& m, ChannelId me) {
    if (m.conferenceId && mixer::isInternalId(*m.conferenceId))
        return failure(common::Error(pm::status::kExecutionError,
                                     "a conferenceid may not contain '#'"),
                       m.conferenceId);
    if (m.conferenceId) {
        if (auto f = foreign({&*m.conferenceId}, me)) return forbidden(*f);
    }
    if (auto st = checkConferenceSettings(m.settings); !st)
        return failure(st.error(), m.conferenceId);
    auto id = plane_.graph().createConference(toConferenceRequest(m));
    if (!id) return failure(id.error(), m.conferenceId);
    plane_.setConferenceOwner(*id, me);
    plane_.commit();
    PARLEY_LOG_INFO(log(), "conference " << *id << " created by channel #" << me);
    return reply(pm::makeResponse(pm::status::kOk, "conference created", *id));
}

Outcome MixerPackage::modifyConference(const pm::ModifyConference& m, ChannelId me) {
    if (auto f = foreign({&m.conferenceId}, me)) return forbidden(*f);
    if (auto st = checkConferenceSettings(m.settings); !st)
        return failure(st.error(), m.conferenceId);
    if (auto st = plane_.graph().modifyConference(m.conferenceId, toConferenceChange(m.settings));
        !st)
        return failure(st.error(), m.conferenceId);
    plane_.commit();
    return reply(pm::makeResponse(pm::status::kOk, "conference modified", m.conferenceId));
}

Outcome MixerPackage::destroyConference(const pm::DestroyConference& m, ChannelId me) {
    if (auto f = foreign({&m.conferenceId}, me)) return forbidden(*f);
    auto teardown = plane_.graph().destroyConference(m.conferenceId);
    if (!teardown) return failure(teardown.error(), m.conferenceId);
    plane_.commit();
    PARLEY_LOG_INFO(log(), "conference " << m.conferenceId << " destroyed by channel #" << me
                                         << " (" << teardown->unjoins.size() << " participants)");
    Outcome o = reply(pm::makeResponse(pm::status::kOk, "conference destroyed", m.conferenceId));
    for (const auto& n : teardown->unjoins) o.events.push_back(toEvent(n));
    o.events.push_back(toEvent(teardown->exit));
    return o;
}

// --- joins --------------------------------------------------------------------------------

Outcome MixerPackage::join(const pm::Join& m, ChannelId me) {
    if (auto h = hidden({&m.id1, &m.id2})) return *h;
    if (auto f = foreign({&m.id1, &m.id2}, me)) return forbidden(*f);
    if (auto st = plane_.graph().join(m.id1, m.id2, toStreamRequests(m.streams)); !st)
        return failure(st.error());
    claim({&m.id1, &m.id2}, me);
    plane_.commit();
    return reply(pm::makeResponse(pm::status::kOk, "join successful"));
}

Outcome MixerPackage::modifyJoin(const pm::ModifyJoin& m, ChannelId me) {
    if (auto h = hidden({&m.id1, &m.id2})) return *h;
    if (auto f = foreign({&m.id1, &m.id2}, me)) return forbidden(*f);
    if (auto st = plane_.graph().modifyJoin(m.id1, m.id2, toStreamRequests(m.streams)); !st)
        return failure(st.error());
    claim({&m.id1, &m.id2}, me);
    plane_.commit();
    return reply(pm::makeResponse(pm::status::kOk, "join modified"));
}

Outcome MixerPackage::unjoin(const pm::Unjoin& m, ChannelId me) {
    if (auto h = hidden({&m.id1, &m.id2})) return *h;
    if (auto f = foreign({&m.id1, &m.id2}, me)) return forbidden(*f);
    auto notice = plane_.graph().unjoin(m.id1, m.id2, toStreamRequests(m.streams));
    if (!notice) return failure(notice.error());
    claim({&m.id1, &m.id2}, me);
    plane_.commit();
    Outcome o = reply(pm::makeResponse(pm::status::kOk, "unjoin successful"));
    if (*notice) o.events.push_back(toEvent(**notice));
    return o;
}

// --- audit --------------------------------------------------------------------------------

Outcome MixerPackage::audit(const pm::Audit& m, ChannelId me) const {
    const auto& g = plane_.graph();
    if (m.conferenceId) {
        if (!g.hasConference(*m.conferenceId))
            return reply(
                pm::makeAuditResponse(pm::status::kConferenceNotFound,
                                      "conference " + *m.conferenceId + " does not exist"));
        if (plane_.conferenceOwner(*m.conferenceId) != me) return forbidden(*m.conferenceId);
    }
    pm::AuditResponse r = pm::makeAuditResponse(pm::status::kOk);
    r.reason.reset();
    if (m.capabilities) r.capabilities = mixerCapabilities();
    if (m.mixers) {
        pm::Mixers mixers;
        for (const auto& view : g.conferenceViews()) {
            if (m.conferenceId && view.id != *m.conferenceId) continue;
            if (plane_.conferenceOwner(view.id) != me) continue;
            pm::ConferenceAudit a;
            a.conferenceId = view.id;
            a.codecs = mixerCapabilities().codecs;
            a.participants = view.participants;
            mixers.conferences.push_back(std::move(a));
        }
        for (const auto& j : g.joinViews()) {
            if (m.conferenceId && j.id1 != *m.conferenceId && j.id2 != *m.conferenceId) continue;
            if (!visible(j.id1, me) || !visible(j.id2, me)) continue;
            mixers.joins.push_back(pm::JoinAudit{j.id1, j.id2});
        }
        r.mixers = std::move(mixers);
    }
    return reply(std::move(r));
}

// --- channel end and plane events ---------------------------------------------------------

void MixerPackage::channelEnding(ChannelId channel) {
    plane_.releaseChannel(channel);
}

void MixerPackage::sendEvents(ChannelId owner, const std::vector<pm::Event>& events) {
    if (owner == 0 || !channels_ || events.empty()) return;
    ControlContext* ctx = channels_->context(owner);
    if (!ctx) return;
    for (const auto& e : events) {
        auto sent = ctx->sendEvent({std::string(pm::kPackageName), std::string(pm::kContentType),
                                    pm::serialize(pm::Message(e))});
        if (!sent) PARLEY_LOG_INFO(log(), "mixer event not sent: " << sent.error().message);
    }
}

void MixerPackage::onActiveTalkers(const mixer::ActiveTalkersReport& report) {
    sendEvents(plane_.conferenceOwner(report.conferenceId), {toEvent(report)});
}

void MixerPackage::onConnectionGone(const std::string& id, ChannelId owner,
                                    const std::vector<mixer::UnjoinNotice>& notices) {
    std::vector<pm::Event> events;
    for (const auto& n : notices) events.push_back(toEvent(n));
    if (!events.empty())
        PARLEY_LOG_INFO(log(), "connection " << id << " ended: " << events.size()
                                             << " unjoin-notify to channel #" << owner);
    sendEvents(owner, events);
}

void MixerPackage::onDigit(const std::string& id, const rtp::DigitEvent& digit) {
    PARLEY_LOG_DEBUG(log(), "connection " << id << ": digit " << digit.digit);
}

}  // namespace parley::ms
