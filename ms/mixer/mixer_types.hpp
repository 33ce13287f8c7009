#pragma once
// Plain values of the mixing engine: what a join or a conference asks for, and what the
// engine reports back. These mirror the msc-mixer/1.0 requests (RFC 6505 section 4.2) without
// depending on the XML package: the MS package handler translates proto::mixer messages into
// these values and the results back into <response>/<event> bodies.
//
// Status codes are the RFC 6505 section 4.6 package statuses; an operation that fails returns
// common::Error{code, reason} with one of them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/packages/mixer/mixer_status.hpp"

namespace parley::ms::mixer {

// RFC 6505 section 4.6 statuses: the one list in proto/packages/mixer (this library uses
// 405-412 and 419-422; kJoinOperationFailed also means the join would close a loop).
namespace status = proto::mixer::status;

// Direction of a joined stream, relative to id1: sendonly = media flows id1 -> id2.
enum class Direction { sendrecv, sendonly, recvonly, inactive };

// The other side's view of a direction (what id2 would say).
Direction reverse(Direction d);

enum class MixType { nbest, controller };

// <volume>. automatic: adjust toward targetDbfs (the level of the mean absolute amplitude
// relative to full scale); setgain: fixed gain; setstate: mute/unmute, gain kept.
struct VolumeRequest {
    enum class Control { automatic, setgain, setstate };
    Control control = Control::setgain;
    double gainDb = 0.0;
    bool mute = false;
    std::optional<double> targetDbfs;  // automatic only; absent = kDefaultAgcTargetDbfs

    static VolumeRequest gain(double db) { return {Control::setgain, db, false, {}}; }
    static VolumeRequest muted(bool m) { return {Control::setstate, 0.0, m, {}}; }
    static VolumeRequest automatic(std::optional<double> target = {}) {
        return {Control::automatic, 0.0, false, target};
    }
    bool operator==(const VolumeRequest&) const = default;
};

// Internal participants (an IVR dialog playing into or recording a conference) are
// connections named "ivr#<dialogid>": '#' cannot appear in a SIP tag, so no connectionid
// collides, and the mixer package hides them from the AS (audits, events, requests).
inline bool isInternalId(std::string_view id) {
    return id.find('#') != std::string_view::npos;
}

inline constexpr double kDefaultAgcTargetDbfs = -20.0;
inline constexpr std::uint32_t kDefaultPriority = 100;

// One <stream> of a join, modifyjoin or unjoin.
struct StreamRequest {
    std::string media = "audio";
    std::optional<std::string> label;
    Direction direction = Direction::sendrecv;
    std::optional<VolumeRequest> volume;
    std::optional<std::vector<std::string>> clampTones;  // present = <clamp> given
    std::optional<std::uint32_t> priority;

    bool operator==(const StreamRequest&) const = default;
};

// One direction of one joined stream, as it stands after the requests so far. Settings are
// kept while the flow is inactive, so re-activating it without a <volume> restores them.
struct FlowConfig {
    bool active = false;
    double gainDb = 0.0;
    bool muted = false;
    bool automatic = false;
    double agcTargetDbfs = kDefaultAgcTargetDbfs;
    bool clamp = false;                   // remove the tones below from this flow
    std::vector<std::string> clampTones;  // DTMF tone names ("1".."9", "0", "*", "#", "A".."D")
    std::uint32_t priority = kDefaultPriority;

    bool operator==(const FlowConfig&) const = default;
};

// A media stream of a connection (one SDP m-line); label empty when the SDP gave none.
struct MediaStream {
    std::string media = "audio";
    std::string label;
    bool operator==(const MediaStream&) const = default;
    auto operator<=>(const MediaStream&) const = default;
};

// A joined stream: forward is id1 -> id2, backward is id2 -> id1 (id1/id2 as first joined).
struct JoinedStream {
    MediaStream key;
    FlowConfig forward;
    FlowConfig backward;
    bool operator==(const JoinedStream&) const = default;
};

enum class EntityKind { connection, conference };

// createconference. Absent conferenceId: the graph generates a unique one.
struct ConferenceRequest {
    std::optional<std::string> conferenceId;
    std::uint32_t reservedTalkers = 0;    // 0 = no limit; else at most this many talkers
    std::uint32_t reservedListeners = 0;  // 0 = no limit; else at most this many listeners
    MixType mixType = MixType::nbest;
    std::uint32_t n = 0;                            // nbest only: the n loudest are mixed; 0 = all
    std::chrono::seconds activeTalkersInterval{0};  // 0 = no active-talkers notifications
};

// modifyconference: only what is present changes.
struct ConferenceChange {
    std::optional<MixType> mixType;
    std::optional<std::uint32_t> n;
    std::optional<std::chrono::seconds> activeTalkersInterval;
};

struct ConferenceConfig {
    std::uint32_t reservedTalkers = 0;
    std::uint32_t reservedListeners = 0;
    MixType mixType = MixType::nbest;
    std::uint32_t n = 0;
    std::chrono::seconds activeTalkersInterval{0};
    bool operator==(const ConferenceConfig&) const = default;
};

// <unjoin-notify> statuses (RFC 6505 section 4.2.4.2).
inline constexpr std::uint32_t kUnjoinRequested = 0;
inline constexpr std::uint32_t kUnjoinError = 1;
inline constexpr std::uint32_t kUnjoinTerminated = 2;
// <conferenceexit> statuses (RFC 6505 section 4.2.4.3).
inline constexpr std::uint32_t kExitDestroyed = 0;
inline constexpr std::uint32_t kExitError = 1;
inline constexpr std::uint32_t kExitMaxDuration = 2;

struct UnjoinNotice {
    std::string id1;
    std::string id2;
    std::uint32_t status = kUnjoinTerminated;
    bool operator==(const UnjoinNotice&) const = default;
};

struct ConferenceExitNotice {
    std::string conferenceId;
    std::uint32_t status = kExitDestroyed;
    bool operator==(const ConferenceExitNotice&) const = default;
};

// What destroying a conference tells the AS, in sending order: every unjoin, then the exit.
struct ConferenceTeardown {
    std::vector<UnjoinNotice> unjoins;
    ConferenceExitNotice exit;
};

// One <active-talker>.
struct ActiveTalker {
    EntityKind kind = EntityKind::connection;
    std::string id;
    bool operator==(const ActiveTalker&) const = default;
};

// One <active-talkers-notify>.
struct ActiveTalkersReport {
    std::string conferenceId;
    std::vector<ActiveTalker> talkers;
    bool operator==(const ActiveTalkersReport&) const = default;
};

}  // namespace parley::ms::mixer
