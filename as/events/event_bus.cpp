#include "as/events/event_bus.hpp"

#include <cstdio>
#include <ctime>
#include <utility>

#include "common/http_server.hpp"

namespace parley::as {

std::string isoTimestamp(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    long long frac = ms % 1000;
    if (frac < 0) {  // before 1970: floor, not truncate
        frac += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

std::string toJson(const AsEvent& e) {
    using common::jsonQuote;
    std::string out;
    out.reserve(128 + e.type.size() + e.room.size() + e.participant.size() + e.callId.size() +
                e.dataJson.size());
    out += "{\"seq\":";
    out += std::to_string(e.seq);
    out += ",\"type\":" + jsonQuote(e.type);
    out += ",\"room\":" + jsonQuote(e.room);
    out += ",\"participant\":" + jsonQuote(e.participant);
    out += ",\"callId\":" + jsonQuote(e.callId);
    out += ",\"at\":\"" + isoTimestamp(e.at) + "\"";
    out += ",\"data\":";
    out += e.dataJson.empty() ? std::string("{}") : e.dataJson;
    out += "}";
    return out;
}

std::uint64_t EventBus::publish(AsEvent e) {
    e.seq = ++seq_;
    if (e.at == std::chrono::system_clock::time_point{}) e.at = std::chrono::system_clock::now();
    if (e.dataJson.empty()) e.dataJson = "{}";
    const std::uint64_t seq = e.seq;
    if (delivering_) {
        pending_.push_back(std::move(e));
        return seq;
    }
    delivering_ = true;
    deliver(e);
    while (!pending_.empty()) {
        AsEvent next = std::move(pending_.front());
        pending_.pop_front();
        deliver(next);
    }
    delivering_ = false;
    return seq;
}

void EventBus::deliver(const AsEvent& e) {
    // Walk by id so that listeners may subscribe or unsubscribe while being called.
    std::uint64_t lastCalled = 0;
    const std::uint64_t limit = nextListenerId_;  // listeners added now start with the next event
    for (auto it = listeners_.upper_bound(lastCalled); it != listeners_.end() && it->first < limit;
         it = listeners_.upper_bound(lastCalled)) {
        lastCalled = it->first;
        Listener l = it->second;  // a copy: the listener may unsubscribe itself
        l(e);
    }
}

std::uint64_t EventBus::subscribe(Listener l) {
    const std::uint64_t id = nextListenerId_++;
    listeners_.emplace(id, std::move(l));
    return id;
}

void EventBus::unsubscribe(std::uint64_t id) {
    listeners_.erase(id);
}

}  // namespace parley::as
