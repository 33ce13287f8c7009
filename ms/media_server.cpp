#include "ms/media_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/log.hpp"
#include "common/loop_call.hpp"
#include "common/termination_signals.hpp"
#include "ms/control/ivr_package.hpp"
#include "ms/control/mixer_package.hpp"
#include "ms/http/recording_routes.hpp"

namespace parley::ms {

using common::Error;

namespace {
Poco::Logger& log() {
    return common::logger("ms");
}
}  // namespace

std::string controlAddressFor(const MsSettings& settings, const common::SocketAddress& cfwBound) {
    if (!settings.advertise.empty()) return settings.advertise;
    if (!cfwBound.isAnyAddress()) return cfwBound.host();
    if (auto hp = common::splitHostPort(settings.sipListen, 5070);
        hp && !hp->first.empty() && hp->first != "0.0.0.0" && hp->first != "::") {
        return hp->first;
    }
    return "127.0.0.1";
}

std::string rtpAddressFor(const MsSettings& settings) {
    if (!settings.rtpAddress.empty()) return settings.rtpAddress;
    if (auto hp = common::splitHostPort(settings.sipListen, 5070); hp && !hp->first.empty())
        return hp->first;
    return "127.0.0.1";
}

std::string mediaSdpAddressFor(const MsSettings& settings, const std::string& rtpAddress,
                               const std::string& cfwHost) {
    if (!settings.advertise.empty()) return settings.advertise;
    if (rtpAddress != "0.0.0.0" && rtpAddress != "::") return rtpAddress;
    return cfwHost;
}

common::Result<std::unique_ptr<MediaServer>> MediaServer::create(const MsSettings& settings) {
    std::unique_ptr<MediaServer> ms(new MediaServer());
    ms->loop_ = std::make_unique<common::EventLoop>();

    const std::string rtpHost = rtpAddressFor(settings);
    auto rtpAddr = common::SocketAddress::fromHostPort(rtpHost, 0);
    if (!rtpAddr) return Error(1, "bad RTP address " + rtpHost + ": " + rtpAddr.error().message);
    plane::MediaPlaneConfig pc;
    pc.workers = settings.mediaWorkers;
    pc.realtimePriority = settings.mediaPriority;
    pc.keepAwake = settings.mediaKeepAwake;
    pc.ioUring = settings.mediaIoUring;
    if (pc.workers == 0) {
        unsigned cores = std::thread::hardware_concurrency();
        pc.workers = cores == 0 ? 1 : cores;
    }
    pc.rtpAddress = *rtpAddr;
    pc.rtpLow = settings.rtpLow;
    pc.rtpHigh = settings.rtpHigh;
    pc.rtp.symmetricRtp = settings.symmetricRtp;
    ms->plane_ = std::make_unique<plane::MediaPlane>(*ms->loop_, pc);
    if (auto st = ms->plane_->start(); !st)
        return Error(1, "cannot start the media workers: " + st.error().message);

    // IVR: prompts come from the media root (and http), recordings go to the record dir.
    std::error_code ec;
    std::filesystem::create_directories(settings.recordDir, ec);
    if (ec || !std::filesystem::is_directory(settings.recordDir))
        PARLEY_LOG_WARN(log(), "record directory " << settings.recordDir << " is not usable ("
                                                   << (ec ? ec.message() : "not a directory")
                                                   << "): recordings will be refused with 430");
    if (!std::filesystem::is_directory(settings.mediaRoot))
        PARLEY_LOG_WARN(log(), "media root " << settings.mediaRoot
                                             << " is not a directory: file prompts will fail");
    ivr::MediaFetcherConfig fc;
    fc.mediaRoot = settings.mediaRoot;
    ms->fetcher_ = std::make_unique<ivr::MediaFetcher>(fc);
    if (auto st = ms->fetcher_->start(); !st)
        return Error(1, "cannot start the media fetcher: " + st.error().message);
    ms->writer_ = std::make_unique<ivr::DiskWriter>();
    if (auto st = ms->writer_->start(); !st)
        return Error(1, "cannot start the disk writer: " + st.error().message);

    auto mixerPackage = std::make_unique<MixerPackage>(*ms->plane_);
    MixerPackage* mixer = mixerPackage.get();
    ms->packages_.add(std::move(mixerPackage));
    IvrConfig ic;
    ic.mediaRoot = settings.mediaRoot;
    ic.recordDir = settings.recordDir;
    auto ivrPackage = std::make_unique<IvrPackage>(*ms->plane_, *ms->loop_, *ms->fetcher_,
                                                   *ms->writer_, ic);
    IvrPackage* ivrHandler = ivrPackage.get();
    ms->packages_.add(std::move(ivrPackage));

    ControlServer::Config cc;
    cc.listen = settings.cfwListen;
    auto control = ControlServer::create(*ms->loop_, ms->dialogs_, ms->packages_, cc);
    if (!control)
        return Error(1, "cannot listen for CFW on " + settings.cfwListen.toString() + ": " +
                            control.error().message);
    ms->control_ = std::move(*control);
    mixer->setChannels(ms->control_.get());
    ivrHandler->setChannels(ms->control_.get());
    const common::SocketAddress& cfwBound = ms->control_->localAddress();
    std::string cfwHost = controlAddressFor(settings, cfwBound);
    if (settings.advertise.empty() && cfwBound.isAnyAddress()) {
        PARLEY_LOG_WARN(log(), "CFW listens on a wildcard address; SDP answers name "
                                   << cfwHost << " (set --advertise)");
    }
    ms->media_ = std::make_unique<MediaDialogs>(*ms->plane_, ms->dialogs_,
                                                mediaSdpAddressFor(settings, rtpHost, cfwHost));
    ms->agent_ =
        std::make_unique<SipAgent>(ms->dialogs_, cfwHost, cfwBound.port(), ms->media_.get());

    proto::sip::SipConfig sc;
    sc.listen = settings.sipListen;
    sc.advertiseHost = settings.advertise;
    sc.user = "parley-ms";
    sc.userAgent = "parley-ms/0.1";
    auto stack = proto::sip::SipStack::create(*ms->loop_, sc, *ms->agent_);
    if (!stack)
        return Error(1, "cannot start SIP on " + settings.sipListen + ": " + stack.error().message);
    ms->stack_ = std::move(*stack);

    MediaServer* self = ms.get();
    auto signals = common::TerminationSignals::watch(
        *ms->loop_, [self](const char* name) { self->beginShutdown(name); });
    if (!signals) return signals.error();
    ms->signals_ = std::move(*signals);

    auto router = std::make_shared<common::HttpRouter>();
    common::EventLoop* loop = ms->loop_.get();
    addStatusRoutes(*router, [self, loop]() -> std::optional<MsStatus> {
        return common::callOnLoop(
            *loop, [self] { return self->snapshot(); }, std::chrono::seconds(2));
    });
    addRecordingRoutes(*router, settings.recordDir);
    auto http = common::HttpServer::start(settings.httpListen, common::HttpLimits{}, router);
    if (!http)
        return Error(1, "cannot listen for HTTP on " + settings.httpListen.toString() + ": " +
                            http.error().message);
    ms->http_ = std::move(*http);

    auto sipHost = common::splitHostPort(settings.sipListen, 5070);
    auto sipBound = common::SocketAddress::fromHostPort(sipHost ? sipHost->first : "127.0.0.1",
                                                        ms->stack_->boundPort());
    common::SocketAddress httpBound = settings.httpListen;
    httpBound.setPort(ms->http_->port());
    {
        // Where the AS fetches recordings the MS named itself (recordinfo <mediainfo loc>).
        std::string host = settings.advertise.empty() ? cfwHost : settings.advertise;
        if (!httpBound.isAnyAddress()) host = httpBound.host();
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        ivrHandler->setRecordingsUrl("http://" + host + ":" + std::to_string(httpBound.port()) +
                                     "/recordings/");
    }
    PARLEY_LOG_NOTICE(log(), "SIP listening on "
                                 << (sipBound ? sipBound->toString() : settings.sipListen)
                                 << " (udp, tcp)");
    PARLEY_LOG_NOTICE(
        log(), "CFW listening on " << cfwBound.toString() << " (SDP address " << cfwHost << ")");
    PARLEY_LOG_NOTICE(log(), "HTTP listening on " << httpBound.toString());
    PARLEY_LOG_NOTICE(log(), "RTP on " << rtpHost << " ports " << settings.rtpLow << "-"
                                       << settings.rtpHigh << ", " << ms->plane_->workerCount()
                                       << " media workers");
    return ms;
}

MediaServer::~MediaServer() {
    signals_.reset();
    if (http_) http_->stop();
    http_.reset();
    if (stack_) stack_->shutdown();
    stack_.reset();
    agent_.reset();
    media_.reset();
    if (plane_) plane_->stop();
    control_.reset();
    packages_ = PackageTable();
    plane_.reset();
    if (writer_) writer_->stop();
    writer_.reset();
    fetcher_.reset();
}

int MediaServer::run() {
    stack_->run();
    if (!shuttingDown_) beginShutdown("loop stopped");
    http_->stop();
    stack_->shutdown();  // ends what is left, waits (bounded) for the BYE transactions
    PARLEY_LOG_NOTICE(log(), "parley-ms stopped");
    return 0;
}

void MediaServer::stop() {
    loop_->post([this] { beginShutdown("stop requested"); });
}

void MediaServer::beginShutdown(const std::string& why) {
    if (shuttingDown_) {
        PARLEY_LOG_NOTICE(log(), why << ": already shutting down");
        return;
    }
    shuttingDown_ = true;
    PARLEY_LOG_NOTICE(log(), why << ": shutting down (" << dialogs_.size() << " control dialogs, "
                                 << control_->connectionCount() << " connections)");
    dialogs_.hangUpAll("media server shutting down");
    media_->hangUpAll();
    control_->closeAll("media server shutting down");
    stack_->stop();
}

MsStatus MediaServer::snapshot() const {
    MsStatus s;
    s.control = control_->stats();
    s.controlDialogs = dialogs_.size();
    s.invitesRefused = agent_->invitesRefused() + media_->stats().refused;
    s.media = plane_->stats();
    s.mediaDialogs = media_->stats();
    s.uptimeSeconds = std::chrono::duration<double>(common::Clock::now() - started_).count();
    return s;
}

}  // namespace parley::ms
