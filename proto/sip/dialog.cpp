#include "proto/sip/dialog.hpp"

#include <sofia-sip/msg.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include <algorithm>
#include <cctype>

#include "proto/sip/sip_handler.hpp"
#include "proto/sip/stack_core.hpp"

namespace parley::proto::sip {
namespace {

common::Error gone() { return common::makeError(481, "dialog is terminated"); }
common::Error wrongState(const char* what, DialogState s) {
    return common::makeError(491, std::string(what) + " not allowed in state " + dialogStateName(s));
}

bool hasLineBreak(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Body and content type as C strings for sofia tags (kept alive by the caller).
struct BodyArgs {
    std::string body;
    std::string type;
    bool present() const { return !body.empty(); }
};

common::Result<BodyArgs> bodyArgs(std::string_view body, std::string_view contentType) {
    if (hasLineBreak(contentType)) return common::makeError(400, "bad content type");
    BodyArgs a{std::string(body), std::string(contentType)};
    if (a.present() && a.type.empty()) a.type = "application/sdp";
    return a;
}

// What a response needs, checked: status <= 699, a reason without line breaks (interned:
// nua keeps the phrase pointer until it sends the response), the body and extra headers.
struct ResponseParts {
    BodyArgs args;
    std::string extra;
    const char* phrase = nullptr;
};

common::Result<ResponseParts> responseParts(detail::DialogCore& c, int status,
                                            std::string_view reason, std::string_view body,
                                            std::string_view contentType,
                                            const HeaderList& headers) {
    if (status > 699) return common::makeError(400, "bad status code");
    if (hasLineBreak(reason)) return common::makeError(400, "bad reason phrase");
    auto args = bodyArgs(body, contentType);
    if (!args) return args.error();
    auto extra = renderHeaders(headers);
    if (!extra) return extra.error();
    ResponseParts p{std::move(*args), std::move(*extra), nullptr};
    p.phrase = reason.empty() ? nullptr : c.stack->internPhrase(std::string(reason));
    if (!p.phrase) p.phrase = sip_status_phrase(status);
    if (!p.phrase) p.phrase = "Unknown";
    if (p.args.present()) c.lastLocalSdp = p.args.body;
    return p;
}

// Answers the pending request (`with`: a specific one, e.g. an UPDATE; null: the INVITE).
void sendResponse(detail::DialogCore& c, int status, const ResponseParts& p, msg_t* with) {
    nua_respond(c.nh, status, p.phrase, TAG_IF(with != nullptr, NUTAG_WITH(with)),
                TAG_IF(!c.contact.empty() && status < 300, SIPTAG_CONTACT_STR(c.contact.c_str())),
                TAG_IF(p.args.present(), SIPTAG_CONTENT_TYPE_STR(p.args.type.c_str())),
                TAG_IF(p.args.present(), SIPTAG_PAYLOAD_STR(p.args.body.c_str())),
                TAG_IF(!p.extra.empty(), SIPTAG_HEADER_STR(p.extra.c_str())), TAG_END());
}

}  // namespace

const char* dialogStateName(DialogState state) {
    switch (state) {
        case DialogState::Calling: return "calling";
        case DialogState::Early: return "early";
        case DialogState::Completing: return "completing";
        case DialogState::Completed: return "completed";
        case DialogState::Ready: return "ready";
        case DialogState::Terminating: return "terminating";
        case DialogState::Terminated: return "terminated";
    }
    return "?";
}

// Default handler behaviour.
void SipHandler::onReinvite(const DialogRef& dialog, const SipMessage&) {
    (void)dialog->respond(488, "Not Acceptable Here");
}
void SipHandler::onInviteResponse(const DialogRef&, const SipMessage&) {}
void SipHandler::onAck(const DialogRef&, const SipMessage&) {}
void SipHandler::onBye(const DialogRef&, const SipMessage&) {}
void SipHandler::onCancel(const DialogRef&) {}
void SipHandler::onUpdate(const DialogRef& dialog, const SipMessage& update) {
    if (update.body.empty())
        (void)dialog->respondUpdate(200);
    else
        (void)dialog->respondUpdate(488, "Not Acceptable Here");
}
void SipHandler::onUpdateResponse(const DialogRef&, const SipMessage&) {}
RequestAnswer SipHandler::onSubscribe(const SubscriptionRef&, const SipMessage&) {
    return {489, "Bad Event"};
}
void SipHandler::onSubscriptionRefreshed(const SubscriptionRef&, const SipMessage&) {}
void SipHandler::onSubscriptionTerminated(const SubscriptionRef&, const std::string&) {}
RequestAnswer SipHandler::onRefer(const SubscriptionRef&, const ReferRequest&, const DialogRef&) {
    return {403, "Forbidden"};
}

Dialog::Dialog(std::unique_ptr<detail::DialogCore> core) : core_(std::move(core)) {}
Dialog::~Dialog() = default;

DialogRole Dialog::role() const { return core_->role; }
DialogState Dialog::state() const { return core_->state; }
const std::string& Dialog::callId() const { return core_->callId; }
const std::string& Dialog::localTag() const { return core_->localTag; }
const std::string& Dialog::remoteTag() const { return core_->remoteTag; }
std::string Dialog::fromTag() const {
    return core_->role == DialogRole::Uac ? core_->localTag : core_->remoteTag;
}
std::string Dialog::toTag() const {
    return core_->role == DialogRole::Uac ? core_->remoteTag : core_->localTag;
}
const std::string& Dialog::localUri() const { return core_->localUri; }
const std::string& Dialog::remoteUri() const { return core_->remoteUri; }
const std::string& Dialog::remoteContact() const { return core_->remoteContact; }

void Dialog::setHandler(SipHandler* handler) { core_->handler = handler; }

common::Status Dialog::respond(int status, std::string_view reason, std::string_view body,
                               std::string_view contentType, const HeaderList& headers) {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    if (!c.serverInvitePending) return wrongState("respond", c.state);
    if (status < 101) return common::makeError(400, "bad status code");
    auto parts = responseParts(c, status, reason, body, contentType, headers);
    if (!parts) return parts.error();
    sendResponse(c, status, *parts, nullptr);
    if (status >= 200) {
        c.serverInvitePending = false;
        if (status < 300 && c.state == DialogState::Early) c.state = DialogState::Completed;
    }
    return {};
}

common::Status Dialog::ack(std::string_view body, std::string_view contentType) {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    if (!c.ackPending) return wrongState("ack", c.state);
    auto args = bodyArgs(body, contentType);
    if (!args) return args.error();
    if (args->present()) c.lastLocalSdp = args->body;
    nua_ack(c.nh, TAG_IF(args->present(), SIPTAG_CONTENT_TYPE_STR(args->type.c_str())),
            TAG_IF(args->present(), SIPTAG_PAYLOAD_STR(args->body.c_str())), TAG_END());
    c.ackPending = false;
    return {};
}

common::Status Dialog::reinvite(std::string_view body, std::string_view contentType,
                                const HeaderList& headers) {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    if (c.state != DialogState::Ready || c.clientInvitePending || c.serverInvitePending ||
        c.ackPending)
        return wrongState("re-INVITE", c.state);
    auto args = bodyArgs(body, contentType);
    if (!args) return args.error();
    auto extra = renderHeaders(headers);
    if (!extra) return extra.error();
    if (args->present()) c.lastLocalSdp = args->body;
    nua_invite(c.nh, TAG_IF(!c.contact.empty(), SIPTAG_CONTACT_STR(c.contact.c_str())),
               TAG_IF(args->present(), SIPTAG_CONTENT_TYPE_STR(args->type.c_str())),
               TAG_IF(args->present(), SIPTAG_PAYLOAD_STR(args->body.c_str())),
               TAG_IF(!extra->empty(), SIPTAG_HEADER_STR(extra->c_str())), TAG_END());
    c.clientInvitePending = true;
    c.offerSent = args->present();
    return {};
}

common::Status Dialog::update(std::string_view body, std::string_view contentType,
                              const HeaderList& headers) {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    bool usable = c.confirmed || c.state == DialogState::Completed ||
                  (c.state == DialogState::Early && !c.remoteTag.empty());
    if (!usable || c.state == DialogState::Terminating || c.clientUpdatePending)
        return wrongState("UPDATE", c.state);
    auto args = bodyArgs(body, contentType);
    if (!args) return args.error();
    auto extra = renderHeaders(headers);
    if (!extra) return extra.error();
    if (args->present()) c.lastLocalSdp = args->body;
    nua_update(c.nh, TAG_IF(!c.contact.empty(), SIPTAG_CONTACT_STR(c.contact.c_str())),
               TAG_IF(args->present(), SIPTAG_CONTENT_TYPE_STR(args->type.c_str())),
               TAG_IF(args->present(), SIPTAG_PAYLOAD_STR(args->body.c_str())),
               TAG_IF(!extra->empty(), SIPTAG_HEADER_STR(extra->c_str())), TAG_END());
    c.clientUpdatePending = true;
    return {};
}

common::Status Dialog::respondUpdate(int status, std::string_view reason, std::string_view body,
                                     std::string_view contentType, const HeaderList& headers) {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    if (!c.updateRequest) return wrongState("UPDATE response", c.state);
    if (status < 200) return common::makeError(400, "bad status code");
    auto parts = responseParts(c, status, reason, body, contentType, headers);
    if (!parts) return parts.error();
    msg_t* request = c.updateRequest;
    c.updateRequest = nullptr;
    sendResponse(c, status, *parts, request);
    msg_destroy(request);  // our reference; the server transaction holds its own
    return {};
}

common::Status Dialog::setFocus(std::string_view contactUser) {
    detail::DialogCore& c = *core_;
    if (!c.nh || !c.stack) return gone();
    std::string user(contactUser.empty() ? std::string_view(c.stack->config().user) : contactUser);
    bool ok = !user.empty() && std::all_of(user.begin(), user.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) ||
               std::string_view("-_.!~*'()&=+$,").find(ch) != std::string_view::npos;
    });
    if (!ok) return common::makeError(400, "bad contact user '" + user + "'");
    c.contact = "<sip:" + user + "@" + c.stack->advertisedHost() + ":" +
                std::to_string(c.stack->boundPort()) + (c.tcp ? ";transport=tcp" : "") + ">;isfocus";
    c.focus = true;
    return {};
}

bool Dialog::isFocus() const { return core_->focus; }

common::Status Dialog::bye(const HeaderList& headers) {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    bool established = c.confirmed || c.state == DialogState::Completing ||
                       c.state == DialogState::Completed;
    if (c.state == DialogState::Terminating) return wrongState("BYE", c.state);
    if (!established) return wrongState("BYE", c.state);
    auto extra = renderHeaders(headers);
    if (!extra) return extra.error();
    if (c.ackPending) {  // a 2xx must be ACKed before the dialog can be left
        nua_ack(c.nh, TAG_END());
        c.ackPending = false;
    }
    nua_bye(c.nh, TAG_IF(!extra->empty(), SIPTAG_HEADER_STR(extra->c_str())), TAG_END());
    c.state = DialogState::Terminating;
    c.byeAsked = true;
    return {};
}

common::Status Dialog::cancel() {
    detail::DialogCore& c = *core_;
    if (!c.nh) return gone();
    if (c.role != DialogRole::Uac || c.confirmed || !c.clientInvitePending)
        return wrongState("CANCEL", c.state);
    nua_cancel(c.nh, TAG_END());
    c.state = DialogState::Terminating;
    c.cancelAsked = true;
    return {};
}

common::Status Dialog::hangup() {
    detail::DialogCore& c = *core_;
    if (!c.nh || c.state == DialogState::Terminating) return {};
    if (!c.confirmed) {
        if (c.role == DialogRole::Uac) return cancel();
        if (c.serverInvitePending) return respond(480, "Temporarily Unavailable");
    }
    return bye();
}

}  // namespace parley::proto::sip
