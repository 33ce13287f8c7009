#pragma once
// msc-ivr/1.0 messages (RFC 6231 sections 4.2 and 4.4) as plain values.
//
// Contract:
// - Message is one child of <mscivr>: a request (DialogPrepare, DialogStart,
//   DialogTerminate, Audit), a response (Response, AuditResponse) or an Event.
// - Members start at the RFC defaults; attributes without one are std::optional.
// - A parsed request has passed the co-occurrence rules no schema can express
//   (see codec.hpp); everything else that needs media-server state (unknown connection,
//   unsupported dialog language, ...) is the media server's to decide.
// - operator== compares values (extensions structurally), so parse(serialize(m)) == m.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "proto/packages/ivr/dialog.hpp"
#include "proto/packages/ivr/types.hpp"

namespace parley::proto::ivr {

// <param>: a name/value input or output of a dialog (value is the element content).
struct Param {
    std::string name;
    std::string type = "text/plain";
    std::optional<std::string> encoding;
    std::string value;
    Extensions ext;  // foreign attributes only
    bool operator==(const Param&) const = default;
};

struct Params {
    std::vector<Param> params;
    Extensions ext;
    bool operator==(const Params&) const = default;
};

struct DtmfSub {
    MatchMode matchMode = MatchMode::All;
    Extensions ext;
    bool operator==(const DtmfSub&) const = default;
};

struct Subscribe {
    std::vector<DtmfSub> dtmfSubs;
    Extensions ext;
    bool operator==(const Subscribe&) const = default;
};

// <stream>: which media of the connection/conference the dialog uses, and how.
struct Stream {
    std::string media;  // "audio", "video", ...
    std::optional<std::string> label;
    Direction direction = Direction::SendRecv;
    std::optional<std::string> region;      // NMTOKEN
    std::optional<std::uint32_t> priority;  // positive
    Extensions ext;
    bool operator==(const Stream&) const = default;
};

// <dialogprepare>: exactly one of src (external dialog language) or dialog.
struct DialogPrepare {
    std::optional<std::string> src;
    std::optional<std::string> type;
    std::optional<std::uint64_t> maxAge;
    std::optional<std::uint64_t> maxStale;
    Milliseconds fetchTimeout{30000};
    std::optional<std::string> dialogId;
    std::optional<Dialog> dialog;
    std::optional<Params> params;
    Extensions ext;
    bool operator==(const DialogPrepare&) const = default;
};

// <dialogstart>: exactly one of src / prepareddialogid / dialog; exactly one of
// connectionid / conferenceid; never both prepareddialogid and dialogid.
struct DialogStart {
    std::optional<std::string> src;
    std::optional<std::string> type;
    std::optional<std::uint64_t> maxAge;
    std::optional<std::uint64_t> maxStale;
    Milliseconds fetchTimeout{30000};
    std::optional<std::string> dialogId;
    std::optional<std::string> preparedDialogId;
    std::optional<std::string> connectionId;
    std::optional<std::string> conferenceId;
    std::optional<Dialog> dialog;
    std::optional<Subscribe> subscribe;
    std::optional<Params> params;
    std::vector<Stream> streams;
    Extensions ext;
    bool operator==(const DialogStart&) const = default;
};

struct DialogTerminate {
    std::string dialogId;  // required
    bool immediate = false;
    Extensions ext;
    bool operator==(const DialogTerminate&) const = default;
};

struct Response {
    int status = 200;
    std::string dialogId;  // required; may be empty when the request had none
    std::optional<std::string> reason;
    std::optional<std::string> descLang;
    std::optional<std::string> connectionId;
    std::optional<std::string> conferenceId;
    Extensions ext;
    bool operator==(const Response&) const = default;
};

// ------------------------------------------------------------------ exit information

struct PromptInfo {
    std::optional<std::uint64_t> duration;  // ms
    PromptTermMode termMode = PromptTermMode::Completed;
    Extensions ext;
    bool operator==(const PromptInfo&) const = default;
};

struct ControlMatch {
    std::optional<std::string> dtmf;       // DTMFString
    std::optional<std::string> timestamp;  // xsd:dateTime
    Extensions ext;
    bool operator==(const ControlMatch&) const = default;
};

struct ControlInfo {
    std::vector<ControlMatch> matches;
    Extensions ext;
    bool operator==(const ControlInfo&) const = default;
};

struct CollectInfo {
    std::optional<std::string> dtmf;
    CollectTermMode termMode = CollectTermMode::Match;
    Extensions ext;
    bool operator==(const CollectInfo&) const = default;
};

struct MediaInfo {
    std::string loc;
    std::string type;
    std::optional<std::uint64_t> size;  // bytes
    Extensions ext;
    bool operator==(const MediaInfo&) const = default;
};

struct RecordInfo {
    std::optional<std::uint64_t> duration;  // ms
    RecordTermMode termMode = RecordTermMode::Stopped;
    std::vector<MediaInfo> media;
    Extensions ext;
    bool operator==(const RecordInfo&) const = default;
};

// ------------------------------------------------------------------ events

struct DialogExit {
    std::uint32_t status = 1;  // exit_status::k* (status.hpp)
    std::optional<std::string> reason;
    std::optional<std::string> descLang;
    std::optional<PromptInfo> promptInfo;
    std::optional<ControlInfo> controlInfo;
    std::optional<CollectInfo> collectInfo;
    std::optional<RecordInfo> recordInfo;
    std::optional<Params> params;
    Extensions ext;
    bool operator==(const DialogExit&) const = default;
};

struct DtmfNotify {
    MatchMode matchMode = MatchMode::All;
    std::string dtmf;       // DTMFString
    std::string timestamp;  // xsd:dateTime
    Extensions ext;
    bool operator==(const DtmfNotify&) const = default;
};

struct Event {
    std::string dialogId;
    std::variant<DialogExit, DtmfNotify> notification;
    Extensions ext;  // foreign attributes only (a foreign-only event has no notification)
    bool operator==(const Event&) const = default;
};

// ------------------------------------------------------------------ audit

struct Audit {
    bool capabilities = true;
    bool dialogs = true;
    std::optional<std::string> dialogId;
    Extensions ext;
    bool operator==(const Audit&) const = default;
};

struct Codec {
    std::string name;     // "audio", "video"
    std::string subtype;  // "PCMU", "telephone-event", ...
    std::optional<Params> params;
    Extensions ext;
    bool operator==(const Codec&) const = default;
};

struct Codecs {
    std::vector<Codec> codecs;
    Extensions ext;
    bool operator==(const Codecs&) const = default;
};

// <dialoglanguages>, <grammartypes>, <recordtypes>, <prompttypes>: lists of <mimetype>.
struct MimeTypes {
    std::vector<std::string> types;
    Extensions ext;
    bool operator==(const MimeTypes&) const = default;
};

struct VariableFormat {
    std::string value;  // "mdy", "t24", "crn", ...
    std::optional<std::string> desc;
    std::optional<std::string> descLang;
    Extensions ext;
    bool operator==(const VariableFormat&) const = default;
};

struct VariableType {
    std::string type;
    std::optional<std::string> desc;
    std::optional<std::string> descLang;
    std::vector<VariableFormat> formats;
    Extensions ext;
    bool operator==(const VariableType&) const = default;
};

struct Variables {
    std::vector<VariableType> types;
    Extensions ext;
    bool operator==(const Variables&) const = default;
};

struct Capabilities {
    MimeTypes dialogLanguages;  // languages besides the IVR dialog language
    MimeTypes grammarTypes;     // formats besides SRGS
    MimeTypes recordTypes;
    MimeTypes promptTypes;
    Variables variables;
    Milliseconds maxPreparedDuration{300000};
    Milliseconds maxRecordDuration{0};
    Codecs codecs;
    Extensions ext;
    bool operator==(const Capabilities&) const = default;
};

struct DialogAudit {
    std::string dialogId;
    DialogState state = DialogState::Started;
    std::optional<std::string> connectionId;
    std::optional<std::string> conferenceId;
    std::optional<Codecs> codecs;
    Extensions ext;
    bool operator==(const DialogAudit&) const = default;
};

struct Dialogs {
    std::vector<DialogAudit> dialogs;
    Extensions ext;
    bool operator==(const Dialogs&) const = default;
};

struct AuditResponse {
    int status = 200;
    std::optional<std::string> reason;
    std::optional<std::string> descLang;
    std::optional<Capabilities> capabilities;
    std::optional<Dialogs> dialogs;
    Extensions ext;
    bool operator==(const AuditResponse&) const = default;
};

// ------------------------------------------------------------------ documents

using Message = std::variant<DialogPrepare, DialogStart, DialogTerminate, Audit, Response,
                             AuditResponse, Event>;

// The whole <mscivr> document: its one message plus the root's own attributes.
struct Document {
    Message message;
    std::optional<std::string> descLang;  // language of descriptive text (default i-default)
    Extensions ext;                       // foreign attributes of <mscivr>
    bool operator==(const Document&) const = default;
};

// The dialogid a message carries ("" when none), for logs and error responses.
std::string dialogIdOf(const Message& m);
// True for the AS->MS requests (dialogprepare, dialogstart, dialogterminate, audit).
bool isRequest(const Message& m);
// The element name of the message ("dialogstart", "event", ...).
std::string_view elementName(const Message& m);

}  // namespace parley::proto::ivr
