// Defaults RFC 6505 gives to absent attributes, status codes, and the reply builders.

#include <catch2/catch.hpp>

#include <string>

#include "mixer_test_util.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

using namespace parley::proto::mixer;
using parley::test::mixer::doc;

TEST_CASE("mixer_pkg: createconference defaults", "[mixer][defaults]") {
    auto m =
        parse(doc("<createconference><audio-mixing/><video-layouts><video-layout><single-view/></"
                  "video-layout>"
                  "</video-layouts><video-switch><vas/></video-switch>"
                  "<subscribe><active-talkers-sub/></subscribe></createconference>"));
    REQUIRE(m);
    const auto& cc = std::get<CreateConference>(*m);
    CHECK_FALSE(cc.conferenceId.has_value());  // the MS chooses
    CHECK(cc.reservedTalkers == 0);
    CHECK(cc.reservedListeners == 0);
    CHECK_FALSE(cc.settings.codecs.has_value());
    REQUIRE(cc.settings.audioMixing);
    CHECK(cc.settings.audioMixing->type == AudioMixType::nbest);
    CHECK(cc.settings.audioMixing->n == 0);
    REQUIRE(cc.settings.videoLayouts);
    CHECK((*cc.settings.videoLayouts)[0].minParticipants == 1);
    REQUIRE(cc.settings.videoSwitch);
    CHECK(cc.settings.videoSwitch->interval == std::chrono::seconds(3));
    CHECK_FALSE(cc.settings.videoSwitch->activeSpeakerMix);
    REQUIRE(cc.settings.subscribe);
    REQUIRE(cc.settings.subscribe->activeTalkers);
    CHECK(cc.settings.subscribe->activeTalkers->interval == std::chrono::seconds(3));

    auto bare = parse(doc("<createconference/>"));
    REQUIRE(bare);
    CHECK(std::get<CreateConference>(*bare).settings.empty());
    auto sub = parse(doc("<createconference><subscribe/></createconference>"));
    REQUIRE(sub);
    CHECK_FALSE(std::get<CreateConference>(*sub).settings.subscribe->activeTalkers.has_value());
}

TEST_CASE("mixer_pkg: stream defaults", "[mixer][defaults]") {
    auto m =
        parse(doc("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><clamp/></stream>"
                  "<stream media=\"video\"/></join>"));
    REQUIRE(m);
    const auto& j = std::get<Join>(*m);
    REQUIRE(j.streams.size() == 2);
    const Stream& s = j.streams[0];
    CHECK(s.media == "audio");
    CHECK(s.direction == Direction::sendrecv);
    CHECK_FALSE(s.label.has_value());
    CHECK_FALSE(s.volume.has_value());
    CHECK_FALSE(s.priority.has_value());  // kDefaultPriority applies
    REQUIRE(s.clamp);
    CHECK(s.clamp->tones.size() == 16);  // every DTMF tone
    CHECK(s.clamp->tones == Clamp{}.tones);
    CHECK(j.streams[1].direction == Direction::sendrecv);
    CHECK(kDefaultPriority == 100);

    auto some =
        parse(doc("<join id1=\"a:b\" id2=\"c\"><stream media=\"audio\"><clamp tones=\" 1  #\"/>"
                  "</stream></join>"));
    REQUIRE(some);
    CHECK(std::get<Join>(*some).streams[0].clamp->tones == std::vector<std::string>{"1", "#"});
}

TEST_CASE("mixer_pkg: audit and codec param defaults", "[mixer][defaults]") {
    auto a = parse(doc("<audit/>"));
    REQUIRE(a);
    CHECK(std::get<Audit>(*a) == Audit{true, true, std::nullopt});

    auto c = parse(
        doc("<createconference><codecs><codec name=\"video\"><subtype> H264 </subtype><params>"
            "<param "
            "name=\"packetization-mode\">0</param></params></codec></codecs></createconference>"));
    REQUIRE(c);
    const Codec& codec = (*std::get<CreateConference>(*c).settings.codecs)[0];
    CHECK(codec.subtype == "H264");
    REQUIRE(codec.params.size() == 1);
    CHECK(codec.params[0].type == "text/plain");
    CHECK_FALSE(codec.params[0].encoding.has_value());
    CHECK(codec.params[0].value == "0");
}

TEST_CASE("mixer_pkg: the root desclang applies to reasons that name no language",
          "[mixer][defaults]") {
    const char* root =
        "<mscmixer version=\"1.0\" desclang=\"fr\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";
    auto own = parse(std::string(root) + "<response status=\"200\" desclang=\"de\"/></mscmixer>");
    REQUIRE(own);
    CHECK(std::get<Response>(*own).desclang == "de");
    auto inherited =
        parse(std::string(root) +
              "<event><conferenceexit conferenceid=\"c\" status=\"1\"/></event></mscmixer>");
    REQUIRE(inherited);
    CHECK(std::get<ConferenceExit>(std::get<Event>(*inherited)).desclang == "fr");
    auto none = parse(doc("<response status=\"200\"/>"));
    REQUIRE(none);
    CHECK_FALSE(std::get<Response>(*none).desclang.has_value());
}

TEST_CASE("mixer_pkg: status codes and reason phrases", "[mixer][status]") {
    CHECK(knownStatuses().size() == 21);
    for (int code : knownStatuses()) {
        INFO(code);
        CHECK_FALSE(reasonPhrase(code).empty());
        CHECK(normalizeStatus(code) == code);
    }
    CHECK(reasonPhrase(status::kConferenceNotFound) == "Conference does not exist");
    CHECK(reasonPhrase(status::kUnsupportedForeign) ==
          "Unsupported foreign namespace attribute or element");
    CHECK(normalizeStatus(499) == 400);  // RFC 6505 4.6: unknown codes read as x00
    CHECK(normalizeStatus(418) == 400);
    CHECK(normalizeStatus(299) == 200);
    CHECK(reasonPhrase(499) == "Syntax error");
    CHECK(reasonPhrase(999).empty());
    CHECK(isSuccess(200));
    CHECK_FALSE(isSuccess(406));
}

TEST_CASE("mixer_pkg: makeResponse and the capabilities builder", "[mixer][status]") {
    Response r = makeResponse(status::kConferenceExists, "", "conf1");
    CHECK(r.status == 405);
    CHECK(r.reason == "Conference already exists");
    CHECK(r.conferenceId == "conf1");
    CHECK_FALSE(r.connectionId.has_value());
    Response own = makeResponse(status::kOk, "join successful", std::nullopt, "a:b");
    CHECK(own.reason == "join successful");
    CHECK(own.connectionId == "a:b");
    CHECK(serialize(own) ==
          "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">\n"
          "  <response status=\"200\" reason=\"join successful\" connectionid=\"a:b\"/>\n"
          "</mscmixer>");

    AuditResponse ar = makeAuditResponse(status::kOk);
    ar.capabilities =
        CapabilitiesBuilder()
            .audio("PCMU")
            .video("H264")
            .codec("audio", "opus", {Param{"maxplaybackrate", "text/plain", std::nullopt, "48000"}})
            .build();
    REQUIRE(ar.capabilities->codecs.size() == 3);
    CHECK(ar.capabilities->codecs[1] == Codec{"video", "H264", {}});
    auto back = parse(serialize(ar));
    REQUIRE(back);
    CHECK(std::get<AuditResponse>(*back) == ar);
}

TEST_CASE("mixer_pkg: serialization shape", "[mixer][serialize]") {
    Join j{"a:b", "conf1", {}};
    Stream s;
    s.media = "audio";
    s.volume = Volume::gain(3);
    j.streams.push_back(s);
    const std::string text = serialize(j);
    CHECK(text.find("<join id1=\"a:b\" id2=\"conf1\">") != std::string::npos);
    CHECK(text.find("<stream media=\"audio\" direction=\"sendrecv\">") != std::string::npos);
    CHECK(text.find("<volume controltype=\"setgain\" value=\"+3\"/>") != std::string::npos);
    CHECK(formatGainDb(3) == "+3");
    CHECK(formatGainDb(-2.5) == "-2.5");
    CHECK(formatGainDb(0) == "0");
    CHECK(formatGainDb(0.5) == "+0.5");
    CHECK(elementName(Message(j)) == "join");
    CHECK(elementName(Message(Event(ConferenceExit{}))) == "event");

    // Attribute values with markup are escaped and come back intact.
    Response r = makeResponse(400, "bad <stream> & \"quotes\"\n");
    auto back = parse(serialize(r));
    REQUIRE(back);
    CHECK(std::get<Response>(*back).reason == "bad <stream> & \"quotes\"\n");
}
