#include "ms/control/mixer_package.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "ms/control/capabilities.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::ms {

namespace mixer = proto::mixer;

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

void answer(ControlContext& ctx, const std::string& transId, const mixer::Message& reply) {
    auto st = ctx.respond(transId, 200, mixer::kContentType, mixer::serialize(reply));
    if (!st) PARLEY_LOG_INFO(log(), "mixer " << transId << " not answered: " << st.error().message);
}

void notImplemented(ControlContext& ctx, const std::string& transId, std::string_view element,
                    std::optional<std::string> conferenceId = std::nullopt) {
    PARLEY_LOG_INFO(log(), "mixer " << transId << " <" << element << "> answered "
                                    << mixer::status::kOtherUnsupported << ": not implemented yet");
    answer(ctx, transId,
           mixer::makeResponse(mixer::status::kOtherUnsupported, "not implemented yet",
                               std::move(conferenceId)));
}

}  // namespace

void MixerPackage::onControl(const proto::cfw::IncomingControl& request, ControlContext& ctx) {
    if (auto problem = bodyProblem(request, mixer::kContentType)) {
        PARLEY_LOG_INFO(log(), "mixer " << request.transId << " answered 400: " << *problem);
        (void)ctx.respond(request.transId, 400);
        return;
    }
    mixer::Decoded decoded = mixer::decode(request.body);
    if (!decoded.wellFormed) {
        PARLEY_LOG_INFO(log(), "mixer " << request.transId
                                        << " answered 400: " << decoded.message.error().message);
        (void)ctx.respond(request.transId, 400);
        return;
    }
    if (!decoded.message) {
        const auto& e = decoded.message.error();
        PARLEY_LOG_INFO(
            log(), "mixer " << request.transId << " refused (" << e.code << "): " << e.message);
        int status = e.code >= 400 && e.code <= 499 ? e.code : mixer::status::kSyntaxError;
        answer(ctx, request.transId, mixer::makeResponse(status, e.message));
        return;
    }
    const std::string& tid = request.transId;
    std::visit(Overloaded{
                   [&](const mixer::Audit& a) { answer(ctx, tid, audit(a, ctx)); },
                   [&](const mixer::CreateConference& m) {
                       notImplemented(ctx, tid, "createconference", m.conferenceId);
                   },
                   [&](const mixer::ModifyConference& m) {
                       notImplemented(ctx, tid, "modifyconference", m.conferenceId);
                   },
                   [&](const mixer::DestroyConference& m) {
                       notImplemented(ctx, tid, "destroyconference", m.conferenceId);
                   },
                   [&](const mixer::Join&) { notImplemented(ctx, tid, "join"); },
                   [&](const mixer::ModifyJoin&) { notImplemented(ctx, tid, "modifyjoin"); },
                   [&](const mixer::Unjoin&) { notImplemented(ctx, tid, "unjoin"); },
                   [&](const auto& other) {
                       std::string what = "<" +
                                          std::string(mixer::elementName(mixer::Message(other))) +
                                          "> is not a request";
                       PARLEY_LOG_INFO(log(), "mixer " << tid << " refused: " << what);
                       answer(ctx, tid, mixer::makeResponse(mixer::status::kSyntaxError, what));
                   },
               },
               *decoded.message);
}

mixer::AuditResponse MixerPackage::audit(const mixer::Audit& request, ControlContext& ctx) const {
    const ResourceOwner& owned = ctx.resources();
    auto conferences = owned.list(ResourceKind::Conference);
    if (request.conferenceId) {
        bool known =
            std::any_of(conferences.begin(), conferences.end(),
                        [&](const OwnedResource& r) { return r.id == *request.conferenceId; });
        if (!known) {
            return mixer::makeAuditResponse(
                mixer::status::kConferenceNotFound,
                "conference " + *request.conferenceId + " does not exist");
        }
    }
    mixer::AuditResponse r = mixer::makeAuditResponse(mixer::status::kOk);
    r.reason.reset();
    if (request.capabilities) r.capabilities = mixerCapabilities();
    if (request.mixers) {
        mixer::Mixers mixers;
        for (const auto& c : conferences) {
            if (request.conferenceId && c.id != *request.conferenceId) continue;
            mixers.conferences.push_back(
                mixer::ConferenceAudit{c.id, std::nullopt, std::nullopt, std::nullopt});
        }
        for (const auto& j : owned.list(ResourceKind::Join)) {
            if (request.conferenceId && j.id != *request.conferenceId &&
                j.id2 != *request.conferenceId)
                continue;
            mixers.joins.push_back(mixer::JoinAudit{j.id, j.id2});
        }
        r.mixers = std::move(mixers);
    }
    return r;
}

}  // namespace parley::ms
