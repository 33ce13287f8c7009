#pragma once
// Test doubles for the CFW channel: a fake clock, a handler that records everything, and a
// client/server pair wired back to back in memory.

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "proto/cfw/channel.hpp"
#include "proto/cfw/parser.hpp"

namespace parley::test::cfw {

namespace cfw = parley::proto::cfw;
using parley::common::TimePoint;
using namespace std::chrono_literals;

struct FakeClock {
    TimePoint now = TimePoint{} + std::chrono::hours(1);
    TimePoint advance(std::chrono::milliseconds d) { return now += d; }
};

// Parses a byte stream that must contain only well-formed messages.
std::vector<cfw::Message> parseAll(const std::string& bytes);

class RecordingHandler : public cfw::ChannelHandler {
public:
    std::string out;                             // bytes sent, not yet taken
    std::vector<cfw::CloseInfo> closes;
    std::vector<cfw::IncomingControl> controls;  // server role
    std::vector<cfw::IncomingControl> events;    // client role
    std::vector<std::vector<std::string>> ups;
    std::vector<std::pair<std::string, std::string>> failures;
    std::set<std::string> dialogs;               // accepted Dialog-IDs (empty: accept all)

    void sendBytes(std::string_view b) override { out.append(b); }
    void onClosed(const cfw::CloseInfo& info) override { closes.push_back(info); }
    void onUp(const std::vector<std::string>& p) override { ups.push_back(p); }
    bool acceptDialogId(std::string_view id) override {
        return dialogs.empty() || dialogs.count(std::string(id)) > 0;
    }
    void onControl(const cfw::IncomingControl& r) override { controls.push_back(r); }
    void onEvent(const cfw::IncomingControl& e) override { events.push_back(e); }
    void onServerTransactionFailed(std::string_view id, std::string_view why) override {
        failures.emplace_back(std::string(id), std::string(why));
    }

    std::string takeBytes() { return std::exchange(out, {}); }
    std::vector<cfw::Message> take() { return parseAll(takeBytes()); }
};

// Records every completion and progress report of a CONTROL.
struct ControlLog {
    std::vector<cfw::ControlResult> results;
    std::vector<cfw::ControlProgress> progress;
    cfw::ControlCompletion done() {
        return [this](const cfw::ControlResult& r) { results.push_back(r); };
    }
    cfw::ControlProgressFn onProgress() {
        return [this](const cfw::ControlProgress& p) { progress.push_back(p); };
    }
};

cfw::ChannelConfig clientConfig();
cfw::ChannelConfig serverConfig();

// A client (AS) and a server (MS) channel connected in memory. pump() moves bytes both
// ways until neither side has anything to send; run() advances the fake clock deadline by
// deadline, pumping after every tick.
class ChannelPair {
public:
    ChannelPair(cfw::ChannelConfig client = clientConfig(), cfw::ChannelConfig server = serverConfig());

    void pump();
    // Advances time up to `until`, ticking both channels at each of their deadlines.
    void runUntil(TimePoint until);

    FakeClock clock;
    RecordingHandler clientSide;
    RecordingHandler serverSide;
    cfw::Channel client;
    cfw::Channel server;
    std::size_t bytesToServer = 0;
    std::size_t bytesToClient = 0;
};

}  // namespace parley::test::cfw
