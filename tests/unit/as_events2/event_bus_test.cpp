// EventBus order and re-entrancy; the JSON form of an event.
#include <catch2/catch.hpp>

#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "as/events/event_bus.hpp"

using parley::as::AsEvent;
using parley::as::EventBus;
using parley::as::toJson;

namespace {

AsEvent event(const std::string& type, const std::string& room = "r1") {
    AsEvent e;
    e.type = type;
    e.room = room;
    return e;
}

std::chrono::system_clock::time_point at20261121() {  // 2026-11-21T10:00:00.123Z
    return std::chrono::system_clock::time_point(std::chrono::seconds(1795255200)) +
           std::chrono::milliseconds(123);
}

}  // namespace

TEST_CASE("as events2: toJson has every member in the documented form", "[as_events2]") {
    AsEvent e;
    e.seq = 42;
    e.type = "participant.joined";
    e.room = "r1";
    e.participant = "p3";
    e.callId = "abc@host";
    e.at = at20261121();
    e.dataJson = R"({"uri":"sip:alice@example.com"})";
    e.eventsUrl = "http://hooks.example/x";
    CHECK(
        toJson(e) ==
        R"({"seq":42,"type":"participant.joined","room":"r1","participant":"p3","callId":"abc@host",)"
        R"("at":"2026-11-21T10:00:00.123Z","data":{"uri":"sip:alice@example.com"}})");
}

TEST_CASE("as events2: toJson escapes strings and is valid JSON", "[as_events2]") {
    AsEvent e;
    e.seq = 1;
    e.type = "dtmf";
    e.room = "quote\" back\\slash\nline\x01";
    e.dataJson = "";
    const std::string json = toJson(e);
    Poco::JSON::Parser parser;
    auto obj = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
    CHECK(obj->getValue<std::string>("room") == e.room);
    CHECK(obj->getValue<int>("seq") == 1);
    CHECK(obj->getObject("data")->size() == 0);
    CHECK(obj->getValue<std::string>("at") == "1970-01-01T00:00:00.000Z");
    CHECK_FALSE(obj->has("eventsUrl"));
}

TEST_CASE("as events2: the bus numbers events and calls listeners in order", "[as_events2]") {
    EventBus bus;
    std::vector<std::string> seen;
    bus.subscribe([&](const AsEvent& e) { seen.push_back("a" + std::to_string(e.seq)); });
    bus.subscribe([&](const AsEvent& e) { seen.push_back("b" + std::to_string(e.seq)); });
    CHECK(bus.publish(event("conference.started")) == 1);
    CHECK(bus.publish(event("participant.joined")) == 2);
    CHECK(seen == std::vector<std::string>{"a1", "b1", "a2", "b2"});
    CHECK(bus.lastSeq() == 2);
}

TEST_CASE("as events2: the bus stamps the time when the publisher did not", "[as_events2]") {
    EventBus bus;
    std::chrono::system_clock::time_point got{};
    bus.subscribe([&](const AsEvent& e) { got = e.at; });
    const auto before = std::chrono::system_clock::now();
    bus.publish(event("dtmf"));
    CHECK(got >= before);
    AsEvent fixed = event("dtmf");
    fixed.at = at20261121();
    bus.publish(fixed);
    CHECK(got == at20261121());
}

TEST_CASE("as events2: an event published by a listener reaches everyone after the current one",
          "[as_events2]") {
    EventBus bus;
    std::vector<std::string> seen;
    bus.subscribe([&](const AsEvent& e) {
        seen.push_back("a" + std::to_string(e.seq));
        if (e.type == "participant.joined") bus.publish(event("participant.talking.started"));
    });
    bus.subscribe([&](const AsEvent& e) { seen.push_back("b" + std::to_string(e.seq)); });
    bus.publish(event("participant.joined"));
    CHECK(seen == std::vector<std::string>{"a1", "b1", "a2", "b2"});
}

TEST_CASE("as events2: listeners may unsubscribe and subscribe while being called",
          "[as_events2]") {
    EventBus bus;
    std::vector<std::string> seen;
    std::uint64_t a = 0;
    a = bus.subscribe([&](const AsEvent& e) {
        seen.push_back("a" + std::to_string(e.seq));
        bus.unsubscribe(a);
        bus.subscribe([&](const AsEvent& e2) { seen.push_back("c" + std::to_string(e2.seq)); });
    });
    bus.subscribe([&](const AsEvent& e) { seen.push_back("b" + std::to_string(e.seq)); });
    bus.publish(event("x"));
    bus.publish(event("y"));
    CHECK(seen == std::vector<std::string>{"a1", "b1", "b2", "c2"});
    CHECK(bus.listenerCount() == 2);
    bus.unsubscribe(12345);  // unknown: ignored
    CHECK(bus.listenerCount() == 2);
}
