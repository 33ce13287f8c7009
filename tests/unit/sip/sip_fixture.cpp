#include "tests/unit/sip/sip_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
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
    events.push_back({"invite", d, m, 0, {}});
    if (inviteHook) inviteHook(d, m);
}

void RecordingHandler::onReinvite(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"reinvite", d, m, 0, {}});
    if (reinviteHook)
        reinviteHook(d, m);
    else
        SipHandler::onReinvite(d, m);
}

void RecordingHandler::onInviteResponse(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"response", d, m, m.status, m.reason});
    if (responseHook) responseHook(d, m);
}

void RecordingHandler::onAck(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"ack", d, m, 0, {}});
    if (ackHook) ackHook(d, m);
}

void RecordingHandler::onBye(const psip::DialogRef& d, const psip::SipMessage& m) {
    events.push_back({"bye", d, m, 0, {}});
}

void RecordingHandler::onCancel(const psip::DialogRef& d) { events.push_back({"cancel", d, {}, 0, {}}); }

void RecordingHandler::onTerminated(const psip::DialogRef& d, int status, const std::string& reason) {
    check(d->terminated(), "dialog not in Terminated state in onTerminated");
    check(terminations(d) == 0, "second onTerminated for one dialog");
    events.push_back({"terminated", d, {}, status, reason});
    if (terminatedHook) terminatedHook(d);
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
    std::vector<std::string> argvStore;
    argvStore.push_back(program);
    argvStore.insert(argvStore.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argvStore) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::string out = (dir / "sipp.out").string();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
    pid_t pid = -1;
    if (posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ) == 0) pid_ = pid;
    posix_spawn_file_actions_destroy(&fa);
}

SippProcess::~SippProcess() {
    if (running()) kill();
}

bool SippProcess::running() {
    if (pid_ <= 0 || exited_) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exited_ = true;
        status_ = status;
        return false;
    }
    return r == 0;
}

int SippProcess::exitCode() const {
    if (!exited_ || !WIFEXITED(status_)) return -1;
    return WEXITSTATUS(status_);
}

void SippProcess::kill() {
    if (pid_ <= 0 || exited_) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    status_ = status;
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
