#pragma once
// SDP as plain values: a session description that owns no sofia-sip memory.
//
// Contract:
// - parse() (wire.hpp) fills these types; print() writes them back. For every Session that
//   parse() returns, parse(print(s)) == s. Callers building a Session by hand keep the same
//   property by following the field notes below (rtpmaps/fmtp refer to entries of formats,
//   every static payload type in formats has its RtpMap, formats is never empty, text
//   fields hold no CR/LF). The builders in control_media.hpp and audio_answer.hpp do.
// - Direction, setup and connection are *effective* values: a media line without its own
//   a=sendonly/a=setup/a=connection carries the session-level value (RFC 4566 section 6,
//   RFC 4145 section 4). Session::direction is the session-level value alone.
// - Attributes the model names (rtpmap, fmtp, ptime, label, setup, connection, cfw-id,
//   crypto, the four directions) never appear in `attributes`; every other a= line does, in
//   wire order. A named attribute whose value cannot be read (a=ptime:abc) stays in
//   `attributes` verbatim. For a named attribute given twice, the first one counts.
// - Not modelled (dropped by parse): i=, u=, e=, p=, b=, k=, r=, z=, a=charset, extra t=
//   lines and extra media-level c= lines.
// - Pure values: copyable, comparable with ==, no I/O, safe to use from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::proto::sdp {

// Status codes used in Error::code by this library.
inline constexpr int kBadSdp = 400;         // not SDP, or mandatory lines missing
inline constexpr int kNotAcceptable = 488;  // valid SDP that cannot be used (SIP 488)

enum class AddrType { IP4, IP6 };

// c= line (also the address part of o=). ttl/groups only for multicast ("/ttl/groups").
struct Connection {
    AddrType addrType = AddrType::IP4;
    std::string address;
    unsigned ttl = 0;     // 0 = no "/ttl" part
    unsigned groups = 1;  // printed only when > 1 and ttl > 0
    bool operator==(const Connection&) const = default;
};

struct Origin {
    std::string username = "-";
    std::uint64_t sessionId = 0;
    std::uint64_t version = 0;
    AddrType addrType = AddrType::IP4;
    std::string address;
    bool operator==(const Origin&) const = default;
};

// RFC 3264 stream direction, from the offerer's or answerer's own point of view.
enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };

// RFC 4145 a=setup and a=connection.
enum class Setup { Active, Passive, ActPass, HoldConn };
enum class ConnectionMode { New, Existing };

// a=rtpmap:<pt> <encoding>/<clockRate>[/<channels>]. Static payload types (0 PCMU, 8 PCMA,
// 3 GSM, 9 G722, 18 G729...) get an entry even without an a=rtpmap line.
struct RtpMap {
    unsigned pt = 0;
    std::string encoding;
    std::uint32_t clockRate = 8000;
    unsigned channels = 1;  // "/channels" printed only when != 1
    bool operator==(const RtpMap&) const = default;
};

// RFC 4568 a=crypto:<tag> <suite> <key-params> [<session-params>]
struct Crypto {
    unsigned tag = 1;
    std::string suite;          // e.g. "AES_CM_128_HMAC_SHA1_80"
    std::string keyParams;      // e.g. "inline:<base64>|2^20|1:32" (";"-joined when several)
    std::string sessionParams;  // rest of the line, may be empty
    bool operator==(const Crypto&) const = default;
};

// Any other a= line: a=<name>[:<value>]. An empty value prints as a flag attribute.
struct Attribute {
    std::string name;
    std::string value;
    bool operator==(const Attribute&) const = default;
};

struct Media {
    std::string type = "audio";       // audio, video, application, image, text...
    std::uint16_t port = 0;           // 0 = rejected / disabled stream
    unsigned portCount = 1;           // "m=audio 5000/2": 2
    std::string proto = "RTP/AVP";    // RTP/AVP, RTP/SAVP, TCP, TCP/TLS, udptl...
    std::vector<std::string> formats; // payload types as text for RTP, else e.g. "cfw"
    std::optional<Connection> connection;  // media-level c= only
    std::vector<RtpMap> rtpmaps;           // RTP profiles only, in format order
    std::map<unsigned, std::string> fmtp;  // pt -> parameters, RTP profiles only
    Direction direction = Direction::SendRecv;
    std::optional<unsigned> ptime;               // a=ptime, milliseconds
    std::optional<std::string> label;            // RFC 4574 a=label
    std::optional<Setup> setup;                  // RFC 4145 a=setup
    std::optional<ConnectionMode> connectionMode;  // RFC 4145 a=connection
    std::optional<std::string> cfwId;            // RFC 6230 a=cfw-id
    std::vector<Crypto> crypto;                  // RFC 4568 a=crypto, in order
    std::vector<Attribute> attributes;           // everything else, in order

    bool rejected() const { return port == 0; }
    bool isRtp() const;  // proto is RTP/AVP or RTP/SAVP (the profiles sofia-sip maps)
    const RtpMap* rtpmap(unsigned pt) const;             // nullptr when unknown
    std::optional<std::string> fmtpFor(unsigned pt) const;
    const Attribute* attribute(std::string_view name) const;  // first, case-insensitive
    bool operator==(const Media&) const = default;
};

struct Session {
    Origin origin;
    std::string name = "-";                 // s=
    std::optional<Connection> connection;   // session-level c=
    std::uint64_t startTime = 0;            // t=<start> <stop>
    std::uint64_t stopTime = 0;
    Direction direction = Direction::SendRecv;  // session-level a=sendonly etc.
    std::vector<Attribute> attributes;      // other session-level a= lines, in order
    std::vector<Media> media;

    const Attribute* attribute(std::string_view name) const;  // first, case-insensitive
    bool operator==(const Session&) const = default;
};

// The answer m-line that refuses an offered one (RFC 3264 section 6): same type, proto
// and formats (with their rtpmaps, so the value survives a print/parse round trip), port 0.
Media rejectedAnswer(const Media& offered);

// --- names on the wire ---
std::string_view toString(AddrType t);        // "IP4" / "IP6"
std::string_view toString(Direction d);       // "sendrecv", ...
std::string_view toString(Setup s);           // "active", ...
std::string_view toString(ConnectionMode c);  // "new" / "existing"
std::optional<Direction> parseDirection(std::string_view text);  // case-insensitive
std::optional<Setup> parseSetup(std::string_view text);
std::optional<ConnectionMode> parseConnectionMode(std::string_view text);

// --- RFC 3264 helpers ---
// The direction an answerer mirrors: sendonly <-> recvonly, others unchanged.
Direction reverse(Direction d);
// What both sides allow: e.g. intersect(SendRecv, RecvOnly) == RecvOnly.
Direction intersect(Direction a, Direction b);
bool sends(Direction d);
bool receives(Direction d);

// Media-level c= if present, else the session-level one.
std::optional<Connection> effectiveConnection(const Session& s, const Media& m);

// True when the stream is held by the side that wrote the SDP: active (port != 0) and its
// direction is sendonly or inactive, or its address is 0.0.0.0 (RFC 2543 style) or "::".
bool isHold(const Session& s, const Media& m);
// True when at least one active m-line exists and every active m-line is on hold.
bool isHold(const Session& s);

}  // namespace parley::proto::sdp
