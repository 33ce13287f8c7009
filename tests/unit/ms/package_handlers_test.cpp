// The msc-mixer and msc-ivr handlers against a fake channel: what they answer, in which
// layer (framework status or package status), and that audits tell the channel's own state.

#include <catch2/catch.hpp>

#include "ms/control/ivr_package.hpp"
#include "ms/control/mixer_package.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/ms/package_fakes.hpp"

namespace parley::ms {

namespace cfw = proto::cfw;
namespace pm = proto::mixer;
namespace ivr = proto::ivr;

namespace {

const std::string kMix = "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";
const std::string kIvr = "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">";

pm::Response mixerResponse(const Answer& a) {
    REQUIRE(a.status == 200);
    auto m = pm::parse(a.body);
    REQUIRE(m);
    REQUIRE(std::holds_alternative<pm::Response>(*m));
    return std::get<pm::Response>(*m);
}

ivr::Response ivrResponse(const Answer& a) {
    REQUIRE(a.status == 200);
    auto m = ivr::parse(a.body);
    REQUIRE(m);
    REQUIRE(std::holds_alternative<ivr::Response>(*m));
    return std::get<ivr::Response>(*m);
}

}  // namespace

TEST_CASE("ms: PackageTable finds handlers by name, ignoring case", "[ms][packages]") {
    PlaneFixture pf;
    PackageTable t;
    t.add(std::make_unique<MixerPackage>(pf.plane));
    t.add(std::make_unique<IvrPackage>());
    CHECK(t.find("msc-mixer/1.0") != nullptr);
    CHECK(t.find("MSC-IVR/1.0") != nullptr);
    CHECK(t.find("msc-example/1.0") == nullptr);
    CHECK(t.names() == std::vector<std::string>{"msc-mixer/1.0", "msc-ivr/1.0"});
}

TEST_CASE("ms: mixer: audit tells capabilities and the channel's own conferences and joins",
          "[ms][mixer]") {
    PlaneFixture pf;
    MixerPackage h(pf.plane);
    FakeContext ctx;
    auto a = ask(h, ctx, kMix + "<audit/></mscmixer>");
    REQUIRE(a.status == 200);
    CHECK(a.contentType == "application/msc-mixer+xml");
    auto m = pm::parse(a.body);
    REQUIRE(m);
    auto& r = std::get<pm::AuditResponse>(*m);
    CHECK(r.status == 200);
    REQUIRE(r.capabilities);
    REQUIRE(r.capabilities->codecs.size() == 3);
    CHECK(r.capabilities->codecs[0].name == "audio");
    CHECK(r.capabilities->codecs[0].subtype == "PCMU");
    CHECK(r.capabilities->codecs[1].subtype == "PCMA");
    REQUIRE(r.mixers);
    CHECK(r.mixers->conferences.empty());

    pf.addLeg("1536067209:913cd14c");
    REQUIRE(
        mixerResponse(ask(h, ctx, kMix + "<createconference conferenceid=\"conf1\"/></mscmixer>"))
            .status == 200);
    REQUIRE(mixerResponse(
                ask(h, ctx, kMix + "<join id1=\"1536067209:913cd14c\" id2=\"conf1\"/></mscmixer>"))
                .status == 200);
    auto b = pm::parse(ask(h, ctx, kMix + "<audit capabilities=\"false\"/></mscmixer>").body);
    REQUIRE(b);
    auto& rb = std::get<pm::AuditResponse>(*b);
    CHECK_FALSE(rb.capabilities);
    REQUIRE(rb.mixers);
    REQUIRE(rb.mixers->conferences.size() == 1);
    CHECK(rb.mixers->conferences[0].conferenceId == "conf1");
    CHECK(rb.mixers->conferences[0].participants ==
          std::optional<std::vector<std::string>>({"1536067209:913cd14c"}));
    REQUIRE(rb.mixers->joins.size() == 1);
    CHECK(rb.mixers->joins[0].id2 == "conf1");

    auto c = pm::parse(ask(h, ctx, kMix + "<audit conferenceid=\"conf4\"/></mscmixer>").body);
    REQUIRE(c);
    CHECK(std::get<pm::AuditResponse>(*c).status == 406);
}

TEST_CASE("ms: mixer: framework 400 for non-XML, package status for package errors",
          "[ms][mixer]") {
    PlaneFixture pf;
    MixerPackage h(pf.plane);
    FakeContext ctx;
    CHECK(ask(h, ctx, "<mscmixer").status == 400);
    CHECK(ask(h, ctx, "").status == 400);
    CHECK(ask(h, ctx, kMix + "<audit/></mscmixer>", "application/msc-ivr+xml").status == 400);
    CHECK(ask(h, ctx, kMix + "<audit/></mscmixer>", "Application/MSC-Mixer+XML; charset=UTF-8")
              .status == 200);

    CHECK(mixerResponse(ask(h, ctx, kMix + "<frobnicate/></mscmixer>")).status == 400);
    CHECK(mixerResponse(ask(h, ctx, kMix + "<response status=\"200\"/></mscmixer>")).status == 400);
    auto create =
        mixerResponse(ask(h, ctx, kMix + "<createconference conferenceid=\"c9\"/></mscmixer>"));
    CHECK(create.status == 200);
    CHECK(create.conferenceId.value_or("") == "c9");
    CHECK(mixerResponse(ask(h, ctx, kMix + "<createconference conferenceid=\"c9\"/></mscmixer>"))
              .status == 405);
    CHECK(mixerResponse(ask(h, ctx, kMix + "<join id1=\"a:b\" id2=\"c9\"/></mscmixer>")).status ==
          412);
    CHECK(mixerResponse(ask(h, ctx, kMix + "<join id1=\"nope\" id2=\"c9\"/></mscmixer>")).status ==
          406);
}

TEST_CASE("ms: ivr: audit tells capabilities per RFC 6231 4.4 and the channel's own dialogs",
          "[ms][ivr]") {
    IvrPackage h;
    FakeContext ctx;
    auto a = ask(h, ctx, kIvr + "<audit/></mscivr>");
    REQUIRE(a.status == 200);
    CHECK(a.contentType == "application/msc-ivr+xml");
    auto m = ivr::parse(a.body);
    REQUIRE(m);
    auto& r = std::get<ivr::AuditResponse>(*m);
    CHECK(r.status == 200);
    REQUIRE(r.capabilities);
    CHECK(r.capabilities->promptTypes.types.size() >= 1);
    CHECK(r.capabilities->recordTypes.types.size() >= 1);
    CHECK(r.capabilities->variables.types.size() == 3);
    CHECK(r.capabilities->codecs.codecs.size() == 3);
    REQUIRE(r.dialogs);
    CHECK(r.dialogs->dialogs.empty());

    auto missing = ivr::parse(ask(h, ctx, kIvr + "<audit dialogid=\"d4\"/></mscivr>").body);
    REQUIRE(missing);
    CHECK(std::get<ivr::AuditResponse>(*missing).status == 406);

    ctx.resources().add({ResourceKind::IvrDialog, "d4", ""}, [] {});
    auto found = ivr::parse(
        ask(h, ctx, kIvr + "<audit capabilities=\"false\" dialogid=\"d4\"/></mscivr>").body);
    REQUIRE(found);
    auto& rf = std::get<ivr::AuditResponse>(*found);
    CHECK(rf.status == 200);
    REQUIRE(rf.dialogs);
    REQUIRE(rf.dialogs->dialogs.size() == 1);
    CHECK(rf.dialogs->dialogs[0].dialogId == "d4");
}

TEST_CASE("ms: ivr: framework 400 for non-XML, package status for package errors", "[ms][ivr]") {
    IvrPackage h;
    FakeContext ctx;
    CHECK(ask(h, ctx, "not xml").status == 400);
    CHECK(ask(h, ctx, kIvr + "<audit/>").status == 400);
    CHECK(ask(h, ctx, kIvr + "<audit/></mscivr>", "text/plain").status == 400);

    auto bad = ivrResponse(ask(h, ctx, kIvr + "<dialogstart dialogid=\"d7\"/></mscivr>"));
    CHECK(bad.status == 400);
    CHECK(bad.dialogId == "d7");
    auto foreign = ivrResponse(ask(h, ctx, kIvr + "<audit xmlns:x=\"urn:x\" x:y=\"1\"/></mscivr>"));
    CHECK(foreign.status == 431);
    auto term = ivrResponse(ask(h, ctx, kIvr + "<dialogterminate dialogid=\"d8\"/></mscivr>"));
    CHECK(term.status == 439);
    CHECK(term.dialogId == "d8");
    CHECK(term.reason.value_or("") == "not implemented yet");
}

TEST_CASE("ms: RFC example requests get a framework 200 with a package answer", "[ms][rfc]") {
    auto dir = test::specDir();
    if (!dir) PARLEY_SKIP("../shared/spec is absent");
    PlaneFixture pf;
    MixerPackage mh(pf.plane);
    IvrPackage ih;
    FakeContext ctx;
    int requests = 0;
    for (const auto& p : test::specFiles("examples", "mix_")) {
        std::string body = test::readFile(p);
        auto m = pm::parse(body);
        if (!m || std::holds_alternative<pm::Response>(*m) ||
            std::holds_alternative<pm::AuditResponse>(*m) || std::holds_alternative<pm::Event>(*m))
            continue;
        INFO(p.filename().string());
        auto a = ask(mh, ctx, body);
        CHECK(a.status == 200);
        CHECK(pm::parse(a.body));
        ++requests;
    }
    for (const auto& p : test::specFiles("examples", "ivr_")) {
        std::string body = test::readFile(p);
        auto m = ivr::parse(body);
        if (!m || !ivr::isRequest(*m)) continue;
        INFO(p.filename().string());
        auto a = ask(ih, ctx, body);
        CHECK(a.status == 200);
        CHECK(ivr::parse(a.body));
        ++requests;
    }
    CHECK(requests > 10);
}

}  // namespace parley::ms
