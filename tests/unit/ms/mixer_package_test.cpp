// MixerPackage against fake channels and an unstarted media plane: ownership between two
// channels (framework 403, audits), the events a request causes and their order, what a
// leg's end and a channel's end do.

#include <catch2/catch.hpp>

#include "ms/control/mixer_package.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "tests/unit/ms/package_fakes.hpp"

namespace parley::ms {
namespace {

namespace pm = proto::mixer;

const std::string kMix = "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";

std::string body(const std::string& inner) {
    return kMix + inner + "</mscmixer>";
}

int status(MixerPackage& h, FakeContext& ctx, const std::string& inner) {
    Answer a = ask(h, ctx, body(inner));
    if (a.status != 200) return -a.status;  // framework status, negated
    auto m = pm::parse(a.body);
    REQUIRE(m);
    if (auto* r = std::get_if<pm::Response>(&*m)) return r->status;
    return std::get<pm::AuditResponse>(*m).status;
}

pm::Event event(const std::string& text) {
    auto m = pm::parse(text);
    REQUIRE(m);
    REQUIRE(std::holds_alternative<pm::Event>(*m));
    return std::get<pm::Event>(*m);
}

struct TwoChannels {
    PlaneFixture pf;
    FakeDirectory dir;
    FakeContext one{1};
    FakeContext two{2};
    MixerPackage h{pf.plane, &dir};
    TwoChannels() {
        dir.contexts = {&one, &two};
        pf.addLeg("a:1", 1);  // the SIP side saw channel 1's AS set it up
        pf.addLeg("b:1", 2);
        pf.addLeg("free:1");  // nobody's yet: the first to name it gets it
    }
};

}  // namespace

TEST_CASE("ms: mixer package: another channel's conference or leg is a framework 403",
          "[ms][mixer][ownership]") {
    TwoChannels t;
    REQUIRE(status(t.h, t.one, "<createconference conferenceid=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.two, "<createconference conferenceid=\"c2\"/>") == 200);

    CHECK(status(t.h, t.two, "<join id1=\"b:1\" id2=\"c1\"/>") == -403);
    CHECK(status(t.h, t.two, "<join id1=\"a:1\" id2=\"c2\"/>") == -403);
    CHECK(status(t.h, t.two, "<destroyconference conferenceid=\"c1\"/>") == -403);
    CHECK(status(t.h, t.two, "<createconference conferenceid=\"c1\"/>") == -403);
    CHECK(status(t.h, t.two, "<audit conferenceid=\"c1\"/>") == -403);
    CHECK(status(t.h, t.two,
                 "<modifyconference conferenceid=\"c1\"><audio-mixing type=\"controller\"/>"
                 "</modifyconference>") == -403);
    // Nothing changed: c1 is still channel 1's and empty.
    CHECK(t.pf.plane.graph().joins().empty());

    // An unclaimed leg goes to the first channel that names it successfully.
    CHECK(status(t.h, t.two, "<join id1=\"free:1\" id2=\"c2\"/>") == 200);
    CHECK(t.pf.plane.connectionOwner("free:1") == 2);
    CHECK(status(t.h, t.one, "<unjoin id1=\"free:1\" id2=\"c2\"/>") == -403);
    // A refused request does not claim.
    t.pf.addLeg("free:2");
    CHECK(status(t.h, t.one, "<join id1=\"free:2\" id2=\"nosuch\"/>") == 406);
    CHECK(t.pf.plane.connectionOwner("free:2") == 0);

    // Audits show only one's own.
    REQUIRE(status(t.h, t.one, "<join id1=\"a:1\" id2=\"c1\"/>") == 200);
    auto a1 = pm::parse(ask(t.h, t.one, body("<audit capabilities=\"false\"/>")).body);
    REQUIRE(a1);
    auto& m1 = *std::get<pm::AuditResponse>(*a1).mixers;
    REQUIRE(m1.conferences.size() == 1);
    CHECK(m1.conferences[0].conferenceId == "c1");
    REQUIRE(m1.joins.size() == 1);
    auto a2 = pm::parse(ask(t.h, t.two, body("<audit capabilities=\"false\"/>")).body);
    REQUIRE(a2);
    auto& m2 = *std::get<pm::AuditResponse>(*a2).mixers;
    REQUIRE(m2.conferences.size() == 1);
    CHECK(m2.conferences[0].conferenceId == "c2");
    REQUIRE(m2.joins.size() == 1);
    CHECK(m2.joins[0].id1 == "free:1");
}

TEST_CASE("ms: mixer package: destroyconference answers, then unjoin-notify each, then exit",
          "[ms][mixer]") {
    TwoChannels t;
    REQUIRE(status(t.h, t.one, "<createconference conferenceid=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.one, "<join id1=\"a:1\" id2=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.one, "<join id1=\"free:1\" id2=\"c1\"/>") == 200);
    t.one.events.clear();
    REQUIRE(status(t.h, t.one, "<destroyconference conferenceid=\"c1\"/>") == 200);
    REQUIRE(t.one.events.size() == 3);
    auto u1 = std::get<pm::UnjoinNotify>(event(t.one.events[0]));
    auto u2 = std::get<pm::UnjoinNotify>(event(t.one.events[1]));
    CHECK(u1.status == 2);
    CHECK(u2.status == 2);
    CHECK(std::get<pm::ConferenceExit>(event(t.one.events[2])).conferenceId == "c1");
    CHECK(t.two.events.empty());
    CHECK(status(t.h, t.one, "<destroyconference conferenceid=\"c1\"/>") == 406);
}

TEST_CASE("ms: mixer package: unjoin notifies status 0, a leg that ends notifies status 2",
          "[ms][mixer]") {
    TwoChannels t;
    REQUIRE(status(t.h, t.one, "<createconference conferenceid=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.one, "<join id1=\"a:1\" id2=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.one, "<join id1=\"a:1\" id2=\"a:1\"/>") == 200);  // echo too
    t.one.events.clear();
    REQUIRE(status(t.h, t.one, "<unjoin id1=\"a:1\" id2=\"a:1\"/>") == 200);
    REQUIRE(t.one.events.size() == 1);
    CHECK(std::get<pm::UnjoinNotify>(event(t.one.events[0])).status == 0);

    t.one.events.clear();
    t.pf.plane.removeLeg("a:1");  // the media dialog got a BYE
    REQUIRE(t.one.events.size() == 1);
    auto u = std::get<pm::UnjoinNotify>(event(t.one.events[0]));
    CHECK(u.status == 2);
    CHECK((u.id1 == "a:1" || u.id2 == "a:1"));
    CHECK(status(t.h, t.one, "<join id1=\"a:1\" id2=\"c1\"/>") == 412);
}

TEST_CASE("ms: mixer package: a channel's end destroys its conferences, unjoins its legs",
          "[ms][mixer]") {
    TwoChannels t;
    int hungUp = 0;
    {
        auto ports = t.pf.plane.allocatePorts();
        REQUIRE(ports);
        plane::LegOptions o;
        o.owner = 1;
        o.hangUp = [&] { ++hungUp; };
        REQUIRE(t.pf.plane.addLeg("c:1", std::move(*ports), rtp::MediaParams{}, o));
    }
    REQUIRE(status(t.h, t.one, "<createconference conferenceid=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.one, "<join id1=\"c:1\" id2=\"c1\"/>") == 200);
    REQUIRE(status(t.h, t.two, "<createconference conferenceid=\"c2\"/>") == 200);
    REQUIRE(status(t.h, t.two, "<join id1=\"b:1\" id2=\"c2\"/>") == 200);
    t.h.channelEnding(1);
    CHECK_FALSE(t.pf.plane.graph().hasConference("c1"));
    CHECK(t.pf.plane.graph().hasConference("c2"));
    CHECK(t.pf.plane.graph().joins().size() == 1);
    CHECK(hungUp == 1);
    CHECK(t.pf.plane.hasLeg("c:1"));  // until its dialog really ends
    CHECK(t.pf.plane.connectionOwner("c:1") == 0);
}

TEST_CASE("ms: mixer package: what cannot be mixed gets 425/423/424 and changes nothing",
          "[ms][mixer]") {
    TwoChannels t;
    CHECK(status(t.h, t.one,
                 "<createconference conferenceid=\"v\"><codecs><codec name=\"video\">"
                 "<subtype>H264</subtype></codec></codecs></createconference>") == 425);
    CHECK_FALSE(t.pf.plane.graph().hasConference("v"));
    CHECK(status(t.h, t.one,
                 "<createconference conferenceid=\"v\"><codecs><codec name=\"audio\">"
                 "<subtype>PCMA</subtype></codec></codecs></createconference>") == 200);
    CHECK(status(t.h, t.one, "<createconference reserved-talkers=\"100000\"/>") == 420);
}

}  // namespace parley::ms
