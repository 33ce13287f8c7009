// sipp 3.6's rtp_stream plays the tone file writeSippRtpStreamFile() wrote, and a
// TestRtpEndpoint hears it: checks the file format against RTP the project did not write.
// A sipp UAS answers with the endpoint's port; a sipp UAC streams the file to that port.
// Skipped when sipp is not installed.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/test_rtp_endpoint.hpp"
#include "tests/support/process.hpp"
#include "tests/support/spec_files.hpp"

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

std::string uasScenario(std::uint16_t mediaPort) {
    return R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer with the test endpoint's audio port">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=uas 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio )" +
           std::to_string(mediaPort) + R"( RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
)";
}

std::string uacScenario(const std::string& rtpStreamAction) {
    return R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="stream a tone file with rtp_stream">
  <send retrans="500"><![CDATA[
INVITE sip:tone@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:tone@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=uac 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:tone@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:tone@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec rtp_stream=")" +
           rtpStreamAction + R"("/></action></nop>
  <pause milliseconds="2500"/>
  <send retrans="500"><![CDATA[
BYE sip:tone@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:tone@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
)";
}

void writeText(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("test_media: sipp rtp_stream: sipp streams our tone file and the endpoint hears the tone",
          "[endpoint][sipp]") {
    if (!haveProgram("sipp")) PARLEY_SKIP("sipp is not installed");
    TempDir dir;
    auto ep = TestRtpEndpoint::create();
    REQUIRE(ep);
    auto& endpoint = *ep.value();

    auto tone = dir.path() / "tone-600.ulaw";
    REQUIRE(writeSippRtpStreamFile(tone, G711Law::kMuLaw, makeTone(600, -20, 2.0)));
    writeText(dir.path() / "uas.xml", uasScenario(endpoint.rtpPort()));
    writeText(dir.path() / "uac.xml", uacScenario(sippRtpStreamAction(tone, G711Law::kMuLaw, 1)));

    int uasPort = freePort(true);
    std::vector<std::string> common = {
        "-m", "1",        "-i",  "127.0.0.1",      "-mi",      "127.0.0.1",   "-t",
        "u1", "-timeout", "20s", "-timeout_error", "-nostdin", "-skip_rlimit"};
    std::vector<std::string> uasArgs = {"sipp",
                                        "-sf",
                                        (dir.path() / "uas.xml").string(),
                                        "-p",
                                        std::to_string(uasPort),
                                        "-mp",
                                        std::to_string(freePort(true))};
    uasArgs.insert(uasArgs.end(), common.begin(), common.end());
    auto uas = Process::start(uasArgs, "sipp-uas", dir.path());

    std::vector<std::string> uacArgs = {"sipp",
                                        "-sf",
                                        (dir.path() / "uac.xml").string(),
                                        "-p",
                                        std::to_string(freePort(true)),
                                        "-mp",
                                        std::to_string(freePort(true))};
    uacArgs.insert(uacArgs.end(), common.begin(), common.end());
    uacArgs.push_back("127.0.0.1:" + std::to_string(uasPort));
    auto uac = Process::start(uacArgs, "sipp-uac", dir.path());

    bool heard = endpoint.waitForTone(600, -25, 1000ms, 10s);
    auto report = endpoint.heard(1000ms);
    auto uacExit = uac.wait(15s);
    auto uasExit = uas.wait(5s);
    INFO("uac: " << uac.output() << "\nuas: " << uas.output() << "\n"
                 << endpoint.describe() << "\n"
                 << report.describe());
    REQUIRE(heard);
    CHECK(report.levelDb(600) == Approx(-20).margin(1.0));
    CHECK(report.levelDb(400) < -50);
    auto streams = endpoint.streams();
    REQUIRE(streams.size() == 1);
    CHECK(streams[0].payloadTypes == std::set<std::uint8_t>{0});
    CHECK(streams[0].lost == 0);
    CHECK(uacExit == 0);
    CHECK(uasExit == 0);
}
