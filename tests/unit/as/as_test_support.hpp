#pragma once
// Test doubles for the AS control-channel tests: a fake media server end (a real TCP
// listener on 127.0.0.1:0 whose connections run a proto::cfw::Channel in the Server role)
// and a fake ControlSignalling whose INVITEs the test answers (or that answers them with the
// fake MS's address by itself).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "as/msclient/control_signalling.hpp"
#include "as/msclient/tcp_stream.hpp"
#include "common/event_loop.hpp"
#include "common/net.hpp"
#include "proto/cfw/channel.hpp"

namespace parley::as::test {

namespace cfw = proto::cfw;
using namespace std::chrono_literals;

// Runs the loop until `done()` or `timeout`; returns done().
bool runUntil(common::EventLoop& loop, const std::function<bool()>& done,
              common::Duration timeout = 3s);
// Runs the loop for `d`.
void runFor(common::EventLoop& loop, common::Duration d);

// The server end of control channels: accepts TCP, runs a Server channel per connection.
class FakeMs {
public:
    using ControlFn = std::function<void(cfw::Channel&, const cfw::IncomingControl&)>;

    explicit FakeMs(common::EventLoop& loop);
    ~FakeMs();

    std::uint16_t port() const { return port_; }
    // Dialog-IDs accepted in SYNC; empty: any.
    std::vector<std::string> knownDialogs;
    std::vector<std::string> packages{"msc-ivr/1.0", "msc-mixer/1.0"};
    // How CONTROL requests are answered; default: 200 with an echo of the body.
    ControlFn onControl;
    // Stop reading from every connection (so nothing is answered any more).
    void freeze();
    // Close every connection from the server side.
    void dropAll();
    // Stop accepting (close the listener).
    void closeListener();

    std::size_t accepted() const { return accepted_; }
    std::size_t liveConnections() const;
    std::size_t closedByPeer() const { return closedByPeer_; }
    // The channel of the newest live connection, or nullptr.
    cfw::Channel* channel();
    std::vector<std::string> syncDialogIds;  // Dialog-IDs of the SYNCs seen, in order

private:
    struct Conn;
    void onAccept();
    void tick();

    common::EventLoop& loop_;
    common::Fd listener_;
    std::uint16_t port_ = 0;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::size_t accepted_ = 0;
    std::size_t closedByPeer_ = 0;
    common::EventLoop::TimerId tickTimer_ = 0;
};

// ControlSignalling whose calls the test controls.
class FakeSignalling : public ControlSignalling {
public:
    struct Call {
        std::string uri;
        std::string offer;
        std::string cfwId;  // from the offer
        ControlDialogHandler* handler = nullptr;
        bool hungUp = false;
        bool answered = false;
    };

    // Answer every INVITE (from a later loop callback) with a passive control m-line at
    // 127.0.0.1:<port>; 0 disables auto-answer.
    std::uint16_t autoAnswerPort = 0;
    common::EventLoop* loop = nullptr;
    // When set, auto-answer refuses with this status instead.
    int autoRefuse = 0;
    // When set, fail invite() itself with this error code.
    int inviteError = 0;

    common::Result<std::unique_ptr<ControlDialog>> invite(const std::string& uri,
                                                          const std::string& sdpOffer,
                                                          ControlDialogHandler& handler) override;
    std::string localHost() const override { return "127.0.0.1"; }

    std::vector<std::shared_ptr<Call>> calls;
    std::shared_ptr<Call> last() const { return calls.empty() ? nullptr : calls.back(); }

    // Answers `call` (or the last one) with SDP; the builders below make typical answers.
    static void answer(Call& call, const std::string& sdp);
    static std::string passiveAnswer(std::uint16_t port, const std::string& setup = "passive");
};

}  // namespace parley::as::test
