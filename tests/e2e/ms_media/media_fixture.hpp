#pragma once
// End-to-end fixture for parley-ms's media plane: the test is the AS (a proto/sip SipStack
// for the control dialog and the media dialogs, a raw CFW client for msc-mixer/1.0) and
// TestRtpEndpoints are the phones, each sending its own tone.
//
//   MediaServerUnderTest ms;                  // parley-ms, 2 media workers, killed by PID
//   auto as = ms.connectAs();                 // control dialog + SYNC
//   auto a = as->call(ms, "a", 400);          // media dialog; the phone sends 400 Hz
//   auto conf = as->createConference();
//   as->joinOk(a->connectionId, conf);
//   REQUIRE(a->hears(600));                   // bounded waits, generous for ASan
//
// Every wait is bounded; the process and the endpoints are stopped by their destructors.

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proto/cfw/message.hpp"
#include "proto/packages/ivr/ivr.hpp"
#include "proto/packages/mixer/mixer_codec.hpp"
#include "tests/component/ms/ms_harness.hpp"
#include "tests/support/media/audio_file.hpp"
#include "tests/support/media/test_rtp_endpoint.hpp"
#include "tests/support/process.hpp"

namespace parley::test::media {

using namespace std::chrono_literals;
using test::ms::AsSipPeer;
using test::ms::CfwClient;
using test::ms::MsInstance;

// Tone detection: what a phone must hear (dBFS, median over the window) and what counts
// as not hearing a tone at all. Windows and timeouts are generous: ASan slows everything.
inline constexpr double kHeard = -35.0;
inline constexpr double kNotHeard = -50.0;
inline constexpr auto kListen = 1000ms;
inline constexpr auto kToneTimeout = 15s;

const std::string& mixerRoot();                   // "<mscmixer version=... xmlns=...>"
std::string mixerBody(const std::string& inner);  // wraps in <mscmixer>...</mscmixer>
std::string ivrBody(const std::string& inner);    // wraps in <mscivr>...</mscivr>

class MediaServerUnderTest;

// A sipp UAC scenario that calls parley-ms directly: INVITE whose SDP ends with `sdpMedia`
// (the m= line and its attributes; [auto_media_port] and [media_ip] are sipp's), ACK,
// then `middle` (sipp actions and pauses), then BYE and its 200.
std::string sippUacScenario(const std::string& name, const std::string& sdpMedia,
                            const std::string& middle);
// Runs that scenario (written into `dir`) against parley-ms, one call, bounded to 60 s.
Process startSippUac(const std::filesystem::path& dir, const std::string& scenario,
                     std::uint16_t msSipPort);
// The connectionid of sipp's media dialog, read from parley-ms's log (as an AS would know it
// from its own B2BUA); "" when it does not show up within `timeout`.
std::string sippConnectionId(MediaServerUnderTest& ms, std::chrono::milliseconds timeout = 20s);

struct Phone {
    std::string name;
    double tone = 0;
    std::unique_ptr<TestRtpEndpoint> ep;
    proto::sip::DialogRef dialog;
    std::string connectionId;
    std::string answer;  // parley-ms's SDP

    // Waits until the phone hears `freq` at kHeard or louder over kListen.
    bool hears(double freq, std::chrono::milliseconds timeout = kToneTimeout) const;
    // The tone's level over the last `interval`.
    double level(double freq, std::chrono::milliseconds interval = kListen) const;
    std::string describe() const;
    // Forgets what was heard so far and waits for a full listening window of new audio
    // (after a change, the last second still holds the old mix).
    bool fresh(std::chrono::milliseconds timeout = kToneTimeout) const;
};

class ControlAs;

class MediaServerUnderTest {
  public:
    explicit MediaServerUnderTest(std::vector<std::string> extraArgs = {"--media-workers", "2"});
    MsInstance& instance() { return ms_; }
    std::uint16_t sipPort() const { return ms_.sipPort; }
    bool alive() { return ms_.process.running(); }
    std::string log() const { return ms_.process.output(); }
    std::string metrics();
    // A new AS with its own SIP stack, control dialog and synchronised CFW channel.
    std::unique_ptr<ControlAs> connectAs();

  private:
    MsInstance ms_;
};

class ControlAs {
  public:
    struct Reply {
        int status = 0;  // framework status; 0: no answer in time
        std::string body;
        std::optional<proto::mixer::Message> message;
    };

    ControlAs(MediaServerUnderTest& ms);
    AsSipPeer& sip() { return sip_; }

    // A CONTROL with this mixer body; waits for its answer (events arriving meanwhile are
    // answered 200 and kept).
    Reply request(const std::string& body, std::chrono::milliseconds timeout = 15s);
    // The package <response> (REQUIREs a framework 200 carrying one).
    proto::mixer::Response response(const std::string& body);
    int status(const std::string& body) { return response(body).status; }

    std::string createConference(const std::string& attributes = "",
                                 const std::string& children = "");
    void joinOk(const std::string& id1, const std::string& id2, const std::string& streams = "");
    int join(const std::string& id1, const std::string& id2, const std::string& streams = "");
    int modifyJoin(const std::string& id1, const std::string& id2, const std::string& streams);
    int unjoin(const std::string& id1, const std::string& id2, const std::string& streams = "");

    // The next event matching `pred` (events are consumed in order; others are kept).
    template <typename Pred>
    std::optional<proto::mixer::Event> waitEvent(Pred pred,
                                                 std::chrono::milliseconds timeout = 10s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (auto it = events_.begin(); it != events_.end(); ++it) {
                if (pred(*it)) {
                    proto::mixer::Event e = *it;
                    events_.erase(it);
                    return e;
                }
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !pump(left)) return std::nullopt;
        }
    }
    std::vector<proto::mixer::Event> takeEvents() {
        std::vector<proto::mixer::Event> out(events_.begin(), events_.end());
        events_.clear();
        return out;
    }
    void drainEvents(std::chrono::milliseconds quiet = 300ms);

    // msc-ivr/1.0: a CONTROL with this body; waits for the final answer (a 202 is followed
    // by the REPORT that carries it). events_ keeps mixer events, ivrEvents_ IVR ones.
    struct IvrReply {
        int status = 0;  // framework status of the final answer; 0: none in time
        bool accepted = false;  // answered 202 first
        std::string body;
        std::optional<proto::ivr::Message> message;
    };
    IvrReply ivrRequest(const std::string& body, std::chrono::milliseconds timeout = 40s);
    // The package <response> (REQUIREs a final answer carrying one).
    proto::ivr::Response ivrResponse(const std::string& body,
                                     std::chrono::milliseconds timeout = 40s);
    // The next IVR event of `dialogId` (dialogexit or dtmfnotify).
    std::optional<proto::ivr::Event> waitIvrEvent(const std::string& dialogId,
                                                  std::chrono::milliseconds timeout = 20s);
    // The next dialogexit of `dialogId` (dtmfnotify events before it are kept in notices_).
    std::optional<proto::ivr::DialogExit> waitDialogExit(const std::string& dialogId,
                                                         std::chrono::milliseconds timeout = 30s);
    std::vector<proto::ivr::DtmfNotify> takeNotices(const std::string& dialogId);

    // A media dialog from this AS's SIP stack to parley-ms for a new phone sending `tone`.
    std::unique_ptr<Phone> call(const std::string& name, double tone,
                                const std::string& direction = "sendrecv");
    bool hangUp(Phone& phone);
    // Three phones a, b and c sending 400, 600 and 800 Hz, each joined to a new conference
    // (createconference with these attributes and children).
    struct ThreeParty {
        std::unique_ptr<Phone> a, b, c;
        std::string conf;
    };
    ThreeParty threeParty(const std::string& attributes = "", const std::string& children = "");
    // Closes the CFW connection (the channel ends).
    void closeChannel() { cfw_.reset(); }

  private:
    // Reads one message: a response is returned through lastResponses_, an event is kept.
    bool pump(std::chrono::milliseconds timeout);

    MediaServerUnderTest& ms_;
    AsSipPeer sip_;
    std::string cfwId_;
    proto::sip::DialogRef control_;
    std::unique_ptr<CfwClient> cfw_;
    int nextTid_ = 1;
    std::deque<proto::mixer::Event> events_;
    std::deque<proto::ivr::Event> ivrEvents_;
    std::vector<std::pair<std::string, proto::ivr::DtmfNotify>> notices_;
    std::deque<proto::cfw::Message> responses_;
};

// ------------------------------------------------------------------------ IVR helpers
// parley-ms with a media root and a record directory of its own (temp dirs removed by the
// destructor), for msc-ivr/1.0 tests that play files the test wrote and fetch what it
// recorded.
class IvrTestServer {
  public:
    IvrTestServer();
    MediaServerUnderTest& ms() { return *ms_; }
    const std::filesystem::path& mediaRoot() const { return media_.path(); }
    const std::filesystem::path& recordDir() const { return records_.path(); }
    // Writes `seconds` of a `freq` Hz tone at -12 dBFS, 16-bit 8 kHz mono, as mediaRoot/name.
    void writeTone(const std::string& name, double freq, double seconds);
    // "file://<media root>/<name>".
    std::string fileUri(const std::string& name) const;
    // GETs a recording's loc (".../recordings/<name>") from parley-ms's HTTP listener and
    // decodes it; REQUIREs status 200 and a readable WAV.
    WavAudio fetchRecording(const std::string& loc);

  private:
    TempDir media_{"parley-ivr-media"};
    TempDir records_{"parley-ivr-rec"};
    TempDir scratch_{"parley-ivr-fetched"};
    std::unique_ptr<MediaServerUnderTest> ms_;
    int fetched_ = 0;
};

// connectionid="<phone's connection id>"
std::string connectionAttr(const Phone& phone);
// <mscivr><dialogstart TARGET dialogid="ID"><dialog ATTRS>INNER</dialog>SUBSCRIBE</dialogstart>
std::string dialogStartBody(const std::string& target, const std::string& dialogId,
                            const std::string& inner, const std::string& dialogAttrs = "",
                            const std::string& afterDialog = "");
// <prompt><media loc="LOC"/></prompt>
std::string promptOf(const std::string& loc);

// Tags of a mixer event, for waitEvent predicates.
bool isUnjoinNotify(const proto::mixer::Event& e, const std::string& id1 = "",
                    const std::string& id2 = "", int status = -1);
bool isConferenceExit(const proto::mixer::Event& e, const std::string& id = "");
bool isActiveTalkers(const proto::mixer::Event& e, const std::string& id = "");

}  // namespace parley::test::media
