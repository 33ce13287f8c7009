#include "tests/e2e/as_focus/focus_fixture.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/e2e/as_focus/raw_sip.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/g711.hpp"
#include "tests/support/media/rtp_wire.hpp"
#include "tests/support/media/tone_analysis.hpp"
#include "tests/support/media/tone_generator.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::focus {

namespace {

using Clock = std::chrono::steady_clock;

std::string tail(const std::string& s, std::size_t n) {
    return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

std::string fileText(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::exists(p, ec) ? readFile(p) : std::string();
}

// Whether parley-as --help lists a flag; asked once per test process.
const std::string& asHelp() {
    static const std::string help = [] {
        TempDir d("parley-as-help");
        Process p = Process::start({binPath("parley-as").string(), "--help"}, "help", d.path());
        (void)p.wait(20s);
        return p.output();
    }();
    return help;
}

bool asHasFlag(const std::string& flag) { return asHelp().find("--" + flag) != std::string::npos; }

std::string randomRtpBlock() {
    std::random_device rd;
    const unsigned block = rd() % 40;  // 20000..27999, below the ephemeral range
    const unsigned lo = 20000 + block * 200;
    return std::to_string(lo) + "-" + std::to_string(lo + 199);
}

bool udpPortFree(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

double nowSeconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string roomsJson(const std::vector<std::string>& rooms) {
    std::string out = "{\"rooms\":[";
    for (std::size_t i = 0; i < rooms.size(); ++i) out += (i ? "," : "") + rooms[i];
    return out + "]}";
}

std::string room(const std::string& name, const std::string& extra) {
    std::string members = "\"name\":\"" + name + "\",\"displayName\":\"Room " + name + "\"";
    if (extra.find("\"allow\"") == std::string::npos) members += ",\"allow\":[\"sip:*@127.0.0.1\"]";
    if (!extra.empty()) members += "," + extra;
    return "{" + members + "}";
}

void writePromptTones(const std::filesystem::path& mediaRoot) {
    const std::filesystem::path dir = mediaRoot / "prompts" / "en-US";
    std::filesystem::create_directories(dir);
    const std::pair<const char*, double> prompts[] = {
        {"enter-pin", kPromptEnterPin},  {"pin-wrong", kPromptPinWrong},
        {"goodbye", kPromptGoodbye},     {"moh", kPromptMoh},
        {"joined", kPromptJoined},       {"left", kPromptLeft},
        {"record-name", kPromptRecordName}, {"conference-ended", kPromptConferenceEnded},
        {"locked", kPromptLocked}};
    for (const auto& [name, freq] : prompts) {
        auto st = writeWavPcm16(dir / (std::string(name) + ".wav"), makeTone(freq, -20, 1.5));
        if (!st) throw std::runtime_error("cannot write prompt " + std::string(name));
    }
}

// ---------------------------------------------------------------------------- FocusSystem

FocusSystem::FocusSystem(const std::string& roomsJsonText, FocusOptions options)
    : dir_("parley-focus-e2e") {
    writePromptTones(mediaRoot());
    std::filesystem::create_directories(dir() / "recordings");

    std::vector<std::string> msArgs = {"--media-root", mediaRoot().string(), "--record-dir",
                                       (dir() / "recordings").string(), "--rtp-ports",
                                       options.rtpPorts.empty() ? randomRtpBlock() : options.rtpPorts};
    msArgs.insert(msArgs.end(), options.msExtraArgs.begin(), options.msExtraArgs.end());
    ms_ = std::make_unique<ms::MsInstance>(ms::startMs(msArgs));

    const auto roomsFile = dir() / "rooms.json";
    { std::ofstream(roomsFile) << roomsJsonText; }
    std::vector<std::string> argv = {binPath("parley-as").string(),
                                     "--sip-listen",
                                     "127.0.0.1:0",
                                     "--http-listen",
                                     "127.0.0.1:0",
                                     "--ms",
                                     "sip:ms@127.0.0.1:" + std::to_string(ms_->sipPort),
                                     "--db",
                                     "sqlite:" + (dir() / "as.db").string()};
    focusFlags_ = asHasFlag("rooms") && asHasFlag("prompts");
    if (focusFlags_) {
        argv.insert(argv.end(), {"--rooms", roomsFile.string(), "--prompts", promptsUri()});
    }
    argv.insert(argv.end(), options.asExtraArgs.begin(), options.asExtraArgs.end());
    as_ = std::make_unique<Process>(Process::start(argv, "parley-as", dir()));
    if (!as_->waitForOutput("HTTP listening on", 30s))
        throw std::runtime_error("parley-as did not start:\n" + tail(as_->output(), 4000));
    const std::string out = as_->output();
    asSipPort_ = portAfter(out, "SIP listening on");
    asHttpPort_ = portAfter(out, "HTTP listening on");
    if (!asSipPort_ || !asHttpPort_)
        throw std::runtime_error("no listening lines in parley-as's log:\n" + tail(out, 4000));

    // The control channel to the MS must be up before calls can get media.
    const auto deadline = Clock::now() + 20s;
    std::string last;
    while (Clock::now() < deadline) {
        auto [status, body] = ms::httpGet(asHttpPort_, "/v1/media-servers");
        last = body;
        if (status == 200 && body.find("\"state\":\"up\"") != std::string::npos) return;
        std::this_thread::sleep_for(100ms);  // polling another process's state
    }
    throw std::runtime_error("the AS's media server never came up: " + last + "\n" + logs());
}

FocusSystem::~FocusSystem() {
    if (as_) as_->stop(SIGTERM, 10s);
    if (ms_) ms_->process.stop(SIGTERM, 10s);
}

std::string FocusSystem::promptsUri() const {
    return "file://" + (mediaRoot() / "prompts" / "en-US").string() + "/";
}

std::string FocusSystem::roomUri(const std::string& room) const {
    return "sip:" + room + "@127.0.0.1:" + std::to_string(asSipPort_);
}

std::optional<long> FocusSystem::msLegs() {
    auto [status, body] = ms::httpGet(ms_->httpPort, "/metrics");
    if (status != 200) return std::nullopt;
    std::optional<std::string> legs = parley::test::reCapture(body, "\nparley_ms_media_legs ([0-9]+)");
    if (!legs) return std::nullopt;
    return std::stol(*legs);
}

bool FocusSystem::waitMsLegs(long legs, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto n = msLegs();
        if (n && *n == legs) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(200ms);  // polling another process's state
    }
}

std::string FocusSystem::logs(std::size_t tailBytes) const {
    return "--- parley-as:\n" + tail(asLog(), tailBytes) + "\n--- parley-ms:\n" +
           tail(msLog(), tailBytes);
}

int FocusSystem::optionsStatus() {
    RawSipClient c;
    auto req = c.request("OPTIONS", "sip:127.0.0.1:" + std::to_string(asSipPort_));
    if (!c.send(asSipPort_, req.text)) return 0;
    auto r = c.waitResponse(req.callId, "OPTIONS", 5s);
    return r ? r->status : 0;
}

// ----------------------------------------------------------------------------- RtpCapture

std::unique_ptr<RtpCapture> RtpCapture::start(const std::filesystem::path& dir,
                                              const std::vector<std::uint16_t>& ports, std::string& why,
                                              const std::vector<std::uint16_t>& sipPorts) {
    if (!haveProgram("dumpcap")) {
        why = "dumpcap is not installed (apt-get install wireshark-common): cannot listen to what "
              "the callers receive";
        return nullptr;
    }
    std::string filter = "udp and (";
    bool first = true;
    for (auto p : ports) {
        filter += (first ? "" : " or ") + std::string("dst port ") + std::to_string(p);
        first = false;
    }
    for (auto p : sipPorts) {
        filter += (first ? "" : " or ") + std::string("port ") + std::to_string(p);
        first = false;
    }
    filter += ")";
    std::unique_ptr<RtpCapture> c(new RtpCapture());
    static int n = 0;
    c->file_ = dir / ("capture-" + std::to_string(++n) + ".pcap");
    c->dumpcap_ = std::make_unique<Process>(
        Process::start({"dumpcap", "-i", "lo", "-P", "-f", filter, "-w", c->file_.string()},
                       "dumpcap-" + std::to_string(n), dir));
    if (!c->dumpcap_->waitForOutput("Capturing on", 15s)) {
        why = "dumpcap cannot capture on lo here (needs root or CAP_NET_RAW): " +
              tail(c->dumpcap_->output(), 600);
        return nullptr;
    }
    return c;
}

RtpCapture::~RtpCapture() {
    if (dumpcap_) dumpcap_->stop(SIGTERM, 5s);
}

std::vector<UdpDatagram> RtpCapture::datagrams() const {
    auto c = readPcap(file_);
    if (!c) return {};
    return std::move(c->datagrams);
}

namespace {

// Per 100 ms block of the audio to `port` in [from, to): (start time, level of freq).
std::vector<std::pair<double, double>> blockLevels(const std::vector<UdpDatagram>& all,
                                                   std::uint16_t port, double freq, double from,
                                                   double to) {
    std::vector<std::pair<double, double>> blocks;
    std::vector<std::int16_t> pcm;
    double start = 0;
    int packets = 0;
    for (const auto& d : all) {
        if (d.dstPort != port || d.time < from || d.time >= to || looksLikeRtcp(d.payload)) continue;
        auto rtp = parseRtp(d.payload);
        if (!rtp || (rtp->header.payloadType != kPayloadPcmu && rtp->header.payloadType != kPayloadPcma))
            continue;
        if (packets == 0) start = d.time;
        auto samples = g711Decode(
            rtp->header.payloadType == kPayloadPcmu ? G711Law::kMuLaw : G711Law::kALaw, rtp->payload);
        pcm.insert(pcm.end(), samples.begin(), samples.end());
        if (++packets == 5) {
            blocks.emplace_back(start, toneDbfs(pcm, freq));
            pcm.clear();
            packets = 0;
        }
    }
    return blocks;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

constexpr std::size_t kBlocksPerWindow = 10;  // kWindow / 100 ms

std::vector<std::pair<double, double>> windows(const std::vector<std::pair<double, double>>& blocks) {
    std::vector<std::pair<double, double>> out;
    if (blocks.size() < kBlocksPerWindow) return out;
    for (std::size_t i = 0; i + kBlocksPerWindow <= blocks.size(); ++i) {
        std::vector<double> levels;
        for (std::size_t k = i; k < i + kBlocksPerWindow; ++k) levels.push_back(blocks[k].second);
        out.emplace_back(blocks[i].first, median(std::move(levels)));
    }
    return out;
}

}  // namespace

std::vector<double> RtpCapture::windowLevels(std::uint16_t port, double freq, double from, double to) const {
    std::vector<double> out;
    for (const auto& [t, l] : windows(blockLevels(datagrams(), port, freq, from, to))) out.push_back(l);
    return out;
}

std::optional<double> RtpCapture::loudest(std::uint16_t port, double freq, double from, double to) const {
    auto v = windowLevels(port, freq, from, to);
    if (v.empty()) return std::nullopt;
    return *std::max_element(v.begin(), v.end());
}

std::optional<double> RtpCapture::quietest(std::uint16_t port, double freq, double from, double to) const {
    auto v = windowLevels(port, freq, from, to);
    if (v.empty()) return std::nullopt;
    return *std::min_element(v.begin(), v.end());
}

std::optional<double> RtpCapture::firstHeard(std::uint16_t port, double freq, double from, double to) const {
    for (const auto& [t, l] : windows(blockLevels(datagrams(), port, freq, from, to)))
        if (l >= kHeard) return t;
    return std::nullopt;
}

bool RtpCapture::waitHeard(std::uint16_t port, double freq, double from,
                           std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto l = loudest(port, freq, from);
        if (l && *l >= kHeard) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(250ms);  // dumpcap writes the file in its own time
    }
}

bool RtpCapture::waitGone(std::uint16_t port, double freq, double from,
                          std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto l = quietest(port, freq, from);
        if (l && *l < kNotHeard) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(250ms);  // dumpcap writes the file in its own time
    }
}

std::string RtpCapture::describe(std::uint16_t port, double from, double to,
                                 const std::vector<double>& freqs) const {
    auto all = datagrams();
    RtpSelect s;
    s.dstPort = port;
    s.from = from;
    s.to = to;
    auto a = rtpAudio(all, s);
    std::vector<double> candidates = freqs;
    if (candidates.empty())
        candidates = {500, 700, 900, 1100, kPromptMoh, kPromptEnterPin, kPromptPinWrong,
                      kPromptGoodbye, kPromptJoined, kPromptLeft};
    std::ostringstream os;
    os << "port " << port << ": " << a.audioPackets << " audio packets, " << a.otherPackets
       << " other RTP, " << a.ssrcs.size() << " SSRCs";
    if (a.audioPackets) {
        os.precision(3);
        os << std::fixed << " from +" << (a.first - from) << "s to +" << (a.last - from) << "s";
        os << "; whole span: " << analyseTones(a.samples, candidates).describe();
    }
    os << " (" << all.size() << " datagrams captured in " << file_.string() << ")";
    return os.str();
}

// -------------------------------------------------------------------------------- sipp

std::uint16_t freeMediaPort() {
    for (int i = 0; i < 50; ++i) {
        auto p = static_cast<std::uint16_t>(freePort(true));
        if (p < 60000 && udpPortFree(static_cast<std::uint16_t>(p + 1)) &&
            udpPortFree(static_cast<std::uint16_t>(p + 2)) && udpPortFree(static_cast<std::uint16_t>(p + 3)))
            return p;
    }
    return static_cast<std::uint16_t>(freePort(true));
}

std::filesystem::path toneFile(const std::filesystem::path& dir, double freq) {
    auto p = dir / ("tone-" + std::to_string(static_cast<int>(freq)) + ".ulaw");
    if (!writeSippRtpStreamFile(p, G711Law::kMuLaw, makeTone(freq, -20, 4.0)))
        throw std::runtime_error("cannot write " + p.string());
    return p;
}

std::filesystem::path dtmfPcap(const std::filesystem::path& dir, const std::string& name,
                               const std::string& digits, DtmfTrain& train) {
    auto p = dir / ("dtmf-" + name + ".pcap");
    if (!writePcap(p, dtmfDatagrams(digits, train))) throw std::runtime_error("cannot write " + p.string());
    return p;
}

std::string streamTone(const std::filesystem::path& file) {
    return "  <nop><action><exec rtp_stream=\"" + sippRtpStreamAction(file, G711Law::kMuLaw, -1) +
           "\"/></action></nop>\n";
}

std::string playPcap(const std::filesystem::path& file) {
    return "  <nop><action><exec play_pcap_audio=\"" + file.string() + "\"/></action></nop>\n";
}

std::string pauseMs(int ms) { return "  <pause milliseconds=\"" + std::to_string(ms) + "\"/>\n"; }

namespace {

const char* kDialogFrom = "From: [$fromuser] <sip:[$fromuser]@[local_ip]>;tag=[pid]sippt[call_number]";

std::string sdp(const std::string& direction, int version) {
    return "v=0\n"
           "o=sipp 1 " + std::to_string(version) + " IN IP4 [local_ip]\n"
           "s=-\n"
           "c=IN IP4 [media_ip]\n"
           "t=0 0\n"
           "m=audio [media_port] RTP/AVP 0 101\n"
           "a=rtpmap:0 PCMU/8000\n"
           "a=rtpmap:101 telephone-event/8000\n"
           "a=fmtp:101 0-15\n"
           "a=ptime:20\n"
           "a=" + direction + "\n";
}

std::string answerBye() {
    return R"(  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
)";
}

}  // namespace

std::string reInvite(const std::string& direction, int cseq, bool offerless) {
    const std::string c = std::to_string(cseq);
    // The SDP rides in the INVITE, or (offerless) in the ACK as the answer to the 200's
    // offer, which must be there.
    const std::string withSdp = "Content-Type: application/sdp\nContent-Length: [len]\n\n" +
                                sdp(direction, cseq) + "\n";
    const std::string empty = "Content-Length: 0\n\n";
    // (sipp refuses a variable that is set and never read: <Reference> reads it.)
    const std::string expectOffer =
        offerless ? R"(><action><ereg regexp="m=audio [1-9]" search_in="body" check_it="true" )"
                    R"(assign_to="offer"/></action></recv>
  <Reference variables="offer"/>)"
                  : "/>";
    return R"(  <send retrans="500"><![CDATA[
INVITE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
)" + std::string(kDialogFrom) + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: )" + c + R"( INVITE
Contact: <sip:[$fromuser]@[local_ip]:[local_port]>
Max-Forwards: 70
)" + (offerless ? empty : withSdp) + R"(]]></send>
  <recv response="100" optional="true"/>
  <recv response="200")" + expectOffer + R"(
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
)" + kDialogFrom + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: )" + c + R"( ACK
Max-Forwards: 70
)" + (offerless ? withSdp : empty) + R"(]]></send>
)";
}

// An UPDATE in the caller's dialog with a new offer (RFC 3311) in direction `direction`,
// and its 200 (no ACK for an UPDATE).
std::string update(const std::string& direction, int cseq) {
    const std::string c = std::to_string(cseq);
    return R"(  <send retrans="500"><![CDATA[
UPDATE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
)" + std::string(kDialogFrom) + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: )" + c + R"( UPDATE
Contact: <sip:[$fromuser]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

)" + sdp(direction, cseq) + R"(
]]></send>
  <recv response="200"/>
)";
}

std::string uacScenario(const UacOptions& o) {
    std::string extra;
    for (const auto& h : o.extraInviteHeaders) extra += h + "\n";
    std::string x = R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="parley focus e2e caller">
  <nop><action>
    <assignstr assign_to="room" value=")" + o.room + R"("/>
    <assignstr assign_to="fromuser" value=")" + o.fromUser + R"("/>
  </action></nop>
  <send retrans="500")" + std::string(o.cancelAfterRinging ? " start_txn=\"invite\"" : "") + R"(><![CDATA[
INVITE sip:[$room]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK[pid]inv[call_number]
)" + kDialogFrom + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[$fromuser]@[local_ip]:[local_port]>
Max-Forwards: 70
)" + extra + R"(Content-Type: application/sdp
Content-Length: [len]

)" + sdp(o.direction, 1) + R"(
]]></send>
  <recv response="100" optional="true")" + std::string(o.cancelAfterRinging ? " response_txn=\"invite\"" : "") + R"(/>
)";
    if (o.cancelAfterRinging) {
        x += R"(  <recv response="180" response_txn="invite"/>
  <send><![CDATA[
CANCEL sip:[$room]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK[pid]inv[call_number]
)" + std::string(kDialogFrom) + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
  <recv response="487" response_txn="invite"/>
  <send ack_txn="invite"><![CDATA[
ACK sip:[$room]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK[pid]inv[call_number]
)" + kDialogFrom + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
)";
        return x;
    }
    if (o.earlyMedia.empty()) {
        x += R"(  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
)";
    } else {
        // Early media: the 183 with SDP must come; what the caller does then runs before the
        // final response.
        x += R"(  <recv response="180" optional="true"/>
  <recv response="183"/>
)" + o.earlyMedia;
    }
    if (o.expectStatus != 200) {
        x += "  <recv response=\"" + std::to_string(o.expectStatus) + R"("/>
  <send><![CDATA[
ACK sip:[$room]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=z9hG4bK[pid]inv[call_number]
)" + kDialogFrom + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
</scenario>
)";
        return x;
    }
    x += R"(  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
)" + std::string(kDialogFrom) + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
)" + o.afterAck;
    if (o.expectByeFromAs) {
        x += answerBye();
    } else {
        x += R"(  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
)" + std::string(kDialogFrom) + R"(
To: <sip:[$room]@[remote_ip]:[remote_port]>[peer_tag_param]
[routes]
Call-ID: [call_id]
CSeq: 9 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
)";
    }
    x += "</scenario>\n";
    return x;
}

namespace {

SippPeer startSipp(const std::filesystem::path& root, const std::string& name, const std::string& scenario,
                   std::vector<std::string> args, std::uint16_t mediaPort, std::uint16_t targetPort) {
    SippPeer p;
    p.dir = root / name;
    std::filesystem::create_directories(p.dir);
    p.sipPort = static_cast<std::uint16_t>(freePort(true));
    p.mediaPort = mediaPort ? mediaPort : freeMediaPort();
    p.messages = p.dir / "messages.log";
    p.errors = p.dir / "errors.log";
    const auto file = p.dir / "scenario.xml";
    { std::ofstream(file) << scenario; }
    std::vector<std::string> argv = {"sipp",       "-sf",          file.string(),
                                     "-p",         std::to_string(p.sipPort),
                                     "-mp",        std::to_string(p.mediaPort),
                                     "-i",         "127.0.0.1",
                                     "-mi",        "127.0.0.1",
                                     "-m",         "1",
                                     "-t",         "u1",
                                     "-nostdin",   "-skip_rlimit",
                                     "-trace_msg", "-message_file",
                                     p.messages.string(), "-trace_err",
                                     "-error_file", p.errors.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (targetPort) argv.push_back("127.0.0.1:" + std::to_string(targetPort));
    p.process = std::make_unique<Process>(Process::start(argv, "sipp-" + name, p.dir, {}, p.dir));
    return p;
}

}  // namespace

SippPeer startUac(FocusSystem& fx, const std::string& name, const UacOptions& o, std::uint16_t mediaPort) {
    return startUacAt(fx.dir(), name, o, fx.asSipPort(), mediaPort);
}

SippPeer startUacAt(const std::filesystem::path& root, const std::string& name, const UacOptions& o,
                    std::uint16_t targetPort, std::uint16_t mediaPort) {
    return startSipp(root, name, uacScenario(o),
                     {"-timeout", std::to_string(o.timeoutSeconds) + "s", "-timeout_error"}, mediaPort,
                     targetPort);
}

SippPeer startUas(FocusSystem& fx, const std::string& name, const std::filesystem::path& tone,
                  int timeoutSeconds) {
    return startUasAt(fx.dir(), name, tone, timeoutSeconds);
}

SippPeer startUasAt(const std::filesystem::path& root, const std::string& name,
                    const std::filesystem::path& tone, int timeoutSeconds, std::uint16_t mediaPort,
                    int reInvites) {
    std::string middle;
    for (int i = 0; i < reInvites; ++i) {
        middle += R"(  <recv request="INVITE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:uas@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=uas 1 )" + std::to_string(i + 2) + R"( IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=ptime:20

]]></send>
  <recv request="ACK"/>
)";
    }
    const std::string scenario = R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="parley focus e2e dial-out target">
  <recv request="INVITE" crlf="true" rrs="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:uas@[local_ip]:[local_port]>
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Record-Route:]
Contact: <sip:uas@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=uas 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=ptime:20
a=sendrecv

]]></send>
  <recv request="ACK" crlf="true"/>
)" + streamTone(tone) + middle + answerBye() + "</scenario>\n";
    return startSipp(root, name, scenario,
                     {"-timeout", std::to_string(timeoutSeconds) + "s", "-timeout_error"}, mediaPort, 0);
}

std::string SippPeer::messagesText() const { return fileText(messages); }

bool SippPeer::received(const std::string& startLine, const std::string& cseq) const {
    // sipp's trace: a dashed line with the time, "UDP message received [n] bytes :", a
    // blank line, then the message.
    const std::string text = messagesText();
    const std::string marker = "message received";
    for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
        auto start = text.find_first_not_of("\r\n", text.find('\n', at));
        if (start == std::string::npos) break;
        auto end = text.find("\n-----", start);
        const std::string msg = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (msg.rfind(startLine, 0) != 0) continue;
        std::optional<std::string> seen = parley::test::reCapture(msg, "\n(CSeq|cseq|CSEQ): *([^\r\n]*)", 2);
        if (seen && seen->find(cseq) != std::string::npos)
            return true;
    }
    return false;
}

bool SippPeer::waitReceived(const std::string& startLine, const std::string& cseq,
                            std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (received(startLine, cseq)) return true;
        if (!process->running()) return received(startLine, cseq);
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(100ms);  // polling sipp's trace file
    }
}

std::string SippPeer::describe(std::size_t tailBytes) const {
    return "--- sipp " + dir.filename().string() + " (sip " + std::to_string(sipPort) + ", media " +
           std::to_string(mediaPort) + ") output:\n" + tail(process->output(), 1500) +
           "\n--- errors:\n" + tail(fileText(errors), 1500) + "\n--- messages:\n" +
           tail(messagesText(), tailBytes);
}

}  // namespace parley::test::focus
