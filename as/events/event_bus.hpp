#pragma once
// EventBus: what happens in conferences and scripted calls, as numbered events, for the
// webhook sender (as/events/webhook_sender.hpp) and the WebSocket stream
// (as/events/event_stream.hpp).
//
// Thread rules: the bus belongs to the SIP loop thread. publish(), subscribe() and
// unsubscribe() are called there, and listeners run there, synchronously, in subscription
// order. A listener must be quick and must not block: the webhook sender and the event
// stream only queue the event for their own threads.
//
// Order: seq is 1, 2, 3... in publication order, and every listener sees events in seq
// order, even when a listener publishes (that event is delivered after the current one has
// reached every listener). A listener may subscribe or unsubscribe (itself included) while
// being called; a listener added during a publication sees the next event first.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

namespace parley::as {

struct AsEvent {
    std::uint64_t seq = 0;        // set by the bus: 1, 2, 3... in publication order
    std::string type;             // "conference.started", "participant.joined", "dtmf"...
    std::string room;             // room name, "" when the event is about a call outside rooms
    std::string participant;      // participant id ("p12"), or the scripted call's id ("c7")
    std::string callId;           // SIP Call-ID of the user's dialog, "" when none
    std::string dataJson = "{}";  // type-specific members as a JSON object text
    std::chrono::system_clock::time_point at{};  // the bus sets now() when left at epoch
    std::string eventsUrl;  // where the webhook goes ("" none): the room's or route's
};

// {"seq":N,"type":"...","room":"...","participant":"...","callId":"...",
//  "at":"2026-11-21T10:00:00.123Z","data":{...}}. dataJson is inserted as is ("{}" when
// empty); eventsUrl is not part of the document.
std::string toJson(const AsEvent& e);

// "2026-11-21T10:00:00.123Z": UTC, milliseconds.
std::string isoTimestamp(std::chrono::system_clock::time_point t);

class EventBus {
  public:
    using Listener = std::function<void(const AsEvent&)>;

    // Returns the event's seq.
    std::uint64_t publish(AsEvent e);
    // Returns an id for unsubscribe(); 0 is never an id.
    std::uint64_t subscribe(Listener l);
    // Unknown ids are ignored.
    void unsubscribe(std::uint64_t id);

    std::uint64_t lastSeq() const { return seq_; }
    std::size_t listenerCount() const { return listeners_.size(); }

  private:
    void deliver(const AsEvent& e);

    std::uint64_t seq_ = 0;
    std::uint64_t nextListenerId_ = 1;
    std::map<std::uint64_t, Listener> listeners_;  // ordered by id = subscription order
    std::deque<AsEvent> pending_;                  // published by a listener, not yet delivered
    bool delivering_ = false;
};

}  // namespace parley::as
