// RFC 7058 section 6 scenarios on parley-ms with real audio: the test is the AS (control
// dialog, media dialogs, msc-mixer/1.0 requests) and each phone is a TestRtpEndpoint
// sending its own tone; what each phone hears is checked with Goertzel tone detection.

#include <catch2/catch.hpp>

#include "ms/rtp/recv_ring.hpp"
#include "ms/rtp/send_ring.hpp"
#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::media {
namespace {

namespace pm = proto::mixer;

#define EXPECT_HEARS(phone, freq)           \
    do {                                    \
        bool heard_ = (phone)->hears(freq); \
        INFO((phone)->describe());          \
        CHECK(heard_);                      \
    } while (0)

#define EXPECT_NOT_HEARS(phone, freq)            \
    do {                                         \
        INFO((phone)->describe());               \
        CHECK((phone)->level(freq) < kNotHeard); \
    } while (0)

// ControlAs::threeParty(): each phone hears the two others (400, 600, 800 Hz), not itself.
void checkEachHearsTheTwoOthers(const ControlAs::ThreeParty& room) {
    const auto& [a, b, c, conf] = room;
    EXPECT_HEARS(a, 600);
    EXPECT_HEARS(a, 800);
    EXPECT_HEARS(b, 400);
    EXPECT_HEARS(b, 800);
    EXPECT_HEARS(c, 400);
    EXPECT_HEARS(c, 600);
    EXPECT_NOT_HEARS(a, 400);
    EXPECT_NOT_HEARS(b, 600);
    EXPECT_NOT_HEARS(c, 800);
}

}  // namespace

TEST_CASE("ms media: RFC 7058 6.1.1 direct echo: a connection joined with itself hears itself",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    // Nothing joined: the phone hears silence.
    REQUIRE(a->ep->waitForPackets(20, 10s));
    CHECK(a->level(400) < kNotHeard);

    as->joinOk(a->connectionId, a->connectionId);
    EXPECT_HEARS(a, 400);

    CHECK(as->unjoin(a->connectionId, a->connectionId) == 200);
    auto n = as->waitEvent(
        [&](const pm::Event& e) { return isUnjoinNotify(e, a->connectionId, a->connectionId, 0); });
    CHECK(n);
    CHECK(a->ep->waitForSilence(kListen, kToneTimeout));
    CHECK(ms.alive());
}

TEST_CASE("ms media: RFC 7058 6.2.1 direct connection: two joined legs hear each other",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    as->joinOk(a->connectionId, b->connectionId);
    EXPECT_HEARS(a, 600);
    EXPECT_HEARS(b, 400);
    EXPECT_NOT_HEARS(a, 400);
    EXPECT_NOT_HEARS(b, 600);

    // A second join of the same pair is 408; unjoin ends the path.
    CHECK(as->join(a->connectionId, b->connectionId) == 408);
    CHECK(as->unjoin(b->connectionId, a->connectionId) == 200);
    CHECK(a->ep->waitForSilence(kListen, kToneTimeout));
    CHECK(b->ep->waitForSilence(kListen, kToneTimeout));
}

TEST_CASE("ms media: RFC 7058 6.2.2 conference-based phone call", "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    std::string conf = as->createConference("reserved-talkers=\"2\" reserved-listeners=\"2\"");
    as->joinOk(a->connectionId, conf);
    as->joinOk(b->connectionId, conf);
    EXPECT_HEARS(a, 600);
    EXPECT_HEARS(b, 400);
    EXPECT_NOT_HEARS(a, 400);
    EXPECT_NOT_HEARS(b, 600);
    // The reservation holds: a third talker does not fit.
    auto c = as->call("c", 800);
    CHECK(as->join(c->connectionId, conf) == 410);
}

TEST_CASE("ms media: RFC 7058 6.3.1 three-party conference: each hears the two others, not itself",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto room = as->threeParty("",
                               "<audio-mixing type=\"nbest\"/><subscribe><active-talkers-sub "
                               "interval=\"1\"/></subscribe>");
    auto& [a, b, c, conf] = room;
    checkEachHearsTheTwoOthers(room);

    // Active talkers arrive at the subscribed interval.
    auto talkers = as->waitEvent([&](const pm::Event& e) { return isActiveTalkers(e, conf); }, 15s);
    REQUIRE(talkers);
    CHECK_FALSE(std::get<pm::ActiveTalkersNotify>(*talkers).talkers.empty());

    // Audit shows the conference and its participants.
    auto r =
        as->request(mixerBody("<audit capabilities=\"false\" conferenceid=\"" + conf + "\"/>"));
    REQUIRE(r.message);
    auto& audit = std::get<pm::AuditResponse>(*r.message);
    REQUIRE(audit.mixers);
    REQUIRE(audit.mixers->conferences.size() == 1);
    CHECK(audit.mixers->conferences[0].participants.value_or(std::vector<std::string>{}).size() ==
          3);
    CHECK(audit.mixers->joins.size() == 3);

    // destroyconference: the response, then one unjoin-notify per participant, then the exit.
    auto d = as->response(mixerBody("<destroyconference conferenceid=\"" + conf + "\"/>"));
    CHECK(d.status == 200);
    for (auto* p : {a.get(), b.get(), c.get()}) {
        CHECK(as->waitEvent(
            [&](const pm::Event& e) { return isUnjoinNotify(e, p->connectionId, conf, 2); }));
    }
    CHECK(as->waitEvent([&](const pm::Event& e) { return isConferenceExit(e, conf); }));
    CHECK(a->ep->waitForSilence(kListen, kToneTimeout));
    CHECK(as->join(a->connectionId, conf) == 406);
}

// How many media workers send (or receive) through io_uring, from parley-ms's /metrics; -1
// if absent.
double ioUringWorkers(MediaServerUnderTest& ms, const std::string& metric) {
    auto v = parley::test::reCapture(ms.metrics(), "\n" + metric + " ([0-9]+)");
    return v ? std::stod(*v) : -1;
}

TEST_CASE("ms media: RTP through io_uring by default, sendto() and recvmmsg() with "
          "--media-io-uring off; a three-party conference sounds the same either way",
          "[ms][media][e2e]") {
    // Whether this kernel lets a process use io_uring (parley-ms falls back to sendto() and
    // recvmmsg() when it does not, and says so in /metrics).
    const bool kernelSends = parley::ms::rtp::SendRing::create(4).ok();
    const bool kernelReceives = parley::ms::rtp::RecvRing::create(4).ok();
    for (const bool ring : {true, false}) {
        INFO("--media-io-uring " << (ring ? "on" : "off"));
        MediaServerUnderTest ms(ring ? std::vector<std::string>{"--media-workers", "2"}
                                     : std::vector<std::string>{"--media-workers", "2",
                                                                "--media-io-uring", "off"});
        CHECK(ioUringWorkers(ms, "parley_ms_media_workers_io_uring") ==
              (ring && kernelSends ? 2 : 0));
        CHECK(ioUringWorkers(ms, "parley_ms_media_workers_io_uring_receive") ==
              (ring && kernelReceives ? 2 : 0));
        auto as = ms.connectAs();
        checkEachHearsTheTwoOthers(as->threeParty());
    }
}

TEST_CASE("ms media: RFC 7058 6.3.3 coaching: the customer never hears the coach",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto customer = as->call("customer", 400);
    auto agent = as->call("agent", 600);
    auto coach = as->call("coach", 800);
    std::string conf = as->createConference("reserved-talkers=\"3\" reserved-listeners=\"2\"");
    as->joinOk(customer->connectionId, conf, "<stream media=\"audio\" direction=\"sendonly\"/>");
    as->joinOk(agent->connectionId, conf, "<stream media=\"audio\" direction=\"sendrecv\"/>");
    as->joinOk(coach->connectionId, conf,
               "<stream media=\"audio\" direction=\"sendrecv\">"
               "<volume controltype=\"setgain\" value=\"-3\"/></stream>");
    as->joinOk(customer->connectionId, agent->connectionId,
               "<stream media=\"audio\" direction=\"recvonly\"/>");

    EXPECT_HEARS(customer, 600);  // the agent, directly
    EXPECT_HEARS(agent, 400);     // the customer
    EXPECT_HEARS(agent, 800);     // the coach
    EXPECT_HEARS(coach, 400);
    EXPECT_HEARS(coach, 600);
    EXPECT_NOT_HEARS(customer, 800);
    EXPECT_NOT_HEARS(customer, 400);
    EXPECT_NOT_HEARS(agent, 600);
    EXPECT_NOT_HEARS(coach, 800);
    // The coach whispers: 3 dB below the customer at the agent's ear.
    INFO(agent->describe());
    CHECK(agent->level(800) < agent->level(400) - 1.5);
}

TEST_CASE("ms media: RFC 7058 6.3.4 sidebar: the sidebar hears the main room quieter, not back",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    auto c = as->call("c", 800);
    auto d = as->call("d", 1000);
    std::string main = as->createConference();
    for (auto* p : {a.get(), b.get(), c.get(), d.get()}) as->joinOk(p->connectionId, main);
    EXPECT_HEARS(a, 1000);

    // B and D leave for a sidebar that hears the main mix at -10 dB.
    std::string side = as->createConference();
    CHECK(as->unjoin(b->connectionId, main) == 200);
    CHECK(as->unjoin(d->connectionId, main) == 200);
    as->joinOk(b->connectionId, side);
    as->joinOk(d->connectionId, side);
    as->joinOk(side, main,
               "<stream media=\"audio\" direction=\"recvonly\">"
               "<volume controltype=\"setgain\" value=\"-10\"/></stream>");

    // What the phones heard a moment ago is the old room: listen to the new mix only.
    REQUIRE(b->fresh());
    auto quietMain = [&] { return b->level(400) < b->level(1000) - 6; };
    {
        bool settled = b->ep->waitUntil(quietMain, kToneTimeout);
        INFO(b->describe());
        CHECK(settled);
        double direct = b->level(1000);
        double background = b->level(400);
        CHECK(direct > kHeard);         // D, in the sidebar
        CHECK(background > kNotHeard);  // the main room, in the background
        CHECK(background < direct - 6);
        CHECK(background > direct - 16);
    }
    EXPECT_HEARS(d, 600);
    // The main room hears A and C only.
    // (Each condition also asks for the tone that must stay, so a gap in what the phone
    // received cannot pass for silence.)
    CHECK(a->ep->waitUntil(
        [&] {
            return a->level(800) > kHeard && a->level(600) < kNotHeard && a->level(1000) < kNotHeard;
        },
        kToneTimeout));
    CHECK(c->ep->waitUntil(
        [&] {
            return c->level(400) > kHeard && c->level(600) < kNotHeard && c->level(1000) < kNotHeard;
        },
        kToneTimeout));
    EXPECT_HEARS(a, 800);
    EXPECT_HEARS(c, 400);
    for (auto* p : {a.get(), c.get()}) REQUIRE(p->fresh());
    EXPECT_NOT_HEARS(a, 600);
    EXPECT_NOT_HEARS(a, 1000);
    EXPECT_NOT_HEARS(c, 600);
    EXPECT_NOT_HEARS(c, 1000);
    // A loop of conferences is refused.
    CHECK(as->join(main, side) == 408);
    std::string third = as->createConference();
    as->joinOk(third, side);
    CHECK(as->join(third, main) == 411);
}

}  // namespace parley::test::media

namespace parley::test::media {

TEST_CASE("ms media: legs placed on different workers are brought together when joined",
          "[ms][media][e2e]") {
    MediaServerUnderTest ms({"--media-workers", "3"});
    auto as = ms.connectAs();
    auto a = as->call("a", 400);
    auto b = as->call("b", 600);
    auto c = as->call("c", 800);
    // One leg per worker: joining a and b moves one of them; the conference then pulls c.
    as->joinOk(a->connectionId, b->connectionId);
    REQUIRE(a->hears(600));
    REQUIRE(b->hears(400));
    CHECK(as->unjoin(a->connectionId, b->connectionId) == 200);
    std::string conf = as->createConference();
    for (auto* p : {c.get(), a.get(), b.get()}) as->joinOk(p->connectionId, conf);
    a->ep->clearReceived();
    {
        INFO(a->describe());
        CHECK(a->hears(600));
        CHECK(a->hears(800));
    }
    INFO(c->describe());
    CHECK(c->hears(400));
    const std::string text = ms.metrics();
    auto at = text.find("\nparley_ms_media_leg_moves_total ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stod(text.substr(at + 33)) >= 2);
}

}  // namespace parley::test::media
