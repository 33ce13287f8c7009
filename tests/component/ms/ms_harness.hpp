#pragma once
// Test endpoints for parley-ms as a process: the process itself with the ports it bound
// (parsed from its log), a raw CFW TCP client, and the AS's SIP side (a proto/sip SipStack
// on its own thread) that sets up control dialogs with COMEDIA offers built with proto/sdp.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "proto/cfw/message.hpp"
#include "proto/cfw/parser.hpp"
#include "proto/sip/sip_stack.hpp"
#include "tests/support/process.hpp"

namespace parley::test::ms {

using namespace std::chrono_literals;

// parley-ms on 127.0.0.1, port 0 everywhere.
struct MsInstance {
    Process process;
    std::uint16_t sipPort = 0;
    std::uint16_t cfwPort = 0;
    std::uint16_t httpPort = 0;
};

// Starts parley-ms and waits (bounded) for its three "... listening on" lines. Throws
// std::runtime_error with the log when it does not come up.
MsInstance startMs(const std::vector<std::string>& extraArgs = {});

// VmRSS of a process in KiB (0 when unreadable).
long rssKiB(pid_t pid);

// GET on 127.0.0.1:port; returns the status line's code and the body (status 0: failed).
std::pair<int, std::string> httpGet(std::uint16_t port, const std::string& path);

// A blocking TCP client speaking raw CFW; every wait is bounded.
class CfwClient {
  public:
    static std::unique_ptr<CfwClient> connect(std::uint16_t port);
    // Writes all bytes (reading what arrives meanwhile into the parser); false on error.
    bool send(std::string_view bytes);
    // The next message (parse errors are skipped and counted); nullopt on timeout or close.
    std::optional<proto::cfw::Message> next(std::chrono::milliseconds timeout = 5s);
    // True when the server closed the connection within `timeout` (messages received
    // before the close stay available to next()).
    bool waitClosed(std::chrono::milliseconds timeout);
    bool closed() const { return closed_; }

    // SYNC request text.
    static std::string syncText(const std::string& transId, const std::string& dialogId,
                                std::optional<int> keepAlive = 100,
                                const std::string& packages = "msc-ivr/1.0,msc-mixer/1.0");
    static std::string controlText(const std::string& transId, const std::string& package,
                                   const std::string& contentType, const std::string& body);
    // Sends a SYNC and returns the answer (nullopt on timeout).
    std::optional<proto::cfw::Message> sync(const std::string& dialogId,
                                            std::optional<int> keepAlive = 100);

  private:
    explicit CfwClient(common::Fd fd) : fd_(std::move(fd)) {}
    bool readSome(std::chrono::milliseconds timeout);  // false: nothing before timeout or closed
    void drainParser();

    common::Fd fd_;
    proto::cfw::Parser parser_;
    std::deque<proto::cfw::Message> messages_;
    bool closed_ = false;
    int parseErrors_ = 0;
};

// The AS's SIP side on its own thread.
class AsSipPeer : public proto::sip::SipHandler {
  public:
    AsSipPeer();
    ~AsSipPeer() override;

    struct Answer {
        int status = 0;  // final status; 0 on timeout
        std::string body;
        proto::sip::DialogRef dialog;
    };
    // INVITE to parley-ms with `sdp` (empty: offerless); waits for the final response.
    Answer invite(std::uint16_t msSipPort, const std::string& sdp,
                  std::chrono::milliseconds timeout = 10s);
    // re-INVITE on a confirmed dialog with `sdp` (empty: offerless); waits for its final
    // response. An offer in the 2xx of an offerless (re-)INVITE is answered in the ACK with
    // what the offerless answerer returns (see setOfferlessAnswerer).
    Answer reinvite(const proto::sip::DialogRef& dialog, const std::string& sdp,
                    std::chrono::milliseconds timeout = 10s);
    void setOfferlessAnswerer(std::function<std::string(const std::string& offer)> answerer);
    // The dialog's connectionid "<From-tag>:<To-tag>" (read on the SIP thread).
    std::string connectionId(const proto::sip::DialogRef& dialog);
    // This peer's SIP port (its Contact).
    std::uint16_t sipPort();
    // Sends BYE on the dialog (on the SIP thread).
    bool bye(const proto::sip::DialogRef& dialog);
    // Waits for a BYE from parley-ms on the dialog.
    bool waitBye(const proto::sip::DialogRef& dialog, std::chrono::milliseconds timeout);
    bool waitTerminated(const proto::sip::DialogRef& dialog, std::chrono::milliseconds timeout);

    // SipHandler (SIP thread)
    void onIncomingInvite(const proto::sip::DialogRef& d, const proto::sip::SipMessage& m) override;
    void onInviteResponse(const proto::sip::DialogRef& d, const proto::sip::SipMessage& m) override;
    void onBye(const proto::sip::DialogRef& d, const proto::sip::SipMessage& m) override;
    void onTerminated(const proto::sip::DialogRef& d, int status,
                      const std::string& reason) override;

  private:
    template <typename Pred>
    bool waitFor(Pred pred, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, pred);
    }

    common::EventLoop loop_;
    std::unique_ptr<proto::sip::SipStack> stack_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool ready_ = false;
    std::string startError_;
    struct Final {
        int status = 0;
        std::string body;
    };
    std::vector<std::pair<const proto::sip::Dialog*, Final>> finals_;
    std::function<std::string(const std::string&)> offerlessAnswerer_;
    std::set<const proto::sip::Dialog*> byes_;
    std::set<const proto::sip::Dialog*> terminated_;
};

// The COMEDIA offer of RFC 6230 section 4 (AS side), printed with proto/sdp.
std::string controlOffer(const std::string& cfwId, const std::string& setup = "active",
                         const std::string& connection = "new");

// A fresh token usable as a cfw-id.
std::string freshCfwId();

// The value of the first "a=<name>:" line of an SDP body ("" when absent), and the port of
// its m=application line (0 when absent).
std::string sdpAttribute(const std::string& sdp, const std::string& name);
int sdpApplicationPort(const std::string& sdp);

// Reads an RFC example file (nullopt when ../shared/spec is absent).
std::optional<std::string> specExample(const std::string& name);

}  // namespace parley::test::ms
