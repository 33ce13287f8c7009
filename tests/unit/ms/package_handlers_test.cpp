// The msc-mixer and msc-ivr handlers against a fake channel: what they answer, in which
// layer (framework status or package status), and that audits tell the channel's own state.

#include <catch2/catch.hpp>

#include "ms/control/ivr_package.hpp"
#include "ms/control/mixer_package.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/unit/ms/package_fakes.hpp"

namespace parley::ms {

namespace cfw = proto::cfw;
namespace pm = proto::mixer;
namespace pivr = proto::ivr;

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

pivr::Response ivrResponse(const Answer& a) {
    REQUIRE(a.status == 200);
    auto m = pivr::parse(a.body);
    REQUIRE(m);
    REQUIRE(std::holds_alternative<pivr::Response>(*m));
    return std::get<pivr::Response>(*m);
}

// The IVR handler over a never-started plane, a real fetcher and disk writer.
struct IvrFixture {
    PlaneFixture pf;
    test::TempDir media{"parley-ivr-unit"};
    ivr::MediaFetcher fetcher{fetcherConfig(media.path())};
    ivr::DiskWriter writer;
    IvrPackage h{pf.plane, pf.loop, fetcher, writer, ivrConfig(media.path())};
    IvrFixture() {
        REQUIRE(fetcher.start());
        REQUIRE(writer.start());
    }
    static IvrConfig ivrConfig(const std::filesystem::path& root) {
        IvrConfig c;
        c.mediaRoot = root;
        c.recordDir = root;
        return c;
    }
    static ivr::MediaFetcherConfig fetcherConfig(const std::filesystem::path& root) {
        ivr::MediaFetcherConfig c;
        c.mediaRoot = root;
        return c;
    }
    // The answer to a request, waiting (bounded) for one that comes after fetching.
    Answer askAndWait(FakeContext& ctx, const std::string& body) {
        ctx.answers.clear();
        h.onControl(cfw::IncomingControl{"t0001", "msc-ivr/1.0", "application/msc-ivr+xml", body},
                    ctx);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
        while (ctx.answers.empty() && std::chrono::steady_clock::now() < deadline)
            pf.loop.runOnce(std::chrono::milliseconds(20));
        REQUIRE(ctx.answers.size() == 1);
        return ctx.answers[0];
    }
};

}  // namespace

TEST_CASE("ms: PackageTable finds handlers by name, ignoring case", "[ms][packages]") {
    IvrFixture f;
    PackageTable t;
    t.add(std::make_unique<MixerPackage>(f.pf.plane));
    t.add(std::make_unique<IvrPackage>(f.pf.plane, f.pf.loop, f.fetcher, f.writer,
                                       IvrFixture::ivrConfig(f.media.path())));
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
    IvrFixture f;
    FakeContext ctx;
    FakeDirectory dir;
    dir.contexts.push_back(&ctx);
    f.h.setChannels(&dir);
    auto a = ask(f.h, ctx, kIvr + "<audit/></mscivr>");
    REQUIRE(a.status == 200);
    CHECK(a.contentType == "application/msc-ivr+xml");
    auto m = pivr::parse(a.body);
    REQUIRE(m);
    auto& r = std::get<pivr::AuditResponse>(*m);
    CHECK(r.status == 200);
    REQUIRE(r.capabilities);
    CHECK(r.capabilities->promptTypes.types.size() >= 1);
    CHECK(r.capabilities->recordTypes.types.size() >= 1);
    CHECK(r.capabilities->variables.types.size() == 3);
    CHECK(r.capabilities->codecs.codecs.size() == 3);
    REQUIRE(r.dialogs);
    CHECK(r.dialogs->dialogs.empty());

    auto missing = pivr::parse(ask(f.h, ctx, kIvr + "<audit dialogid=\"d4\"/></mscivr>").body);
    REQUIRE(missing);
    CHECK(std::get<pivr::AuditResponse>(*missing).status == 406);

    // A prepared dialog is listed for its channel, not for another.
    auto prep = f.askAndWait(ctx, kIvr + "<dialogprepare dialogid=\"d4\"><dialog><collect/>"
                                         "</dialog></dialogprepare></mscivr>");
    auto pr = pivr::parse(prep.body);
    REQUIRE(pr);
    CHECK(std::get<pivr::Response>(*pr).status == 200);
    auto found = pivr::parse(
        ask(f.h, ctx, kIvr + "<audit capabilities=\"false\" dialogid=\"d4\"/></mscivr>").body);
    REQUIRE(found);
    auto& rf = std::get<pivr::AuditResponse>(*found);
    CHECK(rf.status == 200);
    REQUIRE(rf.dialogs);
    REQUIRE(rf.dialogs->dialogs.size() == 1);
    CHECK(rf.dialogs->dialogs[0].dialogId == "d4");
    CHECK(rf.dialogs->dialogs[0].state == pivr::DialogState::Prepared);
    FakeContext other(2);
    auto hidden = pivr::parse(ask(f.h, other, kIvr + "<audit dialogid=\"d4\"/></mscivr>").body);
    REQUIRE(hidden);
    CHECK(std::get<pivr::AuditResponse>(*hidden).status == 406);
    CHECK(ivrResponse(ask(f.h, other, kIvr + "<dialogterminate dialogid=\"d4\"/></mscivr>")).status ==
          406);
    // Terminated while prepared: 200, then dialogexit status 0.
    CHECK(ivrResponse(ask(f.h, ctx, kIvr + "<dialogterminate dialogid=\"d4\"/></mscivr>")).status ==
          200);
    REQUIRE(ctx.events.size() == 1);
    CHECK(ctx.events[0].find("dialogexit status=\"0\"") != std::string::npos);
}

TEST_CASE("ms: ivr: framework 400 for non-XML, package status for package errors", "[ms][ivr]") {
    IvrFixture f;
    IvrPackage& h = f.h;
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
    CHECK(term.status == 406);
    CHECK(term.dialogId == "d8");
    auto vxml = ivrResponse(ask(h, ctx, kIvr + "<dialogprepare src=\"http://x/app.vxml\"/></mscivr>"));
    CHECK(vxml.status == 421);
    auto both = ivrResponse(ask(h, ctx, kIvr + "<dialogprepare><dialog><collect/><record/></dialog>"
                                               "</dialogprepare></mscivr>"));
    CHECK(both.status == 433);
}

TEST_CASE("ms: RFC example requests get a framework 200 with a package answer", "[ms][rfc]") {
    auto dir = test::specDir();
    if (!dir) PARLEY_SKIP("../shared/spec is absent");
    IvrFixture f;
    PlaneFixture& pf = f.pf;
    MixerPackage mh(pf.plane);
    FakeContext ctx;
    FakeDirectory channels;
    channels.contexts.push_back(&ctx);
    f.h.setChannels(&channels);
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
        auto m = pivr::parse(body);
        if (!m || !pivr::isRequest(*m)) continue;
        INFO(p.filename().string());
        auto a = f.askAndWait(ctx, body);
        CHECK(a.status == 200);
        CHECK(pivr::parse(a.body));
        ++requests;
    }
    CHECK(requests > 10);
}

}  // namespace parley::ms
