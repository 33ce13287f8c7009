// RFC 6505 example bodies (read from ../shared/spec at run time) parse, round-trip, and what
// Parley writes is valid against the package schema.
//
// Schema divergence: the stock mscmixer.xsd makes <subscribe> mandatory in
// <modifyconference>, although RFC 6505 4.2.1.2 makes every child optional (CHEATSHEET 5).
// Parley follows the RFC text. The validation here uses the stock schema with that one
// particle patched to minOccurs="0", and one test pins the stock schema's behaviour.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mixer_test_util.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"
#include "proto/xml/schema_set.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::proto;
using namespace parley::proto::mixer;
using parley::test::mixer::doc;

namespace {

constexpr std::string_view kStockSubscribe = "<xsd:element ref=\"subscribe\" />";

std::optional<std::string> mixerXsd() {
    auto dir = parley::test::specDir();
    if (!dir || !std::filesystem::exists(*dir / "xsd" / "mscmixer.xsd")) return std::nullopt;
    return parley::test::readFile(*dir / "xsd" / "mscmixer.xsd");
}

// The package schema and framework.xsd; patched = modifyconference's <subscribe> optional.
std::optional<xml::SchemaSet> loadSchema(bool patched) {
    auto dir = parley::test::specDir();
    auto mixer = mixerXsd();
    if (!dir || !mixer) return std::nullopt;
    if (patched) {
        auto at = mixer->find(kStockSubscribe);
        REQUIRE(at != std::string::npos);
        mixer->replace(at, kStockSubscribe.size(),
                       "<xsd:element ref=\"subscribe\" minOccurs=\"0\" />");
    }
    std::vector<xml::SchemaSource> sources{
        {"mscmixer.xsd", *mixer},
        {"framework.xsd", parley::test::readFile(*dir / "xsd" / "framework.xsd")},
    };
    auto set = xml::SchemaSet::loadSources(std::move(sources));
    if (!set) FAIL("schema load failed: " << set.error().message);
    return std::move(*set);
}

// Messages built in code that between them use every element and attribute of the package.
std::vector<Message> kitchenSink() {
    std::vector<Message> out;

    CreateConference cc;
    cc.conferenceId = "conf-7";
    cc.reservedTalkers = 4;
    cc.reservedListeners = 20;
    cc.settings.codecs = std::vector<Codec>{
        Codec{"audio", "PCMU", {}},
        Codec{"video",
              "H264",
              {Param{"profile-level-id", "text/plain", std::nullopt, "42A01E"},
               Param{"sprop", "application/octet-stream", "base64", "Z0IACpZTBYmI"}}}};
    cc.settings.audioMixing = AudioMixing{AudioMixType::controller, 0};
    cc.settings.videoLayouts = std::vector<VideoLayout>{
        VideoLayout{1, XconLayout::singleView}, VideoLayout{2, XconLayout::dualView2x1Crop},
        VideoLayout{5, ForeignElement{"http://example.com/foo", "mylayout", "my-single-view"}}};
    cc.settings.videoSwitch =
        VideoSwitch{std::chrono::seconds(0), true, VideoSwitchPolicy::controller};
    cc.settings.subscribe = Subscribe{ActiveTalkersSub{std::chrono::seconds(7)}};
    out.emplace_back(cc);

    ModifyConference mc;
    mc.conferenceId = "conf-7";
    mc.settings.audioMixing = AudioMixing{AudioMixType::nbest, 3};
    mc.settings.videoSwitch = VideoSwitch{std::chrono::seconds(3), false,
                                          ForeignElement{"http://example.com/foo", "mypolicy", ""}};
    out.emplace_back(mc);  // no <subscribe>: valid per RFC text, not per the stock schema

    out.emplace_back(DestroyConference{"conf-7"});

    Stream audio;
    audio.media = "audio";
    audio.label = "a1";
    audio.direction = Direction::sendonly;
    audio.volume = Volume::gain(-2.5);
    audio.clamp = Clamp{{"1", "2", "#"}};
    Stream muted;
    muted.media = "audio";
    muted.direction = Direction::recvonly;
    muted.volume = Volume::muted(true);
    muted.clamp = Clamp{};
    Stream video;
    video.media = "video";
    video.direction = Direction::inactive;
    video.region = "2";
    video.priority = 1;
    Stream automatic;
    automatic.media = "audio";
    automatic.volume = Volume{};
    automatic.volume->level = "-20";
    out.emplace_back(Join{"from:to", "conf-7", {audio, muted, video}});
    out.emplace_back(ModifyJoin{"from:to", "conf-7", {automatic}});
    out.emplace_back(Unjoin{"from:to", "conf-7", {}});
    out.emplace_back(Audit{false, true, "conf-7"});

    out.emplace_back(makeResponse(status::kConferenceNotFound, "", "conf-7", "from:to"));

    AuditResponse ar = makeAuditResponse(status::kOk);
    ar.desclang = "en";
    ar.capabilities =
        CapabilitiesBuilder().audio("PCMU").audio("PCMA").audio("telephone-event").build();
    Mixers mixers;
    mixers.conferences.push_back(ConferenceAudit{
        "conf-7", std::vector<Codec>{Codec{"audio", "PCMU", {}}},
        std::vector<std::string>{"a:b", "c:d"}, VideoLayout{1, XconLayout::quadView}});
    mixers.conferences.push_back(
        ConferenceAudit{"conf-8", std::nullopt, std::vector<std::string>{}, std::nullopt});
    mixers.joins.push_back(JoinAudit{"a:b", "conf-7"});
    ar.mixers = mixers;
    out.emplace_back(ar);

    out.emplace_back(
        Event(ActiveTalkersNotify{"conf-7",
                                  {ActiveTalker{ActiveTalker::Kind::connection, "a:b"},
                                   ActiveTalker{ActiveTalker::Kind::conference, "conf-9"}}}));
    out.emplace_back(
        Event(UnjoinNotify{kUnjoinPartyTerminated, "BYE received", "en", "a:b", "conf-7"}));
    out.emplace_back(Event(ConferenceExit{"conf-7", kExitMaxDuration, "too long", std::nullopt}));
    return out;
}

}  // namespace

TEST_CASE("mixer_pkg: every RFC 6505 example parses and round-trips", "[mixer][examples]") {
    auto files = parley::test::specFiles("examples", "mix_");
    if (files.empty()) PARLEY_SKIP("../shared/spec/examples not available");
    for (const auto& f : files) {
        INFO(f.filename().string());
        const std::string body = parley::test::readFile(f);
        auto first = parse(body);
        if (!first) FAIL(first.error().code << " " << first.error().message);
        const std::string written = serialize(*first);
        auto second = parse(written);
        if (!second) FAIL("re-parse: " << second.error().message << "\n" << written);
        CHECK(*second == *first);
        CHECK(serialize(*second) == written);
    }
}

TEST_CASE("mixer_pkg: what Parley writes for every example is schema-valid",
          "[mixer][examples][schema]") {
    auto files = parley::test::specFiles("examples", "mix_");
    auto schema = loadSchema(true);
    if (files.empty() || !schema) PARLEY_SKIP("../shared/spec not available");
    for (const auto& f : files) {
        INFO(f.filename().string());
        auto m = parse(parley::test::readFile(f));
        REQUIRE(m);
        const std::string written = serialize(*m);
        auto valid = schema->validate(written);
        if (!valid) FAIL(valid.error().message << "\n" << written);
    }
}

TEST_CASE("mixer_pkg: messages built in code serialize schema-valid and parse back equal",
          "[mixer][schema]") {
    auto schema = loadSchema(true);
    if (!schema) PARLEY_SKIP("../shared/spec not available");
    for (const Message& m : kitchenSink()) {
        const std::string written = serialize(m);
        INFO(written);
        auto valid = schema->validate(written);
        if (!valid) FAIL(valid.error().message);
        auto back = parse(written);
        if (!back) FAIL(back.error().message);
        CHECK(*back == m);
    }
}

TEST_CASE("mixer_pkg: stock schema: modifyconference without subscribe is the known XSD bug",
          "[mixer][schema]") {
    auto stock = loadSchema(false);
    if (!stock) PARLEY_SKIP("../shared/spec not available");
    const std::string withoutSubscribe =
        doc("<modifyconference conferenceid=\"c\"><audio-mixing n=\"2\"/></modifyconference>");
    const std::string withSubscribe =
        doc("<modifyconference "
            "conferenceid=\"c\"><subscribe><active-talkers-sub/></subscribe></modifyconference>");
    // Parley follows RFC 6505 4.2.1.2 and accepts both...
    REQUIRE(parse(withoutSubscribe));
    REQUIRE(parse(withSubscribe));
    // ...while the stock schema refuses the first (CHEATSHEET section 5).
    CHECK_FALSE(stock->validate(withoutSubscribe));
    CHECK(stock->validate(serialize(*parse(withSubscribe))));
}

TEST_CASE("mixer_pkg: typed content of the RFC's createconference example", "[mixer][examples]") {
    auto dir = parley::test::specDir();
    if (!dir || !std::filesystem::exists(*dir / "examples" / "mix_03_s4.2.1.1.xml")) {
        PARLEY_SKIP("../shared/spec/examples not available");
    }
    auto m = parse(parley::test::readFile(*dir / "examples" / "mix_03_s4.2.1.1.xml"));
    REQUIRE(m);
    const auto& cc = std::get<CreateConference>(*m);
    CHECK(cc.conferenceId == "conference1");
    CHECK(cc.reservedTalkers == 1);
    CHECK(cc.reservedListeners == 10);
    REQUIRE(cc.settings.codecs);
    REQUIRE(cc.settings.codecs->size() == 2);
    CHECK((*cc.settings.codecs)[0] == Codec{"video", "H264", {}});
    REQUIRE(cc.settings.videoLayouts);
    REQUIRE(cc.settings.videoLayouts->size() == 3);
    CHECK((*cc.settings.videoLayouts)[2].minParticipants == 3);
    CHECK(std::get<XconLayout>((*cc.settings.videoLayouts)[2].layout) == XconLayout::quadView);
    REQUIRE(cc.settings.videoSwitch);
    CHECK(cc.settings.videoSwitch->interval == std::chrono::seconds(5));
    CHECK(std::get<VideoSwitchPolicy>(cc.settings.videoSwitch->policy) == VideoSwitchPolicy::vas);
    REQUIRE(cc.settings.subscribe);
    REQUIRE(cc.settings.subscribe->activeTalkers);
    CHECK(cc.settings.subscribe->activeTalkers->interval == std::chrono::seconds(4));
}

TEST_CASE("mixer_pkg: typed content of the RFC's auditresponse and event examples",
          "[mixer][examples]") {
    auto dir = parley::test::specDir();
    if (!dir || !std::filesystem::exists(*dir / "examples" / "mix_17_s4.3.2.xml")) {
        PARLEY_SKIP("../shared/spec/examples not available");
    }
    auto ar = parse(parley::test::readFile(*dir / "examples" / "mix_17_s4.3.2.xml"));
    REQUIRE(ar);
    const auto& audit = std::get<AuditResponse>(*ar);
    CHECK(audit.status == 200);
    REQUIRE(audit.capabilities);
    CHECK(audit.capabilities->codecs.size() == 4);
    REQUIRE(audit.mixers);
    REQUIRE(audit.mixers->conferences.size() == 1);
    CHECK(audit.mixers->conferences[0].participants ==
          std::vector<std::string>{"1536067209:913cd14c"});
    CHECK(audit.mixers->joins.size() == 3);

    auto talkers = parse(parley::test::readFile(*dir / "examples" / "mix_23_s6.2.1.xml"));
    REQUIRE(talkers);
    const auto& atn = std::get<ActiveTalkersNotify>(std::get<Event>(*talkers));
    CHECK(atn.conferenceId == "conf1");
    REQUIRE(atn.talkers.size() == 1);
    CHECK(atn.talkers[0] == ActiveTalker{ActiveTalker::Kind::connection, "1536067209:913cd14c"});

    auto unjoin = parse(parley::test::readFile(*dir / "examples" / "mix_28_s6.2.1.xml"));
    REQUIRE(unjoin);
    const auto& un = std::get<UnjoinNotify>(std::get<Event>(*unjoin));
    CHECK(un.status == kUnjoinPartyTerminated);
    CHECK(un.id2 == "conf1");

    auto created = parse(parley::test::readFile(*dir / "examples" / "mix_02_s4.1.xml"));
    REQUIRE(created);
    const auto& resp = std::get<Response>(*created);
    CHECK(resp.desclang == "en");  // the root's desclang applies to the reason
    CHECK(resp.reason == "conference created");
    CHECK(resp.conferenceId == "conference1");
}
