#include "tests/e2e/ms_media/media_fixture.hpp"
#include "tests/support/text_match.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "tests/support/media/tone_generator.hpp"

namespace parley::test::media {

namespace cfw = proto::cfw;
namespace pm = proto::mixer;

const std::string& mixerRoot() {
    static const std::string root =
        "<mscmixer version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-mixer\">";
    return root;
}

std::string sippUacScenario(const std::string& name, const std::string& sdpMedia,
                            const std::string& middle) {
    const std::string dialogHeaders = R"(Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=sipp[pid]t[call_number]
To: <sip:ms@[remote_ip]:[remote_port]>)";
    return R"(<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name=")" + name + R"(">
  <send retrans="500"><![CDATA[
INVITE sip:ms@[remote_ip]:[remote_port] SIP/2.0
)" + dialogHeaders + R"(
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
)" + sdpMedia + R"(
]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:ms@[remote_ip]:[remote_port] SIP/2.0
)" + dialogHeaders + R"([peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
)" + middle + R"(
  <send retrans="500"><![CDATA[
BYE sip:ms@[remote_ip]:[remote_port] SIP/2.0
)" + dialogHeaders + R"([peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
)";
}

Process startSippUac(const std::filesystem::path& dir, const std::string& scenario,
                     std::uint16_t msSipPort) {
    { std::ofstream(dir / "uac.xml") << scenario; }
    return Process::start({"sipp", "-sf", (dir / "uac.xml").string(), "-p",
                           std::to_string(freePort(true)), "-mp", std::to_string(freePort(true)),
                           "-m", "1", "-i", "127.0.0.1", "-mi", "127.0.0.1", "-t", "u1",
                           "-timeout", "60s", "-timeout_error", "-nostdin", "-skip_rlimit",
                           "127.0.0.1:" + std::to_string(msSipPort)},
                          "sipp-uac", dir);
}

std::string sippConnectionId(MediaServerUnderTest& ms, std::chrono::milliseconds timeout) {
    if (!ms.instance().process.waitForOutput("from sip:sipp@", timeout)) return {};
    return parley::test::reCapture(ms.log(), "media dialog ([^ ]+) \\(call [^ ]+ from sip:sipp@").value_or("");
}

std::string ivrBody(const std::string& inner) {
    return "<mscivr version=\"1.0\" xmlns=\"urn:ietf:params:xml:ns:msc-ivr\">" + inner +
           "</mscivr>";
}

std::string mixerBody(const std::string& inner) {
    return mixerRoot() + inner + "</mscmixer>";
}

// ---------------------------------------------------------------------------------- Phone

bool Phone::hears(double freq, std::chrono::milliseconds timeout) const {
    return ep->waitForTone(freq, kHeard, kListen, timeout);
}

double Phone::level(double freq, std::chrono::milliseconds interval) const {
    return ep->heard(interval).levelDb(freq);
}

bool Phone::fresh(std::chrono::milliseconds timeout) const {
    ep->clearReceived();
    const auto packets = static_cast<std::uint64_t>(kListen / std::chrono::milliseconds(20)) + 5;
    return ep->waitForPackets(packets, timeout);
}

std::string Phone::describe() const {
    return name + " (" + connectionId + ", sends " + std::to_string(static_cast<int>(tone)) +
           " Hz): " + ep->heard(kListen).describe() + " | " + ep->describe();
}

// --------------------------------------------------------------------- MediaServerUnderTest

namespace {

// Tests run in parallel, each with its own parley-ms: a random block of RTP ports per
// instance keeps one test's stray packets (a phone still sending to a port its leg just
// gave back) from latching another test's leg. Blocks lie below the ephemeral range the
// test endpoints use.
std::vector<std::string> withRtpPorts(std::vector<std::string> args) {
    for (const auto& a : args)
        if (a == "--rtp-ports") return args;
    std::random_device rd;
    const unsigned block = rd() % 60;
    const unsigned lo = 20000 + block * 200;
    args.push_back("--rtp-ports");
    args.push_back(std::to_string(lo) + "-" + std::to_string(lo + 199));
    return args;
}

}  // namespace

MediaServerUnderTest::MediaServerUnderTest(std::vector<std::string> extraArgs)
    : ms_(test::ms::startMs(withRtpPorts(std::move(extraArgs)))) {}

std::string MediaServerUnderTest::metrics() {
    return test::ms::httpGet(ms_.httpPort, "/metrics").second;
}

std::unique_ptr<ControlAs> MediaServerUnderTest::connectAs() {
    return std::make_unique<ControlAs>(*this);
}

// -------------------------------------------------------------------------------- ControlAs

ControlAs::ControlAs(MediaServerUnderTest& ms) : ms_(ms), cfwId_(test::ms::freshCfwId()) {
    auto a = sip_.invite(ms.sipPort(), test::ms::controlOffer(cfwId_));
    if (a.status != 200)
        throw std::runtime_error("control INVITE answered " + std::to_string(a.status));
    control_ = a.dialog;
    cfw_ = CfwClient::connect(ms.instance().cfwPort);
    if (!cfw_) throw std::runtime_error("no CFW connection");
    auto r = cfw_->sync(cfwId_, 100);
    if (!r || r->status != 200) throw std::runtime_error("SYNC refused");
}

bool ControlAs::pump(std::chrono::milliseconds timeout) {
    if (!cfw_) return false;
    auto m = cfw_->next(timeout);
    if (!m) return false;
    if (m->isResponse()) {
        responses_.push_back(std::move(*m));
        return true;
    }
    if (m->method == "REPORT") {
        (void)cfw_->send("CFW " + m->transId + " 200\r\n\r\n");
        if (m->reportStatus == proto::cfw::ReportStatus::Terminate) {
            // The final answer of an accepted request: kept as if it were the response.
            proto::cfw::Message r = proto::cfw::Message::response(m->transId, 200);
            r.body = m->body;
            r.contentType = m->contentType;
            responses_.push_back(std::move(r));
        }
        return true;
    }
    if (m->method == "CONTROL") {
        (void)cfw_->send("CFW " + m->transId + " 200\r\n\r\n");
        if (m->body.find("mscivr") != std::string::npos) {
            auto parsed = proto::ivr::parse(m->body, proto::ivr::ParseOptions{});
            if (parsed) {
                if (auto* e = std::get_if<proto::ivr::Event>(&*parsed)) ivrEvents_.push_back(*e);
            }
            return true;
        }
        auto parsed = pm::parse(m->body, pm::ParseOptions{pm::Leniency::tolerant, {}});
        if (parsed) {
            if (auto* e = std::get_if<pm::Event>(&*parsed)) events_.push_back(*e);
        }
    }
    return true;
}

ControlAs::Reply ControlAs::request(const std::string& body, std::chrono::milliseconds timeout) {
    Reply r;
    if (!cfw_) return r;
    char tid[16];
    std::snprintf(tid, sizeof tid, "mx%06d", nextTid_++);
    if (!cfw_->send(
            CfwClient::controlText(tid, "msc-mixer/1.0", "application/msc-mixer+xml", body)))
        return r;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto it = responses_.begin(); it != responses_.end(); ++it) {
            if (it->transId != tid) continue;
            r.status = it->status;
            r.body = it->body;
            responses_.erase(it);
            if (!r.body.empty()) {
                auto m = pm::parse(r.body, pm::ParseOptions{pm::Leniency::tolerant, {}});
                if (m) r.message = *m;
            }
            return r;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !pump(left)) return r;
    }
}

ControlAs::IvrReply ControlAs::ivrRequest(const std::string& body,
                                          std::chrono::milliseconds timeout) {
    IvrReply r;
    if (!cfw_) return r;
    char tid[16];
    std::snprintf(tid, sizeof tid, "iv%06d", nextTid_++);
    if (!cfw_->send(CfwClient::controlText(tid, "msc-ivr/1.0", "application/msc-ivr+xml", body)))
        return r;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        bool again = false;
        for (auto it = responses_.begin(); it != responses_.end(); ++it) {
            if (it->transId != tid) continue;
            const int status = it->status;
            const std::string text = it->body;
            responses_.erase(it);
            if (status == 202) {
                r.accepted = true;
                again = true;
                break;
            }
            r.status = status;
            r.body = text;
            if (!r.body.empty()) {
                auto m = proto::ivr::parse(r.body, proto::ivr::ParseOptions{});
                if (m) r.message = *m;
            }
            return r;
        }
        if (again) continue;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !pump(left)) return r;
    }
}

proto::ivr::Response ControlAs::ivrResponse(const std::string& body,
                                            std::chrono::milliseconds timeout) {
    IvrReply r = ivrRequest(body, timeout);
    INFO(body);
    REQUIRE(r.status == 200);
    REQUIRE(r.message);
    REQUIRE(std::holds_alternative<proto::ivr::Response>(*r.message));
    return std::get<proto::ivr::Response>(*r.message);
}

std::optional<proto::ivr::Event> ControlAs::waitIvrEvent(const std::string& dialogId,
                                                         std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto it = ivrEvents_.begin(); it != ivrEvents_.end(); ++it) {
            if (it->dialogId != dialogId) continue;
            proto::ivr::Event e = *it;
            ivrEvents_.erase(it);
            return e;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !pump(left)) return std::nullopt;
    }
}

std::optional<proto::ivr::DialogExit> ControlAs::waitDialogExit(const std::string& dialogId,
                                                                std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto e = waitIvrEvent(dialogId, left);
        if (!e) return std::nullopt;
        if (auto* exit = std::get_if<proto::ivr::DialogExit>(&e->notification)) return *exit;
        if (auto* n = std::get_if<proto::ivr::DtmfNotify>(&e->notification))
            notices_.emplace_back(dialogId, *n);
    }
}

std::vector<proto::ivr::DtmfNotify> ControlAs::takeNotices(const std::string& dialogId) {
    std::vector<proto::ivr::DtmfNotify> out;
    for (auto it = ivrEvents_.begin(); it != ivrEvents_.end();) {
        if (it->dialogId == dialogId) {
            if (auto* n = std::get_if<proto::ivr::DtmfNotify>(&it->notification)) {
                notices_.emplace_back(dialogId, *n);
                it = ivrEvents_.erase(it);
                continue;
            }
        }
        ++it;
    }
    for (auto it = notices_.begin(); it != notices_.end();) {
        if (it->first == dialogId) {
            out.push_back(it->second);
            it = notices_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

pm::Response ControlAs::response(const std::string& body) {
    Reply r = request(body);
    INFO(body);
    REQUIRE(r.status == 200);
    REQUIRE(r.message);
    REQUIRE(std::holds_alternative<pm::Response>(*r.message));
    return std::get<pm::Response>(*r.message);
}

std::string ControlAs::createConference(const std::string& attributes,
                                        const std::string& children) {
    auto r = response(
        mixerBody("<createconference " + attributes + ">" + children + "</createconference>"));
    INFO(r.reason.value_or(""));
    REQUIRE(r.status == 200);
    REQUIRE(r.conferenceId);
    return *r.conferenceId;
}

ControlAs::ThreeParty ControlAs::threeParty(const std::string& attributes,
                                            const std::string& children) {
    ThreeParty t;
    t.a = call("a", 400);
    t.b = call("b", 600);
    t.c = call("c", 800);
    t.conf = createConference(attributes, children);
    for (auto* p : {t.a.get(), t.b.get(), t.c.get()}) joinOk(p->connectionId, t.conf);
    return t;
}

int ControlAs::join(const std::string& id1, const std::string& id2, const std::string& streams) {
    return status(
        mixerBody("<join id1=\"" + id1 + "\" id2=\"" + id2 + "\">" + streams + "</join>"));
}

void ControlAs::joinOk(const std::string& id1, const std::string& id2, const std::string& streams) {
    auto r =
        response(mixerBody("<join id1=\"" + id1 + "\" id2=\"" + id2 + "\">" + streams + "</join>"));
    INFO("join " << id1 << " " << id2 << ": " << r.reason.value_or(""));
    REQUIRE(r.status == 200);
}

int ControlAs::modifyJoin(const std::string& id1, const std::string& id2,
                          const std::string& streams) {
    return status(mixerBody("<modifyjoin id1=\"" + id1 + "\" id2=\"" + id2 + "\">" + streams +
                            "</modifyjoin>"));
}

int ControlAs::unjoin(const std::string& id1, const std::string& id2, const std::string& streams) {
    return status(
        mixerBody("<unjoin id1=\"" + id1 + "\" id2=\"" + id2 + "\">" + streams + "</unjoin>"));
}

void ControlAs::drainEvents(std::chrono::milliseconds quiet) {
    while (pump(quiet)) {
    }
}

std::unique_ptr<Phone> ControlAs::call(const std::string& name, double tone,
                                       const std::string& direction) {
    auto phone = std::make_unique<Phone>();
    phone->name = name;
    phone->tone = tone;
    TestRtpEndpoint::Options o;
    o.name = name;
    auto ep = TestRtpEndpoint::create(o);
    REQUIRE(ep);
    phone->ep = std::move(*ep);
    auto a = sip_.invite(ms_.sipPort(), phone->ep->sdpOffer(direction, name));
    INFO(ms_.log());
    REQUIRE(a.status == 200);
    phone->dialog = a.dialog;
    phone->answer = a.body;
    phone->connectionId = sip_.connectionId(a.dialog);
    REQUIRE(phone->ep->applyRemoteSdp(a.body));
    if (tone > 0) phone->ep->sendTone(tone, -20);
    return phone;
}

bool ControlAs::hangUp(Phone& phone) {
    return sip_.bye(phone.dialog) && sip_.waitTerminated(phone.dialog, 10s);
}

// ---------------------------------------------------------------------------- IVR helpers

IvrTestServer::IvrTestServer() {
    ms_ = std::make_unique<MediaServerUnderTest>(
        std::vector<std::string>{"--media-workers", "2", "--media-root", media_.path().string(),
                                 "--record-dir", records_.path().string()});
}

void IvrTestServer::writeTone(const std::string& name, double freq, double seconds) {
    const auto pcm = makeTone(freq, -12, seconds);
    REQUIRE(writeWavPcm16(media_.path() / name, pcm));
}

std::string IvrTestServer::fileUri(const std::string& name) const {
    return "file://" + (media_.path() / name).string();
}

WavAudio IvrTestServer::fetchRecording(const std::string& loc) {
    const auto at = loc.find("/recordings/");
    INFO("recording loc " << loc);
    REQUIRE(at != std::string::npos);
    auto [status, body] = test::ms::httpGet(ms_->instance().httpPort, loc.substr(at));
    REQUIRE(status == 200);
    const auto path = scratch_.path() / ("fetched-" + std::to_string(++fetched_) + ".wav");
    {
        std::ofstream out(path, std::ios::binary);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    auto wav = readWav(path);
    REQUIRE(wav);
    return std::move(*wav);
}

std::string connectionAttr(const Phone& phone) {
    return "connectionid=\"" + phone.connectionId + "\"";
}

std::string dialogStartBody(const std::string& target, const std::string& dialogId,
                            const std::string& inner, const std::string& dialogAttrs,
                            const std::string& afterDialog) {
    return ivrBody("<dialogstart " + target + " dialogid=\"" + dialogId + "\"><dialog" +
                   (dialogAttrs.empty() ? "" : " " + dialogAttrs) + ">" + inner + "</dialog>" +
                   afterDialog + "</dialogstart>");
}

std::string promptOf(const std::string& loc) {
    return "<prompt><media loc=\"" + loc + "\"/></prompt>";
}

// ----------------------------------------------------------------------------- predicates

bool isUnjoinNotify(const pm::Event& e, const std::string& id1, const std::string& id2,
                    int status) {
    const auto* u = std::get_if<pm::UnjoinNotify>(&e);
    if (!u) return false;
    if (status >= 0 && u->status != static_cast<std::uint32_t>(status)) return false;
    if (id1.empty()) return true;
    if (id2.empty()) return u->id1 == id1 || u->id2 == id1;
    return (u->id1 == id1 && u->id2 == id2) || (u->id1 == id2 && u->id2 == id1);
}

bool isConferenceExit(const pm::Event& e, const std::string& id) {
    const auto* x = std::get_if<pm::ConferenceExit>(&e);
    return x && (id.empty() || x->conferenceId == id);
}

bool isActiveTalkers(const pm::Event& e, const std::string& id) {
    const auto* x = std::get_if<pm::ActiveTalkersNotify>(&e);
    return x && (id.empty() || x->conferenceId == id);
}

}  // namespace parley::test::media
