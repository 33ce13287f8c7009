#include "ms/control/ivr_package.hpp"

#include "common/log.hpp"
#include "ms/control/capabilities.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/xml/xml.hpp"

namespace parley::ms {

namespace ivr = proto::ivr;

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

void answer(ControlContext& ctx, const std::string& transId, const ivr::Message& reply) {
    auto st = ctx.respond(transId, 200, ivr::kMimeType, ivr::serialize(reply));
    if (!st) PARLEY_LOG_INFO(log(), "ivr " << transId << " not answered: " << st.error().message);
}

void notImplemented(ControlContext& ctx, const std::string& transId, std::string_view element,
                    const std::string& dialogId) {
    PARLEY_LOG_INFO(log(), "ivr " << transId << " <" << element << "> answered "
                                  << ivr::status::kOtherUnsupported << ": not implemented yet");
    answer(ctx, transId,
           ivr::makeResponse(ivr::status::kOtherUnsupported, dialogId, "not implemented yet"));
}

}  // namespace

void IvrPackage::onControl(const proto::cfw::IncomingControl& request, ControlContext& ctx) {
    if (auto problem = bodyProblem(request, ivr::kMimeType)) {
        PARLEY_LOG_INFO(log(), "ivr " << request.transId << " answered 400: " << *problem);
        (void)ctx.respond(request.transId, 400);
        return;
    }
    auto parsed = ivr::parse(request.body, ivr::ParseOptions{ivr::ForeignPolicy::Reject, {}});
    if (!parsed) {
        const auto& e = parsed.error();
        // Not XML at all is the framework's business; anything else is the package's.
        if (e.code == ivr::status::kSyntaxError) {
            if (auto doc = proto::xml::parse(request.body); !doc) {
                PARLEY_LOG_INFO(
                    log(), "ivr " << request.transId << " answered 400: " << doc.error().message);
                (void)ctx.respond(request.transId, 400);
                return;
            }
        }
        PARLEY_LOG_INFO(log(),
                        "ivr " << request.transId << " refused (" << e.code << "): " << e.message);
        answer(ctx, request.transId,
               ivr::makeErrorResponse(e, ivr::peekDialogId(request.body).value_or("")));
        return;
    }
    const std::string& tid = request.transId;
    const ivr::Message& msg = *parsed;
    std::visit(
        Overloaded{
            [&](const ivr::Audit& a) { answer(ctx, tid, audit(a, ctx)); },
            [&](const ivr::DialogPrepare&) {
                notImplemented(ctx, tid, "dialogprepare", ivr::dialogIdOf(msg));
            },
            [&](const ivr::DialogStart&) {
                notImplemented(ctx, tid, "dialogstart", ivr::dialogIdOf(msg));
            },
            [&](const ivr::DialogTerminate&) {
                notImplemented(ctx, tid, "dialogterminate", ivr::dialogIdOf(msg));
            },
            [&](const auto&) {
                std::string what = "<" + std::string(ivr::elementName(msg)) + "> is not a request";
                PARLEY_LOG_INFO(log(), "ivr " << tid << " refused: " << what);
                answer(ctx, tid,
                       ivr::makeResponse(ivr::status::kSyntaxError, ivr::dialogIdOf(msg), what));
            },
        },
        msg);
}

ivr::AuditResponse IvrPackage::audit(const ivr::Audit& request, ControlContext& ctx) const {
    std::vector<ivr::DialogAudit> dialogs;
    for (const auto& d : ctx.resources().list(ResourceKind::IvrDialog)) {
        ivr::DialogAudit a;
        a.dialogId = d.id;
        dialogs.push_back(std::move(a));
    }
    return ivr::makeAuditResponse(request, ivrCapabilities(), std::move(dialogs));
}

}  // namespace parley::ms
