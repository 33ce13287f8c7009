// Per-stream settings heard on the wire: mute (RFC 7058 6.3.5/6.4.3 media half), a
// recvonly participant, and a gain change.

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"

namespace parley::test::media {

namespace pm = proto::mixer;

TEST_CASE("ms media: muting a participant: the others stop hearing it, it still hears them",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto [a, b, c, conf] = as->threeParty();
    REQUIRE(b->hears(400));
    REQUIRE(c->hears(400));

    const std::string mute =
        "<stream media=\"audio\" direction=\"sendonly\">"
        "<volume controltype=\"setstate\" value=\"mute\"/></stream>"
        "<stream media=\"audio\" direction=\"recvonly\"/>";
    REQUIRE(as->modifyJoin(a->connectionId, conf, mute) == 200);
    CHECK(b->ep->waitUntil([&] { return b->level(400) < kNotHeard; }, kToneTimeout));
    CHECK(c->ep->waitUntil([&] { return c->level(400) < kNotHeard; }, kToneTimeout));
    {
        INFO(b->describe());
        CHECK(b->hears(800));
    }
    {
        INFO(a->describe());
        CHECK(a->hears(600));
        CHECK(a->hears(800));
    }

    const std::string unmute =
        "<stream media=\"audio\" direction=\"sendonly\">"
        "<volume controltype=\"setstate\" value=\"unmute\"/></stream>"
        "<stream media=\"audio\" direction=\"recvonly\"/>";
    REQUIRE(as->modifyJoin(a->connectionId, conf, unmute) == 200);
    INFO(b->describe());
    CHECK(b->hears(400));
}

TEST_CASE("ms media: a recvonly participant hears the room and is not heard", "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    auto listener = as->call("listener", 1000);
    std::string conf = as->createConference();
    as->joinOk(a->connectionId, conf);
    as->joinOk(b->connectionId, conf);
    as->joinOk(listener->connectionId, conf, "<stream media=\"audio\" direction=\"recvonly\"/>");
    {
        INFO(listener->describe());
        CHECK(listener->hears(400));
        CHECK(listener->hears(600));
    }
    REQUIRE(a->hears(600));
    INFO(a->describe() << "\n" << b->describe());
    CHECK(a->level(1000) < kNotHeard);
    CHECK(b->level(1000) < kNotHeard);

    // Turning it around (sendonly: talks, hears nothing).
    REQUIRE(as->modifyJoin(listener->connectionId, conf,
                           "<stream media=\"audio\" direction=\"sendonly\"/>") == 200);
    CHECK(a->hears(1000));
    CHECK(listener->ep->waitForSilence(kListen, kToneTimeout));
}

TEST_CASE("ms media: setgain changes how loud a participant is heard", "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    std::string conf = as->createConference();
    as->joinOk(a->connectionId, conf);
    as->joinOk(b->connectionId, conf);
    REQUIRE(b->hears(400));
    const double before = b->level(400);

    REQUIRE(as->modifyJoin(a->connectionId, conf,
                           "<stream media=\"audio\" direction=\"sendonly\">"
                           "<volume controltype=\"setgain\" value=\"-12\"/></stream>"
                           "<stream media=\"audio\" direction=\"recvonly\"/>") == 200);
    bool lowered = b->ep->waitUntil([&] { return b->level(400) < before - 8; }, kToneTimeout);
    INFO(b->describe() << " before " << before);
    CHECK(lowered);
    const double after = b->level(400);
    CHECK(after > before - 16);
    CHECK(after < before - 8);
    CHECK(a->hears(600));  // the other direction is untouched
}

}  // namespace parley::test::media

namespace parley::test::media {

TEST_CASE("ms media: RFC 4733 digits pass a direct connection unless the flow is clamped",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    as->joinOk(a->connectionId, b->connectionId);
    REQUIRE(b->hears(400));

    a->ep->sendDigits("159#");
    {
        bool got = b->ep->waitForDigits(4, 15s);
        INFO(b->describe());
        CHECK(got);
        CHECK(b->ep->receivedDigits() == "159#");
    }

    // Clamp the a -> b flow: no digit reaches b any more, audio still does.
    REQUIRE(as->modifyJoin(a->connectionId, b->connectionId,
                           "<stream media=\"audio\" direction=\"sendonly\"><clamp/></stream>"
                           "<stream media=\"audio\" direction=\"recvonly\"/>") == 200);
    b->ep->clearReceived();
    a->ep->sendDigits("73");
    CHECK(a->ep->waitUntil([&] { return !a->ep->digitsPending(); }, 10s));
    CHECK(b->hears(400));
    // (The last end packets of the "#" before may still trickle in: look for the new ones.)
    // A forwarded digit would arrive well within 2 s of the end of the sending.
    const bool leaked = b->ep->waitUntil(
        [&] {
            const std::string d = b->ep->receivedDigits();
            return d.find('7') != std::string::npos || d.find('3') != std::string::npos;
        },
        2s);
    INFO("digits after the clamp: " << b->ep->receivedDigits());
    CHECK_FALSE(leaked);
}

}  // namespace parley::test::media
