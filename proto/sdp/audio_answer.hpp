#pragma once
// RFC 3264 offer/answer for audio streams, as pure functions over the local capabilities.
//
// Contract:
// - answerAudioOffer() returns one answer m-line per offered m-line, in the offer's order.
//   An audio m-line is accepted when its port is not 0, its proto is RTP/AVP (or RTP/SAVP
//   with an a=crypto suite the caller has a key for), it shares at least one non-auxiliary
//   codec with the capabilities (same encoding name ignoring case, clock rate and channel
//   count), and the caller gave it a port. Every other m-line (video, application,
//   unsupported audio) comes back with port 0 and the offer's formats. So "no common codec"
//   gives an answer whose ports are all 0: the caller answers 488 or sends it, its choice.
// - An accepted m-line keeps the offer's payload type numbers and order (only the common
//   ones), carries the capability's fmtp (telephone-event "0-15"), a=ptime, a=label (the
//   offer's label when it has one, else the caller's labels[i], else "stream<i>") and the
//   RFC 3264 direction: reverse(offered) limited by the local direction.
// - SRTP: the answer's a=crypto echoes the offer's tag and suite with the caller's key.
//   Key generation is the caller's business; nothing here is random or does I/O.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/sdp/session.hpp"

namespace parley::proto::sdp {

struct CodecCapability {
    std::string encoding;           // "PCMU", "PCMA", "telephone-event"
    std::uint32_t clockRate = 8000;
    unsigned channels = 1;
    unsigned payloadType = 0;       // used in offers: static type or preferred dynamic one
    std::string fmtp;               // sent with this codec, e.g. "0-15"
    bool auxiliary = false;         // telephone-event, CN: not a stream on their own
};

struct AudioCapabilities {
    std::vector<CodecCapability> codecs;  // in local preference order
    unsigned ptimeMs = 20;                // 0: no a=ptime
    Direction direction = Direction::SendRecv;
    // Local SRTP keys, one per crypto suite we accept (tag is ignored in answers). Empty:
    // RTP/SAVP m-lines are rejected and offers are RTP/AVP.
    std::vector<Crypto> srtp;
};

// PCMU/8000 (0), PCMA/8000 (8), telephone-event/8000 (101, fmtp 0-15), ptime 20.
AudioCapabilities defaultAudioCapabilities();

// True when answerAudioOffer() would accept this m-line given a port for it, so callers
// allocate RTP ports only for these.
bool isAcceptableAudio(const Media& offered, const AudioCapabilities& caps);

struct AudioAnswerParams {
    Origin origin;
    std::string sessionName = "-";
    Connection address;                // printed as the session-level c=
    std::vector<std::uint16_t> ports;  // local RTP port for m-line i; 0 or missing: reject
    std::vector<std::string> labels;   // label for m-line i when the offer has none
    AudioCapabilities caps = defaultAudioCapabilities();
};

Session answerAudioOffer(const Session& offer, const AudioAnswerParams& params);

struct AudioOfferParams {
    Origin origin;
    std::string sessionName = "-";
    Connection address;
    std::uint16_t port = 0;
    std::string label;  // empty: no a=label
    AudioCapabilities caps = defaultAudioCapabilities();
};

// One m=audio line listing every capability in order (RTP/SAVP with the caps' crypto lines
// when caps.srtp is not empty).
Session makeAudioOffer(const AudioOfferParams& params);

// True when some m-line has a port other than 0.
bool hasActiveMedia(const Session& session);

}  // namespace parley::proto::sdp
