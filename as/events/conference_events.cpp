#include "as/events/conference_events.hpp"

#include <algorithm>
#include <utility>

#include "common/log.hpp"

namespace parley::as {

namespace ci = proto::confinfo;
namespace psip = proto::sip;

namespace {

Poco::Logger& log() { return common::logger("as.events"); }

const std::string kContentType(ci::kContentType);

}  // namespace

ConferenceEvents::ConferenceEvents(common::EventLoop& loop, RoomView room, std::chrono::milliseconds minInterval)
    : loop_(loop),
      documents_(std::move(room)),
      minInterval_(std::chrono::duration_cast<common::Duration>(std::max(minInterval, std::chrono::milliseconds(0)))) {}

ConferenceEvents::~ConferenceEvents() {
    if (timer_ != 0) loop_.cancelTimer(timer_);
}

bool ConferenceEvents::send(Subscriber& s, ci::ConferenceInfo doc, psip::SubscriptionState state) {
    doc.version = s.version + 1;
    auto sent = s.sub->notify(ci::write(doc), kContentType, state, "noresource");
    if (!sent) {
        PARLEY_LOG_DEBUG(log(), documents_.room().uri << ": NOTIFY to " << s.sub->subscriberUri()
                                                      << " not sent: " << sent.error().message);
        return false;
    }
    s.version = *doc.version;
    ++notifiesSent_;
    return true;
}

void ConferenceEvents::subscribe(const psip::SubscriptionRef& sub) {
    if (!sub || sub->terminated()) return;
    Subscriber s{sub, 0};
    if (closed_) {
        send(s, documents_.deleted(), psip::SubscriptionState::Terminated);
        return;
    }
    auto known = std::find_if(subscribers_.begin(), subscribers_.end(),
                              [&](const Subscriber& o) { return o.sub == sub; });
    if (known != subscribers_.end()) {  // subscribed twice: versions go on
        refreshed(sub);
        return;
    }
    if (!send(s, documents_.published())) return;
    if (sub->fetch()) return;
    subscribers_.push_back(std::move(s));
    PARLEY_LOG_DEBUG(log(), documents_.room().uri << ": " << sub->subscriberUri() << " subscribed ("
                                                  << subscribers_.size() << " subscribers)");
}

void ConferenceEvents::refreshed(const psip::SubscriptionRef& sub) {
    auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                           [&](const Subscriber& o) { return o.sub == sub; });
    if (it == subscribers_.end()) return;
    if (!send(*it, documents_.published())) subscribers_.erase(it);
}

void ConferenceEvents::forget(const psip::SubscriptionRef& sub) {
    auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                           [&](const Subscriber& o) { return o.sub == sub; });
    if (it != subscribers_.end()) subscribers_.erase(it);
}

void ConferenceEvents::upsert(const ParticipantView& participant) {
    if (closed_) return;
    documents_.upsert(participant);
    changed();
}

void ConferenceEvents::remove(const std::string& key, ci::DisconnectionMethod how) {
    if (closed_) return;
    if (!documents_.remove(key)) return;
    PARLEY_LOG_DEBUG(log(), documents_.room().uri << ": participant " << key << " " << ci::toString(how));
    changed();
}

void ConferenceEvents::setRoom(const RoomView& room) {
    if (closed_) return;
    documents_.setRoom(room);
    changed();
}

void ConferenceEvents::changed() {
    if (!documents_.pending() || timer_ != 0) return;
    if (minInterval_ == common::Duration::zero()) {
        flush();
        return;
    }
    common::TimePoint due = std::max(common::Clock::now(), lastFlush_ + minInterval_);
    timer_ = loop_.addTimerAt(due, [this] {
        timer_ = 0;
        flush();
    });
}

void ConferenceEvents::flush() {
    auto partial = documents_.takePartial();
    if (!partial) return;
    lastFlush_ = common::Clock::now();
    // notify() only queues a NOTIFY (it calls no handler), so the list stays as it is.
    std::vector<Subscriber> gone;
    for (auto& s : subscribers_) {
        if (!send(s, *partial)) gone.push_back(s);
    }
    for (const auto& g : gone) forget(g.sub);
}

void ConferenceEvents::close() {
    if (closed_) return;
    closed_ = true;
    if (timer_ != 0) {
        loop_.cancelTimer(timer_);
        timer_ = 0;
    }
    auto subscribers = std::move(subscribers_);
    subscribers_.clear();
    const ci::ConferenceInfo last = documents_.deleted();
    for (auto& s : subscribers) send(s, last, psip::SubscriptionState::Terminated);
    PARLEY_LOG_DEBUG(log(), documents_.room().uri << ": closed, " << subscribers.size() << " subscriptions ended");
}

std::string ConferenceEvents::fullDocument() const { return ci::write(documents_.current()); }

}  // namespace parley::as
