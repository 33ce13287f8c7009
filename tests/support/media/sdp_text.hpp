#pragma once
// Audio SDP as plain text for the test endpoint: building its own offer or answer, and
// reading the few things it needs from the other side's SDP (address, port, payload types,
// telephone-event, direction, label).
//
// Deliberately independent of proto/sdp: a line-level reader that tests the product's SDP
// from outside. It accepts CRLF or LF, ignores lines it does not know and never throws;
// text without any audio m-line is an error.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace parley::test {

struct AudioSdpOptions {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
    std::vector<std::uint8_t> payloadTypes = {0,
                                              8};  // audio codecs, preferred first (0 PCMU, 8 PCMA)
    std::optional<std::uint8_t> telephoneEventPt = 101;
    int ptimeMs = 20;
    std::string direction = "sendrecv";  // sendrecv | sendonly | recvonly | inactive
    std::string label;                   // a=label:<label> when not empty
    std::uint64_t sessionId = 1;
    std::uint64_t sessionVersion = 1;
};

// v=, o=, s=, c=, t=, m=audio <port> RTP/AVP <pts> [te], rtpmap for each, fmtp te 0-15,
// ptime, direction, label; CRLF line ends.
std::string buildAudioSdp(const AudioSdpOptions& options);

struct RemoteAudio {
    std::size_t mlineIndex = 0;  // position among all m-lines (0-based)
    std::string address;         // media-level c= else session-level c=
    std::uint16_t port = 0;
    std::string protocol;                        // "RTP/AVP"
    std::vector<std::uint8_t> payloadTypes;      // in m-line order
    std::map<std::uint8_t, std::string> rtpmap;  // pt -> "PCMU/8000"
    std::optional<std::uint8_t> telephoneEventPt;
    std::string direction = "sendrecv";
    std::string label;
    int ptimeMs = 0;

    bool held() const { return port == 0 || address == "0.0.0.0" || direction == "inactive"; }
    // First of PCMU/PCMA in the m-line (by static number or rtpmap name), if any.
    std::optional<std::uint8_t> firstG711() const;
};

common::Result<std::vector<RemoteAudio>> parseAudioStreams(std::string_view sdp);
// The first audio stream with a non-zero port.
common::Result<RemoteAudio> parseRemoteAudio(std::string_view sdp);

}  // namespace parley::test
