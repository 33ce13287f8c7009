// One test per validation rule of the codec, the RFC defaults, and hostile input.
#include <catch2/catch.hpp>

#include <string>

#include "proto/packages/ivr/ivr.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/ivr_pkg/schema.hpp"

using namespace parley::proto::ivr;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string doc(const std::string& inner) {
    return R"(<mscivr version="1.0" xmlns="urn:ietf:params:xml:ns:msc-ivr">)" + inner + "</mscivr>";
}

std::string start(const std::string& dialogInner,
                  const std::string& attrs = R"(connectionid="c1")") {
    return doc("<dialogstart " + attrs + "><dialog>" + dialogInner + "</dialog></dialogstart>");
}

const std::string kPrompt = R"(<prompt><media loc="http://x/a.wav"/></prompt>)";

// Parses and returns the error code (200 when it parsed).
int statusOf(const std::string& body, ForeignPolicy policy = ForeignPolicy::Keep) {
    auto r = parse(body, {policy});
    if (r.ok()) return 200;
    INFO(r.error().message);
    CHECK_FALSE(r.error().message.empty());
    return r.error().code;
}

int codeOf(const parley::common::Status& st) {
    return st.ok() ? 200 : st.error().code;
}

Dialog dialogOf(const std::string& body) {
    auto r = parse(body);
    INFO((r.ok() ? "" : r.error().message));
    REQUIRE(r.ok());
    return *std::get<DialogStart>(*r).dialog;
}

}  // namespace

TEST_CASE("ivr: dialogprepare needs src or <dialog>, not both") {
    CHECK(statusOf(doc(
              R"(<dialogprepare src="http://x/d.vxml" type="application/voicexml+xml"/>)")) == 200);
    CHECK(statusOf(doc("<dialogprepare><dialog>" + kPrompt + "</dialog></dialogprepare>")) == 200);
    CHECK(statusOf(doc(R"(<dialogprepare src="http://x/d.vxml"><dialog>)" + kPrompt +
                       "</dialog></dialogprepare>")) == 400);
    CHECK(statusOf(doc("<dialogprepare/>")) == 400);
}

TEST_CASE("ivr: dialogstart needs exactly one of src, prepareddialogid, <dialog>") {
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c1" src="http://x/d.vxml"/>)")) == 200);
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c1" prepareddialogid="p1"/>)")) == 200);
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c1"/>)")) == 400);
    CHECK(statusOf(doc(
              R"(<dialogstart connectionid="c1" src="http://x/d.vxml" prepareddialogid="p1"/>)")) ==
          400);
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c1" src="http://x/d.vxml"><dialog>)" +
                       kPrompt + "</dialog></dialogstart>")) == 400);
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c1" prepareddialogid="p1"><dialog>)" +
                       kPrompt + "</dialog></dialogstart>")) == 400);
}

TEST_CASE("ivr: dialogstart refuses prepareddialogid together with dialogid") {
    CHECK(statusOf(doc(R"(<dialogstart conferenceid="f" prepareddialogid="p1" dialogid="d1"/>)")) ==
          400);
    CHECK(statusOf(start(kPrompt, R"(conferenceid="f" dialogid="d1")")) == 200);
}

TEST_CASE("ivr: dialogstart needs exactly one of connectionid and conferenceid") {
    CHECK(statusOf(start(kPrompt, R"(conferenceid="conf1")")) == 200);
    CHECK(statusOf(start(kPrompt, "")) == 400);
    CHECK(statusOf(start(kPrompt, R"(connectionid="a:b" conferenceid="conf1")")) == 400);
}

TEST_CASE("ivr: dialogterminate needs dialogid and a boolean immediate") {
    CHECK(statusOf(doc("<dialogterminate/>")) == 400);
    CHECK(statusOf(doc(R"(<dialogterminate dialogid="d1" immediate="yes"/>)")) == 400);
    auto m = parse(doc(R"(<dialogterminate dialogid="d1" immediate="1"/>)"));
    REQUIRE(m.ok());
    CHECK(std::get<DialogTerminate>(*m).immediate);
    auto dflt = parse(doc(R"(<dialogterminate dialogid="d1"/>)"));
    REQUIRE(dflt.ok());
    CHECK_FALSE(std::get<DialogTerminate>(*dflt).immediate);
}

TEST_CASE("ivr: repeatCount must be a non-negative integer") {
    for (const char* bad : {"two", "-1", "1.5", "", "4294967296"}) {
        INFO(bad);
        CHECK(statusOf(doc(std::string(R"(<dialogstart connectionid="c"><dialog repeatCount=")") +
                           bad + "\">" + kPrompt + "</dialog></dialogstart>")) == 400);
    }
    auto zero = parse(doc(
        R"(<dialogstart connectionid="c"><dialog repeatCount="0" repeatDur="90s" repeatUntilComplete="true">)" +
        kPrompt + "</dialog></dialogstart>"));
    REQUIRE(zero.ok());
    const auto& d = *std::get<DialogStart>(*zero).dialog;
    CHECK(d.repeatCount == 0u);
    CHECK(d.repeatDur == seconds(90));
    CHECK(d.repeatUntilComplete);
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c"><dialog repeatDur="90">)" + kPrompt +
                       "</dialog></dialogstart>")) == 400);
}

TEST_CASE("ivr: <dialog> needs at least one of prompt, control, collect, record") {
    CHECK(statusOf(start("")) == 400);
    CHECK(statusOf(start(R"(<ex:x xmlns:ex="urn:example"/>)")) == 400);
    CHECK(statusOf(start("<control/>")) == 200);
    CHECK(statusOf(start("<record/>")) == 200);
}

TEST_CASE("ivr: <dialog> children in any order are read and written in schema order") {
    auto m = parse(start(R"(<record/><collect/><control ffkey="1"/>)" + kPrompt));
    REQUIRE(m.ok());
    const std::string out = serialize(*m);
    const auto p = out.find("<prompt");
    const auto ctl = out.find("<control");
    const auto col = out.find("<collect");
    const auto rec = out.find("<record");
    CHECK(p < ctl);
    CHECK(ctl < col);
    CHECK(col < rec);
    if (const auto* schema = ivrSchema()) CHECK(schema->validate(out).ok());
}

TEST_CASE("ivr: duplicate children are refused") {
    CHECK(statusOf(start(kPrompt + kPrompt)) == 400);
    CHECK(statusOf(start("<collect/><collect/>")) == 400);
    CHECK(statusOf(start(
              R"(<collect><grammar src="http://g"/><grammar src="http://h"/></collect>)")) == 400);
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c"><dialog>)" + kPrompt +
                       "</dialog><subscribe/><subscribe/></dialogstart>")) == 400);
}

TEST_CASE("ivr: prompt, par and seq need at least one item") {
    CHECK(statusOf(start("<prompt/>")) == 400);
    CHECK(statusOf(start("<prompt><par/></prompt>")) == 400);
    CHECK(statusOf(start("<prompt><par><seq/></par></prompt>")) == 400);
    CHECK(statusOf(start(R"(<prompt><par><seq><dtmf digits="1"/></seq></par></prompt>)")) == 200);
    CHECK(statusOf(start(R"(<prompt><seq><dtmf digits="1"/></seq></prompt>)")) ==
          400);  // seq only in par
    CHECK(statusOf(start(R"(<prompt><par><par><dtmf digits="1"/></par></par></prompt>)")) == 400);
}

TEST_CASE("ivr: prompt items keep document order") {
    auto d = dialogOf(start(
        R"(<prompt><dtmf digits="12"/><media loc="a"/><variable type="digits" value="42" format="crn" gender="female" xml:lang="en"/><par><media loc="b"/></par></prompt>)"));
    const auto& items = d.prompt->items;
    REQUIRE(items.size() == 4);
    CHECK(std::holds_alternative<Dtmf>(items[0]));
    CHECK(std::holds_alternative<Media>(items[1]));
    const auto& v = std::get<Variable>(items[2]);
    CHECK(v.type == "digits");
    CHECK(v.value == "42");
    CHECK(v.format == "crn");
    CHECK(v.gender == Gender::Female);
    CHECK(v.lang == "en");
    CHECK(std::holds_alternative<Par>(items[3]));
}

TEST_CASE("ivr: enumerations are checked") {
    CHECK(statusOf(doc(R"(<dialogstart connectionid="c"><dialog>)" + kPrompt +
                       R"(</dialog><stream media="audio" direction="both"/></dialogstart>)")) ==
          400);
    CHECK(statusOf(doc(
              R"(<dialogstart connectionid="c"><dialog>)" + kPrompt +
              R"(</dialog><subscribe><dtmfsub matchmode="some"/></subscribe></dialogstart>)")) ==
          400);
    CHECK(statusOf(start(R"(<prompt><par endsync="middle"><media loc="a"/></par></prompt>)")) ==
          400);
    CHECK(statusOf(start(
              R"(<prompt><variable type="date" value="2010-11-25" gender="other"/></prompt>)")) ==
          400);
    CHECK(statusOf(start(
              R"(<prompt><variable type="date" value="2010-11-25" xml:lang="en GB"/></prompt>)")) ==
          400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dialogexit status="1"><promptinfo termmode="done"/></dialogexit></event>)")) ==
        400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dialogexit status="1"><collectinfo termmode="timeout"/></dialogexit></event>)")) ==
        400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dialogexit status="1"><recordinfo termmode="hangup"/></dialogexit></event>)")) ==
        400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dtmfnotify matchmode="none" dtmf="1" timestamp="2008-05-12T12:13:14Z"/></event>)")) ==
        400);
    CHECK(
        statusOf(doc(
            R"(<auditresponse status="200"><dialogs><dialogaudit dialogid="d" state="terminated"/></dialogs></auditresponse>)")) ==
        400);
    CHECK(
        statusOf(doc(
            R"(<auditresponse status="200"><dialogs><dialogaudit dialogid="d" state="prepared"/></dialogs></auditresponse>)")) ==
        200);
}

TEST_CASE("ivr: DTMF keys and strings are checked") {
    CHECK(statusOf(start(R"(<control ffkey="E"/>)")) == 400);
    CHECK(statusOf(start(R"(<control ffkey="12"/>)")) == 400);
    CHECK(statusOf(start(R"(<control ffkey=""/>)")) == 400);
    CHECK(statusOf(start(R"(<control external="1 2"/>)")) == 400);
    CHECK(statusOf(start(R"(<collect escapekey="x"/>)")) == 400);
    CHECK(statusOf(start(R"(<collect termchar="##"/>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><dtmf digits="12a"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><dtmf digits=""/></prompt>)")) == 400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dtmfnotify dtmf="" timestamp="2008-05-12T12:13:14Z"/></event>)")) ==
        400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dialogexit status="1"><collectinfo dtmf="1-2" termmode="match"/></dialogexit></event>)")) ==
        400);
    CHECK(statusOf(start(R"(<collect escapekey="*" termchar="A"/>)")) == 200);
}

TEST_CASE("ivr: control keys with the same value get 413, pausekey = resumekey allowed") {
    CHECK(statusOf(start(R"(<control ffkey="5" rwkey="5"/>)")) == 413);
    CHECK(statusOf(start(R"(<control pausekey="5" volupkey="5"/>)")) == 413);
    CHECK(statusOf(start(R"(<control gotostartkey="*" gotoendkey="*"/>)")) == 413);
    CHECK(statusOf(start(R"(<control speedupkey="1" external="#91"/>)")) == 413);
    CHECK(statusOf(start(R"(<control pausekey="5" resumekey="5"/>)")) == 200);
    CHECK(statusOf(start(
              R"(<control ffkey="5" rwkey="6" speedupkey="3" speeddnkey="4" external="99"/>)")) ==
          200);
    auto r = parse(start(R"(<control ffkey="5" rwkey="5"/>)"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("ffkey") != std::string::npos);
    CHECK(r.error().message.find("rwkey") != std::string::npos);
}

TEST_CASE("ivr: time designations, percentages and booleans in attributes") {
    CHECK(statusOf(start(R"(<prompt><media loc="a" fetchtimeout="30"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<collect timeout="-5s"/>)")) == 400);
    CHECK(statusOf(start(R"(<record maxtime="1 s"/>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><media loc="a" soundLevel="50"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<control volumeinterval="10.5%"/>)")) == 400);
    CHECK(statusOf(start(R"(<prompt bargein="yes"><media loc="a"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<record beep="TRUE"/>)")) == 400);
    auto d = dialogOf(start(
        R"(<prompt bargein="0"><media loc="a" soundLevel="50%" clipBegin=".5s" clipEnd="+1.5s"/></prompt><record beep="1" maxtime="850ms"/>)"));
    CHECK_FALSE(d.prompt->bargein);
    const auto& m = std::get<Media>(d.prompt->items[0]);
    CHECK(m.soundLevel == 50u);
    CHECK(m.clipBegin == milliseconds(500));
    CHECK(m.clipEnd == milliseconds(1500));
    CHECK(d.record->beep);
    CHECK(d.record->maxTime == milliseconds(850));
}

TEST_CASE("ivr: DTMF level must be within 0..-96 dBm0 and maxdigits be positive") {
    CHECK(statusOf(start(R"(<prompt><dtmf digits="1" level="5"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><dtmf digits="1" level="-97"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><dtmf digits="1" level="loud"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><dtmf digits="1" level="-96"/></prompt>)")) == 200);
    CHECK(statusOf(start(R"(<collect maxdigits="0"/>)")) == 400);
    CHECK(statusOf(start(R"(<collect maxdigits="-3"/>)")) == 400);
}

TEST_CASE("ivr: grammar is either external or inline") {
    CHECK(statusOf(start(R"(<collect><grammar/></collect>)")) == 400);
    CHECK(
        statusOf(start(
            R"(<collect><grammar src="http://g">)"
            R"(<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" mode="dtmf" root="r"><rule id="r"><item>1</item></rule></grammar>)"
            R"(</grammar></collect>)")) == 400);
    // An inline XML grammar must use its own namespace, not msc-ivr's nor none.
    CHECK(statusOf(start(R"(<collect><grammar><rule/></grammar></collect>)")) == 400);
    CHECK(statusOf(start(R"(<collect><grammar><rule xmlns=""/></grammar></collect>)")) == 400);
    auto ext = dialogOf(start(
        R"(<collect><grammar type="application/srgs+xml" src="http://example.org/pin.grxml" fetchtimeout="10s"/></collect>)"));
    CHECK(ext.collect->grammar->src == "http://example.org/pin.grxml");
    CHECK(ext.collect->grammar->fetchTimeout == seconds(10));
}

TEST_CASE("ivr: inline SRGS grammar is kept as a tree and written back") {
    const std::string body = start(
        R"(<collect cleardigitbuffer="false" timeout="20s" interdigittimeout="1s"><grammar>)"
        R"(<grammar xmlns="http://www.w3.org/2001/06/grammar" version="1.0" mode="dtmf" root="pin">)"
        R"(<rule id="digit"><one-of><item>0</item><item>1</item></one-of></rule>)"
        R"(<rule id="pin" scope="public"><one-of><item><item repeat="4"><ruleref uri="#digit"/></item>#</item><item>* 9</item></one-of></rule>)"
        R"(</grammar></grammar></collect>)");
    auto d = dialogOf(body);
    const auto& g = *d.collect->grammar;
    REQUIRE(g.inlineElement);
    CHECK(g.inlineElement->element.ns == kSrgsNamespace);
    CHECK(g.inlineElement->element.children.size() == 2);
    CHECK_FALSE(d.collect->clearDigitBuffer);
    CHECK(d.collect->interDigitTimeout == seconds(1));
    auto again = parse(serialize(*parse(body)));
    REQUIRE(again.ok());
    CHECK(*std::get<DialogStart>(*again).dialog == d);
    const std::string standalone = serializeSubtree(*g.inlineElement);
    CHECK(standalone.find(R"(xmlns="http://www.w3.org/2001/06/grammar")") != std::string::npos);
    CHECK(parley::proto::xml::parse(standalone).ok());
    // Inline grammars are content, not extensions: a media server rejecting extensions takes them.
    CHECK(statusOf(body, ForeignPolicy::Reject) == 200);
}

TEST_CASE("ivr: non-XML inline grammar text is kept") {
    auto d = dialogOf(start(
        R"(<collect><grammar type="text/x-digits"><![CDATA[ 1 | 2 | 3 ]]></grammar></collect>)"));
    CHECK(d.collect->grammar->inlineText == " 1 | 2 | 3 ");
    Dialog round =
        *std::get<DialogStart>(
             *parse(serialize(*parse(start(
                 R"(<collect><grammar type="text/x-digits"><![CDATA[ 1 | 2 | 3 ]]></grammar></collect>)")))))
             .dialog;
    CHECK(round == d);
}

TEST_CASE("ivr: unknown msc-ivr attributes and elements, stray text, unqualified elements") {
    CHECK(statusOf(start(R"(<prompt><media loc="a" volume="5"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><media loc="a"/></prompt><listen/>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><media loc="a"/>hello</prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><media xmlns="" loc="a"/></prompt>)")) == 400);
    CHECK(statusOf(start(R"(<prompt><media loc="a"><x xmlns=""/></media></prompt>)")) == 400);
    CHECK(statusOf(start(
              R"(<prompt xmlns:i="urn:ietf:params:xml:ns:msc-ivr"><media i:loc="a"/></prompt>)")) ==
          400);
    CHECK(statusOf(start(R"(<prompt><media/></prompt>)")) == 400);  // loc required
    CHECK(statusOf(doc(R"(<dialogterminate dialogid="d"><media loc="a"/></dialogterminate>)")) ==
          400);
}

TEST_CASE("ivr: the root element, version and the one message") {
    CHECK(
        statusOf(
            R"(<mscmixer version="1.0" xmlns="urn:ietf:params:xml:ns:msc-mixer"><audit/></mscmixer>)") ==
        400);
    CHECK(statusOf(R"(<mscivr version="1.0"><audit/></mscivr>)") == 400);
    CHECK(statusOf(R"(<mscivr xmlns="urn:ietf:params:xml:ns:msc-ivr"><audit/></mscivr>)") == 400);
    CHECK(
        statusOf(
            R"(<mscivr version="2.0" xmlns="urn:ietf:params:xml:ns:msc-ivr"><audit/></mscivr>)") ==
        400);
    CHECK(
        statusOf(
            R"(<mscivr version="1.0" desclang="not a tag" xmlns="urn:ietf:params:xml:ns:msc-ivr"><audit/></mscivr>)") ==
        400);
    CHECK(statusOf(doc("")) == 400);
    CHECK(statusOf(doc("<audit/><audit/>")) == 400);
    CHECK(statusOf(doc("<dialog/>")) == 400);
    CHECK(statusOf(doc(R"(<audit/><ex:note xmlns:ex="urn:example"/>)")) == 400);
    CHECK(statusOf(doc(R"(<ex:note xmlns:ex="urn:example"/>)")) == 431);
    CHECK(statusOf(doc("text<audit/>")) == 400);
}

TEST_CASE("ivr: responses need a three-digit status and a dialogid") {
    CHECK(statusOf(doc(R"(<response status="20" dialogid="d"/>)")) == 400);
    CHECK(statusOf(doc(R"(<response status="2000" dialogid="d"/>)")) == 400);
    CHECK(statusOf(doc(R"(<response status="abc" dialogid="d"/>)")) == 400);
    CHECK(statusOf(doc(R"(<response status="200"/>)")) == 400);
    auto empty = parse(doc(
        R"(<response status="400" dialogid="" reason="Attribute required: dialogid" desclang="en"/>)"));
    REQUIRE(empty.ok());
    const auto& r = std::get<Response>(*empty);
    CHECK(r.status == 400);
    CHECK(r.dialogId.empty());
    CHECK(r.descLang == "en");
    CHECK(statusOf(doc(R"(<auditresponse/>)")) == 400);
}

TEST_CASE("ivr: events hold exactly one notification") {
    CHECK(statusOf(doc(R"(<event dialogid="d"/>)")) == 400);
    CHECK(statusOf(doc(R"(<event><dialogexit status="1"/></event>)")) == 400);
    CHECK(
        statusOf(doc(
            R"(<event dialogid="d"><dialogexit status="1"/><dtmfnotify dtmf="1" timestamp="2008-05-12T12:13:14Z"/></event>)")) ==
        400);
    CHECK(statusOf(doc(R"(<event dialogid="d"><dialogexit status="one"/></event>)")) == 400);
    CHECK(statusOf(doc(R"(<event dialogid="d"><dialogexit/></event>)")) == 400);
    CHECK(statusOf(doc(R"(<event dialogid="d"><dtmfnotify dtmf="1"/></event>)")) == 400);
    CHECK(statusOf(
              doc(R"(<event dialogid="d"><dtmfnotify dtmf="1" timestamp="yesterday"/></event>)")) ==
          400);
    CHECK(statusOf(doc(R"(<event dialogid="d"><ex:n xmlns:ex="urn:example"/></event>)")) == 431);
    auto unknownStatus = parse(doc(R"(<event dialogid="d"><dialogexit status="9"/></event>)"));
    REQUIRE(unknownStatus.ok());
    CHECK(normalizeExitStatus(
              std::get<DialogExit>(std::get<Event>(*unknownStatus).notification).status) ==
          exit_status::kExecutionError);
}

TEST_CASE("ivr: capabilities need all their parts and codecs a subtype") {
    const std::string parts =
        "<dialoglanguages/><grammartypes/><recordtypes/><prompttypes/><variables/>"
        "<maxpreparedduration>30s</maxpreparedduration><maxrecordduration>60s</"
        "maxrecordduration><codecs/>";
    CHECK(statusOf(doc(R"(<auditresponse status="200"><capabilities>)" + parts +
                       "</capabilities></auditresponse>")) == 200);
    std::string missing = parts;
    missing.erase(missing.find("<recordtypes/>"), 14);
    CHECK(statusOf(doc(R"(<auditresponse status="200"><capabilities>)" + missing +
                       "</capabilities></auditresponse>")) == 400);
    std::string badTime = parts;
    badTime.replace(badTime.find("30s"), 3, "30");
    CHECK(statusOf(doc(R"(<auditresponse status="200"><capabilities>)" + badTime +
                       "</capabilities></auditresponse>")) == 400);
    CHECK(
        statusOf(doc(
            R"(<auditresponse status="200"><dialogs><dialogaudit dialogid="d" state="started"><codecs><codec name="audio"/></codecs></dialogaudit></dialogs></auditresponse>)")) ==
        400);
    CHECK(statusOf(doc(R"(<auditresponse status="200"><capabilities>)" + parts + parts +
                       "</capabilities></auditresponse>")) == 400);
}

TEST_CASE("ivr: stream region and priority") {
    auto ok = parse(doc(
        R"(<dialogstart conferenceid="f"><dialog>)" + kPrompt +
        R"(</dialog><stream media="video" label="v1" direction="recvonly"><region>1</region><priority>2</priority></stream></dialogstart>)"));
    REQUIRE(ok.ok());
    const auto& s = std::get<DialogStart>(*ok).streams.at(0);
    CHECK(s.media == "video");
    CHECK(s.label == "v1");
    CHECK(s.direction == Direction::RecvOnly);
    CHECK(s.region == "1");
    CHECK(s.priority == 2u);
    CHECK(statusOf(doc(
              R"(<dialogstart conferenceid="f"><dialog>)" + kPrompt +
              R"(</dialog><stream media="video"><priority>0</priority></stream></dialogstart>)")) ==
          400);
    CHECK(statusOf(doc(
              R"(<dialogstart conferenceid="f"><dialog>)" + kPrompt +
              R"(</dialog><stream media="video"><region>a b</region></stream></dialogstart>)")) ==
          400);
    CHECK(
        statusOf(doc(
            R"(<dialogstart conferenceid="f"><dialog>)" + kPrompt +
            R"(</dialog><stream media="video"><region>a&amp;b</region></stream></dialogstart>)")) ==
        400);
    CHECK(statusOf(doc(R"(<dialogstart conferenceid="f"><dialog>)" + kPrompt +
                       R"(</dialog><stream direction="sendonly"/></dialogstart>)")) ==
          400);  // media required
}

TEST_CASE("ivr: RFC defaults are applied") {
    auto d = dialogOf(start(
        R"(<prompt><media loc="a"/><dtmf digits="1"/></prompt><control/><collect/><record/>)"));
    CHECK(d.repeatCount == 1u);
    CHECK_FALSE(d.repeatDur);
    CHECK_FALSE(d.repeatUntilComplete);
    CHECK(d.prompt->bargein);
    const auto& media = std::get<Media>(d.prompt->items[0]);
    CHECK(media.fetchTimeout == seconds(30));
    CHECK(media.soundLevel == 100u);
    CHECK(media.clipBegin == milliseconds(0));
    CHECK_FALSE(media.clipEnd);
    const auto& dtmf = std::get<Dtmf>(d.prompt->items[1]);
    CHECK(dtmf.level == -6);
    CHECK(dtmf.duration == milliseconds(100));
    CHECK(dtmf.interval == milliseconds(100));
    CHECK(d.control->skipInterval == seconds(6));
    CHECK(d.control->pauseInterval == seconds(10));
    CHECK(d.control->volumeInterval == 10u);
    CHECK(d.control->speedInterval == 10u);
    CHECK(d.collect->clearDigitBuffer);
    CHECK(d.collect->timeout == seconds(5));
    CHECK(d.collect->interDigitTimeout == seconds(2));
    CHECK(d.collect->termTimeout == seconds(0));
    CHECK(d.collect->termChar == '#');
    CHECK(d.collect->maxDigits == 5u);
    CHECK_FALSE(d.collect->escapeKey);
    CHECK(d.record->timeout == seconds(5));
    CHECK(d.record->maxTime == seconds(15));
    CHECK(d.record->finalSilence == seconds(5));
    CHECK(d.record->dtmfTerm);
    CHECK_FALSE(d.record->beep);
    CHECK_FALSE(d.record->vadInitial);
    CHECK_FALSE(d.record->vadFinal);
    CHECK_FALSE(d.record->append);
    CHECK(
        d ==
        dialogOf(start(
            R"(<prompt bargein="true"><media loc="a" fetchtimeout="30s" soundLevel="100%" clipBegin="0s"/><dtmf digits="1" level="-6" duration="100ms" interval=".1s"/></prompt>)"
            R"(<control skipinterval="6s" pauseinterval="10s" volumeinterval="10%" speedinterval="10%"/>)"
            R"(<collect cleardigitbuffer="true" timeout="5s" interdigittimeout="2s" termtimeout="0s" termchar="#" maxdigits="5"/>)"
            R"(<record timeout="5s" maxtime="15s" finalsilence="5s" dtmfterm="true" beep="false" vadinitial="false" vadfinal="false" append="false"/>)")));

    auto prepare = parse(doc(R"(<dialogprepare src="http://x/d.vxml"/>)"));
    REQUIRE(prepare.ok());
    CHECK(std::get<DialogPrepare>(*prepare).fetchTimeout == seconds(30));
    auto audit = parse(doc("<audit/>"));
    REQUIRE(audit.ok());
    CHECK(std::get<Audit>(*audit).capabilities);
    CHECK(std::get<Audit>(*audit).dialogs);
    auto streams = parse(doc(
        R"(<dialogstart connectionid="c" src="http://x"><subscribe><dtmfsub/></subscribe><params><param name="p">v</param></params><stream media="audio"/></dialogstart>)"));
    REQUIRE(streams.ok());
    const auto& ds = std::get<DialogStart>(*streams);
    CHECK(ds.streams.at(0).direction == Direction::SendRecv);
    CHECK(ds.subscribe->dtmfSubs.at(0).matchMode == MatchMode::All);
    CHECK(ds.params->params.at(0).type == "text/plain");
    CHECK(ds.params->params.at(0).value == "v");
    auto notify = parse(doc(
        R"(<event dialogid="d"><dtmfnotify dtmf="1" timestamp="2008-05-12T12:13:14Z"/></event>)"));
    REQUIRE(notify.ok());
    CHECK(std::get<DtmfNotify>(std::get<Event>(*notify).notification).matchMode == MatchMode::All);
}

TEST_CASE("ivr: foreign attributes are kept, or 431 when rejected but xml attributes never") {
    const std::string body = start(
        R"(<prompt ex:voice="x" xmlns:ex="urn:example"><media loc="a" xml:lang="en"/></prompt>)");
    auto kept = parse(body);
    REQUIRE(kept.ok());
    const auto& prompt = *std::get<DialogStart>(*kept).dialog->prompt;
    REQUIRE(prompt.ext.attributes.size() == 1);
    CHECK(prompt.ext.attributes[0].ns == "urn:example");
    CHECK(prompt.ext.attributes[0].local == "voice");
    const std::string written = serialize(*kept);
    auto again = parse(written);
    REQUIRE(again.ok());
    CHECK(*again == *kept);
    if (const auto* schema = ivrSchema()) CHECK(schema->validate(written).ok());

    auto rejected = parse(body, {ForeignPolicy::Reject});
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.error().code == 431);
    CHECK(rejected.error().message.find("voice") != std::string::npos);
    CHECK(statusOf(start(R"(<prompt><media loc="a" xml:lang="en"/></prompt>)"),
                   ForeignPolicy::Reject) == 200);
    CHECK(
        statusOf(
            doc(R"(<event dialogid="d"><dialogexit status="1"><ex:info xmlns:ex="urn:example" a="1"/></dialogexit></event>)"),
            ForeignPolicy::Reject) == 431);
}

TEST_CASE("ivr: foreign element trees survive a round trip with their namespaces") {
    const std::string body = doc(
        R"(<event dialogid="d" xmlns:ex="urn:example" xmlns:o="urn:other"><dialogexit status="1">)"
        R"(<ex:listeninfo speech="1 2 3 4" termmode="match" o:conf="0.9"><ex:alt>one<o:w n="1"/></ex:alt><plain xmlns="">x</plain></ex:listeninfo>)"
        R"(</dialogexit></event>)");
    auto first = parse(body);
    REQUIRE(first.ok());
    const auto& exit = std::get<DialogExit>(std::get<Event>(*first).notification);
    REQUIRE(exit.ext.elements.size() == 1);
    const std::string written = serialize(*first);
    INFO(written);
    auto second = parse(written);
    REQUIRE(second.ok());
    CHECK(*second == *first);
    const auto& tree =
        std::get<DialogExit>(std::get<Event>(*second).notification).ext.elements[0].element;
    CHECK(tree.children.at(1).ns.empty());
    CHECK(tree.children.at(0).children.at(0).ns == "urn:other");
    if (const auto* schema = ivrSchema()) CHECK(schema->validate(written).ok());
}

TEST_CASE("ivr: hostile documents are refused with 400") {
    CHECK(statusOf(R"(<!DOCTYPE mscivr [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>)" +
                   doc("<audit/>")) == 400);
    CHECK(statusOf(R"(<!DOCTYPE mscivr SYSTEM "http://attacker.example/x.dtd">)" +
                   doc("<audit/>")) == 400);
    CHECK(statusOf("") == 400);
    CHECK(statusOf("not xml at all") == 400);
    CHECK(statusOf(doc("<audit/>").substr(0, 40)) == 400);
    CHECK(statusOf(std::string("\xff\xfe\x00<\x00m", 6)) == 400);
    CHECK(statusOf(doc("<audit>&undefined;</audit>")) == 400);

    std::string deep = "<prompt>";
    for (int i = 0; i < 200; ++i) deep += R"(<ex:n xmlns:ex="urn:example">)";
    for (int i = 0; i < 200; ++i) deep += "</ex:n>";
    deep += R"(<media loc="a"/></prompt>)";
    CHECK(statusOf(start(deep)) == 400);

    std::string big = R"(<prompt>)";
    while (big.size() < (2u << 20))
        big += R"(<media loc="http://www.example.com/a-rather-long-prompt-name.wav"/>)";
    big += "</prompt>";
    auto r = parse(start(big));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == 400);

    std::string manyAttrs = "<prompt><media loc=\"a\"";
    for (int i = 0; i < 100; ++i) manyAttrs += " ex:a" + std::to_string(i) + "=\"1\"";
    manyAttrs += R"( xmlns:ex="urn:example"/></prompt>)";
    CHECK(statusOf(start(manyAttrs)) == 400);
}

TEST_CASE("ivr: validateDialog applies the parser's rules to hand-built dialogs") {
    Dialog d;
    CHECK(codeOf(validateDialog(d)) == 400);
    d.prompt.emplace();
    CHECK(codeOf(validateDialog(d)) == 400);
    d.prompt->items.push_back(Dtmf{"12", -100, milliseconds(100), milliseconds(100), {}});
    CHECK(codeOf(validateDialog(d)) == 400);
    std::get<Dtmf>(d.prompt->items[0]).level = -20;
    CHECK(codeOf(validateDialog(d)) == 200);
    d.control.emplace();
    d.control->ffKey = '1';
    d.control->rwKey = '1';
    CHECK(codeOf(validateDialog(d)) == 413);
    d.control->rwKey = 'E';
    CHECK(codeOf(validateDialog(d)) == 400);
    d.control->rwKey = '2';
    CHECK(codeOf(validateDialog(d)) == 200);
    d.collect.emplace();
    d.collect->grammar.emplace();
    CHECK(codeOf(validateDialog(d)) == 400);
    d.collect->grammar->src = "http://g";
    CHECK(codeOf(validateDialog(d)) == 200);
    CHECK(controlKeys(*d.control).size() == 2);
}
