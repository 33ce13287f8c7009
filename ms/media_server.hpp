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
// - The media plane (media_plane.hpp) starts --media-workers threads (one per core by
//   default); RTP binds to --rtp-address (default: the SIP listen host) in --rtp-ports.
// - On SIGTERM/SIGINT (or stop()): every control dialog and media dialog gets BYE, every
//   channel is closed, HTTP stops, the SIP stack finishes its transactions (bounded), the
//   media workers stop, run() returns 0.
// - One line per listener with the bound address, at notice level:
//     "SIP listening on 127.0.0.1:40123 (udp, tcp)", "CFW listening on 127.0.0.1:40124",
//     "HTTP listening on 127.0.0.1:40125".

#include <memory>

#include "common/event_loop.hpp"
#include "common/http_server.hpp"
#include "common/termination_signals.hpp"
#include "common/net.hpp"
#include "common/result.hpp"
#include "ms/control/control_dialog_table.hpp"
#include "ms/control/control_server.hpp"
#include "ms/control/package_handler.hpp"
#include "ms/http/status_routes.hpp"
#include "ms/ivr/disk_writer.hpp"
#include "ms/ivr/media_fetcher.hpp"
#include "ms/ms_settings.hpp"
#include "ms/plane/media_plane.hpp"
#include "ms/sip/media_dialogs.hpp"
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
    void beginShutdown(const std::string& why);
    MsStatus snapshot() const;

    common::TimePoint started_ = common::Clock::now();
    std::unique_ptr<common::EventLoop> loop_;
    std::unique_ptr<plane::MediaPlane> plane_;
    std::unique_ptr<ivr::MediaFetcher> fetcher_;
    std::unique_ptr<ivr::DiskWriter> writer_;
    PackageTable packages_;
    ControlDialogTable dialogs_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<MediaDialogs> media_;
    std::unique_ptr<SipAgent> agent_;
    std::unique_ptr<proto::sip::SipStack> stack_;
    std::unique_ptr<common::HttpServer> http_;
    std::unique_ptr<common::TerminationSignals> signals_;
    bool shuttingDown_ = false;
};

// The address RTP binds to: --rtp-address, else the SIP listen host, else 127.0.0.1.
std::string rtpAddressFor(const MsSettings& settings);
// The host written into media SDP: --advertise, else the RTP address unless it is a
// wildcard, else the CFW SDP address.
std::string mediaSdpAddressFor(const MsSettings& settings, const std::string& rtpAddress,
                               const std::string& cfwHost);

// The host written into SDP for the CFW listener: --advertise, else the listener's own
// address, else (a wildcard listener) the SIP host, else 127.0.0.1.
std::string controlAddressFor(const MsSettings& settings, const common::SocketAddress& cfwBound);

}  // namespace parley::ms
