#include "tests/unit/as_store/store_checks.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

namespace parley::test::store {

using as::CdrQuery;
using as::CdrRecord;
using as::RecordingRecord;
using as::RoomConfig;
using as::RoomQuery;
using as::RoomStore;
using as::RouteConfig;
using Clock = std::chrono::system_clock;

namespace {

// A time with microsecond precision, as the store keeps it.
Clock::time_point at(std::int64_t seconds, std::int64_t micros = 0) {
    return Clock::time_point(std::chrono::seconds(1'700'000'000 + seconds) +
                             std::chrono::microseconds(micros));
}

RoomConfig room(const std::string& name, bool locked = false) {
    RoomConfig r;
    r.name = name;
    r.locked = locked;
    return r;
}

RouteConfig route(const std::string& id, const std::string& match, RouteConfig::Kind kind,
                  const std::string& target, int priority = 100) {
    RouteConfig r;
    r.id = id;
    r.match = match;
    r.kind = kind;
    r.target = target;
    r.priority = priority;
    return r;
}

CdrRecord cdr(const std::string& room, std::int64_t minute) {
    CdrRecord c;
    c.callId = "call-" + room + "-" + std::to_string(minute) + "@198.51.100.7";
    c.room = room;
    c.participant = "p" + std::to_string(minute);
    c.from = "sip:alice@example.com";
    c.to = "sip:" + room + "@conf.example.com";
    c.direction = minute % 2 ? "outbound" : "inbound";
    c.endReason = "bye";
    c.startedAt = at(minute * 60, 123456);
    c.joinedAt = minute == 3 ? Clock::time_point() : at(minute * 60 + 5, 7);
    c.endedAt = at(minute * 60 + 50);
    return c;
}

RecordingRecord recording(const std::string& id, const std::string& room, std::int64_t second) {
    RecordingRecord r;
    r.id = id;
    r.room = room;
    r.mediaUri = "file:///var/lib/parley-ms/recordings/" + id + ".wav";
    r.state = "recording";
    r.startedAt = at(second, 999999);
    return r;
}

std::vector<std::string> names(const std::vector<RoomConfig>& rooms) {
    std::vector<std::string> out;
    for (const auto& r : rooms) out.push_back(r.name);
    return out;
}

std::vector<std::string> ids(const std::vector<RouteConfig>& routes) {
    std::vector<std::string> out;
    for (const auto& r : routes) out.push_back(r.id);
    return out;
}

std::string matched(RoomStore& store, const std::string& user, const std::string& uri) {
    auto m = store.matchRoute(user, uri);
    REQUIRE_OK(m);
    return m->has_value() ? (*m)->id : std::string("(none)");
}

}  // namespace

std::unique_ptr<RoomStore> openStore(const std::string& uri) {
    auto store = RoomStore::open(uri);
    INFO((store ? std::string() : store.error().message));
    REQUIRE(store);
    return std::move(*store);
}

void checkRoomFieldsV2(RoomStore& store) {
    RoomConfig r = room("recorded");
    r.recordFromStart = true;
    r.eventsUrl = "https://hooks.example.com/parley?x=1";
    r.pin = "1234";
    REQUIRE_OK(store.put(r));
    auto found = store.find("recorded");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK(**found == r);

    r.recordFromStart = false;
    r.eventsUrl = "";
    REQUIRE_OK(store.put(r));
    found = store.find("recorded");
    REQUIRE_OK(found);
    CHECK(**found == r);

    for (std::string bad : {"ftp://x.example.com/", "https://", "http:// spaced.example.com",
                            "https://h:0/", "https://h:70000/", "hooks.example.com/x"}) {
        r.eventsUrl = bad;
        INFO(bad);
        auto refused = store.put(r);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == 400);
        CHECK_THAT(refused.error().message, Catch::StartsWith("eventsUrl:"));
    }
}

void checkRoomQuery(RoomStore& store) {
    for (const auto& r :
         {room("a1"), room("a2"), room("a3", true), room("b1", true), room("a_x"), room("A9")})
        REQUIRE_OK(store.put(r));

    auto all = store.query(RoomQuery{});
    REQUIRE_OK(all);
    CHECK(all->second == 6);
    CHECK(names(all->first).size() == 6);

    auto a = store.query(RoomQuery{"a", std::nullopt, 0, 100});
    REQUIRE_OK(a);
    CHECK(a->second == 4);  // names are case-sensitive: "A9" is not an "a" room
    CHECK(names(a->first) == std::vector<std::string>{"a1", "a2", "a3", "a_x"});

    // '_' and '%' are no wildcards here.
    auto underscore = store.query(RoomQuery{"a_", std::nullopt, 0, 100});
    REQUIRE_OK(underscore);
    CHECK(names(underscore->first) == std::vector<std::string>{"a_x"});

    auto locked = store.query(RoomQuery{"", true, 0, 100});
    REQUIRE_OK(locked);
    CHECK(names(locked->first) == std::vector<std::string>{"a3", "b1"});
    auto unlockedA = store.query(RoomQuery{"a", false, 0, 100});
    REQUIRE_OK(unlockedA);
    CHECK(names(unlockedA->first) == std::vector<std::string>{"a1", "a2", "a_x"});

    auto page = store.query(RoomQuery{"a", std::nullopt, 1, 2});
    REQUIRE_OK(page);
    CHECK(page->second == 4);
    CHECK(names(page->first) == std::vector<std::string>{"a2", "a3"});
    auto past = store.query(RoomQuery{"a", std::nullopt, 50, 2});
    REQUIRE_OK(past);
    CHECK(past->second == 4);
    CHECK(past->first.empty());
    auto none = store.query(RoomQuery{"zz", std::nullopt, 0, 10});
    REQUIRE_OK(none);
    CHECK(none->second == 0);

    for (std::size_t limit : {std::size_t(0), as::kMaxPageSize + 1}) {
        auto refused = store.query(RoomQuery{"", std::nullopt, 0, limit});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == 400);
        CHECK_THAT(refused.error().message, Catch::StartsWith("limit:"));
    }
    auto huge = store.query(RoomQuery{"", std::nullopt, std::size_t(-1), as::kMaxPageSize});
    REQUIRE_OK(huge);
    CHECK(huge->first.empty());
}

void checkRoutes(RoomStore& store) {
    auto empty = store.listRoutes();
    REQUIRE_OK(empty);
    CHECK(empty->empty());

    RouteConfig hook = route("support", "support", RouteConfig::Kind::Webhook,
                             "https://app.example.com/calls?team=1", 20);
    hook.eventsUrl = "http://127.0.0.1:8080/events";
    hook.fallbackPrompt = "file:///usr/share/parley/prompts/sorry.wav";
    REQUIRE_OK(store.putRoute(hook));
    REQUIRE_OK(store.putRoute(route("echo", "echo", RouteConfig::Kind::App, "echo", 20)));
    REQUIRE_OK(store.putRoute(route("board", "board-*", RouteConfig::Kind::Room, "board-room", 5)));

    auto found = store.findRoute("support");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK(**found == hook);
    auto missing = store.findRoute("nope");
    REQUIRE_OK(missing);
    CHECK_FALSE(missing->has_value());

    auto list = store.listRoutes();
    REQUIRE_OK(list);
    CHECK(ids(*list) == std::vector<std::string>{"board", "echo", "support"});

    // Replacing by id.
    hook.priority = 1;
    hook.kind = RouteConfig::Kind::Room;
    hook.target = "helpdesk";
    hook.fallbackPrompt = "";
    REQUIRE_OK(store.putRoute(hook));
    found = store.findRoute("support");
    REQUIRE_OK(found);
    CHECK(**found == hook);
    list = store.listRoutes();
    REQUIRE_OK(list);
    CHECK(ids(*list) == std::vector<std::string>{"support", "board", "echo"});

    auto removed = store.removeRoute("echo");
    REQUIRE_OK(removed);
    CHECK(*removed);
    removed = store.removeRoute("echo");
    REQUIRE_OK(removed);
    CHECK_FALSE(*removed);
    list = store.listRoutes();
    REQUIRE_OK(list);
    CHECK(ids(*list) == std::vector<std::string>{"support", "board"});

    // Invalid routes are refused with the field named, and nothing is written.
    struct Bad {
        RouteConfig r;
        const char* field;
    };
    RouteConfig base = route("x", "x", RouteConfig::Kind::App, "clock");
    std::vector<Bad> bad;
    auto with = [&](auto change, const char* field) {
        RouteConfig r = base;
        change(r);
        bad.push_back({r, field});
    };
    with([](RouteConfig& r) { r.id = "Upper"; }, "id:");
    with([](RouteConfig& r) { r.id = ""; }, "id:");
    with([](RouteConfig& r) { r.id = std::string(65, 'a'); }, "id:");
    with([](RouteConfig& r) { r.match = ""; }, "match:");
    with([](RouteConfig& r) { r.match = "has space"; }, "match:");
    with([](RouteConfig& r) { r.match = std::string(257, 'm'); }, "match:");
    with([](RouteConfig& r) { r.target = "Echo!"; }, "target:");
    with(
        [](RouteConfig& r) {
            r.kind = RouteConfig::Kind::Room;
            r.target = "bad room";
        },
        "target:");
    with(
        [](RouteConfig& r) {
            r.kind = RouteConfig::Kind::Webhook;
            r.target = "ftp://x/";
        },
        "target:");
    with([](RouteConfig& r) { r.eventsUrl = "not a url"; }, "eventsUrl:");
    with([](RouteConfig& r) { r.priority = -1; }, "priority:");
    with([](RouteConfig& r) { r.priority = 1000001; }, "priority:");
    with([](RouteConfig& r) { r.fallbackPrompt = "no-scheme"; }, "fallbackPrompt:");
    with([](RouteConfig& r) { r.fallbackPrompt = "file:/a b.wav"; }, "fallbackPrompt:");
    for (const auto& b : bad) {
        auto refused = store.putRoute(b.r);
        INFO(b.field);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == 400);
        CHECK_THAT(refused.error().message, Catch::StartsWith(b.field));
    }
    list = store.listRoutes();
    REQUIRE_OK(list);
    CHECK(list->size() == 2);
}

void checkRouteMatching(RoomStore& store) {
    CHECK(matched(store, "support", "sip:support@as.example.com") == "(none)");
    REQUIRE_OK(store.putRoute(route("support", "support", RouteConfig::Kind::Webhook,
                                    "https://app.example.com/support")));
    REQUIRE_OK(store.putRoute(route("us-555", "+1555*", RouteConfig::Kind::App, "echo")));
    REQUIRE_OK(store.putRoute(route("us", "+1*", RouteConfig::Kind::Room, "us-callers")));
    REQUIRE_OK(store.putRoute(
        route("catch-all", "*", RouteConfig::Kind::Webhook, "http://127.0.0.1:9/any", 1000)));
    REQUIRE_OK(store.putRoute(
        route("trunk", "sip:*@trunk.example.com", RouteConfig::Kind::Room, "trunk-room", 50)));

    CHECK(matched(store, "support", "sip:support@as.example.com") == "support");
    CHECK(matched(store, "+15551234", "sip:+15551234@as.example.com") == "us-555");
    CHECK(matched(store, "+19995551234", "sip:+19995551234@as.example.com") == "us");
    CHECK(matched(store, "Support", "sip:Support@as.example.com") == "catch-all");  // exact case
    CHECK(matched(store, "x", "sip:x@other.example.com") == "catch-all");
    // Priority before length: the trunk route (50) wins over "support" (100).
    CHECK(matched(store, "support", "sip:support@TRUNK.example.com") == "trunk");
    // Same priority and literal length: the smaller id.
    REQUIRE_OK(store.putRoute(route("a-support", "suppor*", RouteConfig::Kind::App, "clock")));
    REQUIRE_OK(store.putRoute(route("b-support", "*upport", RouteConfig::Kind::App, "clock")));
    CHECK(matched(store, "support", "sip:support@as.example.com") == "support");
    REQUIRE_OK(store.removeRoute("support"));
    CHECK(matched(store, "support", "sip:support@as.example.com") == "a-support");

    REQUIRE_OK(store.removeRoute("catch-all"));
    CHECK(matched(store, "x", "sip:x@other.example.com") == "(none)");
    CHECK(matched(store, "", "") == "(none)");
}

void checkCdrs(RoomStore& store) {
    std::vector<CdrRecord> written;
    std::int64_t last = 0;
    for (std::int64_t minute = 0; minute < 6; ++minute) {
        CdrRecord c = cdr(minute < 4 ? "r1" : "r2", minute);
        c.id = 777;  // ignored
        auto id = store.addCdr(c);
        REQUIRE_OK(id);
        CHECK(*id > last);
        last = *id;
        c.id = *id;
        written.push_back(c);
    }

    auto r1 = store.listCdrs(CdrQuery{"r1", std::nullopt, std::nullopt, 0, 100});
    REQUIRE_OK(r1);
    CHECK(r1->second == 4);
    REQUIRE(r1->first.size() == 4);
    // Newest first, every field back as written (microseconds kept, epoch "never joined").
    CHECK(r1->first[0] == written[3]);
    CHECK(r1->first[3] == written[0]);
    CHECK(r1->first[0].joinedAt == Clock::time_point());

    auto all = store.listCdrs(CdrQuery{});
    REQUIRE_OK(all);
    CHECK(all->second == 6);
    CHECK(all->first.front() == written[5]);

    auto window = store.listCdrs(CdrQuery{"", at(60, 123456), at(4 * 60, 123456), 0, 100});
    REQUIRE_OK(window);
    CHECK(window->second == 3);  // since is inclusive, until exclusive
    REQUIRE(window->first.size() == 3);
    CHECK(window->first[0] == written[3]);
    CHECK(window->first[2] == written[1]);

    auto page = store.listCdrs(CdrQuery{"", std::nullopt, std::nullopt, 2, 2});
    REQUIRE_OK(page);
    CHECK(page->second == 6);
    REQUIRE(page->first.size() == 2);
    CHECK(page->first[0] == written[3]);
    CHECK(page->first[1] == written[2]);

    // Same start time: the later id first.
    CdrRecord twin = cdr("r2", 5);
    auto twinId = store.addCdr(twin);
    REQUIRE_OK(twinId);
    auto r2 = store.listCdrs(CdrQuery{"r2", std::nullopt, std::nullopt, 0, 1});
    REQUIRE_OK(r2);
    CHECK(r2->second == 3);
    REQUIRE(r2->first.size() == 1);
    CHECK(r2->first[0].id == *twinId);

    CdrRecord bad = cdr("r1", 9);
    bad.direction = "sideways";
    auto refused = store.addCdr(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 400);
    bad = cdr("r1", 9);
    bad.endReason = std::string(1025, 'x');
    refused = store.addCdr(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 400);
    auto badPage = store.listCdrs(CdrQuery{"", std::nullopt, std::nullopt, 0, 0});
    REQUIRE_FALSE(badPage);
    CHECK(badPage.error().code == 400);
    all = store.listCdrs(CdrQuery{});
    REQUIRE_OK(all);
    CHECK(all->second == 7);
}

void checkRecordings(RoomStore& store) {
    auto missing = store.findRecording("rec-1");
    REQUIRE_OK(missing);
    CHECK_FALSE(missing->has_value());

    RecordingRecord one = recording("rec-1", "board", 10);
    REQUIRE_OK(store.putRecording(one));
    RecordingRecord two = recording("rec-2", "board", 20);
    two.participant = "p7";
    REQUIRE_OK(store.putRecording(two));
    REQUIRE_OK(store.putRecording(recording("rec-3", "other", 30)));

    auto found = store.findRecording("rec-1");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK(**found == one);

    one.state = "ready";
    one.endedAt = at(70, 1);
    one.duration = std::chrono::milliseconds(60001);
    REQUIRE_OK(store.putRecording(one));
    found = store.findRecording("rec-1");
    REQUIRE_OK(found);
    CHECK(**found == one);

    auto board = store.listRecordings("board", 0, 100);
    REQUIRE_OK(board);
    CHECK(board->second == 2);
    REQUIRE(board->first.size() == 2);
    CHECK(board->first[0] == two);  // newest first
    CHECK(board->first[1] == one);
    auto all = store.listRecordings("", 1, 1);
    REQUIRE_OK(all);
    CHECK(all->second == 3);
    REQUIRE(all->first.size() == 1);
    CHECK(all->first[0].id == "rec-2");

    RecordingRecord bad = recording("rec-9", "board", 1);
    bad.state = "paused";
    auto refused = store.putRecording(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == 400);
    CHECK_THAT(refused.error().message, Catch::StartsWith("state:"));
    bad = recording("rec 9", "board", 1);
    refused = store.putRecording(bad);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::StartsWith("id:"));
    bad = recording("rec-9", "bad room", 1);
    refused = store.putRecording(bad);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::StartsWith("room:"));
    bad = recording("rec-9", "board", 1);
    bad.duration = std::chrono::milliseconds(-1);
    refused = store.putRecording(bad);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::StartsWith("duration:"));
    auto badPage = store.listRecordings("", 0, 0);
    REQUIRE_FALSE(badPage);
    CHECK(badPage.error().code == 400);
}

void checkValuesAreData(RoomStore& store) {
    const std::string nasty = "x'); DROP TABLE cdrs; -- ? $1 $2 ''";
    CdrRecord c = cdr("r1", 1);
    c.callId = nasty;
    c.from = "sip:o'brien@example.com?subject=$1";
    c.endReason = "?";
    auto id = store.addCdr(c);
    REQUIRE_OK(id);
    c.id = *id;
    auto back = store.listCdrs(CdrQuery{"r1", std::nullopt, std::nullopt, 0, 10});
    REQUIRE_OK(back);
    REQUIRE(back->first.size() == 1);
    CHECK(back->first[0] == c);

    RouteConfig r = route("quoted", "sip:'?*$1@*", RouteConfig::Kind::Webhook,
                          "https://h.example.com/a?b='c'&d=$2");
    REQUIRE_OK(store.putRoute(r));
    auto found = store.findRoute("quoted");
    REQUIRE_OK(found);
    REQUIRE(found->has_value());
    CHECK(**found == r);
    CHECK(matched(store, "u", "sip:'?x$1@host") == "quoted");

    RoomConfig room1 = room("q'uote");
    auto refused = store.put(room1);  // not a room name
    REQUIRE_FALSE(refused);
    auto prefixed = store.query(RoomQuery{"' OR 1=1 --", std::nullopt, 0, 10});
    REQUIRE_OK(prefixed);
    CHECK(prefixed->second == 0);
}

void checkReopenKeepsEverything(const StoreOpener& open) {
    RoomConfig r = room("kept");
    r.recordFromStart = true;
    r.eventsUrl = "https://e.example.com/";
    RouteConfig rt = route("kept-route", "kept*", RouteConfig::Kind::Room, "kept", 3);
    CdrRecord c = cdr("kept", 2);
    RecordingRecord rec = recording("kept-rec", "kept", 2);
    {
        auto store = open();
        REQUIRE_OK(store->put(r));
        REQUIRE_OK(store->putRoute(rt));
        auto id = store->addCdr(c);
        REQUIRE_OK(id);
        c.id = *id;
        REQUIRE_OK(store->putRecording(rec));
    }
    auto store = open();
    auto room = store->find("kept");
    REQUIRE_OK(room);
    REQUIRE(room->has_value());
    CHECK(**room == r);
    auto route = store->findRoute("kept-route");
    REQUIRE_OK(route);
    REQUIRE(route->has_value());
    CHECK(**route == rt);
    auto cdrs = store->listCdrs(CdrQuery{"kept", std::nullopt, std::nullopt, 0, 10});
    REQUIRE_OK(cdrs);
    REQUIRE(cdrs->first.size() == 1);
    CHECK(cdrs->first[0] == c);
    auto recording = store->findRecording("kept-rec");
    REQUIRE_OK(recording);
    REQUIRE(recording->has_value());
    CHECK(**recording == rec);
    // Ids keep counting after a reopen.
    auto next = store->addCdr(cdr("kept", 3));
    REQUIRE_OK(next);
    CHECK(*next > c.id);
}

}  // namespace parley::test::store
