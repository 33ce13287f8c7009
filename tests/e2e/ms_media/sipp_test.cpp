// RTP the project did not write: a sipp UAC calls parley-ms directly (its own SDP) and
// streams a tone file with rtp_stream; the AS joins that connection to a conference with a
// TestRtpEndpoint phone, which must hear sipp's tone. When sipp hangs up, the AS gets the
// unjoin-notify (status 2). Skipped when sipp is not installed.

#include <fstream>
#include <regex>

#include <catch2/catch.hpp>

#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

namespace parley::test::media {
namespace {

namespace pm = proto::mixer;

std::string sippScenario(const std::string& rtpStreamAction, int pauseMs) {
    return R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a phone streaming a tone file into parley-ms">
  <send retrans="500"><![CDATA[
INVITE sip:conference@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=sipp[pid]t[call_number]
To: <sip:conference@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:conference@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=sipp[pid]t[call_number]
To: <sip:conference@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec rtp_stream=")" +
           rtpStreamAction + R"("/></action></nop>
  <pause milliseconds=")" +
           std::to_string(pauseMs) + R"("/>
  <send retrans="500"><![CDATA[
BYE sip:conference@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=sipp[pid]t[call_number]
To: <sip:conference@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
)";
}

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
    {
        std::ofstream(dir.path() / "uac.xml")
            << sippScenario(sippRtpStreamAction(tone, G711Law::kMuLaw, -1), 20000);
    }
    std::vector<std::string> args = {"sipp",
                                     "-sf",
                                     (dir.path() / "uac.xml").string(),
                                     "-p",
                                     std::to_string(freePort(true)),
                                     "-mp",
                                     std::to_string(freePort(true)),
                                     "-m",
                                     "1",
                                     "-i",
                                     "127.0.0.1",
                                     "-mi",
                                     "127.0.0.1",
                                     "-t",
                                     "u1",
                                     "-timeout",
                                     "60s",
                                     "-timeout_error",
                                     "-nostdin",
                                     "-skip_rlimit",
                                     "127.0.0.1:" + std::to_string(ms.sipPort())};
    auto sipp = Process::start(args, "sipp-uac", dir.path());

    // The AS learns sipp's connectionid the way an AS would from its own B2BUA: here, from
    // the media server's log line for the new media dialog.
    REQUIRE(ms.instance().process.waitForOutput("from sip:sipp@", 20s));
    std::smatch m;
    const std::string log = ms.log();
    REQUIRE(
        std::regex_search(log, m, std::regex("media dialog ([^ ]+) \\(call [^ ]+ from sip:sipp@")));
    const std::string sippConn = m[1].str();

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
