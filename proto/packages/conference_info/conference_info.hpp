#pragma once
// RFC 4575 conference-info documents (the "conference" event package) as C++ values.
//
// write() renders a document in the urn:ietf:params:xml:ns:conference-info namespace,
// children in schema order, optional parts only when set; what it writes is valid against
// the RFC 4575 schema as long as the values keep the schema's lexical rules that a C++ type
// cannot (URIs are URIs, Execution::when is an xs:dateTime, languages are language tags).
//
// parse() reads a document back: Error{400, "<element> line N: what"} for a body that is
// not well-formed (limits from proto/xml), has another root, lacks a required attribute or
// element (entity, media id, available-media label, uri), or holds a bad enumeration,
// number or boolean. Elements and attributes of other namespaces (the schema's extension
// points) are skipped, and so is <sidebars-by-val> (Parley keeps no sidebar state); an
// unknown element of the package's own namespace is refused.
//
// Partial notifications (RFC 4575 section 4.6) are the caller's business: a document with
// state Partial carries only what changed, each user/endpoint with its own state
// (Full/Partial/Deleted); version increases by one per NOTIFY of a subscription.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "proto/xml/xml.hpp"

namespace parley::proto::confinfo {

inline constexpr std::string_view kNamespace = "urn:ietf:params:xml:ns:conference-info";
inline constexpr std::string_view kContentType = "application/conference-info+xml";
inline constexpr std::string_view kEventPackage = "conference";

enum class State { Full, Partial, Deleted };
enum class EndpointStatus {
    Pending, DialingOut, DialingIn, Alerting, OnHold, Connected, MutedViaFocus, Disconnecting,
    Disconnected
};
enum class JoiningMethod { DialedIn, DialedOut, FocusOwner };
enum class DisconnectionMethod { Departed, Booted, Failed, Busy };
enum class MediaStatus { RecvOnly, SendOnly, SendRecv, Inactive };

const char* toString(State v);
const char* toString(EndpointStatus v);
const char* toString(JoiningMethod v);
const char* toString(DisconnectionMethod v);
const char* toString(MediaStatus v);

// <entry> of a uris-type list (conf-uris, service-uris, host uris, associated-aors,
// sidebars-by-ref).
struct UriEntry {
    std::string uri;
    std::string displayText;
    std::string purpose;
    bool operator==(const UriEntry&) const = default;
};

// <entry> of <available-media>.
struct AvailableMedia {
    std::string label;  // required
    std::string displayText;
    std::string type;   // "audio", "video"... (required by the schema)
    std::optional<MediaStatus> status;
    bool operator==(const AvailableMedia&) const = default;
};

struct ConferenceDescription {
    std::string displayText;
    std::string subject;
    std::string freeText;
    std::vector<std::string> keywords;  // one token each (an xs:list)
    std::vector<UriEntry> confUris;
    std::vector<UriEntry> serviceUris;
    std::optional<uint32_t> maximumUserCount;
    std::vector<AvailableMedia> availableMedia;
    bool operator==(const ConferenceDescription&) const = default;
};

struct HostInfo {
    std::string displayText;
    std::string webPage;
    std::vector<UriEntry> uris;
    bool operator==(const HostInfo&) const = default;
};

struct ConferenceState {
    std::optional<uint32_t> userCount;
    std::optional<bool> active;
    std::optional<bool> locked;
    bool operator==(const ConferenceState&) const = default;
};

// execution-type: when (xs:dateTime text such as "2005-03-04T20:00:00Z"), reason, by (URI).
struct Execution {
    std::string when;
    std::string reason;
    std::string by;
    bool operator==(const Execution&) const = default;
};

struct Media {
    std::string id;  // required
    std::string displayText;
    std::string type;
    std::string label;
    std::string srcId;
    std::optional<MediaStatus> status;
    bool operator==(const Media&) const = default;
};

// <call-info><sip>: the dialog of the endpoint.
struct SipDialogId {
    std::string displayText;
    std::string callId;
    std::string fromTag;
    std::string toTag;
    bool operator==(const SipDialogId&) const = default;
};

struct Endpoint {
    std::string entity;  // optional in the schema; empty: not written
    State state = State::Full;
    std::string displayText;
    std::optional<Execution> referred;
    std::optional<EndpointStatus> status;
    std::optional<JoiningMethod> joiningMethod;
    std::optional<Execution> joiningInfo;
    std::optional<DisconnectionMethod> disconnectionMethod;
    std::optional<Execution> disconnectionInfo;
    std::vector<Media> media;
    std::optional<SipDialogId> callInfo;
    bool operator==(const Endpoint&) const = default;
};

struct User {
    std::string entity;  // empty for an anonymous participant (no entity attribute)
    State state = State::Full;
    std::string displayText;
    std::vector<UriEntry> associatedAors;
    std::vector<std::string> roles;      // <roles><entry>
    std::vector<std::string> languages;  // language tags (an xs:list)
    std::string cascadedFocus;
    std::vector<Endpoint> endpoints;
    bool operator==(const User&) const = default;
};

struct Users {
    State state = State::Full;
    std::vector<User> users;
    bool operator==(const Users&) const = default;
};

struct ConferenceInfo {
    std::string entity;  // the conference URI (required)
    State state = State::Full;
    std::optional<uint32_t> version;
    std::optional<ConferenceDescription> description;
    std::optional<HostInfo> hostInfo;
    std::optional<ConferenceState> conferenceState;
    std::optional<Users> users;
    std::vector<UriEntry> sidebarsByRef;
    bool operator==(const ConferenceInfo&) const = default;
};

// The document, with an XML declaration, indented like the RFC examples.
std::string write(const ConferenceInfo& info);

common::Result<ConferenceInfo> parse(std::string_view document, const xml::Limits& limits = {});

}  // namespace parley::proto::confinfo
