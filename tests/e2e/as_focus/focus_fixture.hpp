#pragma once
// End-to-end fixture for the conference focus in parley-as: a real parley-ms and a real
// parley-as on loopback, peers the project did not write (sipp, baresip) as callers, and
// dumpcap on lo to listen to what the callers receive.
//
//   FocusSystem fx(roomsJson({room("r1")}));     // MS + AS up, control channel "up"
//   auto cap = RtpCapture::start(fx.dir(), {portA, portB}, why);   // nullptr: SKIP with why
//   SippPeer a = startUac(fx, uac);              // sipp calls sip:r1@<AS>
//   REQUIRE(cap->waitHeard(portA, 700, since, 20s));
//
// The media root holds prompts/en-US/<name>.wav written as distinct TONES (see kPrompt*),
// so a test tells by listening which prompt played. parley-as gets --rooms <file> and
// --prompts file://<media root>/prompts/en-US/ when its --help lists those flags (the focus);
// an AS without them still starts (and answers every INVITE 404).
//
// Every process is killed by PID by its destructor; every wait is bounded. Capture times
// are the system clock in seconds since the epoch (the clock dumpcap stamps with), so
// `nowSeconds()` before an action marks "after this" in the capture.

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/component/ms/ms_harness.hpp"
#include "tests/support/pcap_rtp.hpp"
#include "tests/support/process.hpp"

namespace parley::test::focus {

using namespace std::chrono_literals;

// Prompt tones (Hz), one per prompt name the focus plays.
inline constexpr double kPromptEnterPin = 1700;
inline constexpr double kPromptPinWrong = 1900;
inline constexpr double kPromptGoodbye = 2100;
inline constexpr double kPromptMoh = 1300;
inline constexpr double kPromptJoined = 2300;
inline constexpr double kPromptLeft = 2500;
inline constexpr double kPromptRecordName = 2700;
inline constexpr double kPromptConferenceEnded = 2900;
inline constexpr double kPromptLocked = 3100;

// What a caller must hear (dBFS, median of 100 ms windows over kWindow) and the level
// under which a tone counts as absent.
inline constexpr double kHeard = -35.0;
inline constexpr double kNotHeard = -50.0;
inline constexpr auto kWindow = 1000ms;

double nowSeconds();

// {"rooms":[ ...objects... ]}
std::string roomsJson(const std::vector<std::string>& rooms);
// One room object: name plus `extra` JSON members ("\"pin\":\"1234\",\"locked\":true").
// "allow":["sip:*@127.0.0.1"] is added unless `extra` mentions allow.
std::string room(const std::string& name, const std::string& extra = "");

// Writes prompts/en-US/<name>.wav for every prompt: 1.5 s tone, 8 kHz mono 16-bit.
void writePromptTones(const std::filesystem::path& mediaRoot);

struct FocusOptions {
    std::string rtpPorts;  // parley-ms --rtp-ports; empty: a random 200-port block
    std::vector<std::string> asExtraArgs;
    std::vector<std::string> msExtraArgs;
};

class FocusSystem {
  public:
    explicit FocusSystem(const std::string& roomsJsonText, FocusOptions options = {});
    ~FocusSystem();
    FocusSystem(const FocusSystem&) = delete;
    FocusSystem& operator=(const FocusSystem&) = delete;

    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path mediaRoot() const { return dir() / "media"; }
    std::string promptsUri() const;

    std::uint16_t asSipPort() const { return asSipPort_; }
    std::uint16_t asHttpPort() const { return asHttpPort_; }
    std::uint16_t msSipPort() const { return ms_->sipPort; }
    std::uint16_t msHttpPort() const { return ms_->httpPort; }
    std::string roomUri(const std::string& room) const;
    // True when parley-as took --rooms/--prompts (the focus is there).
    bool focusFlags() const { return focusFlags_; }

    // parley-ms media legs (GET /metrics, parley_ms_media_legs); nullopt when unreadable.
    std::optional<long> msLegs();
    // Polls until the MS has `legs` legs; false at the deadline.
    bool waitMsLegs(long legs, std::chrono::milliseconds timeout);
    bool asAlive() { return as_->running(); }
    bool msAlive() { return ms_->process.running(); }
    std::string asLog() const { return as_->output(); }
    std::string msLog() const { return ms_->process.output(); }
    // Both logs' last lines, for INFO().
    std::string logs(std::size_t tailBytes = 6000) const;
    // Sends OPTIONS to the AS from a fresh raw client; the final status (0: none in 5 s).
    int optionsStatus();
    // SIGTERM to parley-as; its exit status (0: clean, and no sanitizer report at exit).
    int stopAs() { return as_->stop(SIGTERM, 15s); }
    // SIGKILL to parley-ms (a media server dying under its calls).
    void killMs() { (void)ms_->process.stop(SIGKILL, 5s); }
    // SIGSTOP (true) or SIGCONT (false) to parley-ms: a media server slow to answer.
    void freezeMs(bool frozen) { (void)::kill(ms_->process.pid(), frozen ? SIGSTOP : SIGCONT); }

  private:
    TempDir dir_;
    bool focusFlags_ = false;
    std::unique_ptr<ms::MsInstance> ms_;
    std::unique_ptr<Process> as_;
    std::uint16_t asSipPort_ = 0;
    std::uint16_t asHttpPort_ = 0;
};

// dumpcap on lo writing classic pcap: UDP to the given ports (and from/to `sipPorts`, to
// see SIP signalling in the same time line).
class RtpCapture {
  public:
    // nullptr with `why` set when capturing is impossible here (no dumpcap, no permission,
    // dumpcap refused to start).
    static std::unique_ptr<RtpCapture> start(const std::filesystem::path& dir,
                                             const std::vector<std::uint16_t>& ports,
                                             std::string& why,
                                             const std::vector<std::uint16_t>& sipPorts = {});
    ~RtpCapture();

    const std::filesystem::path& file() const { return file_; }
    // Everything captured so far (dumpcap writes with up to ~1 s delay).
    std::vector<UdpDatagram> datagrams() const;

    // Median levels of `freq` over kWindow-long windows (100 ms steps) of the audio sent to
    // `port` with capture times in [from, to). Empty when fewer than one window of audio.
    std::vector<double> windowLevels(std::uint16_t port, double freq, double from,
                                     double to = 1e300) const;
    // Loudest / quietest window; nullopt without a whole window of audio.
    std::optional<double> loudest(std::uint16_t port, double freq, double from, double to = 1e300) const;
    std::optional<double> quietest(std::uint16_t port, double freq, double from, double to = 1e300) const;
    // Polls until some window since `from` has `freq` at kHeard or more.
    bool waitHeard(std::uint16_t port, double freq, double from, std::chrono::milliseconds timeout) const;
    // Polls until some window since `from` has `freq` below kNotHeard (audio still flowing).
    bool waitGone(std::uint16_t port, double freq, double from, std::chrono::milliseconds timeout) const;
    // First capture time at or after `from` of a window where `freq` is heard.
    std::optional<double> firstHeard(std::uint16_t port, double freq, double from, double to = 1e300) const;
    // "port 40000 [from..to]: 500Hz -20.1 ... (n packets)" for INFO().
    std::string describe(std::uint16_t port, double from, double to = 1e300,
                         const std::vector<double>& freqs = {}) const;

  private:
    RtpCapture() = default;
    std::filesystem::path file_;
    std::unique_ptr<Process> dumpcap_;
};

// ----------------------------------------------------------------------------- sipp

// A UDP port p (from freePort) with p+1 and p+2 free as well (sipp binds the media port
// and the one two above it).
std::uint16_t freeMediaPort();

// Headerless mu-law tone file for sipp's rtp_stream (4 s, looped by the scenario).
std::filesystem::path toneFile(const std::filesystem::path& dir, double freq);
// An RFC 4733 pcap for play_pcap_audio holding `digits`, continuing `train`.
std::filesystem::path dtmfPcap(const std::filesystem::path& dir, const std::string& name,
                               const std::string& digits, DtmfTrain& train);

// Scenario pieces (sipp XML).
std::string streamTone(const std::filesystem::path& file);  // rtp_stream, looped forever
std::string playPcap(const std::filesystem::path& file);     // play_pcap_audio
std::string pauseMs(int ms);
// A re-INVITE in the dialog with this direction attribute, its 200 and the ACK. offerless:
// the INVITE has no body, the 200 must carry an offer (m=audio) and the ACK answers it.
std::string reInvite(const std::string& direction, int cseq, bool offerless = false);
// An UPDATE in the caller's dialog with a new offer (RFC 3311) in direction `direction`,
// and its 200 (no ACK for an UPDATE).
std::string update(const std::string& direction, int cseq);

struct UacOptions {
    std::string room = "r1";
    std::string fromUser = "sipp";
    int expectStatus = 200;  // other: the scenario expects that final response and ACKs it
    bool cancelAfterRinging = false;  // send CANCEL after the 180, expect 487
    std::string direction = "sendrecv";
    std::string afterAck;          // sipp XML run after the ACK
    std::string earlyMedia;        // non-empty: a 183 must come first, then this sipp XML runs
                                   // before the final response is awaited
    bool expectByeFromAs = false;  // end by answering the AS's BYE instead of sending one
    int timeoutSeconds = 60;
    std::vector<std::string> extraInviteHeaders;
};

struct SippPeer {
    std::unique_ptr<Process> process;
    std::filesystem::path dir;
    std::uint16_t sipPort = 0;
    std::uint16_t mediaPort = 0;
    std::filesystem::path messages;
    std::filesystem::path errors;

    std::optional<int> wait(std::chrono::milliseconds timeout) { return process->wait(timeout); }
    // Whether sipp's message trace shows a received message whose first line starts with
    // `startLine` ("SIP/2.0 200", "BYE ") and whose CSeq contains `cseq` ("1 INVITE").
    bool received(const std::string& startLine, const std::string& cseq) const;
    // Polls received() until true; false at the deadline or once sipp has exited without it.
    bool waitReceived(const std::string& startLine, const std::string& cseq,
                      std::chrono::milliseconds timeout);
    // The call was answered (200 to the first INVITE).
    bool waitAnswered(std::chrono::milliseconds timeout = 20s) {
        return waitReceived("SIP/2.0 200", "1 INVITE", timeout);
    }
    // Output, error file and the last messages, for INFO().
    std::string describe(std::size_t tailBytes = 4000) const;
    std::string messagesText() const;
};

std::string uacScenario(const UacOptions& o);
// Starts a sipp UAC (one call) against the AS; its own directory under fx.dir().
SippPeer startUac(FocusSystem& fx, const std::string& name, const UacOptions& o,
                  std::uint16_t mediaPort = 0);
// The same against any SIP peer on 127.0.0.1:targetPort, in root/name (harness self-checks).
SippPeer startUacAt(const std::filesystem::path& root, const std::string& name, const UacOptions& o,
                    std::uint16_t targetPort, std::uint16_t mediaPort = 0);

// A sipp UAS that answers one INVITE (offer or offerless) with 180 and 200 + SDP, streams
// `toneFile` after the ACK and ends by answering a BYE.
SippPeer startUas(FocusSystem& fx, const std::string& name, const std::filesystem::path& toneFile,
                  int timeoutSeconds = 60);
// ...answering `reInvites` re-INVITEs (200 with its SDP, then the ACK) before the BYE.
SippPeer startUasAt(const std::filesystem::path& root, const std::string& name,
                    const std::filesystem::path& toneFile, int timeoutSeconds = 60,
                    std::uint16_t mediaPort = 0, int reInvites = 0);

}  // namespace parley::test::focus
