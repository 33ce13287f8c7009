// RTP the project did not write: a sipp UAC calls parley-ms directly (its own SDP) and
// streams a tone file with rtp_stream; the AS joins that connection to a conference with a
// TestRtpEndpoint phone, which must hear sipp's tone. When sipp hangs up, the AS gets the
// unjoin-notify (status 2). Skipped when sipp is not installed.

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::media {
namespace {

namespace pm = proto::mixer;

}  // namespace

TEST_CASE("ms media: a sipp call streaming a tone is heard by a phone in the same conference",
          "[ms][media][e2e][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    MediaServerUnderTest ms;
    auto as = ms.connectAs();
    auto phone = as->call("phone", 400);
    std::string conf = as->createConference();
    as->joinOk(phone->connectionId, conf);

    TempDir dir;
    auto tone = dir.path() / "tone-1000.ulaw";
    REQUIRE(writeSippRtpStreamFile(tone, G711Law::kMuLaw, makeTone(1000, -20, 2.0)));
    auto sipp = startSippUac(
        dir.path(),
        sippUacScenario("a phone streaming a tone file into parley-ms",
                        "m=audio [auto_media_port] RTP/AVP 0\na=rtpmap:0 PCMU/8000",
                        "  <nop><action><exec rtp_stream=\"" +
                            sippRtpStreamAction(tone, G711Law::kMuLaw, -1) +
                            "\"/></action></nop>\n  <pause milliseconds=\"20000\"/>"),
        ms.sipPort());
    const std::string sippConn = sippConnectionId(ms);
    REQUIRE_FALSE(sippConn.empty());

    as->joinOk(sippConn, conf);
    {
        bool heard = phone->hears(1000, 20s);
        INFO(phone->describe() << "\nsipp: " << sipp.output());
        CHECK(heard);
        CHECK(phone->level(400) < kNotHeard);
    }
    // sipp hangs up: the AS hears about it.
    auto n = as->waitEvent([&](const pm::Event& e) { return isUnjoinNotify(e, sippConn, conf, 2); },
                           60s);
    CHECK(n);
    CHECK(sipp.wait(20s) == 0);
    CHECK(phone->ep->waitForSilence(kListen, kToneTimeout));
}

}  // namespace parley::test::media
