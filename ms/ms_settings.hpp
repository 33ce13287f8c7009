#pragma once
// parley-ms settings: every command-line flag (or config-file key) and its checked value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/net.hpp"
#include "common/result.hpp"

namespace parley::ms {

struct MsSettings {
    std::string sipListen;            // HOST:PORT for SIP over UDP and TCP
    common::SocketAddress cfwListen;  // CFW TCP listener
    std::uint16_t rtpLow = 0;         // RTP port range, inclusive, even low end
    std::uint16_t rtpHigh = 0;
    std::string rtpAddress;            // RTP sockets bind here; empty = the SIP listen host
    std::size_t mediaWorkers = 0;      // media threads; 0 = one per core
    int mediaPriority = 0;             // > 0: media threads SCHED_FIFO at this priority
    bool mediaKeepAwake = false;       // keep busy media threads' CPUs from idling
    bool mediaIoUring = true;          // media threads send RTP through io_uring (SendRing)
    bool symmetricRtp = true;          // latch to the first valid RTP source
    std::string mediaRoot;             // prompts (file: URIs are confined here)
    std::string recordDir;             // recordings
    common::SocketAddress httpListen;  // health, metrics, recordings
    std::string advertise;             // address written into SDP; empty = the listen host
    common::LogLevel logLevel = common::LogLevel::Info;
    int maxKeepAlive = 600;  // largest Keep-Alive accepted in a SYNC (RFC 6230 limit)
};

std::vector<common::OptionSpec> msOptionSpecs();
common::Result<MsSettings> msSettingsFrom(const common::Config& config);

}  // namespace parley::ms
