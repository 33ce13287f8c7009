// libFuzzer target for the CFW codec and the server-role channel.
//
// The input is split into chunks whose sizes come from the input itself, then fed to a
// Parser (every message it returns must survive a write/parse round trip) and to a
// server-role Channel that is first given a valid SYNC, so that CONTROL, REPORT, K-ALIVE
// and the error paths are all reachable. Time moves forward between chunks and the
// channel's timers are run. Anything but a clean return is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/log.hpp"
#include "proto/cfw/channel.hpp"
#include "proto/cfw/parser.hpp"
#include "proto/cfw/writer.hpp"

namespace {

namespace cfw = parley::proto::cfw;

class FuzzHandler : public cfw::ChannelHandler {
public:
    cfw::Channel* channel = nullptr;
    parley::common::TimePoint now{};
    std::size_t sent = 0;

    void sendBytes(std::string_view b) override { sent += b.size(); }
    void onClosed(const cfw::CloseInfo&) override {}
    void onControl(const cfw::IncomingControl& r) override {
        // Exercise every answer path of the server API, chosen by the trans-id.
        switch (r.transId.back() % 4) {
            case 0: (void)channel->respond(r.transId, 200, now, r.contentType, r.body); break;
            case 1:
                (void)channel->accept(r.transId, 5, now);
                (void)channel->report(r.transId, cfw::ReportStatus::Update, now);
                break;
            case 2: (void)channel->respond(r.transId, 403, now); break;
            default: break;  // left to the automatic 202 and refreshes
        }
    }
};

void checkRoundTrip(const cfw::Message& m) {
    std::string wire = cfw::serialize(m);
    cfw::Parser again;
    again.feed(wire);
    auto ev = again.next();
    if (!ev || !std::holds_alternative<cfw::Message>(*ev)) std::abort();
    // Extension headers named like known ones would be re-read as known headers; everything
    // else must come back identical.
    const auto& back = std::get<cfw::Message>(*ev);
    if (back.transId != m.transId || back.method != m.method || back.status != m.status ||
        back.body != m.body) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool quiet = [] {
        parley::common::logger("cfw").setLevel(Poco::Message::PRIO_ERROR);
        return true;
    }();
    (void)quiet;
    if (size == 0) return 0;
    // The first byte seeds the chunk sizes; the rest is the byte stream.
    std::uint32_t seed = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    cfw::Parser parser(cfw::Limits{2048, 4096});
    FuzzHandler handler;
    cfw::ChannelConfig config;
    config.role = cfw::Role::Server;
    config.packages = {"msc-ivr/1.0", "msc-mixer/1.0"};
    config.limits = cfw::Limits{2048, 4096};
    config.transIds = cfw::sequentialTransIds("fz");
    cfw::Channel channel(config, handler);
    handler.channel = &channel;
    handler.now = parley::common::TimePoint{} + std::chrono::hours(1);
    channel.start(handler.now);
    if (seed & 1) {
        channel.onBytes(
            "CFW 6e5e86f95609 SYNC\r\nDialog-ID: 5feb6486792a\r\nKeep-Alive: 100\r\n"
            "Packages: msc-ivr/1.0,msc-mixer/1.0\r\n\r\n",
            handler.now);
    }

    std::size_t at = 0;
    while (at < input.size()) {
        seed = seed * 1103515245u + 12345u;
        std::size_t n = 1 + (seed >> 16) % 97;
        auto chunk = input.substr(at, n);
        at += chunk.size();

        parser.feed(chunk);
        while (auto ev = parser.next()) {
            if (auto* m = std::get_if<cfw::Message>(&*ev)) checkRoundTrip(*m);
        }
        if (parser.bufferedBytes() > 2048 + 4096 + 97) std::abort();

        handler.now += std::chrono::milliseconds((seed >> 8) % 5000);
        channel.onBytes(chunk, handler.now);
        if (auto d = channel.nextDeadline(); d && *d <= handler.now) channel.onTick(handler.now);
    }
    channel.onTick(handler.now + std::chrono::hours(1));
    return 0;
}
