// RFC 4575 conference-info documents: what Parley writes is valid against the RFC 4575
// schema (../shared/spec/xsd, skipped when absent) and parses back equal; the RFC's own
// examples (read from ../shared/spec/rfc4575.txt at run time) parse; bad documents are
// refused with 400 and a reason.
#include <catch2/catch.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "proto/packages/conference_info/conference_info.hpp"
#include "proto/xml/schema_set.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::proto;
using namespace parley::proto::confinfo;

namespace {

std::optional<xml::SchemaSet> loadSchema() {
    auto dir = parley::test::specDir();
    if (!dir || !std::filesystem::exists(*dir / "xsd" / "conference-info.xsd")) return std::nullopt;
    auto set = xml::SchemaSet::load({*dir / "xsd" / "conference-info.xsd"});
    if (!set) FAIL("schema load failed: " << set.error().message);
    return std::move(*set);
}

// The example documents of RFC 4575 section 7, without the page breaks of the text.
std::vector<std::string> rfcExamples() {
    std::vector<std::string> out;
    auto dir = parley::test::specDir();
    if (!dir || !std::filesystem::exists(*dir / "rfc4575.txt")) return out;
    std::istringstream in(parley::test::readFile(*dir / "rfc4575.txt"));
    std::string line;
    std::string doc;
    bool inside = false;
    while (std::getline(in, line)) {
        if (!inside && line.find("<conference-info") != std::string::npos &&
            line.find("xmlns") == std::string::npos && line.find('>') == std::string::npos) {
            inside = true;
            doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        }
        if (!inside) continue;
        if (line.rfind("Rosenberg, et al.", 0) == 0 || line.rfind("RFC 4575", 0) == 0 ||
            line.find('\f') != std::string::npos)
            continue;
        doc += line + "\n";
        if (line.find("</conference-info>") != std::string::npos) {
            out.push_back(doc);
            inside = false;
        }
    }
    return out;
}

ConferenceInfo kitchenSink() {
    ConferenceInfo info;
    info.entity = "sip:room42@as.example.net";
    info.state = State::Full;
    info.version = 7;
    ConferenceDescription d;
    d.displayText = "Weekly <sync> & review";
    d.subject = "Agenda";
    d.freeText = "free text";
    d.keywords = {"weekly", "sync"};
    d.confUris = {{"sip:room42@as.example.net", "dial in", "participation"}};
    d.serviceUris = {{"http://example.net/rooms/42", "", "web-page"}};
    d.maximumUserCount = 50;
    d.availableMedia = {{"audio-1", "main audio", "audio", MediaStatus::SendRecv}};
    info.description = d;
    info.hostInfo = HostInfo{"Parley", "http://example.net/", {{"sip:conference@as.example.net", "", ""}}};
    info.conferenceState = ConferenceState{3, true, false};
    Users users;
    User alice;
    alice.entity = "sip:alice@example.com";
    alice.displayText = "Alice";
    alice.roles = {"moderator", "participant"};
    alice.languages = {"en", "fr-CA"};
    Endpoint ep;
    ep.entity = "sip:alice@pc1.example.com";
    ep.displayText = "Alice's phone";
    ep.status = EndpointStatus::Connected;
    ep.joiningMethod = JoiningMethod::DialedIn;
    ep.joiningInfo = Execution{"2024-03-04T20:00:00Z", "", "sip:alice@example.com"};
    ep.media = {{"1", "main audio", "audio", "audio-1", "432424", MediaStatus::SendRecv}};
    ep.callInfo = SipDialogId{"", "a84b4c76e66710", "1928301774", "314159"};
    alice.endpoints = {ep};
    User anonymous;  // RFC 4575 section 5.6: no identity shown
    anonymous.displayText = "Anonymous";
    Endpoint anonEp;
    anonEp.status = EndpointStatus::MutedViaFocus;
    anonEp.referred = Execution{"", "invited", "sip:alice@example.com"};
    anonEp.media = {{"2", "", "audio", "", "", MediaStatus::RecvOnly}};
    anonymous.endpoints = {anonEp};
    User bob;
    bob.entity = "sip:bob@example.com";
    bob.associatedAors = {{"tel:+15551234", "", ""}};
    bob.cascadedFocus = "sip:conf@other.example.com";
    Endpoint bobEp;
    bobEp.entity = "sip:bob@pc2.example.com";
    bobEp.status = EndpointStatus::Disconnected;
    bobEp.disconnectionMethod = DisconnectionMethod::Booted;
    bobEp.disconnectionInfo = Execution{"2024-03-04T20:05:00Z", "ejected", "sip:alice@example.com"};
    bob.endpoints = {bobEp};
    users.users = {alice, anonymous, bob};
    info.users = users;
    info.sidebarsByRef = {{"sip:room42-side@as.example.net", "side", ""}};
    return info;
}

ConferenceInfo partialLeave() {
    ConferenceInfo info;
    info.entity = "sip:room42@as.example.net";
    info.state = State::Partial;
    info.version = 8;
    info.conferenceState = ConferenceState{2, std::nullopt, std::nullopt};
    Users users;
    users.state = State::Partial;
    User bob;
    bob.entity = "sip:bob@example.com";
    bob.state = State::Deleted;
    users.users = {bob};
    User carol;
    carol.entity = "sip:carol@example.com";
    carol.state = State::Partial;
    Endpoint ep;
    ep.entity = "sip:carol@pc3.example.com";
    ep.state = State::Partial;
    ep.status = EndpointStatus::OnHold;
    carol.endpoints = {ep};
    users.users.push_back(carol);
    info.users = users;
    return info;
}

int statusOf(std::string_view doc) {
    auto r = parse(doc);
    return r ? 200 : r.error().code;
}

std::string wrap(std::string_view children, std::string_view rootAttrs = "entity=\"sip:c@h\"") {
    return "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" " +
           std::string(rootAttrs) + ">" + std::string(children) + "</conference-info>";
}

}  // namespace

TEST_CASE("conference_info: documents built in code parse back equal", "[confinfo]") {
    for (const auto& info : {kitchenSink(), partialLeave()}) {
        std::string doc = write(info);
        INFO(doc);
        auto back = parse(doc);
        REQUIRE(back.ok());
        CHECK(*back == info);
    }
    std::string doc = write(kitchenSink());
    CHECK(doc.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conference-info", 0) == 0);
    CHECK(doc.find("xmlns=\"urn:ietf:params:xml:ns:conference-info\"") != std::string::npos);
    CHECK(doc.find("Weekly &lt;sync&gt; &amp; review") != std::string::npos);
    CHECK(doc.find("<keywords>weekly sync</keywords>") != std::string::npos);
    CHECK(doc.find("<status>muted-via-focus</status>") != std::string::npos);
    // The anonymous user carries no entity attribute.
    CHECK(doc.find("<user>") != std::string::npos);
    std::string partial = write(partialLeave());
    CHECK(partial.find("state=\"partial\" version=\"8\"") != std::string::npos);
    CHECK(partial.find("<user entity=\"sip:bob@example.com\" state=\"deleted\"/>") != std::string::npos);
}

TEST_CASE("conference_info: what Parley writes is valid against the RFC 4575 schema",
          "[confinfo][schema]") {
    auto schema = loadSchema();
    if (!schema) PARLEY_SKIP("../shared/spec/xsd/conference-info.xsd not available");
    ConferenceInfo minimal;
    minimal.entity = "sip:room1@as.example.net";
    ConferenceInfo deleted;
    deleted.entity = "sip:room1@as.example.net";
    deleted.state = State::Deleted;
    deleted.version = 99;
    ConferenceInfo emptyUsers;
    emptyUsers.entity = "sip:room1@as.example.net";
    emptyUsers.users = Users{};
    for (const auto& info : {kitchenSink(), partialLeave(), minimal, deleted, emptyUsers}) {
        std::string doc = write(info);
        auto valid = schema->validate(doc);
        INFO(doc);
        CHECK(valid.ok());
        if (!valid) UNSCOPED_INFO(valid.error().message);
    }
    // The oracle can fail: a bad enumeration is refused by the schema.
    std::string bad = write(minimal);
    bad.replace(bad.find("state=\"full\""), 12, "state=\"most\"");
    CHECK_FALSE(schema->validate(bad).ok());
}

TEST_CASE("conference_info: the RFC 4575 examples parse, and round trip schema-valid",
          "[confinfo][examples]") {
    auto examples = rfcExamples();
    if (examples.empty()) PARLEY_SKIP("../shared/spec/rfc4575.txt not available");
    REQUIRE(examples.size() >= 2);
    auto schema = loadSchema();
    for (const auto& ex : examples) {
        INFO(ex);
        auto info = parse(ex);
        REQUIRE(info.ok());
        CHECK(info->entity == "sips:conf233@example.com");
        std::string written = write(*info);
        auto back = parse(written);
        REQUIRE(back.ok());
        CHECK(*back == *info);
        if (schema) {
            auto valid = schema->validate(written);
            if (!valid) UNSCOPED_INFO(valid.error().message);
            CHECK(valid.ok());
        }
    }
    auto full = parse(examples[0]);
    REQUIRE(full.ok());
    CHECK(full->state == State::Full);
    CHECK(full->version == 1u);
    REQUIRE(full->conferenceState);
    CHECK(full->conferenceState->userCount == 33u);
    REQUIRE(full->users);
    REQUIRE(full->users->users.size() == 2);
    const auto& bob = full->users->users[0];
    CHECK(bob.entity == "sip:bob@example.com");
    CHECK(bob.displayText == "Bob Hoskins");
    REQUIRE(bob.endpoints.size() == 1);
    CHECK(bob.endpoints[0].status == EndpointStatus::Disconnected);
    CHECK(bob.endpoints[0].disconnectionMethod == DisconnectionMethod::Departed);
    REQUIRE(bob.endpoints[0].disconnectionInfo);
    CHECK(bob.endpoints[0].disconnectionInfo->reason == "bad voice quality");
    REQUIRE(bob.endpoints[0].media.size() == 1);
    CHECK(bob.endpoints[0].media[0].srcId == "432424");
    CHECK(bob.endpoints[0].media[0].status == MediaStatus::SendRecv);
    CHECK(full->users->users[1].endpoints[0].joiningMethod == JoiningMethod::DialedOut);
    auto rich = parse(examples[1]);
    REQUIRE(rich.ok());
    CHECK(rich->state == State::Partial);
    CHECK(rich->sidebarsByRef.size() == 2);
}

TEST_CASE("conference_info: bad documents are refused with 400 and a reason", "[confinfo]") {
    CHECK(statusOf("") == 400);
    CHECK(statusOf("not xml at all") == 400);
    CHECK(statusOf("<conference-info entity=\"sip:c@h\"/>") == 400);  // no namespace
    CHECK(statusOf("<x xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"sip:c@h\"/>") == 400);
    CHECK(statusOf(wrap("", "")) == 400);                                   // entity missing
    CHECK(statusOf(wrap("", "entity=\"sip:c@h\" state=\"most\"")) == 400);
    CHECK(statusOf(wrap("", "entity=\"sip:c@h\" version=\"-1\"")) == 400);
    CHECK(statusOf(wrap("", "entity=\"sip:c@h\" version=\"99999999999\"")) == 400);
    CHECK(statusOf(wrap("<conference-state><user-count>many</user-count></conference-state>")) == 400);
    CHECK(statusOf(wrap("<conference-state><locked>maybe</locked></conference-state>")) == 400);
    CHECK(statusOf(wrap("<users><user><endpoint><status>asleep</status></endpoint></user></users>")) == 400);
    CHECK(statusOf(wrap("<users><user><endpoint><media><type>audio</type></media></endpoint></user></users>")) == 400);
    CHECK(statusOf(wrap("<conference-description><conf-uris><entry><purpose>x</purpose></entry>"
                        "</conf-uris></conference-description>")) == 400);
    CHECK(statusOf(wrap("<conference-description><available-media><entry><type>audio</type>"
                        "</entry></available-media></conference-description>")) == 400);
    CHECK(statusOf(wrap("<bogus/>")) == 400);
    CHECK(statusOf(wrap("<conference-state/><conference-state/>")) == 400);
    CHECK(statusOf("<!DOCTYPE x [<!ENTITY a \"b\">]>" + wrap("")) == 400);
    auto r = parse(wrap("<users><user><endpoint><status>asleep</status></endpoint></user></users>"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("status") != std::string::npos);
    CHECK(r.error().message.find("asleep") != std::string::npos);

    // Extensions of other namespaces are skipped, whatever they hold.
    auto ext = parse(wrap("<x:extra xmlns:x=\"urn:example\"><x:y/></x:extra>"
                          "<conference-state x:a=\"1\" xmlns:x=\"urn:example\"><active>1</active>"
                          "</conference-state>"));
    REQUIRE(ext.ok());
    REQUIRE(ext->conferenceState);
    CHECK(ext->conferenceState->active == true);
    // Deep nesting and huge documents stop at the XML layer's limits.
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "<x:a xmlns:x=\"urn:example\">";
    for (int i = 0; i < 100; ++i) deep += "</x:a>";
    CHECK(statusOf(wrap(deep)) == 400);
    xml::Limits small;
    small.maxBytes = 64;
    CHECK_FALSE(confinfo::parse(write(kitchenSink()), small).ok());
}
