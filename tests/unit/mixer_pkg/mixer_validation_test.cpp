// Each rule the mixer codec enforces, with the package status it answers.

#include <catch2/catch.hpp>

#include <string>

#include "mixer_test_util.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "proto/packages/mixer/mixer_status.hpp"

using namespace parley::proto::mixer;
using parley::test::mixer::doc;
using parley::test::mixer::statusOf;

namespace {
constexpr const char* kFoo = " xmlns:foo=\"http://example.com/foo\"";
std::string join(std::string_view streams) {
    return doc("<join id1=\"a:b\" id2=\"conf1\">" + std::string(streams) + "</join>");
}
std::string stream(std::string_view inner) {
    return join("<stream media=\"audio\">" + std::string(inner) + "</stream>");
}
}  // namespace

TEST_CASE("mixer_pkg: root element rules", "[mixer][validation]") {
    CHECK(statusOf(doc("<audit/>")) == 200);
    CHECK(
        statusOf(
            "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\"><audit/></mscivr>") ==
        400);
    CHECK(statusOf("<mscmixer version=\"1.0\" xmlns=\"urn:example:other\"><audit/></mscmixer>") ==
          400);
    CHECK(statusOf("<mscmixer version=\"1.0\"><audit/></mscmixer>") == 400);
    CHECK(statusOf("<mscmixer xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>") ==
          400);
    CHECK(statusOf("<mscmixer version=\"2.0\" "
                   "xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>") == 400);
    CHECK(statusOf(doc("")) == 400);                  // no child
    CHECK(statusOf(doc("<audit/><audit/>")) == 400);  // two children
    CHECK(statusOf(doc("<conference/>")) == 400);     // unknown root child
    CHECK(statusOf(doc("hello<audit/>")) == 400);     // stray text
    CHECK(statusOf("<mscmixer version=\"1.0\" desclang=\"not a tag\" "
                   "xmlns=\"urn:ietf:params:xml:ns:msc-mixer\"><audit/></mscmixer>") == 400);
    CHECK(statusOf(doc("<audit xmlns=\"\"/>")) == 400);  // child in no namespace
}

TEST_CASE("mixer_pkg: the RFC's <response code=...> example is not a valid response",
          "[mixer][validation]") {
    CHECK(statusOf(doc("<response code=\"200\"/>")) == 400);
    CHECK(statusOf(doc("<response status=\"200\"/>")) == 200);
    CHECK(statusOf(doc("<response status=\"20\"/>")) == 400);
    CHECK(statusOf(doc("<response status=\"2000\"/>")) == 400);
    CHECK(statusOf(doc("<response status=\"abc\"/>")) == 400);
    CHECK(statusOf(doc("<auditresponse/>")) == 400);
}

TEST_CASE("mixer_pkg: required attributes", "[mixer][validation]") {
    CHECK(statusOf(doc("<modifyconference><audio-mixing/></modifyconference>")) == 400);
    CHECK(statusOf(doc("<destroyconference/>")) == 400);
    CHECK(statusOf(doc("<destroyconference conferenceid=\"\"/>")) == 400);
    CHECK(statusOf(doc("<join id1=\"a:b\"/>")) == 400);
    CHECK(statusOf(doc("<join id2=\"a:b\"/>")) == 400);
    CHECK(statusOf(doc("<modifyjoin id1=\"a:b\"><stream media=\"audio\"/></modifyjoin>")) == 400);
    CHECK(statusOf(doc("<unjoin id1=\"a:b\"/>")) == 400);
    CHECK(statusOf(join("<stream direction=\"sendrecv\"/>")) == 400);  // media
    CHECK(statusOf(stream("<volume value=\"3\"/>")) == 400);           // controltype
    CHECK(statusOf(doc("<event><conferenceexit status=\"0\"/></event>")) == 400);
    CHECK(statusOf(doc("<event><conferenceexit conferenceid=\"c\"/></event>")) == 400);
    CHECK(statusOf(doc("<event><unjoin-notify status=\"0\" id1=\"a\"/></event>")) == 400);
    CHECK(statusOf(doc("<event><active-talkers-notify/></event>")) == 400);
    CHECK(statusOf(doc("<createconference><codecs><codec><subtype>PCMU</subtype></codec></codecs>"
                       "</createconference>")) == 400);  // codec name
    CHECK(statusOf(doc(
              "<createconference><codecs><codec name=\"audio\"/></codecs></createconference>")) ==
          400);
    CHECK(statusOf(doc("<auditresponse status=\"200\"><capabilities/></auditresponse>")) == 400);
    CHECK(statusOf(doc("<auditresponse status=\"200\"><mixers><joinaudit "
                       "id1=\"a\"/></mixers></auditresponse>")) == 400);
    CHECK(
        statusOf(doc(
            "<auditresponse status=\"200\"><mixers><conferenceaudit/></mixers></auditresponse>")) ==
        400);
}

TEST_CASE("mixer_pkg: enumerations", "[mixer][validation]") {
    CHECK(statusOf(join("<stream media=\"audio\" direction=\"both\"/>")) == 400);
    CHECK(statusOf(join("<stream media=\"audio\" direction=\" recvonly \"/>")) ==
          200);  // NMTOKEN whitespace
    CHECK(statusOf(stream("<volume controltype=\"loud\" value=\"3\"/>")) == 400);
    CHECK(statusOf(doc("<createconference><audio-mixing type=\"loudest\"/></createconference>")) ==
          400);
    CHECK(statusOf(doc(
              "<createconference><audio-mixing type=\"controller\"/></createconference>")) == 200);
    CHECK(statusOf(stream("<volume controltype=\"setstate\" value=\"off\"/>")) == 400);
    CHECK(statusOf(stream("<volume controltype=\"setstate\"/>")) == 400);
    CHECK(statusOf(stream("<volume controltype=\"setstate\" value=\"mute\"/>")) == 200);
    CHECK(statusOf(stream("<volume controltype=\"setstate\" value=\"unmute\"/>")) == 200);
    CHECK(
        statusOf(doc("<createconference><video-layouts><video-layout><triple-view/></video-layout>"
                     "</video-layouts></createconference>")) == 400);
    CHECK(statusOf(doc(
              "<createconference><video-switch><loudest/></video-switch></createconference>")) ==
          400);
}

TEST_CASE("mixer_pkg: setgain takes a signed number of dB", "[mixer][validation]") {
    for (const char* good : {"-3", "+3", "0", "-2.5", ".5", "+1.", " 6 "}) {
        INFO(good);
        CHECK(statusOf(stream(std::string("<volume controltype=\"setgain\" value=\"") + good +
                              "\"/>")) == 200);
    }
    for (const char* bad :
         {"loud", "3dB", "", "+", "1.2.3", "--3", "1e3", "0x10",
          "12345678901234567890123456789012345678901234567890123456789012345", "1000001"}) {
        INFO(bad);
        CHECK(statusOf(stream(std::string("<volume controltype=\"setgain\" value=\"") + bad +
                              "\"/>")) == 400);
    }
    CHECK(statusOf(stream("<volume controltype=\"setgain\"/>")) == 400);
    auto m = parse(stream("<volume controltype=\"setgain\" value=\"-3\"/>"));
    REQUIRE(m);
    CHECK(std::get<Join>(*m).streams[0].volume->gainDb == -3.0);
    // automatic keeps its target level as given.
    auto a = parse(stream("<volume controltype=\"automatic\" value=\"-20dBov\"/>"));
    REQUIRE(a);
    CHECK(std::get<Join>(*a).streams[0].volume->level == "-20dBov");
}

TEST_CASE("mixer_pkg: co-occurrence rules the schema cannot express", "[mixer][validation]") {
    // modifyjoin needs a stream; join and unjoin do not.
    CHECK(statusOf(doc("<modifyjoin id1=\"a:b\" id2=\"c\"/>")) == 400);
    CHECK(statusOf(doc("<join id1=\"a:b\" id2=\"c\"/>")) == 200);
    CHECK(statusOf(doc("<unjoin id1=\"a:b\" id2=\"c\"/>")) == 200);
    // modifyconference needs a child, any one (not necessarily <subscribe>).
    CHECK(statusOf(doc("<modifyconference conferenceid=\"c\"/>")) == 400);
    CHECK(statusOf(doc(
              "<modifyconference conferenceid=\"c\"><audio-mixing n=\"2\"/></modifyconference>")) ==
          200);
    CHECK(statusOf(doc("<modifyconference conferenceid=\"c\"><codecs/></modifyconference>")) ==
          200);
    // video-layouts: one or more, distinct min-participants (default 1 counts).
    CHECK(statusOf(doc("<createconference><video-layouts/></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-layouts>"
                       "<video-layout min-participants=\"2\"><dual-view/></video-layout>"
                       "<video-layout min-participants=\"2\"><quad-view/></video-layout>"
                       "</video-layouts></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-layouts>"
                       "<video-layout><single-view/></video-layout>"
                       "<video-layout min-participants=\"1\"><quad-view/></video-layout>"
                       "</video-layouts></createconference>")) == 400);
    // video-layout and video-switch hold exactly one child.
    CHECK(statusOf(doc("<createconference><video-layouts><video-layout/></video-layouts></"
                       "createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-layouts><video-layout><single-view/><dual-view/>"
                       "</video-layout></video-layouts></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-switch/></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-switch><vas/><controller/></video-switch></"
                       "createconference>")) == 400);
    // active-talker: exactly one of connectionid / conferenceid.
    const std::string both =
        doc("<event><active-talkers-notify conferenceid=\"c\">"
            "<active-talker connectionid=\"a:b\" conferenceid=\"d\"/>"
            "</active-talkers-notify></event>");
    const std::string neither =
        doc("<event><active-talkers-notify conferenceid=\"c\">"
            "<active-talker connectionid=\"a:b\"/><active-talker/>"
            "</active-talkers-notify></event>");
    CHECK(statusOf(both) == 400);
    CHECK(statusOf(neither) == 400);
    // A tolerant reader (an AS) drops such entries, as RFC 6505 4.2.4.1.1 says they describe no
    // talker.
    auto tolerant = parse(neither, ParseOptions{Leniency::tolerant, {}});
    REQUIRE(tolerant);
    const auto& atn = std::get<ActiveTalkersNotify>(std::get<Event>(*tolerant));
    REQUIRE(atn.talkers.size() == 1);
    CHECK(atn.talkers[0].id == "a:b");
    // event carries exactly one notification.
    CHECK(statusOf(doc("<event/>")) == 400);
    CHECK(statusOf(doc("<event><conferenceexit conferenceid=\"c\" status=\"0\"/>"
                       "<unjoin-notify status=\"0\" id1=\"a\" id2=\"c\"/></event>")) == 400);
}

TEST_CASE("mixer_pkg: numbers and booleans", "[mixer][validation]") {
    CHECK(statusOf(doc("<createconference><audio-mixing n=\"-1\"/></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><audio-mixing n=\"three\"/></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><audio-mixing n=\"+3\"/></createconference>")) == 200);
    CHECK(statusOf(doc("<createconference reserved-talkers=\"99999999999\"/>")) == 400);
    CHECK(statusOf(doc("<createconference reserved-listeners=\"1.5\"/>")) == 400);
    CHECK(statusOf(doc("<createconference reserved-listeners=\"\"/>")) == 400);
    CHECK(statusOf(stream("<priority>0</priority>")) == 400);
    CHECK(statusOf(stream("<priority>-2</priority>")) == 400);
    CHECK(statusOf(stream("<priority>high</priority>")) == 400);
    CHECK(statusOf(stream("<priority> 7 </priority>")) == 200);
    CHECK(statusOf(doc(
              "<createconference><video-layouts><video-layout min-participants=\"0\"><single-view/>"
              "</video-layout></video-layouts></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-switch "
                       "interval=\"1.5\"><vas/></video-switch></createconference>")) == 400);
    CHECK(statusOf(doc("<createconference><video-switch "
                       "interval=\"-1\"><vas/></video-switch></createconference>")) == 400);
    CHECK(statusOf(
              doc("<createconference><video-switch activespeakermix=\"yes\"><vas/></video-switch>"
                  "</createconference>")) == 400);
    CHECK(statusOf(
              doc("<createconference><subscribe><active-talkers-sub interval=\"3s\"/></subscribe>"
                  "</createconference>")) == 400);
    CHECK(statusOf(doc("<event><unjoin-notify status=\"-1\" id1=\"a\" id2=\"c\"/></event>")) ==
          400);
    CHECK(statusOf(doc("<audit capabilities=\"yes\"/>")) == 400);

    auto a = parse(doc("<audit capabilities=\"0\" mixers=\"1\"/>"));
    REQUIRE(a);
    CHECK_FALSE(std::get<Audit>(*a).capabilities);
    CHECK(std::get<Audit>(*a).mixers);
    auto b = parse(doc("<audit capabilities=\"true\" mixers=\"false\"/>"));
    REQUIRE(b);
    CHECK(std::get<Audit>(*b).capabilities);
    CHECK_FALSE(std::get<Audit>(*b).mixers);
    // Unknown event statuses parse and read as execution errors.
    auto u = parse(doc("<event><unjoin-notify status=\"7\" id1=\"a\" id2=\"c\"/></event>"));
    REQUIRE(u);
    CHECK(std::get<UnjoinNotify>(std::get<Event>(*u)).effectiveStatus() == kUnjoinError);
}

TEST_CASE("mixer_pkg: schema structure: order, repetition, unknown names, text",
          "[mixer][validation]") {
    CHECK(statusOf(doc("<createconference><subscribe/><codecs/></createconference>")) ==
          400);  // order
    CHECK(statusOf(doc("<createconference><audio-mixing/><audio-mixing/></createconference>")) ==
          400);
    CHECK(statusOf(stream("<priority>1</priority><region>1</region>")) == 400);  // order
    CHECK(statusOf(stream("<volume controltype=\"setgain\" value=\"1\"/>"
                          "<volume controltype=\"setgain\" value=\"2\"/>")) == 400);
    CHECK(statusOf(join("<stream media=\"audio\" gain=\"3\"/>")) == 400);  // unknown attribute
    CHECK(statusOf(join("<strem media=\"audio\"/>")) == 400);              // unknown element
    CHECK(statusOf(join("text")) == 400);                                  // element-only content
    CHECK(statusOf(stream("<region>a b</region>")) == 400);                // NMTOKEN
    CHECK(statusOf(stream("<region><x/></region>")) == 400);               // simple content
    CHECK(statusOf(doc(
              "<audit xmlns:m=\"urn:ietf:params:xml:ns:msc-mixer\" m:mixers=\"true\"/>")) == 400);
    // Mixers list conferenceaudit and joinaudit in any order (RFC 6505 4.3.2.2).
    CHECK(statusOf(doc("<auditresponse status=\"200\"><mixers><joinaudit id1=\"a\" id2=\"b\"/>"
                       "<conferenceaudit conferenceid=\"c\"/></mixers></auditresponse>")) == 200);
}

TEST_CASE("mixer_pkg: foreign namespaces: 428 when strict, skipped when tolerant",
          "[mixer][validation][foreign]") {
    const std::string attr =
        doc(std::string("<join id1=\"a\" id2=\"b\"") + kFoo + " foo:x=\"1\"/>");
    const std::string elem = join(std::string("<stream media=\"audio\"/><foo:x") + kFoo + "/>");
    const std::string sub = doc(std::string("<createconference><subscribe><foo:floor-sub") + kFoo +
                                "/></subscribe></createconference>");
    const std::string rootChild = doc(std::string("<foo:hello") + kFoo + "/><audit/>");
    for (const auto& body : {attr, elem, sub, rootChild}) {
        INFO(body);
        CHECK(statusOf(body) == status::kUnsupportedForeign);
        CHECK(statusOf(body, Leniency::tolerant) == 200);
    }
    // A foreign element alone is no message, whatever the leniency.
    CHECK(statusOf(doc(std::string("<foo:hello") + kFoo + "/>"), Leniency::tolerant) == 400);
    // xsi:* and xml:* attributes are always accepted.
    CHECK(statusOf(doc("<audit xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                       "xsi:schemaLocation=\"urn:x y\" xml:lang=\"en\"/>")) == 200);
    // The extension points RFC 6505 names come back typed; the MS answers 423/424 itself.
    auto layout =
        parse(doc("<createconference><video-layouts><video-layout>"
                  "<mylayout xmlns='http://example.com/foo'>my-single-view</mylayout>"
                  "</video-layout></video-layouts></createconference>"));
    REQUIRE(layout);
    const auto& l = (*std::get<CreateConference>(*layout).settings.videoLayouts)[0].layout;
    CHECK(std::get<ForeignElement>(l) ==
          ForeignElement{"http://example.com/foo", "mylayout", "my-single-view"});
    CHECK(statusOf(doc("<createconference><video-layouts><video-layout><xml:view/>"
                       "</video-layout></video-layouts></createconference>")) ==
          400);  // reserved namespace
    auto policy =
        parse(doc("<modifyconference conferenceid=\"c\"><video-switch>"
                  "<mypolicy xmlns='http://example.com/foo'/></video-switch></modifyconference>"));
    REQUIRE(policy);
    CHECK(std::get<ForeignElement>(std::get<ModifyConference>(*policy).settings.videoSwitch->policy)
              .local == "mypolicy");
}

TEST_CASE("mixer_pkg: hostile documents are refused with 400", "[mixer][validation][hostile]") {
    const std::string doctype =
        "<?xml version=\"1.0\"?><!DOCTYPE mscmixer [<!ENTITY x \"boom\">]>" +
        doc("<audit conferenceid=\"&x;\"/>");
    auto d = decode(doctype);
    REQUIRE_FALSE(d.message);
    CHECK(d.message.error().code == 400);
    CHECK_FALSE(d.wellFormed);

    std::string deep;
    for (int i = 0; i < 200; ++i) deep += "<stream media=\"audio\">";
    for (int i = 0; i < 200; ++i) deep += "</stream>";
    CHECK(statusOf(join(deep)) == 400);

    std::string big = "<join id1=\"a:b\" id2=\"c\">";
    while (big.size() < (2u << 20)) big += "<stream media=\"audio\" direction=\"sendrecv\"/>";
    big += "</join>";
    auto b = decode(doc(big));
    REQUIRE_FALSE(b.message);
    CHECK(b.message.error().code == 400);
    CHECK_FALSE(b.wellFormed);

    auto broken = decode(doc("<join id1=\"a\" id2=\"b\">"));
    REQUIRE_FALSE(broken.message);
    CHECK(broken.message.error().code == 400);
    CHECK_FALSE(broken.wellFormed);

    CHECK(statusOf("") == 400);
    CHECK(statusOf(std::string("\0\0\0", 3)) == 400);

    // Well-formed but invalid: wellFormed tells the MS to answer with a package <response>.
    auto invalid = decode(doc("<join id1=\"a\"/>"));
    REQUIRE_FALSE(invalid.message);
    CHECK(invalid.wellFormed);
    CHECK(invalid.message.error().message.find("id2") != std::string::npos);
}

TEST_CASE("mixer_pkg: reasons echo hostile values only in part", "[mixer][validation]") {
    std::string longValue(5000, 'x');
    auto r = parse(join("<stream media=\"audio\" direction=\"" + longValue + "\"/>"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == 400);
    CHECK(r.error().message.size() < 300);
}
