#include "tests/component/ms/ms_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "common/loop_call.hpp"
#include "proto/cfw/writer.hpp"
#include "proto/sdp/control_media.hpp"
#include "proto/sdp/wire.hpp"
#include "tests/support/spec_files.hpp"
#include "tests/support/text_match.hpp"

namespace parley::test::ms {

namespace cfw = proto::cfw;
namespace psip = proto::sip;
using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------------------------ process

MsInstance startMs(const std::vector<std::string>& extraArgs) {
    std::vector<std::string> argv = {binPath("parley-ms").string(),
                                     "--sip-listen",
                                     "127.0.0.1:0",
                                     "--cfw-listen",
                                     "127.0.0.1:0",
                                     "--http-listen",
                                     "127.0.0.1:0"};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    MsInstance ms{Process::start(argv, "parley-ms")};
    if (!ms.process.waitForOutput("HTTP listening on", 20s)) {
        throw std::runtime_error("parley-ms did not start:\n" + ms.process.output());
    }
    const std::string out = ms.process.output();
    auto portOf = [&](const std::string& what) -> std::uint16_t {
        std::uint16_t port = parley::test::portAfter(out, what + " listening on");
        if (port == 0) throw std::runtime_error("no '" + what + " listening' line:\n" + out);
        return port;
    };
    ms.sipPort = portOf("SIP");
    ms.cfwPort = portOf("CFW");
    ms.httpPort = portOf("HTTP");
    return ms;
}

long rssKiB(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

namespace {

common::Fd connectLoopback(std::uint16_t port) {
    common::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return common::Fd();
    timeval tv{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

}  // namespace

std::pair<int, std::string> httpGet(std::uint16_t port, const std::string& path) {
    common::Fd fd = connectLoopback(port);
    if (!fd) return {0, {}};
    timeval tv{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
        return {0, {}};
    std::string resp;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n <= 0) break;
        resp.append(buf, static_cast<std::size_t>(n));
    }
    if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) return {0, resp};
    int status = std::stoi(resp.substr(9, 3));
    auto body = resp.find("\r\n\r\n");
    return {status, body == std::string::npos ? std::string() : resp.substr(body + 4)};
}

// ------------------------------------------------------------------------------ CFW client

std::unique_ptr<CfwClient> CfwClient::connect(std::uint16_t port) {
    common::Fd fd = connectLoopback(port);
    if (!fd) return nullptr;
    return std::unique_ptr<CfwClient>(new CfwClient(std::move(fd)));
}

void CfwClient::drainParser() {
    while (auto ev = parser_.next()) {
        if (auto* m = std::get_if<cfw::Message>(&*ev)) {
            messages_.push_back(std::move(*m));
        } else {
            ++parseErrors_;
        }
    }
}

bool CfwClient::readSome(std::chrono::milliseconds timeout) {
    if (closed_) return false;
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
        parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        drainParser();
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    closed_ = true;
    return false;
}

bool CfwClient::send(std::string_view bytes) {
    auto deadline = Clock::now() + 20s;
    while (!bytes.empty()) {
        if (Clock::now() > deadline || closed_) return false;
        pollfd p{fd_.get(), POLLIN | POLLOUT, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        if (p.revents & POLLIN) readSome(0ms);
        if (p.revents & POLLOUT) {
            ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                bytes.remove_prefix(static_cast<std::size_t>(n));
            else if (n < 0 && errno != EAGAIN && errno != EINTR)
                return false;
        }
        if ((p.revents & (POLLERR | POLLHUP)) && !(p.revents & POLLOUT)) return false;
    }
    return true;
}

std::optional<cfw::Message> CfwClient::next(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (messages_.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || closed_) return std::nullopt;
        readSome(left);
    }
    cfw::Message m = std::move(messages_.front());
    messages_.pop_front();
    return m;
}

bool CfwClient::waitClosed(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (!closed_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        readSome(left);
    }
    return true;
}

std::string CfwClient::syncText(const std::string& transId, const std::string& dialogId,
                                std::optional<int> keepAlive, const std::string& packages) {
    std::string s = "CFW " + transId + " SYNC\r\nDialog-ID: " + dialogId + "\r\n";
    if (keepAlive) s += "Keep-Alive: " + std::to_string(*keepAlive) + "\r\n";
    s += "Packages: " + packages + "\r\n\r\n";
    return s;
}

std::string CfwClient::controlText(const std::string& transId, const std::string& package,
                                   const std::string& contentType, const std::string& body) {
    return "CFW " + transId + " CONTROL\r\nControl-Package: " + package +
           "\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::optional<cfw::Message> CfwClient::sync(const std::string& dialogId,
                                            std::optional<int> keepAlive) {
    if (!send(syncText("sync0001", dialogId, keepAlive))) return std::nullopt;
    return next();
}

// ------------------------------------------------------------------------------ AS SIP side

AsSipPeer::AsSipPeer() {
    thread_ = std::thread([this] {
        psip::SipConfig config;
        config.listen = "127.0.0.1:0";
        config.user = "test-as";
        auto stack = psip::SipStack::create(loop_, config, *this);
        {
            std::lock_guard lock(mutex_);
            if (stack)
                stack_ = std::move(*stack);
            else
                startError_ = stack.error().message;
            ready_ = true;
        }
        cv_.notify_all();
        if (!stack_) return;
        stack_->run();
        stack_->shutdown();
        std::unique_ptr<psip::SipStack> done;
        {
            std::lock_guard lock(mutex_);
            done = std::move(stack_);
        }
        done.reset();
    });
    waitFor([this] { return ready_; }, 10s);
    if (!startError_.empty()) throw std::runtime_error("AS SIP stack: " + startError_);
}

AsSipPeer::~AsSipPeer() {
    {
        std::lock_guard lock(mutex_);
        if (stack_) stack_->stop();
    }
    if (thread_.joinable()) thread_.join();
}

AsSipPeer::Answer AsSipPeer::invite(std::uint16_t msSipPort, const std::string& sdp,
                                    std::chrono::milliseconds timeout) {
    psip::InviteRequest req;
    req.to = "sip:ms@127.0.0.1:" + std::to_string(msSipPort);
    req.body = sdp;
    auto dialog = common::callOnLoop(
        loop_,
        [this, req]() -> psip::DialogRef {
            auto d = stack_->invite(req);
            return d ? *d : nullptr;
        },
        5s);
    Answer a;
    if (!dialog || !*dialog) return a;
    a.dialog = *dialog;
    const psip::Dialog* key = a.dialog.get();
    waitFor(
        [&] {
            for (const auto& [d, f] : finals_)
                if (d == key) return true;
            return false;
        },
        timeout);
    std::lock_guard lock(mutex_);
    for (const auto& [d, f] : finals_) {
        if (d == key) {
            a.status = f.status;
            a.body = f.body;
        }
    }
    return a;
}

AsSipPeer::Answer AsSipPeer::reinvite(const psip::DialogRef& dialog, const std::string& sdp,
                                      std::chrono::milliseconds timeout) {
    Answer a;
    a.dialog = dialog;
    std::size_t before = 0;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [d, f] : finals_) before += d == dialog.get() ? 1 : 0;
    }
    auto sent = common::callOnLoop(
        loop_,
        [dialog, sdp] { return dialog->reinvite(sdp, sdp.empty() ? "" : "application/sdp").ok(); },
        5s);
    if (!sent || !*sent) return a;
    auto count = [&] {
        std::size_t n = 0;
        for (const auto& [d, f] : finals_) n += d == dialog.get() ? 1 : 0;
        return n;
    };
    waitFor([&] { return count() > before; }, timeout);
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [d, f] : finals_) {
        if (d != dialog.get()) continue;
        if (n++ == before) {
            a.status = f.status;
            a.body = f.body;
        }
    }
    return a;
}

void AsSipPeer::setOfferlessAnswerer(std::function<std::string(const std::string&)> answerer) {
    std::lock_guard lock(mutex_);
    offerlessAnswerer_ = std::move(answerer);
}

std::string AsSipPeer::connectionId(const psip::DialogRef& dialog) {
    auto id = common::callOnLoop(
        loop_, [dialog] { return dialog->connectionId(); }, 5s);
    return id.value_or("");
}

std::uint16_t AsSipPeer::sipPort() {
    auto p = common::callOnLoop(
        loop_, [this] { return stack_->boundPort(); }, 5s);
    return p.value_or(0);
}

bool AsSipPeer::bye(const psip::DialogRef& dialog) {
    auto r = common::callOnLoop(
        loop_, [dialog] { return dialog->bye().ok(); }, 5s);
    return r && *r;
}

bool AsSipPeer::waitBye(const psip::DialogRef& dialog, std::chrono::milliseconds timeout) {
    return waitFor([&] { return byes_.count(dialog.get()) > 0; }, timeout);
}

bool AsSipPeer::waitTerminated(const psip::DialogRef& dialog, std::chrono::milliseconds timeout) {
    return waitFor([&] { return terminated_.count(dialog.get()) > 0; }, timeout);
}

void AsSipPeer::onIncomingInvite(const psip::DialogRef& d, const psip::SipMessage&) {
    (void)d->respond(603);
}

void AsSipPeer::onInviteResponse(const psip::DialogRef& d, const psip::SipMessage& m) {
    if (m.status < 200) return;
    if (m.status < 300) {
        // The 2xx of an offerless INVITE carries the offer: the ACK carries our answer.
        // (For an INVITE that carried an offer the stack ACKed already: ack() refuses.)
        std::function<std::string(const std::string&)> answerer;
        {
            std::lock_guard lock(mutex_);
            answerer = offerlessAnswerer_;
        }
        if (answerer) {
            std::string answer = answerer(m.body);
            (void)d->ack(answer, answer.empty() ? "" : "application/sdp");
        }
    }
    {
        std::lock_guard lock(mutex_);
        finals_.push_back({d.get(), Final{m.status, m.body}});
    }
    cv_.notify_all();
}

void AsSipPeer::onBye(const psip::DialogRef& d, const psip::SipMessage&) {
    {
        std::lock_guard lock(mutex_);
        byes_.insert(d.get());
    }
    cv_.notify_all();
}

void AsSipPeer::onTerminated(const psip::DialogRef& d, int, const std::string&) {
    {
        std::lock_guard lock(mutex_);
        terminated_.insert(d.get());
        // A final status that never came (timeout, shutdown) still ends invite()'s wait.
        bool known = false;
        for (const auto& [k, f] : finals_) known = known || k == d.get();
        if (!known) finals_.push_back({d.get(), Final{0, {}}});
    }
    cv_.notify_all();
}

// ------------------------------------------------------------------------------ SDP helpers

std::string controlOffer(const std::string& cfwId, const std::string& setup,
                         const std::string& connection) {
    namespace sdp = proto::sdp;
    sdp::ControlOfferParams p;
    p.origin.username = "test-as";
    p.origin.sessionId = 1234;
    p.origin.version = 1;
    p.origin.address = "127.0.0.1";
    p.address.address = "127.0.0.1";
    p.port = 9;  // active side: the port is not used
    p.setup = sdp::parseSetup(setup).value_or(sdp::Setup::Active);
    p.connection = sdp::parseConnectionMode(connection).value_or(sdp::ConnectionMode::New);
    p.cfwId = cfwId;
    return sdp::print(sdp::makeControlOffer(p));
}

std::string freshCfwId() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    std::ostringstream os;
    os << "as" << std::hex << rd() << counter++;
    return os.str();
}

std::string sdpAttribute(const std::string& sdp, const std::string& name) {
    std::istringstream in(sdp);
    std::string line;
    const std::string prefix = "a=" + name + ":";
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    return {};
}

int sdpApplicationPort(const std::string& sdp) {
    std::optional<std::string> port = parley::test::reCapture(sdp, "m=application ([0-9]+) TCP cfw");
    return port ? std::stoi(*port) : 0;
}

std::optional<std::string> specExample(const std::string& name) {
    auto dir = specDir();
    if (!dir) return std::nullopt;
    auto path = *dir / "examples" / name;
    if (!std::filesystem::exists(path)) return std::nullopt;
    return readFile(path);
}

}  // namespace parley::test::ms
