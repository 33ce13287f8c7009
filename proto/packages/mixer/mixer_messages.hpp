#pragma once
// Typed messages of the msc-mixer/1.0 control package (RFC 6505).
//
// Every request (createconference, modifyconference, destroyconference, join, modifyjoin,
// unjoin, audit), reply (response, auditresponse) and notification (event with
// active-talkers-notify, unjoin-notify or conferenceexit) is a plain value type here.
// Defaults are the ones RFC 6505 section 4 gives, so a default-constructed struct means
// "attribute absent". std::optional is used where absence itself carries meaning
// (no conferenceid on createconference = the MS picks one; no <volume> on a stream = leave
// the volume as it is).
//
// These types own no XML. mixer_codec.hpp turns them into documents and back.
// All types are copyable, comparable with ==, and safe to move between threads.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace parley::proto::mixer {

inline constexpr std::string_view kNamespace = "urn:ietf:params:xml:ns:msc-mixer";
inline constexpr std::string_view kPackageName = "msc-mixer/1.0";  // Control-Package value
inline constexpr std::string_view kContentType = "application/msc-mixer+xml";
inline constexpr std::string_view kVersion = "1.0";

// An element from a namespace other than msc-mixer, used at the two places where RFC 6505
// names foreign elements as the way to extend the package: a non-XCON video layout and a
// video-switch policy other than vas/controller. Only its name and direct text are kept.
struct ForeignElement {
    std::string ns;
    std::string local;
    std::string text;
    bool operator==(const ForeignElement&) const = default;
};

// ---------------------------------------------------------------- conference configuration

struct Param {
    std::string name;
    std::string type = "text/plain";      // MIME type saying how to read value
    std::optional<std::string> encoding;  // content-transfer-encoding of value
    std::string value;                    // element content, verbatim
    bool operator==(const Param&) const = default;
};

struct Codec {
    std::string name;     // media type name: "audio", "video"
    std::string subtype;  // "PCMU", "H264", ...
    std::vector<Param> params;
    bool operator==(const Codec&) const = default;
};

enum class AudioMixType { nbest, controller };

struct AudioMixing {
    AudioMixType type = AudioMixType::nbest;
    std::uint32_t n = 0;  // loudest N mixed; 0 = every contributor; ignored unless nbest
    bool operator==(const AudioMixing&) const = default;
};

// The predefined XCON layouts (RFC 6501), in the order the schema lists them.
enum class XconLayout {
    singleView,
    dualView,
    dualViewCrop,
    dualView2x1,
    dualView2x1Crop,
    quadView,
    multiple3x3,
    multiple4x4,
    multiple5x1,
};

struct VideoLayout {
    std::uint32_t minParticipants = 1;  // positive
    std::variant<XconLayout, ForeignElement> layout = XconLayout::singleView;
    bool operator==(const VideoLayout&) const = default;
};

enum class VideoSwitchPolicy { vas, controller };

struct VideoSwitch {
    std::chrono::seconds interval{3};  // 0 = switch immediately
    bool activeSpeakerMix = false;     // only meaningful with vas
    std::variant<VideoSwitchPolicy, ForeignElement> policy = VideoSwitchPolicy::vas;
    bool operator==(const VideoSwitch&) const = default;
};

struct ActiveTalkersSub {
    std::chrono::seconds interval{3};  // minimum time between notifications; 0 = stop
    bool operator==(const ActiveTalkersSub&) const = default;
};

struct Subscribe {
    std::optional<ActiveTalkersSub> activeTalkers;
    bool operator==(const Subscribe&) const = default;
};

// The children shared by createconference and modifyconference (schema order).
struct ConferenceSettings {
    std::optional<std::vector<Codec>> codecs;
    std::optional<AudioMixing> audioMixing;
    std::optional<std::vector<VideoLayout>>
        videoLayouts;  // when present: 1+, distinct minParticipants
    std::optional<VideoSwitch> videoSwitch;
    std::optional<Subscribe> subscribe;

    bool empty() const {
        return !codecs && !audioMixing && !videoLayouts && !videoSwitch && !subscribe;
    }
    bool operator==(const ConferenceSettings&) const = default;
};

// ---------------------------------------------------------------- streams

enum class Direction { sendrecv, sendonly, recvonly, inactive };
enum class VolumeControl { automatic, setgain, setstate };

struct Volume {
    VolumeControl control = VolumeControl::automatic;
    double gainDb = 0.0;               // setgain: signed gain in dB
    bool mute = false;                 // setstate: true = "mute", false = "unmute"
    std::optional<std::string> level;  // automatic: target level, as sent (format not defined)

    static Volume gain(double db) {
        Volume v;
        v.control = VolumeControl::setgain;
        v.gainDb = db;
        return v;
    }
    static Volume muted(bool m) {
        Volume v;
        v.control = VolumeControl::setstate;
        v.mute = m;
        return v;
    }
    bool operator==(const Volume&) const = default;
};

inline constexpr std::string_view kDefaultClampTones = "1 2 3 4 5 6 7 8 9 0 * # A B C D";

struct Clamp {
    // Tones to remove, one token each; the default removes every DTMF tone.
    std::vector<std::string> tones{"1", "2", "3", "4", "5", "6", "7", "8",
                                   "9", "0", "*", "#", "A", "B", "C", "D"};
    bool operator==(const Clamp&) const = default;
};

inline constexpr std::uint32_t kDefaultPriority = 100;  // when a stream names none

struct Stream {
    std::string media;                          // "audio", "video", ... (required)
    std::optional<std::string> label;           // SDP a=label of one stream of the connection
    Direction direction = Direction::sendrecv;  // relative to id1
    std::optional<Volume> volume;               // audio only
    std::optional<Clamp> clamp;                 // audio only
    std::optional<std::string> region;          // video only: region name in the layout
    std::optional<std::uint32_t> priority;      // positive; lower = more prominent
    bool operator==(const Stream&) const = default;
};

// ---------------------------------------------------------------- requests

struct CreateConference {
    std::optional<std::string> conferenceId;  // absent: the MS chooses
    std::uint32_t reservedTalkers = 0;
    std::uint32_t reservedListeners = 0;
    ConferenceSettings settings;
    bool operator==(const CreateConference&) const = default;
};

struct ModifyConference {
    std::string conferenceId;
    ConferenceSettings settings;  // never empty once parsed
    bool operator==(const ModifyConference&) const = default;
};

struct DestroyConference {
    std::string conferenceId;
    bool operator==(const DestroyConference&) const = default;
};

// id1/id2 name a connection or a conference; the MS tells which from its own tables.
struct Join {
    std::string id1;
    std::string id2;
    std::vector<Stream> streams;  // empty = every stream, as the media allow
    bool operator==(const Join&) const = default;
};

struct ModifyJoin {
    std::string id1;
    std::string id2;
    std::vector<Stream> streams;  // never empty once parsed
    bool operator==(const ModifyJoin&) const = default;
};

struct Unjoin {
    std::string id1;
    std::string id2;
    std::vector<Stream> streams;  // empty = every stream
    bool operator==(const Unjoin&) const = default;
};

struct Audit {
    bool capabilities = true;
    bool mixers = true;
    std::optional<std::string> conferenceId;
    bool operator==(const Audit&) const = default;
};

// ---------------------------------------------------------------- replies

struct Response {
    int status = 200;  // three digits, see mixer_status.hpp
    std::optional<std::string> reason;
    std::optional<std::string> desclang;  // the root's desclang is folded in on parse
    std::optional<std::string> conferenceId;
    std::optional<std::string> connectionId;
    bool operator==(const Response&) const = default;
};

struct Capabilities {
    std::vector<Codec> codecs;
    bool operator==(const Capabilities&) const = default;
};

struct ConferenceAudit {
    std::string conferenceId;
    std::optional<std::vector<Codec>> codecs;
    std::optional<std::vector<std::string>> participants;  // connection or conference ids
    std::optional<VideoLayout> videoLayout;                // the active layout
    bool operator==(const ConferenceAudit&) const = default;
};

struct JoinAudit {
    std::string id1;
    std::string id2;
    bool operator==(const JoinAudit&) const = default;
};

struct Mixers {
    std::vector<ConferenceAudit> conferences;
    std::vector<JoinAudit> joins;
    bool operator==(const Mixers&) const = default;
};

struct AuditResponse {
    int status = 200;
    std::optional<std::string> reason;
    std::optional<std::string> desclang;
    std::optional<Capabilities> capabilities;
    std::optional<Mixers> mixers;
    bool operator==(const AuditResponse&) const = default;
};

// ---------------------------------------------------------------- notifications

struct ActiveTalker {
    enum class Kind { connection, conference };
    Kind kind = Kind::connection;
    std::string id;  // a connectionid or a conferenceid, per kind
    bool operator==(const ActiveTalker&) const = default;
};

struct ActiveTalkersNotify {
    std::string conferenceId;
    std::vector<ActiveTalker> talkers;
    bool operator==(const ActiveTalkersNotify&) const = default;
};

// unjoin-notify status values (RFC 6505 4.2.4.2); anything else reads as kUnjoinError.
inline constexpr std::uint32_t kUnjoinRequested = 0;
inline constexpr std::uint32_t kUnjoinError = 1;
inline constexpr std::uint32_t kUnjoinPartyTerminated = 2;

struct UnjoinNotify {
    std::uint32_t status = kUnjoinRequested;
    std::optional<std::string> reason;
    std::optional<std::string> desclang;
    std::string id1;
    std::string id2;
    // status as an AS must read it: unknown values count as execution error.
    std::uint32_t effectiveStatus() const {
        return status <= kUnjoinPartyTerminated ? status : kUnjoinError;
    }
    bool operator==(const UnjoinNotify&) const = default;
};

// conferenceexit status values (RFC 6505 4.2.4.3); anything else reads as kExitError.
inline constexpr std::uint32_t kExitDestroyed = 0;
inline constexpr std::uint32_t kExitError = 1;
inline constexpr std::uint32_t kExitMaxDuration = 2;

struct ConferenceExit {
    std::string conferenceId;
    std::uint32_t status = kExitDestroyed;
    std::optional<std::string> reason;
    std::optional<std::string> desclang;
    std::uint32_t effectiveStatus() const {
        return status <= kExitMaxDuration ? status : kExitError;
    }
    bool operator==(const ConferenceExit&) const = default;
};

// One <event> carries one notification (the schema's single choice).
using Event = std::variant<ActiveTalkersNotify, UnjoinNotify, ConferenceExit>;

// The single child of <mscmixer>.
using Message = std::variant<CreateConference, ModifyConference, DestroyConference, Join,
                             ModifyJoin, Unjoin, Audit, Response, AuditResponse, Event>;

// Names as they appear on the wire.
std::string_view toString(Direction d);
std::string_view toString(VolumeControl c);
std::string_view toString(AudioMixType t);
std::string_view toString(XconLayout l);
std::string_view toString(VideoSwitchPolicy p);
// The element name of a message's child of <mscmixer> ("join", "event", ...).
std::string_view elementName(const Message& m);

}  // namespace parley::proto::mixer
