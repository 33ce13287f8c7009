// Two control channels on one parley-ms (RFC 7058 section 8): each sees and touches only
// its own conferences and connections; another channel's get a framework 403; a channel
// that goes away takes its conferences and legs with it, and the other keeps mixing.

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"

namespace parley::test::media {

namespace pm = proto::mixer;

TEST_CASE("ms media: two channels at once: audits, 403 on foreign resources, cleanup on close",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as1 = ms.connectAs();
    auto as2 = ms.connectAs();
    auto a1 = as1->call("a1", 400);
    auto b1 = as1->call("b1", 600);
    auto a2 = as2->call("a2", 800);
    auto b2 = as2->call("b2", 1000);
    std::string conf1 = as1->createConference();
    std::string conf2 = as2->createConference();
    as1->joinOk(a1->connectionId, conf1);
    as1->joinOk(b1->connectionId, conf1);
    as2->joinOk(a2->connectionId, conf2);
    as2->joinOk(b2->connectionId, conf2);
    REQUIRE(a1->hears(600));
    REQUIRE(a2->hears(1000));

    auto auditOf = [](ControlAs& as) {
        auto r = as.request(mixerBody("<audit capabilities=\"false\"/>"));
        REQUIRE(r.status == 200);
        REQUIRE(r.message);
        auto audit = std::get<pm::AuditResponse>(*r.message);
        REQUIRE(audit.mixers);
        return *audit.mixers;
    };
    auto m1 = auditOf(*as1);
    REQUIRE(m1.conferences.size() == 1);
    CHECK(m1.conferences[0].conferenceId == conf1);
    CHECK(m1.joins.size() == 2);
    for (const auto& j : m1.joins) CHECK((j.id1 == conf1 || j.id2 == conf1));
    auto m2 = auditOf(*as2);
    REQUIRE(m2.conferences.size() == 1);
    CHECK(m2.conferences[0].conferenceId == conf2);

    // RFC 7058 figure 59: AS2 joining its own leg to AS1's conference gets a 403.
    CHECK(as2->request(mixerBody("<join id1=\"" + a2->connectionId + "\" id2=\"" + conf1 + "\"/>"))
              .status == 403);
    CHECK(as2->request(mixerBody("<join id1=\"" + a1->connectionId + "\" id2=\"" + conf2 + "\"/>"))
              .status == 403);
    CHECK(as2->request(mixerBody("<destroyconference conferenceid=\"" + conf1 + "\"/>")).status ==
          403);
    CHECK(as2->request(mixerBody("<modifyconference conferenceid=\"" + conf1 +
                                 "\"><audio-mixing type=\"controller\"/></modifyconference>"))
              .status == 403);
    CHECK(as2->request(mixerBody("<audit conferenceid=\"" + conf1 + "\"/>")).status == 403);
    CHECK(
        as2->request(mixerBody("<unjoin id1=\"" + a1->connectionId + "\" id2=\"" + conf1 + "\"/>"))
            .status == 403);
    CHECK(as2->request(mixerBody("<createconference conferenceid=\"" + conf1 + "\"/>")).status ==
          403);
    // Nothing changed for AS1.
    a1->ep->clearReceived();
    CHECK(a1->hears(600));
    CHECK(auditOf(*as1).joins.size() == 2);

    // AS1's channel goes away: its conference is destroyed and its legs are hung up.
    as1->closeChannel();
    CHECK(as1->sip().waitBye(a1->dialog, 15s));
    CHECK(as1->sip().waitBye(b1->dialog, 15s));
    CHECK(a1->ep->waitUntil([&] { return a1->ep->arrivalStats(500ms).packets == 0; }, 15s));
    // AS2 keeps mixing and now sees conf1 as unknown.
    b2->ep->clearReceived();
    CHECK(b2->hears(800));
    auto again = as2->request(mixerBody("<audit conferenceid=\"" + conf1 + "\"/>"));
    REQUIRE(again.message);
    CHECK(std::get<pm::AuditResponse>(*again.message).status == 406);
    CHECK(ms.alive());
}

}  // namespace parley::test::media
