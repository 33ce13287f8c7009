#pragma once
// ConferenceEvents: one room's RFC 4575 "conference" event state and its subscribers. The
// documents come from ConferenceDocuments (conference_documents.hpp, which also defines
// ParticipantView and RoomView); this class numbers them per subscription and sends them.
//
// Contracts:
// - Loop thread only (the SipStack's EventLoop), like proto::sip::Subscription.
// - Versions are per subscription (RFC 4575 section 5.2): 1 for the full document that
//   subscribe() sends, then one more for every NOTIFY to that subscription.
// - Rate (RFC 4575 section 3.9): changes are merged, and the partial NOTIFYs go out at most
//   once per `minInterval` (default 250 ms): the first change after a quiet interval is
//   sent on the next turn of the loop, so a burst made in one callback is one NOTIFY, and
//   changes during the following interval wait for it to end and go out together. Every
//   subscriber gets the same partial at the same time. minInterval 0: each change is sent
//   at once from inside upsert()/remove()/setRoom() (tests).
// - A subscriber joining while changes wait gets the full document of the state already
//   published, then the waiting partial with everybody else, so what it builds by RFC 4575
//   section 4.6 is always the focus's state.
// - close(): the conference is gone (RFC 4575 section 3.3): every subscription gets a last
//   NOTIFY with a state="deleted" document and Subscription-State terminated;reason=
//   noresource, and the waiting changes are dropped. After close(), subscribe() answers the
//   same way at once and changes are ignored.
// - Subscriptions whose NOTIFY cannot be queued (terminated under us) are dropped. The
//   handler still calls forget() from onSubscriptionTerminated; unknown ones are ignored.
// - The destructor cancels the pending timer; it sends nothing (call close() first).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "as/events/conference_documents.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/subscription.hpp"

namespace parley::as {

class ConferenceEvents {
public:
    static constexpr std::chrono::milliseconds kDefaultMinInterval{250};

    ConferenceEvents(common::EventLoop& loop, RoomView room,
                     std::chrono::milliseconds minInterval = kDefaultMinInterval);
    ~ConferenceEvents();
    ConferenceEvents(const ConferenceEvents&) = delete;
    ConferenceEvents& operator=(const ConferenceEvents&) = delete;

    // Call from SipHandler::onSubscribe after deciding to accept (inside it, the NOTIFY
    // follows the 200): sends the full document, version 1 of this subscription. A fetch
    // gets the full document and ends (the stack does it); it is not kept. A subscription
    // already known is treated as refreshed().
    void subscribe(const proto::sip::SubscriptionRef& sub);
    // Call from SipHandler::onSubscriptionRefreshed: a full document with the next version,
    // so a subscriber that lost a NOTIFY is whole again (RFC 4575 section 4.6).
    void refreshed(const proto::sip::SubscriptionRef& sub);
    // Call from onSubscriptionTerminated (unknown subscriptions are ignored).
    void forget(const proto::sip::SubscriptionRef& sub);

    void upsert(const ParticipantView& participant);  // new or changed participant: partial
    // Participant gone: its user (or, when the user has other endpoints, its endpoint) is
    // published with state="deleted". A deleted element carries no children (RFC 4575
    // section 4.4), so `how` is logged, not published. Unknown keys are ignored.
    void remove(const std::string& key, proto::confinfo::DisconnectionMethod how);
    void setRoom(const RoomView& room);  // locked, active, display text, max users: partial
    // Room destroyed (RFC 4353 section 5.4): see above.
    void close();
    bool closed() const { return closed_; }

    std::string fullDocument() const;  // current state, no version (REST uses it)
    std::size_t subscriberCount() const { return subscribers_.size(); }
    std::uint64_t notifiesSent() const { return notifiesSent_; }
    const ConferenceDocuments& documents() const { return documents_; }

private:
    struct Subscriber {
        proto::sip::SubscriptionRef sub;
        std::uint32_t version = 0;  // of the last NOTIFY sent
    };

    void changed();
    void flush();
    // Sends `doc` with the subscriber's next version; false when the subscription is gone.
    bool send(Subscriber& s, proto::confinfo::ConferenceInfo doc,
              proto::sip::SubscriptionState state = proto::sip::SubscriptionState::Active);

    common::EventLoop& loop_;
    ConferenceDocuments documents_;
    common::Duration minInterval_;
    std::vector<Subscriber> subscribers_;
    common::EventLoop::TimerId timer_ = 0;
    common::TimePoint lastFlush_{};
    std::uint64_t notifiesSent_ = 0;
    bool closed_ = false;
};

}  // namespace parley::as
