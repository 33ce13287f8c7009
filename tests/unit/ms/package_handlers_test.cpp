// The msc-mixer and msc-ivr handlers against a fake channel: what they answer, in which
// layer (framework status or package status), and that audits tell the channel's own state.

#include <catch2/catch.hpp>

#include "ms/control/ivr_package.hpp"
#include "ms/control/mixer_package.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::ms {

namespace cfw = proto::cfw;
namespace mixer = proto::mixer;
namespace ivr = proto::ivr;

namespace {

struct Answer {
    std::string transId;
    int status = 0;
    std::string contentType;
    std::string body;
};

class FakeContext : public ControlContext {
  public:
    ChannelId channelId() const override { return 1; }
    const std::string& controlDialog() const override { return dialog_; }
    ResourceOwner& resources() override { return resources_; }
    common::Status respond(std::string_view transId, int status, std::string_view contentType,
                           std::string_view body) override {
        answers.push_back(
            {std::string(transId), status, std::string(contentType), std::string(body)});
        return {};
    }
    common::Status accept(std::string_view, std::uint32_t) override {
        return common::Error(500, "unused");
    }
    common::Status report(std::string_view, cfw::ReportStatus, std::string_view,
                          std::string_view) override {
        return common::Error(500, "unused");
    }
    common::Result<std::string> sendEvent(cfw::OutgoingControl) override {
        return common::Error(500, "unused");
    }

    std::vector<Answer> answers;
    ResourceOwner resources_;

  private:
    std::string dialog_ = "as-cfw-id";
};

Answer ask(PackageHandler& h, FakeContext& ctx, const std::string& body,
           std::string contentType = {}) {
    if (contentType.empty()) contentType = std::string(h.contentType());
    ctx.answers.clear();
    h.onControl(cfw::IncomingControl{"t0001", std::string(h.packageName()), contentType, body},
                ctx);
    REQUIRE(ctx.answers.size() == 1);
    return ctx.answers[0];
}

const std::string kMix = "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";
const std::string kIvr = "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">";

mixer::Response mixerResponse(const Answer& a) {
    REQUIRE(a.status == 200);
    auto m = mixer::parse(a.body);
    REQUIRE(m);
    REQUIRE(std::holds_alternative<mixer::Response>(*m));
    return std::get<mixer::Response>(*m);
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
    PackageTable t;
    t.add(std::make_unique<MixerPackage>());
    t.add(std::make_unique<IvrPackage>());
    CHECK(t.find("msc-mixer/1.0") != nullptr);
    CHECK(t.find("MSC-IVR/1.0") != nullptr);
    CHECK(t.find("msc-example/1.0") == nullptr);
    CHECK(t.names() == std::vector<std::string>{"msc-mixer/1.0", "msc-ivr/1.0"});
}

TEST_CASE("ms: mixer: audit tells capabilities and the channel's own conferences and joins",
          "[ms][mixer]") {
    MixerPackage h;
    FakeContext ctx;
    auto a = ask(h, ctx, kMix + "<audit/></mscmixer>");
    REQUIRE(a.status == 200);
    CHECK(a.contentType == "application/msc-mixer+xml");
    auto m = mixer::parse(a.body);
    REQUIRE(m);
    auto& r = std::get<mixer::AuditResponse>(*m);
    CHECK(r.status == 200);
    REQUIRE(r.capabilities);
    REQUIRE(r.capabilities->codecs.size() == 3);
    CHECK(r.capabilities->codecs[0].name == "audio");
    CHECK(r.capabilities->codecs[0].subtype == "PCMU");
    CHECK(r.capabilities->codecs[1].subtype == "PCMA");
    REQUIRE(r.mixers);
    CHECK(r.mixers->conferences.empty());

    ctx.resources().add({ResourceKind::Conference, "conf1", ""}, [] {});
    ctx.resources().add({ResourceKind::Join, "1536067209:913cd14c", "conf1"}, [] {});
    auto b = mixer::parse(ask(h, ctx, kMix + "<audit capabilities=\"false\"/></mscmixer>").body);
    REQUIRE(b);
    auto& rb = std::get<mixer::AuditResponse>(*b);
    CHECK_FALSE(rb.capabilities);
    REQUIRE(rb.mixers);
    REQUIRE(rb.mixers->conferences.size() == 1);
    CHECK(rb.mixers->conferences[0].conferenceId == "conf1");
    REQUIRE(rb.mixers->joins.size() == 1);
    CHECK(rb.mixers->joins[0].id2 == "conf1");

    auto c = mixer::parse(ask(h, ctx, kMix + "<audit conferenceid=\"conf4\"/></mscmixer>").body);
    REQUIRE(c);
    CHECK(std::get<mixer::AuditResponse>(*c).status == 406);
}

TEST_CASE("ms: mixer: framework 400 for non-XML, package status for package errors",
          "[ms][mixer]") {
    MixerPackage h;
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
    CHECK(create.status == 435);
    CHECK(create.reason.value_or("") == "not implemented yet");
    CHECK(create.conferenceId.value_or("") == "c9");
    CHECK(mixerResponse(ask(h, ctx, kMix + "<join id1=\"a:b\" id2=\"c9\"/></mscmixer>")).status ==
          435);
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
    MixerPackage mh;
    IvrPackage ih;
    FakeContext ctx;
    int requests = 0;
    for (const auto& p : test::specFiles("examples", "mix_")) {
        std::string body = test::readFile(p);
        auto m = mixer::parse(body);
        if (!m || std::holds_alternative<mixer::Response>(*m) ||
            std::holds_alternative<mixer::AuditResponse>(*m) ||
            std::holds_alternative<mixer::Event>(*m))
            continue;
        INFO(p.filename().string());
        auto a = ask(mh, ctx, body);
        CHECK(a.status == 200);
        CHECK(mixer::parse(a.body));
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
