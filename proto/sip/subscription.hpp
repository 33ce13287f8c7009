#pragma once
// Subscription: the notifier side of one event subscription (RFC 6665), shared as
// SubscriptionRef. Made by the stack for an accepted SUBSCRIBE (event "conference"...) or an
// accepted REFER (event "refer", RFC 3515: its progress goes out as message/sipfrag).
//
// Contracts:
// - Loop thread only, like Dialog. Actions queue a NOTIFY and return; a NOTIFY that fails
//   with 481 or a timeout ends the subscription.
// - Every subscription given to the handler (SipHandler::onSubscribe or onRefer) ends with
//   exactly one SipHandler::onSubscriptionTerminated(), also when the stack shuts down. After
//   terminate() or that report, actions return Error{481}.
// - SUBSCRIBE: notify() called inside onSubscribe() is sent right after the stack's 200;
//   when the handler accepts without calling it, the stack sends a bodiless NOTIFY (active)
//   at once, as RFC 6665 section 4.2.1.2 requires. A fetch (Expires: 0) ends after that one
//   NOTIFY (Subscription-State: terminated;reason=timeout).
// - Refreshes and expiry belong to the stack: a refresh is answered 200 with the granted
//   Expires and a copy of the last NOTIFY (sofia does this; onSubscriptionRefreshed() tells
//   the handler), an unsubscribe (Expires: 0) gets a final NOTIFY, an expired subscription
//   gets NOTIFY terminated;reason=timeout.
// - REFER: the stack answers 202 and sends "SIP/2.0 100 Trying" itself; the application
//   sends the rest with notifyProgress(); a final status (>= 200) ends the subscription.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/result.hpp"

namespace parley::proto::sip {

namespace detail {
struct SubscriptionCore;
}

enum class SubscriptionState { Pending, Active, Terminated };

class Subscription {
public:
    explicit Subscription(std::unique_ptr<detail::SubscriptionCore> core);
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // Event package ("conference", "refer") and the whole Event value ("refer;id=7").
    const std::string& event() const;
    const std::string& eventHeader() const;
    const std::string& resourceUri() const;  // Request-URI of the SUBSCRIBE or REFER
    const std::string& subscriberUri() const;  // From URI
    const std::string& callId() const;
    bool fetch() const;               // SUBSCRIBE with Expires: 0
    bool inDialog() const;            // shares an INVITE dialog (in-dialog REFER/SUBSCRIBE)
    // Seconds granted by the last (re-)SUBSCRIBE and when it runs out.
    uint32_t grantedExpires() const;
    common::TimePoint expiresAt() const;
    SubscriptionState state() const;
    bool terminated() const { return state() == SubscriptionState::Terminated; }

    // Sends a NOTIFY with this body (may be empty). state Terminated ends the subscription
    // with `reason` (RFC 6665 section 4.1.3: "noresource", "rejected", "deactivated"...).
    common::Status notify(std::string_view body, std::string_view contentType,
                          SubscriptionState state = SubscriptionState::Active,
                          std::string_view reason = {});
    // REFER progress: "SIP/2.0 <status> <reason>" as message/sipfrag; status >= 200 is final
    // and ends the subscription (reason=noresource).
    common::Status notifyProgress(int status, std::string_view reason = {});
    // Ends the subscription with a bodiless NOTIFY terminated;reason=<reason>. Ok when already
    // terminated.
    common::Status terminate(std::string_view reason = "noresource");

    detail::SubscriptionCore& core() { return *core_; }

private:
    std::unique_ptr<detail::SubscriptionCore> core_;
};

using SubscriptionRef = std::shared_ptr<Subscription>;

}  // namespace parley::proto::sip
