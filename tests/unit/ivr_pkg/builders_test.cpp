// Builders for what a media server sends, and hand-built messages through the codec.
#include <catch2/catch.hpp>

#include "proto/packages/ivr/ivr.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/ivr_pkg/schema.hpp"

using namespace parley::proto::ivr;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::chrono::system_clock::time_point kWhen{seconds(1210594394)};  // 2008-05-12T12:13:14Z

// Serializes, checks the document parses back to the same message and validates.
void checkWire(const Message& m) {
    const std::string written = serialize(m);
    INFO(written);
    auto back = parse(written);
    INFO((back.ok() ? "" : back.error().message));
    REQUIRE(back.ok());
    CHECK(*back == m);
    if (const auto* schema = ivrSchema()) {
        auto st = schema->validate(written);
        CHECK((st.ok() ? std::string() : st.error().message) == "");
    }
}

}  // namespace

TEST_CASE("ivr: makeResponse and makeErrorResponse") {
    auto ok = makeResponse(status::kOk, "d1");
    CHECK(ok.status == 200);
    CHECK(ok.dialogId == "d1");
    CHECK_FALSE(ok.reason);
    CHECK(serialize(Message{ok}).find(R"(<response status="200" dialogid="d1"/>)") !=
          std::string::npos);

    auto parsed = parse(
        R"(<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"><dialogterminate/></mscivr>)");
    REQUIRE_FALSE(parsed.ok());
    auto err = makeErrorResponse(parsed.error(), "");
    CHECK(err.status == 400);
    CHECK(err.reason->find("dialogid") != std::string::npos);
    checkWire(err);

    CHECK(makeErrorResponse(parley::common::Error(0, "x"), "d").status == 400);
    CHECK(makeErrorResponse(parley::common::Error(431, "foreign"), "d").status == 431);
    checkWire(makeResponse(status::kUnsupportedDialogLanguage, "d5",
                           "Unsupported dialog language: application/voicexml+xml"));
}

TEST_CASE("ivr: peekDialogId finds the id even in a refused request") {
    const std::string bad =
        R"(<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"><dialogstart dialogid="vxi82" connectionid="c"><dialog repeatCount="two"><collect/></dialog></dialogstart></mscivr>)";
    REQUIRE_FALSE(parse(bad).ok());
    CHECK(peekDialogId(bad) == "vxi82");
    CHECK(
        peekDialogId(
            R"(<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"><dialogstart prepareddialogid="p7" conferenceid="f"/></mscivr>)") ==
        "p7");
    CHECK_FALSE(peekDialogId(
        R"(<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"><audit/></mscivr>)"));
    CHECK_FALSE(peekDialogId("garbage"));
}

TEST_CASE("ivr: dialogexit with every kind of exit information") {
    ExitReport report;
    report.prompt = makePromptInfo(PromptTermMode::Bargein, milliseconds(3654));
    report.control.emplace();
    report.control->matches.push_back(makeControlMatch("4", kWhen));
    report.control->matches.push_back(makeControlMatch("3", kWhen + seconds(1)));
    report.collect = makeCollectInfo(CollectTermMode::Match, "1234");
    report.record = makeRecordInfo(RecordTermMode::FinalSilence, milliseconds(12000),
                                   {MediaInfo{"http://x/rec.wav", "audio/x-wav", 96000, {}}});
    report.params = Params{{Param{"pin", "text/plain", std::nullopt, "1234", {}}}, {}};
    Event e = makeDialogExit("vxi81", exit_status::kSuccess, report, "done");
    const auto& exit = std::get<DialogExit>(e.notification);
    CHECK(exit.status == 1u);
    CHECK(exit.promptInfo->duration == 3654u);
    CHECK(exit.controlInfo->matches[0].timestamp == "2008-05-12T12:13:14Z");
    CHECK(exit.collectInfo->dtmf == "1234");
    CHECK(exit.recordInfo->media.at(0).size == 96000u);
    checkWire(e);

    Event bare = makeDialogExit("d", exit_status::kTerminated);
    CHECK_FALSE(std::get<DialogExit>(bare.notification).promptInfo);
    checkWire(bare);
    CHECK_FALSE(makeCollectInfo(CollectTermMode::NoInput, "").dtmf);
}

TEST_CASE("ivr: dtmfnotify carries an xsd:dateTime timestamp") {
    Event e = makeDtmfNotify("d3", MatchMode::Collect, "3123", kWhen + milliseconds(5));
    const auto& n = std::get<DtmfNotify>(e.notification);
    CHECK(n.timestamp == "2008-05-12T12:13:14.005Z");
    CHECK(isDateTime(n.timestamp));
    CHECK(serialize(Message{e}).find(R"(matchmode="collect")") != std::string::npos);
    checkWire(e);
}

TEST_CASE("ivr: capabilities builder and audit responses") {
    const Capabilities caps = CapabilitiesBuilder()
                                  .promptType("audio/x-wav")
                                  .recordType("audio/x-wav")
                                  .rfcVariables()
                                  .maxPreparedDuration(seconds(300))
                                  .maxRecordDuration(seconds(1800))
                                  .codec("audio", "PCMU")
                                  .codec("audio", "PCMA")
                                  .codec("audio", "telephone-event")
                                  .build();
    CHECK(caps.dialogLanguages.types.empty());
    CHECK(caps.variables.types.size() == 3);
    CHECK(caps.variables.types[0].formats.size() == 4);
    CHECK(caps.codecs.codecs.size() == 3);

    DialogAudit started{"d1",
                        DialogState::Started,
                        "a:b",
                        std::nullopt,
                        Codecs{{Codec{"audio", "PCMU", std::nullopt, {}}}, {}},
                        {}};
    DialogAudit prepared{"d2", DialogState::Prepared, std::nullopt, std::nullopt, std::nullopt, {}};

    auto all = makeAuditResponse(Audit{}, caps, {started, prepared});
    CHECK(all.status == 200);
    REQUIRE(all.capabilities);
    REQUIRE(all.dialogs);
    CHECK(all.dialogs->dialogs.size() == 2);
    checkWire(all);

    Audit one;
    one.capabilities = false;
    one.dialogId = "d2";
    auto only = makeAuditResponse(one, caps, {started, prepared});
    CHECK_FALSE(only.capabilities);
    REQUIRE(only.dialogs);
    REQUIRE(only.dialogs->dialogs.size() == 1);
    CHECK(only.dialogs->dialogs[0].dialogId == "d2");
    checkWire(only);

    Audit missing;
    missing.dialogId = "nope";
    auto notFound = makeAuditResponse(missing, caps, {started});
    CHECK(notFound.status == status::kDialogIdNotFound);
    CHECK_FALSE(notFound.capabilities);
    checkWire(notFound);

    Audit noDialogs;
    noDialogs.dialogs = false;
    auto capsOnly = makeAuditResponse(noDialogs, caps, {started});
    CHECK(capsOnly.capabilities);
    CHECK_FALSE(capsOnly.dialogs);
    checkWire(capsOnly);
}

TEST_CASE("ivr: a fully populated hand-built dialogstart survives the wire") {
    DialogStart s;
    s.dialogId = "d9";
    s.conferenceId = "conf1";
    s.fetchTimeout = milliseconds(1500);
    s.dialog.emplace();
    Dialog& d = *s.dialog;
    d.repeatCount = 0;
    d.repeatDur = seconds(120);
    d.repeatUntilComplete = true;
    d.prompt.emplace();
    d.prompt->base = "http://media.example.com/";
    d.prompt->bargein = false;
    Media m;
    m.loc = "a.wav";
    m.type = "audio/x-wav";
    m.fetchTimeout = seconds(5);
    m.soundLevel = 150;
    m.clipBegin = milliseconds(250);
    m.clipEnd = seconds(9);
    d.prompt->items.push_back(m);
    d.prompt->items.push_back(Variable{"date", "2010-11-25", "ymd", Gender::Male, "en-GB", {}});
    d.prompt->items.push_back(Dtmf{"12#", -20, milliseconds(80), milliseconds(60), {}});
    Par par;
    par.endSync = EndSync::First;
    par.items.push_back(
        Seq{{Media{"b.wav", std::nullopt, seconds(30), 100, milliseconds(0), std::nullopt, {}},
             Dtmf{"9", -6, milliseconds(100), milliseconds(100), {}}},
            {}});
    par.items.push_back(
        Media{"v.3gp", "video/3gpp", seconds(30), 100, milliseconds(0), std::nullopt, {}});
    d.prompt->items.push_back(par);
    d.control.emplace();
    d.control->gotoStartKey = '1';
    d.control->gotoEndKey = '2';
    d.control->ffKey = '3';
    d.control->rwKey = '4';
    d.control->pauseKey = '5';
    d.control->resumeKey = '5';
    d.control->volUpKey = '6';
    d.control->volDnKey = '7';
    d.control->speedUpKey = '8';
    d.control->speedDnKey = '9';
    d.control->external = "AB";
    d.control->skipInterval = seconds(3);
    d.control->pauseInterval = seconds(20);
    d.control->volumeInterval = 20;
    d.control->speedInterval = 25;
    d.collect.emplace();
    d.collect->clearDigitBuffer = false;
    d.collect->timeout = seconds(7);
    d.collect->interDigitTimeout = seconds(3);
    d.collect->termTimeout = milliseconds(500);
    d.collect->escapeKey = '*';
    d.collect->termChar = 'D';
    d.collect->maxDigits = 12;
    d.collect->grammar =
        Grammar{"http://g/pin.grxml", std::string(kSrgsMimeType), seconds(4), std::nullopt, "", {}};
    d.record.emplace();
    d.record->timeout = seconds(2);
    d.record->beep = true;
    d.record->vadInitial = true;
    d.record->vadFinal = true;
    d.record->dtmfTerm = false;
    d.record->maxTime = seconds(60);
    d.record->finalSilence = seconds(3);
    d.record->append = true;
    d.record->media.push_back(Media{
        "http://up/r.wav", "audio/x-wav", seconds(30), 100, milliseconds(0), std::nullopt, {}});
    REQUIRE(validateDialog(d).ok());
    s.subscribe = Subscribe{{DtmfSub{MatchMode::Control, {}}, DtmfSub{MatchMode::Collect, {}}}, {}};
    s.params = Params{{Param{"mode", "text/plain", std::nullopt, "announce", {}},
                       Param{"blob", "audio/x-wav", "base64", "R0lG", {}}},
                      {}};
    s.streams.push_back(Stream{"audio", "a1", Direction::SendOnly, std::nullopt, std::nullopt, {}});
    s.streams.push_back(Stream{"video", std::nullopt, Direction::RecvOnly, "r1", 3, {}});
    checkWire(s);

    DialogPrepare p;
    p.src = "http://x/d.vxml";
    p.type = "application/voicexml+xml";
    p.maxAge = 60;
    p.maxStale = 0;
    p.dialogId = "p1";
    checkWire(p);
    checkWire(DialogTerminate{"d9", true, {}});
    checkWire(Audit{false, true, "d9", {}});
}

TEST_CASE("ivr: message helpers") {
    DialogStart s;
    s.preparedDialogId = "p1";
    CHECK(dialogIdOf(s) == "p1");
    CHECK(isRequest(s));
    CHECK(elementName(s) == "dialogstart");
    Event e = makeDtmfNotify("d", MatchMode::All, "1", kWhen);
    CHECK(dialogIdOf(e) == "d");
    CHECK_FALSE(isRequest(e));
    CHECK(elementName(AuditResponse{}) == "auditresponse");
}
