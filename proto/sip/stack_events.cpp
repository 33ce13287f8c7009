// StackCore's share of SUBSCRIBE/NOTIFY as a notifier (RFC 6665), REFER (RFC 3515) and
// UPDATE (RFC 3311): what nua reports of them, turned into Subscription and Dialog events.
#include <sofia-sip/msg.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/log.hpp"
#include "proto/sip/stack_core.hpp"

namespace parley::proto::sip::detail {
namespace {

Poco::Logger& log() { return common::logger("sip"); }

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

bool equalsNoCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Splits the method parameter off a Refer-To URI: {target without it, METHOD}.
std::pair<std::string, std::string> splitReferMethod(const std::string& uri) {
    std::string head = uri;
    std::string tail;
    if (auto q = head.find('?'); q != std::string::npos) {
        tail = head.substr(q);
        head.resize(q);
    }
    std::string method = "INVITE";
    std::string target;
    std::size_t start = 0;
    bool first = true;
    while (start <= head.size()) {
        auto end = head.find(';', start);
        if (end == std::string::npos) end = head.size();
        std::string part = head.substr(start, end - start);
        if (!first && part.size() > 7 && equalsNoCase(std::string_view(part).substr(0, 7), "method=")) {
            method = part.substr(7);
            for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        } else {
            if (!first) target += ';';
            target += part;
        }
        first = false;
        start = end + 1;
    }
    return {target + tail, method};
}

}  // namespace

// How subscriptions on one handle are told apart: the package and its id parameter.
std::string eventKey(sip_event_t const* o) {
    if (!o || !o->o_type) return {};
    std::string key = o->o_type;
    if (char const* id = msg_params_find(o->o_params, "id=")) key += ";id=" + std::string(id);
    return key;
}


SubscriptionRef StackCore::findSubscription(nua_handle_t* nh, const std::string& eventKey) const {
    auto [begin, end] = subscriptions_.equal_range(nh);
    SubscriptionRef only;
    std::size_t n = 0;
    for (auto it = begin; it != end; ++it) {
        if (it->second->core().eventHeader == eventKey) return it->second;
        only = it->second;
        ++n;
    }
    // An Event without parameters matches the single subscription of its package.
    if (n == 1 && eventKey.find(';') == std::string::npos && only->core().event == eventKey) return only;
    return nullptr;
}

SubscriptionRef StackCore::makeSubscription(nua_handle_t* nh, bool ownsHandle, std::string eventKey,
                                            sip_t const* sip) {
    auto core = std::make_unique<SubscriptionCore>();
    core->stack = this;
    core->nh = nh;
    core->ownsHandle = ownsHandle;
    core->event = eventKey.substr(0, eventKey.find(';'));
    core->eventHeader = std::move(eventKey);
    if (sip->sip_request) core->resourceUri = urlText(sip->sip_request->rq_url);
    if (sip->sip_from) core->subscriberUri = urlText(sip->sip_from->a_url);
    if (sip->sip_call_id) core->callId = str(sip->sip_call_id->i_id);
    auto sub = std::make_shared<Subscription>(std::move(core));
    subscriptions_.emplace(nh, sub);
    return sub;
}

void StackCore::refuse(nua_handle_t* nh, bool ownsHandle, int status, const char* phrase,
                       const std::string& extraHeaders) {
    nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua_),
                TAG_IF(!extraHeaders.empty(), SIPTAG_HEADER_STR(extraHeaders.c_str())), TAG_END());
    if (ownsHandle && !subscriptions_.count(nh) && !dialogs_.count(nh)) nua_handle_destroy(nh);
}

namespace {

const char* phraseFor(StackCore& stack, const RequestAnswer& a) {
    const char* phrase = a.reason.empty() || a.reason.find_first_of("\r\n") != std::string::npos
                             ? nullptr
                             : stack.internPhrase(a.reason);
    if (!phrase) phrase = sip_status_phrase(a.status);
    return phrase ? phrase : "Unknown";
}

// Forgets a subscription the application refused: it never became one.
void dropRefused(std::unordered_multimap<nua_handle_t*, SubscriptionRef>& subs, const SubscriptionRef& s) {
    auto [begin, end] = subs.equal_range(s->core().nh);
    for (auto it = begin; it != end; ++it)
        if (it->second == s) {
            subs.erase(it);
            break;
        }
    s->core().state = SubscriptionState::Terminated;
    s->core().nh = nullptr;
    s->core().stack = nullptr;
}

}  // namespace

void StackCore::onSubscribe(int status, nua_handle_t* nh, sip_t const* sip, tagi_t tags[]) {
    if (!nh || !sip) return;
    std::string key = eventKey(sip->sip_event);
    uint32_t asked = sip->sip_expires
                         ? static_cast<uint32_t>(std::min<unsigned long>(sip->sip_expires->ex_delta, 0xffffffffUL))
                         : config_.subscribeDefaultExpires;
    if (SubscriptionRef sub = findSubscription(nh, key)) {
        // A refresh or an unsubscribe of a live subscription: nua answered 200 already and
        // sends the NOTIFY that goes with it.
        SubscriptionCore& c = sub->core();
        int substate = -1;
        tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
        if (substate == nua_substate_terminated || asked == 0) {
            if (!c.closing) {
                c.closing = true;
                c.endReason = "unsubscribed";
            }
            return;
        }
        c.granted = std::min(asked, config_.subscribeMaxExpires);
        c.expiresAt = common::Clock::now() + std::chrono::seconds(c.granted);
        SipHandler& h = c.handler ? *c.handler : handler_;
        h.onSubscriptionRefreshed(sub, toMessage(sip));
        return;
    }
    bool ownsHandle = !dialogs_.count(nh);
    if (status >= 200) {  // nua answered it (489, 403 for "refer"...)
        if (ownsHandle && !subscriptions_.count(nh)) nua_handle_destroy(nh);
        return;
    }
    if (subscriptions_.size() >= config_.maxSubscriptions) {
        PARLEY_LOG_WARN(log(), "SUBSCRIBE refused: " << subscriptions_.size() << " subscriptions live");
        refuse(nh, ownsHandle, 503, "Service Unavailable", "Retry-After: 30\r\n");
        return;
    }
    if (asked != 0 && asked < config_.subscribeMinExpires) {
        refuse(nh, ownsHandle, 423, "Interval Too Brief",
               "Min-Expires: " + std::to_string(config_.subscribeMinExpires) + "\r\n");
        return;
    }
    SubscriptionRef sub = makeSubscription(nh, ownsHandle, key, sip);
    SubscriptionCore& c = sub->core();
    DialogRef dialog = ownsHandle ? nullptr : find(nh);
    c.handler = dialog ? dialog->core().handler : nullptr;
    c.fetch = asked == 0;
    c.granted = std::min(asked, config_.subscribeMaxExpires);
    c.expiresAt = common::Clock::now() + std::chrono::seconds(c.granted);
    c.answering = true;
    SipHandler& h = c.handler ? *c.handler : handler_;
    RequestAnswer answer = h.onSubscribe(sub, toMessage(sip));
    c.answering = false;
    if (answer.status < 200 || answer.status > 699) answer = {500, "Server Internal Error"};
    if (answer.status >= 300 || !c.nh) {
        dropRefused(subscriptions_, sub);
        refuse(nh, ownsHandle, answer.status, phraseFor(*this, answer));
        return;
    }
    std::string expires = std::to_string(c.granted);
    nua_respond(nh, answer.status, phraseFor(*this, answer), NUTAG_WITH_THIS(nua_),
                SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
    c.state = SubscriptionState::Active;
    if (c.fetch && !c.closing) {
        c.closing = true;
        c.endReason = "fetch";
    }
    // RFC 6665 section 4.2.1.2: a NOTIFY follows the 200 at once.
    if (c.deferred) {
        c.deferred = false;
        if (c.deferredSubState == "pending") c.state = SubscriptionState::Pending;
        sendNotify(c, c.deferredBody, c.deferredType, c.deferredSubState);
    } else {
        sendNotify(c, {}, {}, "active");
    }
}

void StackCore::sendNotify(SubscriptionCore& s, const std::string& body, const std::string& type,
                           const std::string& subState) {
    if (s.answering || s.awaitingTrying) {
        s.deferred = true;
        s.deferredBody = body;
        s.deferredType = type;
        s.deferredSubState = subState;
        return;
    }
    if (!s.nh || !nua_) return;
    const bool terminating = subState.rfind("terminated", 0) == 0;
    if (!terminating) s.state = subState == "pending" ? SubscriptionState::Pending : SubscriptionState::Active;
    nua_notify(s.nh, SIPTAG_EVENT_STR(s.eventHeader.c_str()),
               TAG_IF(!body.empty(), SIPTAG_CONTENT_TYPE_STR(type.c_str())),
               TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())),
               TAG_IF(terminating, SIPTAG_SUBSCRIPTION_STATE_STR(subState.c_str())),
               TAG_IF(!terminating, NUTAG_SUBSTATE(subState == "pending" ? nua_substate_pending
                                                                          : nua_substate_active)),
               TAG_END());
}

void StackCore::onRefer(int status, nua_handle_t* nh, sip_t const* sip, tagi_t tags[]) {
    if (!nh || !sip) return;
    const bool ownsHandle = !dialogs_.count(nh);
    const bool initial = ownsHandle && !subscriptions_.count(nh);
    if (status >= 200) {  // nua answered it
        if (initial) nua_handle_destroy(nh);
        return;
    }
    if (!sip->sip_refer_to || !sip->sip_refer_to->r_url->url_scheme) {
        refuse(nh, ownsHandle, 400, "Missing Refer-To");
        return;
    }
    if (subscriptions_.size() >= config_.maxSubscriptions) {
        refuse(nh, ownsHandle, 503, "Service Unavailable", "Retry-After: 30\r\n");
        return;
    }
    sip_event_t const* o = nullptr;
    tl_gets(tags, NUTAG_REFER_EVENT_REF(o), TAG_END());
    std::string key = o ? eventKey(o) : std::string("refer");

    ReferRequest refer;
    refer.message = toMessage(sip);
    refer.referTo = refer.message.referTo;
    std::tie(refer.target, refer.method) = splitReferMethod(refer.referTo);
    refer.referredBy = refer.message.referredBy.empty() ? refer.message.fromUri : refer.message.referredBy;

    SubscriptionRef sub = makeSubscription(nh, ownsHandle, key, sip);
    SubscriptionCore& c = sub->core();
    DialogRef dialog = ownsHandle ? nullptr : find(nh);
    c.handler = dialog ? dialog->core().handler : nullptr;
    c.granted = config_.referExpires;
    c.expiresAt = common::Clock::now() + std::chrono::seconds(c.granted);
    c.answering = true;  // progress reported inside onRefer() follows our 202
    SipHandler& h = c.handler ? *c.handler : handler_;
    RequestAnswer answer = h.onRefer(sub, refer, dialog);
    c.answering = false;
    if (answer.status < 200 || answer.status > 699) answer = {500, "Server Internal Error"};
    if (answer.status >= 300 || !c.nh) {
        dropRefused(subscriptions_, sub);
        refuse(nh, ownsHandle, answer.status, phraseFor(*this, answer));
        return;
    }
    nua_respond(nh, answer.status, phraseFor(*this, answer), NUTAG_WITH_THIS(nua_), TAG_END());
    c.state = SubscriptionState::Active;
    // RFC 3515 section 2.4.4: the first NOTIFY says "100 Trying". nua sends it by itself
    // for a REFER that made a new handle; inside a dialog the stack sends it.
    // What the application reported inside onRefer() waits for that first NOTIFY.
    if (initial) {
        c.awaitingTrying = true;
        return;
    }
    sendNotify(c, "SIP/2.0 100 Trying\r\n", "message/sipfrag;version=2.0", "active");
    if (c.deferred) {
        c.deferred = false;
        sendNotify(c, c.deferredBody, c.deferredType, c.deferredSubState);
    }
}

void StackCore::onNotifyResponse(int status, char const* phrase, nua_handle_t* nh, tagi_t tags[]) {
    if (!nh || status < 200) return;
    sip_event_t const* o = nullptr;
    int substate = -1;
    tl_gets(tags, SIPTAG_EVENT_REF(o), NUTAG_SUBSTATE_REF(substate), TAG_END());
    SubscriptionRef sub = findSubscription(nh, eventKey(o));
    if (!sub && subscriptions_.count(nh) == 1) sub = subscriptions_.find(nh)->second;
    if (!sub) return;
    SubscriptionCore& c = sub->core();
    if (status >= 300)
        PARLEY_LOG_INFO(log(), "NOTIFY (" << c.eventHeader << ") got " << status << " " << str(phrase));
    if (c.awaitingTrying && substate != nua_substate_terminated) {
        c.awaitingTrying = false;
        if (c.deferred) {
            c.deferred = false;
            sendNotify(c, c.deferredBody, c.deferredType, c.deferredSubState);
        }
    }
    if (substate != nua_substate_terminated) return;
    std::string reason;
    if (shuttingDown_)
        reason = "stack shut down";
    else if (c.closing && !c.endReason.empty())
        reason = c.endReason;
    else if (status >= 300)
        reason = "notify failed: " + std::to_string(status);
    else
        reason = "timeout";
    finishSubscription(sub, reason);
}

void StackCore::finishSubscription(const SubscriptionRef& s, const std::string& reason) {
    SubscriptionCore& c = s->core();
    if (!c.nh) return;
    nua_handle_t* nh = c.nh;
    auto [begin, end] = subscriptions_.equal_range(nh);
    for (auto it = begin; it != end; ++it)
        if (it->second == s) {
            subscriptions_.erase(it);
            break;
        }
    c.state = SubscriptionState::Terminated;
    c.closing = true;
    c.nh = nullptr;
    c.stack = nullptr;
    SipHandler& h = c.handler ? *c.handler : handler_;
    if (c.ownsHandle && !subscriptions_.count(nh) && !dialogs_.count(nh)) nua_handle_destroy(nh);
    h.onSubscriptionTerminated(s, reason);
}

void StackCore::finishSubscriptionsOn(nua_handle_t* nh, const std::string& reason) {
    if (!nh) return;
    std::vector<SubscriptionRef> on;
    auto [begin, end] = subscriptions_.equal_range(nh);
    for (auto it = begin; it != end; ++it) on.push_back(it->second);
    for (auto& s : on) finishSubscription(s, reason);
}

void StackCore::onUpdate(const DialogRef& d, int status, sip_t const* sip) {
    DialogCore& c = d->core();
    if (status >= 200 || !sip) return;  // nua answered it
    if (c.updateRequest) {  // one at a time (RFC 3311 section 5.2)
        nua_respond(c.nh, 500, "Server Internal Error", NUTAG_WITH_THIS(nua_),
                    SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
        return;
    }
    msg_t* request = nua_current_request(nua_);
    if (!request) return;
    c.updateRequest = msg_ref_create(request);
    handlerFor(c).onUpdate(d, toMessage(sip));
}

void StackCore::onUpdateResponse(const DialogRef& d, int status, sip_t const* sip) {
    DialogCore& c = d->core();
    if (status < 200) return;
    if (!c.clientUpdatePending) {  // a session refresh nua sent by itself
        PARLEY_LOG_DEBUG(log(), "SIP session refresh (UPDATE) on " << c.callId << ": " << status);
        return;
    }
    c.clientUpdatePending = false;
    SipMessage msg = toMessage(sip);
    if (msg.status == 0) msg.status = status;
    handlerFor(c).onUpdateResponse(d, msg);
}

}  // namespace parley::proto::sip::detail
