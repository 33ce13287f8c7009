#pragma once
// Captured packets for end-to-end tests: reading what dumpcap/tshark/tcpdump wrote, pulling
// the UDP datagrams out, and turning the RTP among them back into audio for
// tone_analysis.hpp. Also writes small pcap files (DTMF for sipp's play_pcap_audio).
//
// Reading:
// - classic pcap (both byte orders, microsecond and nanosecond magics) and pcapng (SHB
//   byte order, IDB link type and if_tsresol, EPB and SPB; other blocks skipped);
// - link types: null/loopback (0, host-order family), LOOP (108, network order),
//   Ethernet (1, with 802.1Q tags), raw IPv4 (101, 228, and the BSD 12/14), Linux cooked
//   SLL (113) and SLL2 (276);
// - IPv4 UDP only; IP fragments and anything else are skipped and counted.
// A file that is still being written may end in a partial record: what precedes it is
// returned and `truncated` is set. Nothing throws; a file that is not a capture at all is
// an Error.
//
// Audio: rtpAudio() picks the RTP datagrams matching a selection (ports, time window),
// decodes PCMU (payload type 0) and PCMA (8) in capture order and counts what it skipped
// (other payload types: telephone-event, comfort noise; RTCP; malformed).
//
// Writing: writePcap() writes classic pcap, Ethernet link type, IPv4/UDP with valid IP
// header checksums (UDP checksum 0), one record per datagram at its time. dtmfDatagrams()
// builds the RFC 4733 packet train of a digit string (event packets every 20 ms, three
// end packets, a gap between digits, timestamps and sequence numbers increasing over the
// whole string) so that a receiver deduplicating by RTP timestamp sees every digit.
//
// All functions are pure apart from the file I/O; values, no sharing.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace parley::test {

struct UdpDatagram {
    double time = 0;  // seconds since the epoch (capture clock)
    std::uint32_t srcIp = 0;  // host byte order
    std::uint32_t dstIp = 0;
    std::uint16_t srcPort = 0;
    std::uint16_t dstPort = 0;
    std::vector<std::uint8_t> payload;
};

struct PcapContents {
    std::uint32_t linkType = 0;  // of the first interface
    std::vector<UdpDatagram> datagrams;
    std::size_t skipped = 0;  // records that were not IPv4 UDP (or fragments)
    bool truncated = false;   // the file ended inside a record
};

common::Result<PcapContents> parsePcap(std::span<const std::uint8_t> bytes);
common::Result<PcapContents> readPcap(const std::filesystem::path& path);

struct RtpSelect {
    std::optional<std::uint16_t> dstPort;
    std::optional<std::uint16_t> srcPort;
    double from = -std::numeric_limits<double>::infinity();  // capture time, inclusive
    double to = std::numeric_limits<double>::infinity();     // exclusive
};

struct RtpAudio {
    std::vector<std::int16_t> samples;  // 8 kHz, decoded in capture order, gaps not filled
    std::size_t audioPackets = 0;       // PCMU/PCMA packets decoded
    std::size_t otherPackets = 0;       // RTP with another payload type
    std::size_t notRtp = 0;             // RTCP or not RTP
    std::set<std::uint32_t> ssrcs;      // of the audio packets
    double first = 0;                   // capture time of the first / last audio packet
    double last = 0;
    double seconds() const { return static_cast<double>(samples.size()) / 8000.0; }
};

RtpAudio rtpAudio(const std::vector<UdpDatagram>& datagrams, const RtpSelect& select);

// Capture time of the newest datagram matching the selection's ports (nullopt: none).
std::optional<double> lastTime(const std::vector<UdpDatagram>& datagrams, const RtpSelect& select);

common::Status writePcap(const std::filesystem::path& path,
                         const std::vector<UdpDatagram>& datagrams);

struct DtmfTrain {
    std::uint8_t payloadType = 101;
    std::uint32_t ssrc = 0x50a7d7f1;
    std::uint32_t firstTimestamp = 8000;
    std::uint16_t firstSequence = 1000;
    int toneMs = 120;  // event duration before the end packets
    int gapMs = 200;   // between one digit's end and the next digit
    std::uint16_t srcPort = 40000;  // sipp replaces addresses and ports when it plays
    std::uint16_t dstPort = 40002;
};

// The datagrams of `digits` ('0'-'9', '*', '#', 'A'-'D'; others are skipped), starting at
// capture time 0. After the call, `train` holds the next timestamp and sequence number, so
// a second call continues the same stream (a later attempt in the same call).
std::vector<UdpDatagram> dtmfDatagrams(const std::string& digits, DtmfTrain& train);

}  // namespace parley::test
