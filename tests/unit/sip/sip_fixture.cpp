#include "tests/unit/sip/sip_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>
#include <fstream>
#include <random>
#include <sstream>

extern char** environ;

namespace parley::test::sip {

void RecordingHandler::onIncomingInvite(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"invite", d, m, 0, {}, {}, {}});
    if (inviteHook) inviteHook(d, m);
}

void RecordingHandler::onReinvite(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"reinvite", d, m, 0, {}, {}, {}});
    if (reinviteHook)
        reinviteHook(d, m);
    else
        SipHandler::onReinvite(d, m);
}

void RecordingHandler::onInviteResponse(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"response", d, m, m.status, m.reason, {}, {}});
    if (responseHook) responseHook(d, m);
}

void RecordingHandler::onAck(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"ack", d, m, 0, {}, {}, {}});
    if (ackHook) ackHook(d, m);
}

void RecordingHandler::onBye(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"bye", d, m, 0, {}, {}, {}});
}

void RecordingHandler::onCancel(const psip::DialogRef& d) { events.push_back({"cancel", d, {}, 0, {}, {}, {}}); }

void RecordingHandler::onTerminated(const psip::DialogRef& d, int status, const std::string& reason) {
    check(d->terminated(), "dialog not in Terminated state in onTerminated");
    check(terminations(d) == 0, "second onTerminated for one dialog");
    events.push_back({"terminated", d, {}, status, reason, {}, {}});
    if (terminatedHook) terminatedHook(d);
}

void RecordingHandler::onUpdate(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"update", d, m, 0, {}, {}, {}});
    if (updateHook)
        updateHook(d, m);
    else
        SipHandler::onUpdate(d, m);
}

void RecordingHandler::onUpdateResponse(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"update-response", d, m, m.status, m.reason, {}, {}});
    if (updateResponseHook) updateResponseHook(d, m);
}

psip::RequestAnswer RecordingHandler::onSubscribe(const psip::SubscriptionRef& s, const psip::SipMessage& m) {
    events.push_back({"subscribe", nullptr, m, 0, {}, s, {}});
    return subscribeHook ? subscribeHook(s, m) : SipHandler::onSubscribe(s, m);
}

void RecordingHandler::onSubscriptionRefreshed(const psip::SubscriptionRef& s, const psip::SipMessage& m) {
    events.push_back({"sub-refresh", nullptr, m, 0, {}, s, {}});
}

void RecordingHandler::onSubscriptionTerminated(const psip::SubscriptionRef& s, const std::string& reason) {
    check(s->terminated(), "subscription not terminated in onSubscriptionTerminated");
    for (const auto& e : events)
        if (e.kind == "sub-terminated" && e.subscription == s) check(false, "second onSubscriptionTerminated");
    events.push_back({"sub-terminated", nullptr, {}, 0, reason, s, {}});
    if (subTerminatedHook) subTerminatedHook(s, reason);
}

psip::RequestAnswer RecordingHandler::onRefer(const psip::SubscriptionRef& s, const psip::ReferRequest& r,
                                              const psip::DialogRef& d) {
    events.push_back({"refer", d, r.message, 0, {}, s, r});
    return referHook ? referHook(s, r, d) : SipHandler::onRefer(s, r, d);
}

std::size_t RecordingHandler::count(const std::string& kind) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
}

const SipEvent* RecordingHandler::last(const std::string& kind) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
        if (it->kind == kind) return &*it;
    return nullptr;
}

std::size_t RecordingHandler::terminations(const psip::DialogRef& d) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == "terminated" && e.dialog == d;
    return n;
}

std::vector<std::string> RecordingHandler::kindsFor(const psip::DialogRef& d) const {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (e.dialog == d) out.push_back(e.kind);
    return out;
}

bool pumpUntil(std::initializer_list<psip::SipStack*> stacks, const std::function<bool()>& done,
               common::Duration timeout) {
    auto deadline = common::Clock::now() + timeout;
    while (!done()) {
        if (common::Clock::now() >= deadline) return false;
        for (auto* s : stacks) s->runOnce(std::chrono::milliseconds(stacks.size() > 1 ? 2 : 10));
    }
    return true;
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "parley-sip-XXXXXX").string();
    if (char* made = ::mkdtemp(pattern.data())) path_ = made;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

uint16_t freeLocalPort() {
    // Try a few ports the kernel hands out for UDP until TCP can bind the same one too.
    for (int attempt = 0; attempt < 20; ++attempt) {
        int u = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (u < 0 || ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::getsockname(u, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            if (u >= 0) ::close(u);
            continue;
        }
        int t = ::socket(AF_INET, SOCK_STREAM, 0);
        bool ok = t >= 0 && ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        if (t >= 0) ::close(t);
        ::close(u);
        if (ok) return ntohs(a.sin_port);
    }
    return 0;
}

bool waitUntilUdpBound(uint16_t port, common::Duration timeout) {
    auto deadline = common::Clock::now() + timeout;
    while (common::Clock::now() < deadline) {
        int u = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bool taken = u >= 0 && ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 &&
                     errno == EADDRINUSE;
        if (u >= 0) ::close(u);
        if (taken) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // nothing to await: poll
    }
    return false;
}

std::filesystem::path scenarioDir() { return PARLEY_SIP_SCENARIO_DIR; }

std::string sippPath() {
    if (const char* env = std::getenv("PARLEY_SIPP")) return ::access(env, X_OK) == 0 ? env : "";
    for (const char* p : {"/usr/bin/sipp", "/usr/local/bin/sipp"})
        if (::access(p, X_OK) == 0) return p;
    return {};
}

SippProcess::SippProcess(const std::vector<std::string>& args, const std::filesystem::path& dir)
    : dir_(dir) {
    std::string program = sippPath();
    if (program.empty()) return;
    std::vector<std::string> argv{program};
    argv.insert(argv.end(), args.begin(), args.end());
    proc_.emplace(Process::start(argv, "sipp", dir, {}, dir));
}

SippProcess::~SippProcess() { kill(); }

bool SippProcess::running() { return proc_ && proc_->running(); }

int SippProcess::exitCode() {
    if (!proc_) return -1;
    auto st = proc_->wait(std::chrono::milliseconds(0));
    return st && *st < 128 ? *st : -1;  // 128+N: killed by signal N
}

void SippProcess::kill() {
    if (proc_ && proc_->running()) proc_->stop(SIGKILL, std::chrono::seconds(2));
}

std::string SippProcess::output() const {
    std::ostringstream os;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        std::ifstream in(entry.path());
        os << "---- " << entry.path().filename().string() << "\n" << in.rdbuf() << "\n";
    }
    return os.str();
}

}  // namespace parley::test::sip
