#include "ms/ms_settings.hpp"

#include <charconv>
#include <utility>

namespace parley::ms {

using common::Error;

std::vector<common::OptionSpec> msOptionSpecs() {
    return {
        {"sip-listen", "HOST:PORT", "127.0.0.1:5070", "SIP over UDP and TCP", false},
        {"cfw-listen", "HOST:PORT", "127.0.0.1:7563", "control channel (CFW) TCP listener", false},
        {"rtp-ports", "LO-HI", "20000-29999", "UDP port range for RTP/RTCP pairs", false},
        {"rtp-address", "HOST", "", "address RTP binds to (default: the --sip-listen host)", false},
        {"media-workers", "N", "0", "media threads, each with its own 20 ms tick (0: one per core)",
         false},
        {"media-priority", "N", "0",
         "0: media threads scheduled normally; 1-99: SCHED_FIFO at that priority (needs "
         "CAP_SYS_NICE), above the control thread, which stays normal",
         false},
        {"media-keep-awake", "on|off", "off",
         "keep each media thread's CPU busy while it has calls (an idle-class spinner), for "
         "virtual machines whose CPUs wake slowly from idle; costs that CPU's idle time",
         false},
        {"media-io-uring", "on|off", "on",
         "each media thread sends, and reads, its legs' RTP packets of a tick in io_uring "
         "submissions of 64 (off, or a kernel without io_uring: one sendto() per packet and "
         "one recvmmsg() per ready socket)",
         false},
        {"symmetric-rtp", "on|off", "on", "send RTP back to where the peer's RTP comes from",
         false},
        {"media-root", "DIR", "/var/lib/parley/media", "prompt files; file: URIs are confined here",
         false},
        {"record-dir", "DIR", "/var/lib/parley/recordings", "where recordings are written", false},
        {"http-listen", "HOST:PORT", "127.0.0.1:8090", "HTTP: /health, /metrics, recordings",
         false},
        {"advertise", "HOST", "", "address written into SDP when peers reach the MS elsewhere",
         false},
        {"log-level", "LEVEL", "info", "trace, debug, info, notice, warning, error", false},
    };
}

namespace {

common::Result<std::pair<std::uint16_t, std::uint16_t>> parseRange(const std::string& text) {
    auto dash = text.find('-');
    auto bad = [&] {
        return Error(2, "--rtp-ports must be LO-HI with even LO, LO < HI, both 1024..65535, not '" +
                            text + "'");
    };
    if (dash == std::string::npos) return bad();
    unsigned lo = 0, hi = 0;
    auto r1 = std::from_chars(text.data(), text.data() + dash, lo);
    auto r2 = std::from_chars(text.data() + dash + 1, text.data() + text.size(), hi);
    if (r1.ec != std::errc() || r1.ptr != text.data() + dash || r2.ec != std::errc() ||
        r2.ptr != text.data() + text.size())
        return bad();
    if (lo < 1024 || hi > 65535 || lo >= hi || lo % 2) return bad();
    return std::make_pair(static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi));
}

}  // namespace

common::Result<MsSettings> msSettingsFrom(const common::Config& c) {
    MsSettings s;
    s.sipListen = c.get("sip-listen");
    if (auto hp = common::splitHostPort(s.sipListen); !hp)
        return Error(2, "--sip-listen: " + hp.error().message);

    auto cfw = common::SocketAddress::parse(c.get("cfw-listen"), 7563);
    if (!cfw) return Error(2, "--cfw-listen: " + cfw.error().message);
    s.cfwListen = *cfw;

    auto range = parseRange(c.get("rtp-ports"));
    if (!range) return range.error();
    s.rtpLow = range->first;
    s.rtpHigh = range->second;

    s.rtpAddress = c.get("rtp-address");
    {
        const std::string w = c.get("media-workers");
        unsigned n = 0;
        auto r = std::from_chars(w.data(), w.data() + w.size(), n);
        if (r.ec != std::errc() || r.ptr != w.data() + w.size() || n > 256)
            return Error(2, "--media-workers must be a number 0..256, not '" + w + "'");
        s.mediaWorkers = n;
    }
    {
        const std::string p = c.get("media-priority");
        unsigned n = 0;
        auto r = std::from_chars(p.data(), p.data() + p.size(), n);
        if (r.ec != std::errc() || r.ptr != p.data() + p.size() || n > 99)
            return Error(2, "--media-priority must be a number 0..99, not '" + p + "'");
        s.mediaPriority = static_cast<int>(n);
    }
    for (auto [name, flag] : {std::pair<const char*, bool*>{"symmetric-rtp", &s.symmetricRtp},
                              std::pair<const char*, bool*>{"media-keep-awake", &s.mediaKeepAwake},
                              std::pair<const char*, bool*>{"media-io-uring", &s.mediaIoUring}}) {
        const std::string v = c.get(name);
        if (v == "on" || v == "yes" || v == "true") {
            *flag = true;
        } else if (v == "off" || v == "no" || v == "false") {
            *flag = false;
        } else {
            return Error(2, std::string("--") + name + " must be on or off, not '" + v + "'");
        }
    }

    s.mediaRoot = c.get("media-root");
    s.recordDir = c.get("record-dir");

    auto http = common::SocketAddress::parse(c.get("http-listen"));
    if (!http) return Error(2, "--http-listen: " + http.error().message);
    s.httpListen = *http;

    s.advertise = c.get("advertise");
    if (!common::parseLogLevel(c.get("log-level"), s.logLevel))
        return Error(2, "--log-level must be trace, debug, info, notice, warning or error, not '" +
                            c.get("log-level") + "'");
    return s;
}

}  // namespace parley::ms
