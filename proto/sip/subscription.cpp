#include "proto/sip/subscription.hpp"

#include <sofia-sip/sip_status.h>

#include <algorithm>
#include <cctype>

#include "proto/sip/stack_core.hpp"

namespace parley::proto::sip {
namespace {

common::Error gone() { return common::makeError(481, "subscription is terminated"); }

bool hasLineBreak(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// RFC 6665 event-reason-value: a token.
bool isReasonToken(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
    });
}

}  // namespace

Subscription::Subscription(std::unique_ptr<detail::SubscriptionCore> core) : core_(std::move(core)) {}
Subscription::~Subscription() = default;

const std::string& Subscription::event() const { return core_->event; }
const std::string& Subscription::eventHeader() const { return core_->eventHeader; }
const std::string& Subscription::resourceUri() const { return core_->resourceUri; }
const std::string& Subscription::subscriberUri() const { return core_->subscriberUri; }
const std::string& Subscription::callId() const { return core_->callId; }
bool Subscription::fetch() const { return core_->fetch; }
bool Subscription::inDialog() const { return !core_->ownsHandle; }
uint32_t Subscription::grantedExpires() const { return core_->granted; }
common::TimePoint Subscription::expiresAt() const { return core_->expiresAt; }
SubscriptionState Subscription::state() const { return core_->state; }

common::Status Subscription::notify(std::string_view body, std::string_view contentType,
                                    SubscriptionState state, std::string_view reason) {
    detail::SubscriptionCore& c = *core_;
    if (!c.nh || !c.stack || c.closing) return gone();
    if (hasLineBreak(contentType) || contentType.find(' ') != std::string_view::npos)
        return common::makeError(400, "bad content type");
    if (!body.empty() && contentType.empty()) return common::makeError(400, "a body needs a content type");
    if (body.find('\0') != std::string_view::npos) return common::makeError(400, "NUL in NOTIFY body");
    std::string subState;
    switch (state) {
        case SubscriptionState::Active: subState = "active"; break;
        case SubscriptionState::Pending: subState = "pending"; break;
        case SubscriptionState::Terminated: {
            std::string_view why = reason.empty() ? std::string_view("noresource") : reason;
            if (!isReasonToken(why)) return common::makeError(400, "bad subscription reason");
            subState = "terminated;reason=" + std::string(why);
            c.closing = true;
            c.endReason = "terminated";
            break;
        }
    }
    c.stack->sendNotify(c, std::string(body), std::string(contentType), subState);
    return {};
}

common::Status Subscription::notifyProgress(int status, std::string_view reason) {
    if (status < 100 || status > 699) return common::makeError(400, "bad status code");
    if (hasLineBreak(reason)) return common::makeError(400, "bad reason phrase");
    std::string phrase(reason);
    if (phrase.empty()) {
        const char* standard = sip_status_phrase(status);
        phrase = standard ? standard : "Unknown";
    }
    std::string frag = "SIP/2.0 " + std::to_string(status) + " " + phrase + "\r\n";
    return notify(frag, "message/sipfrag;version=2.0",
                  status >= 200 ? SubscriptionState::Terminated : SubscriptionState::Active,
                  "noresource");
}

common::Status Subscription::terminate(std::string_view reason) {
    if (!core_->nh || core_->closing) return {};
    return notify({}, {}, SubscriptionState::Terminated, reason);
}

}  // namespace parley::proto::sip
