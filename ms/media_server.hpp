#pragma once
// MediaServer: parley-ms put together. One thread (the one that calls run()) serves SIP,
// the CFW listener and channels, and the timers; HTTP has its own worker threads that read
// loop state through callOnLoop().
//
//   auto ms = MediaServer::create(settings);   // binds SIP, CFW, HTTP; logs each address
//   return (*ms)->run();                        // until SIGTERM/SIGINT or stop()
//
// Contract:
// - create() must run with SIGTERM and SIGINT blocked in every thread (main() blocks them
//   before any thread exists); they are read from a signalfd on the loop. It fails with a
//   message when an address cannot be bound.
// - On SIGTERM/SIGINT (or stop()): every control dialog gets BYE, every channel is closed,
//   HTTP stops, the SIP stack finishes its transactions (bounded), run() returns 0.
// - One line per listener with the bound address, at notice level:
//     "SIP listening on 127.0.0.1:40123 (udp, tcp)", "CFW listening on 127.0.0.1:40124",
//     "HTTP listening on 127.0.0.1:40125".

#include <memory>

#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "common/net.hpp"
#include "common/result.hpp"
#include "ms/control/control_dialog_table.hpp"
#include "ms/control/control_server.hpp"
#include "ms/control/package_handler.hpp"
#include "ms/http/status_routes.hpp"
#include "ms/ms_settings.hpp"
#include "ms/sip/sip_agent.hpp"
#include "proto/sip/sip_stack.hpp"

namespace parley::ms {

class MediaServer {
  public:
    static common::Result<std::unique_ptr<MediaServer>> create(const MsSettings& settings);
    ~MediaServer();
    MediaServer(const MediaServer&) = delete;
    MediaServer& operator=(const MediaServer&) = delete;

    int run();
    // Any thread: the same as SIGTERM.
    void stop();

  private:
    MediaServer() = default;
    void onSignal();
    void beginShutdown(const std::string& why);
    MsStatus snapshot() const;

    common::TimePoint started_ = common::Clock::now();
    std::unique_ptr<common::EventLoop> loop_;
    PackageTable packages_;
    ControlDialogTable dialogs_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<SipAgent> agent_;
    std::unique_ptr<proto::sip::SipStack> stack_;
    std::unique_ptr<common::HttpServer> http_;
    common::Fd signalFd_;
    bool shuttingDown_ = false;
};

// The host written into SDP for the CFW listener: --advertise, else the listener's own
// address, else (a wildcard listener) the SIP host, else 127.0.0.1.
std::string controlAddressFor(const MsSettings& settings, const common::SocketAddress& cfwBound);

}  // namespace parley::ms
