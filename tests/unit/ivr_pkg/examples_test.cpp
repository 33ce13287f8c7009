// The RFC 6231 example bodies (../shared/spec/examples/ivr_*.xml) as test vectors.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "proto/packages/ivr/ivr.hpp"
#include "proto/xml/schema_set.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/ivr_pkg/schema.hpp"

using namespace parley::proto;
using namespace parley::proto::ivr;
using parley::test::readFile;
using parley::test::specFiles;

namespace {

// The examples the RFC itself gets wrong, recognized by content rather than file name.
// Returns why the example is invalid, or nullopt for a valid one.
std::optional<std::string> knownInvalid(const std::string& body) {
    const bool terminate = body.find("<dialogterminate") != std::string::npos;
    if (terminate && body.find("dialogid") == std::string::npos)
        return "dialogterminate without dialogid";
    if (body.find("repeatCount=\"two\"") != std::string::npos) return "repeatCount=\"two\"";
    const bool start = body.find("<dialogstart") != std::string::npos;
    if (start && body.find("connectionid") == std::string::npos &&
        body.find("conferenceid") == std::string::npos)
        return "dialogstart with neither connectionid nor conferenceid (section 7 sketch)";
    return std::nullopt;
}

std::string fileName(const std::filesystem::path& p) {
    return p.filename().string();
}

}  // namespace

TEST_CASE("ivr: every RFC example parses, except the invalid ones which get 400") {
    const auto files = specFiles("examples", "ivr_");
    if (files.empty()) PARLEY_SKIP("no ../shared/spec/examples");
    int valid = 0;
    int invalid = 0;
    for (const auto& f : files) {
        const std::string body = readFile(f);
        INFO(fileName(f));
        auto parsed = parseDocument(body);
        if (auto why = knownInvalid(body)) {
            INFO(*why);
            REQUIRE_FALSE(parsed.ok());
            CHECK(parsed.error().code == 400);
            CHECK_FALSE(parsed.error().message.empty());
            ++invalid;
        } else {
            INFO((parsed.ok() ? std::string() : parsed.error().message));
            REQUIRE(parsed.ok());
            ++valid;
        }
    }
    CHECK(invalid == 3);
    CHECK(valid == static_cast<int>(files.size()) - 3);
    CHECK(valid >= 50);
}

TEST_CASE("ivr: every valid RFC example round-trips to an equal document") {
    const auto files = specFiles("examples", "ivr_");
    if (files.empty()) PARLEY_SKIP("no ../shared/spec/examples");
    int checked = 0;
    for (const auto& f : files) {
        const std::string body = readFile(f);
        if (knownInvalid(body)) continue;
        INFO(fileName(f));
        auto first = parseDocument(body);
        REQUIRE(first.ok());
        const std::string written = serialize(*first);
        INFO(written);
        auto second = parseDocument(written);
        REQUIRE(second.ok());
        CHECK(*second == *first);
        // Writing is stable: the second serialization is byte-identical to the first.
        CHECK(serialize(*second) == written);
        ++checked;
    }
    CHECK(checked >= 50);
}

TEST_CASE("ivr: what Parley writes for every RFC example validates against mscivr.xsd") {
    const auto files = specFiles("examples", "ivr_");
    const xml::SchemaSet* schema = ivrSchema();
    if (files.empty() || !schema) PARLEY_SKIP("no ../shared/spec");
    int checked = 0;
    for (const auto& f : files) {
        const std::string body = readFile(f);
        if (knownInvalid(body)) continue;
        auto doc = parseDocument(body);
        REQUIRE(doc.ok());
        const std::string written = serialize(*doc);
        INFO(fileName(f) << "\n" << written);
        auto st = schema->validate(written);
        CHECK((st.ok() ? std::string() : st.error().message) == "");
        ++checked;
    }
    CHECK(checked >= 50);
}

TEST_CASE("ivr: the invalid RFC examples are refused with the RFC's reasons") {
    const auto files = specFiles("examples", "ivr_");
    if (files.empty()) PARLEY_SKIP("no ../shared/spec/examples");
    bool sawTerminate = false;
    bool sawRepeat = false;
    for (const auto& f : files) {
        const std::string body = readFile(f);
        if (!knownInvalid(body)) continue;
        auto r = parse(body);
        REQUIRE_FALSE(r.ok());
        if (body.find("<dialogterminate") != std::string::npos) {
            sawTerminate = true;
            CHECK(r.error().message.find("dialogid") != std::string::npos);
        }
        if (body.find("repeatCount") != std::string::npos) {
            sawRepeat = true;
            CHECK(r.error().message.find("repeatCount") != std::string::npos);
            CHECK(r.error().message.find("two") != std::string::npos);
        }
    }
    CHECK(sawTerminate);
    CHECK(sawRepeat);
}

TEST_CASE("ivr: RFC examples carry the values the RFC describes") {
    const auto dir = parley::test::specDir();
    if (!dir) PARLEY_SKIP("no ../shared/spec");
    auto load = [&](const char* name) { return readFile(*dir / "examples" / name); };

    SECTION("prompt and collect with defaults (section 4.2.2)") {
        auto m = parse(load("ivr_06_s4.2.2.xml"));
        REQUIRE(m.ok());
        const auto& start = std::get<DialogStart>(*m);
        CHECK(start.connectionId == "connection1");
        REQUIRE(start.dialog);
        REQUIRE(start.dialog->prompt);
        REQUIRE(start.dialog->prompt->items.size() == 1);
        const auto& media = std::get<Media>(start.dialog->prompt->items[0]);
        CHECK(media.loc == "http://www.example.com/getpin.wav");
        CHECK(media.fetchTimeout == std::chrono::seconds(30));
        CHECK(media.soundLevel == 100u);
        REQUIRE(start.dialog->collect);
        CHECK(start.dialog->collect->maxDigits == 2u);
        CHECK(start.dialog->collect->timeout == std::chrono::seconds(5));
        REQUIRE(start.subscribe);
        REQUIRE(start.subscribe->dtmfSubs.size() == 1);
        CHECK(start.subscribe->dtmfSubs[0].matchMode == MatchMode::All);
    }
    SECTION("par with a seq and endsync first (section 4.3.1.1.3.1)") {
        auto m = parse(load("ivr_23_s4.3.1.1.3.1.xml"));
        REQUIRE(m.ok());
        const auto& par = std::get<Par>(std::get<DialogStart>(*m).dialog->prompt->items.at(0));
        CHECK(par.endSync == EndSync::First);
        REQUIRE(par.items.size() == 2);
        CHECK(std::get<Seq>(par.items[0]).items.size() == 4);
        CHECK(std::get<Media>(par.items[1]).type == "video/3gpp;codecs='s263'");
    }
    SECTION("dialogexit with control matches (section 6.2.4)") {
        auto m = parse(load("ivr_42_s6.2.4.xml"));
        REQUIRE(m.ok());
        const auto& exit = std::get<DialogExit>(std::get<Event>(*m).notification);
        CHECK(exit.status == exit_status::kSuccess);
        CHECK(exit.promptInfo->termMode == PromptTermMode::Bargein);
        REQUIRE(exit.controlInfo->matches.size() == 3);
        CHECK(exit.controlInfo->matches[1].dtmf == "3");
        CHECK(exit.controlInfo->matches[1].timestamp == "2008-05-12T12:13:15Z");
        CHECK(exit.collectInfo->dtmf == "14");
    }
    SECTION("auditresponse with capabilities and dialogs (section 4.4.2)") {
        auto m = parse(load("ivr_28_s4.4.2.xml"));
        REQUIRE(m.ok());
        const auto& ar = std::get<AuditResponse>(*m);
        REQUIRE(ar.capabilities);
        CHECK(ar.capabilities->dialogLanguages.types ==
              std::vector<std::string>{"application/voicexml+xml"});
        CHECK(ar.capabilities->grammarTypes.types.empty());
        CHECK(ar.capabilities->variables.types.at(0).formats.size() == 4);
        CHECK(ar.capabilities->maxPreparedDuration == std::chrono::seconds(600));
        CHECK(ar.capabilities->maxRecordDuration == std::chrono::seconds(1800));
        CHECK(ar.capabilities->codecs.codecs.size() == 5);
        REQUIRE(ar.dialogs);
        REQUIRE(ar.dialogs->dialogs.size() == 3);
        CHECK(ar.dialogs->dialogs[2].state == DialogState::Started);
        CHECK(ar.dialogs->dialogs[2].conferenceId == "conf1");
        CHECK(ar.dialogs->dialogs[2].codecs->codecs.at(1).subtype == "telephone-event");
    }
    SECTION("params with CDATA content (section 4.2.6.1)") {
        auto m = parse(load("ivr_21_s4.2.6.1.xml"));
        REQUIRE(m.ok());
        const auto& params = std::get<DialogExit>(std::get<Event>(*m).notification).params;
        REQUIRE(params);
        REQUIRE(params->params.size() == 2);
        CHECK(params->params[1].type == "audio/x-wav");
        CHECK(params->params[1].encoding == "base64");
        CHECK(params->params[1].value.find("R0lGODlhZABqALMAAFrMYr") != std::string::npos);
    }
    SECTION("external dialog language stays a valid request (421 is the MS's call)") {
        auto m = parse(load("ivr_47_s6.3.xml"));
        REQUIRE(m.ok());
        const auto& start = std::get<DialogStart>(*m);
        CHECK(start.src == "http://www.example.com/mydialog.vxml");
        CHECK(start.type == "application/voicexml+xml");
        CHECK(start.fetchTimeout == std::chrono::seconds(15));
        CHECK_FALSE(start.dialog);
    }
    SECTION("foreign element: kept by default, 431 when the caller rejects extensions") {
        const std::string body = load("ivr_49_s6.4.xml");
        auto kept = parse(body);
        REQUIRE(kept.ok());
        const auto& dialog = *std::get<DialogStart>(*kept).dialog;
        REQUIRE(dialog.ext.elements.size() == 1);
        CHECK(dialog.ext.elements[0].element.local == "listen");
        CHECK(dialog.ext.elements[0].element.ns == "http://www.example.com/mediactrl/extensions/1");
        auto rejected = parse(body, {ForeignPolicy::Reject});
        REQUIRE_FALSE(rejected.ok());
        CHECK(rejected.error().code == status::kUnsupportedForeign);
        CHECK(rejected.error().message.find("listen") != std::string::npos);
    }
    SECTION("root desclang is kept in the document") {
        auto d = parseDocument(load("ivr_03_s4.1.xml"));
        REQUIRE(d.ok());
        CHECK(d->descLang == "en");
        CHECK(serialize(*d).find("desclang=\"en\"") != std::string::npos);
    }
}
