#pragma once
// Test helpers for proto/sip: a handler that records every event, a pump that drives
// several SipStacks from one thread until a condition holds (bounded), and a sipp child
// process with its files in a temporary directory.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/event_loop.hpp"
#include "proto/sip/sip_stack.hpp"
#include "tests/support/process.hpp"

namespace parley::test::sip {

namespace psip = parley::proto::sip;

struct SipEvent {
    // "invite", "reinvite", "response", "ack", "bye", "cancel", "terminated", "update",
    // "update-response", "subscribe", "sub-refresh", "sub-terminated", "refer"
    std::string kind;
    psip::DialogRef dialog;
    psip::SipMessage message;
    int status = 0;
    std::string reason;
    psip::SubscriptionRef subscription;
    psip::ReferRequest refer;
};

class RecordingHandler : public psip::SipHandler {
public:
    using Hook = std::function<void(const psip::DialogRef&, const psip::SipMessage&)>;
    Hook inviteHook;    // default: leave the INVITE unanswered
    Hook reinviteHook;  // default: SipHandler's (488)
    Hook responseHook;
    Hook ackHook;
    std::function<void(const psip::DialogRef&)> terminatedHook;
    Hook updateHook;  // default: SipHandler's (200 without body, 488 with)
    Hook updateResponseHook;
    // Default: SipHandler's (489 for SUBSCRIBE, 403 for REFER).
    std::function<psip::RequestAnswer(const psip::SubscriptionRef&, const psip::SipMessage&)> subscribeHook;
    std::function<psip::RequestAnswer(const psip::SubscriptionRef&, const psip::ReferRequest&,
                                      const psip::DialogRef&)>
        referHook;
    std::function<void(const psip::SubscriptionRef&, const std::string&)> subTerminatedHook;

    void onIncomingInvite(const psip::DialogRef& d, const psip::SipMessage& m) override;
    void onReinvite(const psip::DialogRef& d, const psip::SipMessage& m) override;
    void onInviteResponse(const psip::DialogRef& d, const psip::SipMessage& m) override;
    void onAck(const psip::DialogRef& d, const psip::SipMessage& m) override;
    void onBye(const psip::DialogRef& d, const psip::SipMessage& m) override;
    void onCancel(const psip::DialogRef& d) override;
    void onTerminated(const psip::DialogRef& d, int status, const std::string& reason) override;
    void onUpdate(const psip::DialogRef& d, const psip::SipMessage& m) override;
    void onUpdateResponse(const psip::DialogRef& d, const psip::SipMessage& m) override;
    psip::RequestAnswer onSubscribe(const psip::SubscriptionRef& s, const psip::SipMessage& m) override;
    void onSubscriptionRefreshed(const psip::SubscriptionRef& s, const psip::SipMessage& m) override;
    void onSubscriptionTerminated(const psip::SubscriptionRef& s, const std::string& reason) override;
    psip::RequestAnswer onRefer(const psip::SubscriptionRef& s, const psip::ReferRequest& r,
                                const psip::DialogRef& d) override;

    std::size_t count(const std::string& kind) const;
    const SipEvent* last(const std::string& kind) const;
    std::size_t terminations(const psip::DialogRef& d) const;
    std::vector<std::string> kindsFor(const psip::DialogRef& d) const;

    std::vector<SipEvent> events;
    // Problems seen inside callbacks (Catch assertions there would throw through C code).
    std::vector<std::string> errors;
    void check(bool ok, const std::string& what) {
        if (!ok) errors.push_back(what);
    }
};

// Runs the stacks (a few ms of waiting each per turn) until done() or timeout.
bool pumpUntil(std::initializer_list<psip::SipStack*> stacks, const std::function<bool()>& done,
               common::Duration timeout = std::chrono::seconds(10));

// A temporary directory removed with its content at destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A port free for UDP and TCP on 127.0.0.1 (bound to 0 and released; good enough for a
// peer started right away).
uint16_t freeLocalPort();

// Waits (bounded) until something has bound UDP `port` on 127.0.0.1, e.g. a sipp UAS we
// just started; false on timeout.
bool waitUntilUdpBound(uint16_t port, common::Duration timeout = std::chrono::seconds(5));

std::filesystem::path scenarioDir();
// sipp's path, or empty when not installed ($PARLEY_SIPP overrides).
std::string sippPath();

class SippProcess {
public:
    // Starts sipp with `args` (without the program name); cwd, stdout and stderr in `dir`.
    SippProcess(const std::vector<std::string>& args, const std::filesystem::path& dir);
    ~SippProcess();
    SippProcess(const SippProcess&) = delete;
    SippProcess& operator=(const SippProcess&) = delete;

    bool started() const { return proc_.has_value(); }
    bool running();        // reaps the child when it has exited
    int exitCode();        // valid once running() is false; -1 when killed or not started
    void kill();           // SIGKILL by PID, then reap
    std::string output() const;  // what sipp printed and logged, for failure messages

private:
    std::optional<Process> proc_;
    std::filesystem::path dir_;
};

}  // namespace parley::test::sip
